import math

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InfeasibleError, InvalidInputError
from mlsysim.resolvers import (AmdahlModel, AvailabilityModel, BatchingLatencyModel,
                               ChouldechovaModel, CompositionModel, CompressionModel,
                               DataGravityModel, DataPipelineModel, DispatchOverheadModel,
                               DPSGDUtilityModel, ErrorBudgetModel, FederatedCommunicationModel,
                               FleetReliabilityModel, FusionModel, GaussianMechanismModel,
                               GroupFairnessModel, LittlesLawModel,
                               MMcQueueModel, PopulationStabilityModel, PrivacyBudgetSolver,
                               RetrainingCostModel, StorageIOModel, YoungDalyModel)
from mlsysim.resolvers.queueing import erlang_c, erlang_quantile


def test_littles_law():
    # 1,000 req/s x 50 ms in system = 50 requests in flight.
    r = LittlesLawModel().solve(arrival_rate=Q_(1000, "1/s"), time_in_system=Q_(50, "ms"))
    assert r.in_system == pytest.approx(50)
    w = LittlesLawModel().solve(in_system=50, arrival_rate=Q_(1000, "1/s"))
    assert w.time_in_system.m_as("ms") == pytest.approx(50)


def test_erlang_c_textbook_values():
    # Erlang C: c = 2, A = 1 Erlang -> 1/3; c = 1 reduces to rho (M/M/1).
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    # Classic call-centre example (Harchol-Balter 2013 style): c = 10, A = 8 -> C ~ 0.409
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=5e-4)


def test_mm1_mean_and_percentile():
    # M/M/1, lambda 80/s, mu 100/s: rho 0.8, Wq = rho/(mu - lambda) = 40 ms, W = 50 ms;
    # P(Wq > t) = rho e^{-(mu-lambda)t}: p99 wait = ln(0.8/0.01)/20 = 219.1 ms.
    r = MMcQueueModel().solve(arrival_rate=Q_(80, "1/s"), service_rate=Q_(100, "1/s"))
    assert r.utilization == pytest.approx(0.8)
    assert r.mean_wait.m_as("ms") == pytest.approx(40)
    assert r.mean_response.m_as("ms") == pytest.approx(50)
    assert r.wait_percentile.m_as("ms") == pytest.approx(math.log(80) / 20 * 1e3)


@settings(max_examples=50, deadline=None)
@given(lam=st.floats(0.1, 99.0))
def test_erlang_c_equals_mm1_at_one_server(lam):
    r = MMcQueueModel().solve(arrival_rate=Q_(lam, "1/s"), service_rate=Q_(100, "1/s"))
    rho = lam / 100
    assert r.prob_wait == pytest.approx(rho)
    assert r.mean_wait.m_as("s") == pytest.approx(rho / (100 - lam))


@settings(max_examples=40, deadline=None)
@given(c=st.integers(1, 30), extra=st.integers(1, 10), load=st.floats(0.05, 0.95))
def test_more_servers_never_wait_longer(c, extra, load):
    lam = Q_(load * c * 10, "1/s")
    a = MMcQueueModel().solve(arrival_rate=lam, service_rate=Q_(10, "1/s"), servers=c)
    b = MMcQueueModel().solve(arrival_rate=lam, service_rate=Q_(10, "1/s"), servers=c + extra)
    assert b.mean_wait <= a.mean_wait


def test_unstable_queue_is_infeasible():
    r = MMcQueueModel().solve(arrival_rate=Q_(100, "1/s"), service_rate=Q_(100, "1/s"))
    assert not r.feasible and r.mean_wait.m_as("s") == math.inf
    [v] = r.violations
    assert v.name == "server capacity" and v.required.m_as("1/s") == 100
    assert v.available.m_as("1/s") == 100
    with pytest.raises(InfeasibleError, match="server capacity"):
        r.raise_if_infeasible()


def test_mm1_response_p99_is_ln100_over_mu_minus_lambda():
    # M/M/1 response time is exponential with rate mu - lambda (Kleinrock 1975, Sec. 3.2;
    # Harchol-Balter 2013, Sec. 14.1): P99 = ln(100) / (mu - lambda). At 80/s on 100/s that
    # is 4.605 / 20 = 230 ms; the waiting-time P99 is only ln(0.8 x 100)/20 = 219 ms.
    r = MMcQueueModel().solve(arrival_rate=Q_(80, "request/s"), service_rate=Q_(100, "1/s"))
    assert r.response_percentile.m_as("ms") == pytest.approx(math.log(100) / 20 * 1000,
                                                             rel=1e-6)
    assert r.wait_percentile.m_as("ms") == pytest.approx(math.log(80) / 20 * 1000, rel=1e-6)


def test_mmc_response_percentile_matches_its_distribution():
    # M/M/c response CCDF (Gross et al. 2008): at the returned P99 it equals 0.01, and it
    # is never below the P99 of the service time alone, ln(100) / mu.
    r = MMcQueueModel().solve(arrival_rate=Q_(35, "1/s"), service_rate=Q_(10, "1/s"),
                              servers=4)
    from mlsysim.resolvers.queueing import response_ccdf
    t = r.response_percentile.m_as("s")
    assert response_ccdf(t, 4, 35.0, 10.0, r.prob_wait) == pytest.approx(0.01, rel=1e-6)
    assert t > math.log(100) / 10


def test_batching_latency_p99():
    # b = 1: no fill wait, latency = service. b = 8 at 1000/s: first request waits for 7
    # arrivals (Erlang(7, 1000/s)); its 99th percentile is 14.57 ms (chi-square tables:
    # chi2_{0.99}(14)/2 / lambda = 29.141/2 ms).
    one = BatchingLatencyModel().solve(arrival_rate=Q_(1000, "1/s"), batch_size=1,
                                       base_time=Q_(1, "ms"), per_item_time=Q_(0.1, "ms"))
    assert one.p_latency.m_as("ms") == pytest.approx(1.1)
    assert erlang_quantile(7, 1000.0, 0.99) == pytest.approx(29.141 / 2 / 1000, rel=1e-3)
    eight = BatchingLatencyModel().solve(arrival_rate=Q_(1000, "1/s"), batch_size=8,
                                         base_time=Q_(1, "ms"), per_item_time=Q_(0.1, "ms"))
    assert eight.p_latency.m_as("ms") == pytest.approx(14.57 + 1.8, rel=1e-3)
    # 1.1 ms per request at 1 ms spacing: a batch of one cannot keep up
    assert eight.feasible and not one.feasible
    assert one.violations[0].name == "server capacity"


def test_young_daly_and_fleet():
    # 16,384 GPUs at 50,000 h MTBF each: fleet MTBF 3.05 h (Meta reported ~ one interruption
    # every 3 h for Llama 3 405B on 16k H100s, Llama Team 2024, Sec. 3.3.4).
    f = FleetReliabilityModel().solve(mtbf=Q_(50_000, "hour"), devices=16_384)
    assert f.fleet_mtbf.m_as("hour") == pytest.approx(3.05, rel=1e-2)
    # Young 1974: tau = sqrt(2 x 60 s x 3 h) = sqrt(2 x 60 x 10800) = 1138.4 s
    y = YoungDalyModel().solve(checkpoint_time=Q_(60, "s"), mtbf=Q_(3, "hour"))
    assert y.optimal_interval.m_as("s") == pytest.approx(math.sqrt(2 * 60 * 10800))
    assert y.expected_lost_work_per_failure.m_as("s") == pytest.approx(1138.42 / 2, rel=1e-4)
    # the optimum minimises the first-order waste
    for k in (0.5, 2.0):
        other = YoungDalyModel().solve(checkpoint_time=Q_(60, "s"), mtbf=Q_(3, "hour"),
                                       interval=Q_(1138.42 * k, "s"))
        assert other.waste_fraction > y.waste_fraction


def test_availability_and_error_budget():
    assert AvailabilityModel().solve(availabilities=[0.99, 0.99]).availability == pytest.approx(0.9801)
    assert AvailabilityModel().solve(availabilities=[0.99, 0.99], composition="parallel").availability == \
        pytest.approx(0.9999)
    # 99.9 % over 30 days = 43.2 minutes (Beyer et al. 2016).
    e = ErrorBudgetModel().solve(slo=0.999, downtime=Q_(21.6, "minute"))
    assert e.budget.m_as("minute") == pytest.approx(43.2)
    assert e.consumed == pytest.approx(0.5)


def test_gaussian_mechanism_and_composition():
    # Dwork & Roth Thm A.1: eps 0.5, delta 1e-5, sensitivity 1 -> sigma = 9.6896
    g = GaussianMechanismModel().solve(epsilon=0.5, delta=1e-5)
    assert g.sigma == pytest.approx(math.sqrt(2 * math.log(1.25e5)) / 0.5)
    assert g.sigma == pytest.approx(9.6896, abs=1e-4) and g.valid_regime
    comp = CompositionModel().solve(epsilon=0.1, steps=100, delta=1e-6)
    assert comp.basic_epsilon == pytest.approx(10)
    adv = math.sqrt(2 * 100 * math.log(1e5)) * 0.1 + 100 * 0.1 * (math.exp(0.1) - 1)
    assert comp.advanced_epsilon == pytest.approx(adv)
    assert comp.best_epsilon == pytest.approx(adv) and adv < 10


def test_dpsgd_curve_and_budget_solver():
    u = DPSGDUtilityModel().solve(epsilon=8)
    assert u.illustrative and "Abadi" in u.source
    s = PrivacyBudgetSolver().solve(target_accuracy=0.9)
    assert DPSGDUtilityModel().solve(epsilon=s.epsilon).accuracy == pytest.approx(0.9)
    high = PrivacyBudgetSolver().solve(target_accuracy=0.96)
    assert not high.feasible and high.epsilon == math.inf


def test_chouldechova_relation_matches_confusion_counts():
    cm = {"tp": 300, "fp": 100, "tn": 500, "fn": 100}
    r = GroupFairnessModel().solve(confusion={"a": cm, "b": {"tp": 100, "fp": 100, "tn": 700, "fn": 100}})
    a = r.groups["a"]
    ch = ChouldechovaModel().solve(base_rate=a["base_rate"], ppv=a["ppv"], fnr=a["fnr"])
    assert ch.fpr == pytest.approx(a["fpr"])  # 100/600
    assert r.gaps["tpr"] == pytest.approx(0.75 - 0.5)


def test_psi_and_retraining():
    same = PopulationStabilityModel().solve(expected=[10, 20, 30, 40], actual=[1, 2, 3, 4])
    assert same.psi == pytest.approx(0) and same.level == "none"
    shift = PopulationStabilityModel().solve(expected=[0.25] * 4, actual=[0.1, 0.2, 0.3, 0.4])
    expected = sum((a - 0.25) * math.log(a / 0.25) for a in (0.1, 0.2, 0.3, 0.4))
    assert shift.psi == pytest.approx(expected) and shift.level == "moderate"
    r = RetrainingCostModel().solve(retrain_cost=Q_(10_000, "USD"), decay_rate="0.1 %/day",
                                    loss_per_point=Q_(1000, "USD/day"))
    assert r.optimal_interval.m_as("day") == pytest.approx(math.sqrt(2 * 10_000 / 100))


def test_amdahl_gustafson():
    # p = 0.95: limit 20x; 8 workers -> 1/(0.05 + 0.11875) = 5.93
    r = AmdahlModel().solve(parallel_fraction=0.95, devices=8)
    assert r.amdahl_speedup == pytest.approx(5.926, rel=1e-3) and r.amdahl_limit == pytest.approx(20)
    assert r.gustafson_speedup == pytest.approx(7.65)


def test_dispatch_and_fusion(h100):
    d = DispatchOverheadModel().solve(kernels=100, compute_time=Q_(500, "us"), hardware=h100)
    assert d.overhead_time.m_as("us") == pytest.approx(500) and d.overhead_share == 0.5
    f = FusionModel().solve(kernels=4, tensor_bytes=Q_(64, "MB"), hardware=h100)
    unfused = 4 * 5e-6 + 4 * 2 * 64e6 / 3.35e12
    assert f.unfused_time.m_as("s") == pytest.approx(unfused)
    assert f.launches_saved == 3 and f.speedup == pytest.approx(unfused / (5e-6 + 128e6 / 3.35e12))


def test_data_pipeline_gravity_storage():
    p = DataPipelineModel().solve(stages={"read": Q_(5000, "1/s"), "decode": Q_(1200, "1/s"),
                                   "augment": Q_(3000, "1/s")},
                                  target_throughput=Q_(2400, "1/s"))
    assert p.bottleneck == "decode" and p.accelerator_utilization == pytest.approx(0.5)
    # 1 PB over 10 Gb/s = 8e15 / 1e10 s = 9.26 days
    g = DataGravityModel().solve(data_bytes=Q_(1, "PB"), bandwidth=Q_(10, "Gb/s"))
    assert g.days == pytest.approx(9.259, rel=1e-3)
    s = StorageIOModel().solve(target_throughput=Q_(3000, "1/s"),
                               bytes_per_sample=Q_(110, "kB"),
                               storage_bandwidth=Q_(1, "GB/s"), devices=8)
    assert s.io_bound and s.required_bandwidth.m_as("GB/s") == pytest.approx(2.64)


def test_compression_sizes(resnet50):
    q = CompressionModel().solve(model=resnet50, precision="int8")
    assert q.compression_ratio == pytest.approx(2) and not q.illustrative  # published point
    p = CompressionModel().solve(model=resnet50, precision="fp16", sparsity=0.5,
                                 pruning="structured")
    assert p.compute_speedup == pytest.approx(2) and p.compression_ratio == pytest.approx(2)
    u = CompressionModel().solve(model=resnet50, precision="fp16", sparsity=0.9)
    # 10 % of weights at 2 B + 1-bit mask: 0.2 + 0.125 B per weight vs 2 B
    assert u.compression_ratio == pytest.approx(2 / 0.325) and u.compute_speedup == 1


def test_federated_traffic():
    # 100 MB model, 10 clients/round, 100 rounds, updates compressed 4x:
    # per client 125 MB; round time 100 MB / 12.5 MB/s + 25 MB / 2.5 MB/s = 18 s.
    r = FederatedCommunicationModel().solve(model_bytes=Q_(100, "MB"), rounds=100,
                                            clients_per_round=10, downlink=Q_(100, "Mb/s"),
                                            uplink=Q_(20, "Mb/s"), compression=0.25)
    assert r.bytes_per_client_round.m_as("MB") == pytest.approx(125)
    assert r.total_bytes.m_as("GB") == pytest.approx(125)
    assert r.round_time.m_as("s") == pytest.approx(18)


@pytest.mark.parametrize("call, name", [
    (lambda: LittlesLawModel().solve(in_system=1), "in_system"),
    (lambda: MMcQueueModel().solve(arrival_rate=Q_(1, "s"), service_rate=Q_(2, "1/s")),
     "arrival_rate"),
    (lambda: MMcQueueModel().solve(arrival_rate=Q_(1, "1/s"), service_rate=Q_(2, "1/s"),
                                   servers=0), "servers"),
    (lambda: MMcQueueModel().solve(arrival_rate=Q_(1, "1/s"), service_rate=Q_(2, "1/s"),
                                   percentile=1.0), "percentile"),
    (lambda: BatchingLatencyModel().solve(arrival_rate=Q_(1, "1/s"), batch_size=0,
                                          base_time=Q_(1, "ms"), per_item_time=Q_(1, "ms")),
     "batch_size"),
    (lambda: FleetReliabilityModel().solve(mtbf=Q_(-1, "hour"), devices=1), "mtbf"),
    (lambda: YoungDalyModel().solve(checkpoint_time=Q_(0, "s"), mtbf=Q_(1, "h")),
     "checkpoint_time"),
    (lambda: AvailabilityModel().solve(availabilities=[1.2]), "availabilities"),
    (lambda: AvailabilityModel().solve(availabilities=[0.9], composition="mesh"), "composition"),
    (lambda: ErrorBudgetModel().solve(slo=1.0), "slo"),
    (lambda: GaussianMechanismModel().solve(epsilon=0, delta=1e-5), "epsilon"),
    (lambda: GaussianMechanismModel().solve(epsilon=1, delta=0), "delta"),
    (lambda: CompositionModel().solve(epsilon=1, steps=0), "steps"),
    (lambda: ChouldechovaModel().solve(base_rate=0, ppv=0.5, fnr=0.1), "base_rate"),
    (lambda: GroupFairnessModel().solve(confusion={"a": {"tp": 1}}), "confusion"),
    (lambda: GroupFairnessModel().solve(confusion={"a": {"tp": -1, "fp": 0, "tn": 0, "fn": 0}}), "tp"),
    (lambda: PopulationStabilityModel().solve(expected=[1, 2], actual=[1, 2, 3]), "actual"),
    (lambda: PopulationStabilityModel().solve(expected=[0, 0], actual=[1, 2]), "expected"),
    (lambda: AmdahlModel().solve(parallel_fraction=1.5, devices=2), "parallel_fraction"),
    (lambda: AmdahlModel().solve(parallel_fraction=0.5, devices=0), "devices"),
    (lambda: DispatchOverheadModel().solve(kernels=1, compute_time=Q_(1, "s")),
     "dispatch_overhead"),
    (lambda: DataPipelineModel().solve(stages={}), "stages"),
    (lambda: DataGravityModel().solve(data_bytes=Q_(1, "GB"), bandwidth=Q_(1, "GB")),
     "bandwidth"),
    (lambda: FederatedCommunicationModel().solve(model_bytes=Q_(1, "MB"), rounds=0,
                                                 clients_per_round=1, downlink=Q_(1, "MB/s"),
                                                 uplink=Q_(1, "MB/s")), "rounds"),
    (lambda: RetrainingCostModel().solve(retrain_cost=Q_(1, "USD"), decay_rate="0 %/day",
                                         loss_per_point=Q_(1, "USD/day")), "decay_rate"),
    (lambda: RetrainingCostModel().solve(retrain_cost=Q_(1, "USD"), decay_rate=0.1,
                                         loss_per_point=Q_(1, "USD/day")), "decay_rate"),
])
def test_rejects_bad_inputs(call, name):
    with pytest.raises(InvalidInputError, match=name):
        call()


def test_compression_rejects_bad_inputs(resnet50):
    with pytest.raises(InvalidInputError, match="sparsity"):
        CompressionModel().solve(model=resnet50, sparsity=1.0)
    with pytest.raises(InvalidInputError, match="pruning"):
        CompressionModel().solve(model=resnet50, pruning="random")


def test_erlang_quantile_is_exact_at_every_size():
    """The batch-fill time of a batch of k is an Erlang(k, lambda) (gamma) quantile. The old
    sum of k Poisson terms underflowed past k ~ 745 (exp(-x) = 0) and answered ~745/lambda for
    any larger batch; chi-square tables: chi2_0.99(14) / 2 = 14.5705 for k = 7; for large k the
    quantile is within a few sigma of the mean k / lambda."""
    from mlsysim.resolvers._stats import gamma_p
    assert erlang_quantile(7, 1000.0, 0.99) == pytest.approx(29.141 / 2 / 1000, rel=1e-4)
    t = erlang_quantile(4096, 1.0, 0.99)
    assert 4096 < t < 4096 + 3 * 64 and gamma_p(4096, t) == pytest.approx(0.99, abs=1e-9)
