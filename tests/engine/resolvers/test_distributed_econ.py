import pytest
from hypothesis import given, settings, strategies as st

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.hardware.types import Interconnect
from mlsysim.models.types import Workload
from mlsysim.resolvers import (CostPerInferenceModel, DistributedModel, EconomicsModel,
                               EmbodiedCarbonModel, EnergyCarbonModel, JevonsReboundModel,
                               ParallelismModel, TrainingMemoryModel)
from mlsysim.resolvers.parallelism import pipeline_bubble
from mlsysim.systems.types import Cluster, Fabric, Node


@pytest.fixture(scope="module")
def cluster(h100):
    # DGX H100: 8 GPUs, NVLink 4 at 450 GB/s per direction; 400 Gb/s InfiniBand per GPU.
    node = Node(name="DGX H100", hardware=h100, accelerators=8,
                intra_node=Interconnect("NVLink 4", Q_(450, "GB/s"), Q_(2, "us")))
    return Cluster(name="1k", node=node, nodes=128,
                   fabric=Fabric(name="IB NDR", bandwidth_per_gpu=Q_(50, "GB/s"),
                                 latency=Q_(5, "us")))


def test_zero_paper_7_5b_on_64_gpus():
    # Rajbhandari et al. 2020, Figure 1: 7.5B params, 64 GPUs, K = 12:
    # baseline 120 GB, ZeRO-1 31.4 GB, ZeRO-2 16.6 GB, ZeRO-3 1.9 GB per GPU.
    w = Workload(name="7.5B", parameters=7.5e9)
    got = [TrainingMemoryModel().solve(model=w, zero_stage=s, dp=64).total.m_as("GB")
           for s in (0, 1, 2, 3)]
    assert got == pytest.approx([120, 31.41, 16.64, 1.875], abs=0.01)


@settings(max_examples=40, deadline=None)
@given(dp=st.integers(1, 1024), more=st.integers(1, 1024))
def test_more_gpus_never_raise_zero3_memory(dp, more):
    w = Workload(name="x", parameters=1e9)
    a = TrainingMemoryModel().solve(model=w, zero_stage=3, dp=dp).total
    b = TrainingMemoryModel().solve(model=w, zero_stage=3, dp=dp + more).total
    assert b <= a


def test_activation_checkpointing_korthikanti(llama3_8b):
    # Korthikanti et al. 2022: per layer s b h (34 + 5 a s / h) without recomputation;
    # full checkpointing keeps 2 s b h per layer.
    none = TrainingMemoryModel().solve(model=llama3_8b, seq_len=2048)
    full = TrainingMemoryModel().solve(model=llama3_8b, seq_len=2048, checkpointing="full")
    sbh = 2048 * 4096
    assert none.activations.m_as("B") == pytest.approx(32 * sbh * (34 + 5 * 32 * 2048 / 4096))
    assert full.activations.m_as("B") == pytest.approx(32 * 2 * sbh)


def test_pipeline_bubble_formula():
    # Narayanan et al. 2021: (p-1)/(m+p-1); p = 8, m = 32 -> 7/39.
    assert pipeline_bubble(8, 32) == pytest.approx(7 / 39)
    assert pipeline_bubble(1, 1) == 0


def test_parallelism_volumes(llama3_8b):
    r = ParallelismModel().solve(model=llama3_8b, dp=4, tp=2, pp=1, seq_len=2048)
    # DP: 2 (d-1)/d x 2 B x N / tp = 1.5 x 8.03e9 = 12.045 GB
    assert r.dp_bytes_per_gpu.m_as("GB") == pytest.approx(2 * 3 / 4 * 2 * 8.03e9 / 2 / 1e9)
    # TP: 4 AllReduces/layer x 32 layers x (2 x 1/2) x 2 B x 2048 x 4096
    assert r.tp_bytes_per_gpu.m_as("B") == pytest.approx(4 * 32 * 1 * 2 * 2048 * 4096)
    assert r.pp_bytes_per_gpu.m_as("B") == 0


def test_distributed_model_fleet(cluster):
    w = Workload(name="8B", parameters=8e9)
    r = DistributedModel().solve(model=w, fleet=cluster, duration=Q_(30, "day"))
    assert r.hardware is cluster.node.hardware and r.accelerators == 1024
    # compute: 6 x 8e9 x 4 Mi tokens / (1024 x 989e12 x 0.4)
    t_comp = 6 * 8e9 * 4 * 2**20 / (1024 * 989e12 * 0.4)
    assert r.compute_time_per_step.m_as("s") == pytest.approx(t_comp)
    # comm: ring 8 GPUs NVLink of 16 GB + ring of 128 nodes over IB of 2 GB
    comm = (2 * 7 * 2e-6 + 2 * 7 / 8 * 16e9 / 450e9) + (2 * 127 * 5e-6 + 2 * 127 / 128 * 2e9 / 50e9)
    assert r.communication_time_per_step.m_as("s") == pytest.approx(comm)
    assert 0 < r.scaling_efficiency < 1
    assert r.tokens_in_duration == pytest.approx(r.tokens_per_second.m_as("token/s") * 30 * 86400)
    assert r.training_tokens == 20 * 8e9


def test_distributed_rejects_bad_split(cluster):
    with pytest.raises(InvalidInputError, match="tp"):
        DistributedModel().solve(model=Workload(name="x", parameters=1e9), fleet=cluster, tp=3)
    with pytest.raises(InvalidInputError, match="fleet"):
        DistributedModel().solve(model=Workload(name="x", parameters=1e9), fleet="no such fleet")


def test_economics_tco(h100, cluster):
    # 1024 x $30,000 over 4 years, 30 days: 30.72e6 x 30 / 1461 = $630.8 k;
    # energy 700 W x 1024 x 720 h x 1.2 = 619,315 kWh x $0.08 = $49.5 k.
    r = EconomicsModel().solve(fleet=cluster, duration=Q_(30, "day"))
    assert r.capex_share.m_as("USD") == pytest.approx(30_000 * 1024 * 30 / (4 * 365.25))
    assert r.energy.m_as("kWh") == pytest.approx(0.7 * 1024 * 720 * 1.2)
    assert r.energy_cost.m_as("USD") == pytest.approx(0.7 * 1024 * 720 * 1.2 * 0.08)
    rent = EconomicsModel().solve(hardware=h100, duration=Q_(1, "day"),
                                  price_per_hour=Q_(2.5, "USD/hour"))
    assert rent.total_cost.m_as("USD") == pytest.approx(60)


def test_cost_per_token():
    # $2.50/h at 1,000 tokens/s = 3.6 M tokens/h -> $0.694 per million tokens.
    r = CostPerInferenceModel().solve(throughput=Q_(1000, "1/s"),
                                      price_per_hour=Q_(2.5, "USD/hour"))
    assert r.cost_per_million.m_as("USD") == pytest.approx(2.5 / 3.6)


def test_energy_and_carbon(h100):
    # Patterson et al. 2021 method: 1 MW for 24 h at PUE 1.1 and 400 gCO2e/kWh = 10.56 t.
    r = EnergyCarbonModel().solve(duration=Q_(24, "hour"), power=Q_(1e6, "W"), pue=1.1,
                                  carbon_intensity=Q_(400, "gCO2e/kWh"))
    assert r.facility_energy.m_as("kWh") == pytest.approx(26_400)
    assert r.carbon.m_as("kgCO2e") == pytest.approx(10_560)
    r2 = EnergyCarbonModel().solve(duration=Q_(1, "hour"), hardware=h100, devices=8)
    assert r2.it_energy.m_as("kWh") == pytest.approx(5.6) and r2.carbon is None


def test_embodied_and_jevons():
    e = EmbodiedCarbonModel().solve(embodied_carbon=Q_(150, "kgCO2e"),
                                    duration=Q_(365.25, "day"), devices=10)
    assert e.amortized.m_as("kgCO2e") == pytest.approx(375)
    j = JevonsReboundModel().solve(efficiency_gain=2, elasticity=1.5)
    assert j.energy_multiplier == pytest.approx(2 ** 0.5) and j.backfire
    assert JevonsReboundModel().solve(efficiency_gain=2, elasticity=0).rebound == pytest.approx(0)
    assert JevonsReboundModel().solve(efficiency_gain=2, elasticity=1).rebound == pytest.approx(1)


@pytest.mark.parametrize("call, name", [
    (lambda: EconomicsModel().solve(duration=Q_(0, "day"), hardware=None), "duration_days|fleet"),
    (lambda: EnergyCarbonModel().solve(duration=Q_(1, "h"), power=Q_(1, "J")), "power"),
    (lambda: EnergyCarbonModel().solve(duration=Q_(1, "h"), power=Q_(1, "W"), pue=0.9), "pue"),
    (lambda: EnergyCarbonModel().solve(duration=Q_(1, "h"), power=Q_(1, "W"),
                                       carbon_intensity=Q_(1, "W")), "carbon_intensity"),
    (lambda: JevonsReboundModel().solve(efficiency_gain=0.5, elasticity=1), "efficiency_gain"),
    (lambda: TrainingMemoryModel().solve(model=Workload(name="x", parameters=1),
                                         zero_stage=4), "zero_stage"),
    (lambda: CostPerInferenceModel().solve(throughput=Q_(1, "s")), "throughput"),
])
def test_rejects_bad_inputs(call, name):
    with pytest.raises(InvalidInputError, match=name):
        call()
