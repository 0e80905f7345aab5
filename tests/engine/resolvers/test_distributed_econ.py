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


# ---- DistributedModel: memory, and the traffic of every kind of parallelism ----
GPT3 = Workload(name="GPT-3 175B", parameters=175e9, layers=96, hidden_size=12288, heads=96,
                kv_heads=96, context_length=2048)
W70 = Workload(name="70B", parameters=70.6e9, layers=80, hidden_size=8192, heads=64,
               kv_heads=8, context_length=8192)


@pytest.fixture(scope="module")
def h100_256(cluster):
    return Cluster(name="256", node=cluster.node, nodes=32, fabric=cluster.fabric)


def test_175b_pure_data_parallel_on_256_h100_does_not_fit(h100_256):
    # Rajbhandari et al. 2020 (ZeRO, Sec. 3.1): mixed-precision Adam keeps 16 B per
    # parameter; 175e9 x 16 B = 2.8 TB on every GPU under pure data parallelism, vs 80 GB.
    r = DistributedModel().solve(model=GPT3, fleet=h100_256)
    assert (r.dp, r.tp, r.pp) == (256, 1, 1) and not r.feasible
    v = r.violation("HBM3 capacity")
    assert v.available.m_as("GB") == 80 and v.required.m_as("TB") > 2.8
    # sharding everything over 256 ranks (ZeRO-3) with tp 8 x pp 8 and full checkpointing
    ok = DistributedModel().solve(model=GPT3, fleet=h100_256, tp=8, pp=8, zero_stage=1,
                                  checkpointing="full")
    assert ok.feasible, ok.violations


def test_tensor_parallel_traffic_megatron(h100_256):
    # Megatron-LM (Shoeybi et al. 2019, Sec. 3): 4 AllReduces of b s h activations per
    # layer per micro-batch, ring over the 8 NVLink GPUs of a node (450 GB/s, 2 us).
    r = DistributedModel().solve(model=W70, fleet=h100_256, tp=8, pp=1, seq_len=4096,
                                 microbatches=4)
    msg = 1 * 4096 * 8192 * 2
    ring = 2 * 7 * 2e-6 + 2 * 7 / 8 * msg / 450e9
    assert r.tp_communication_time.m_as("s") == pytest.approx(4 * 80 * 4 * ring)
    # full recomputation repeats the forward's 2 AllReduces: 6 per layer
    full = DistributedModel().solve(model=W70, fleet=h100_256, tp=8, pp=1, seq_len=4096,
                                    microbatches=4, checkpointing="full")
    assert full.tp_communication_time.m_as("s") == pytest.approx(6 * 80 * 4 * ring)
    assert full.recompute_time_per_step == full.compute_time_per_step / 3


def test_tensor_parallel_across_nodes_uses_the_fabric(h100_256):
    # tp = 16 spans two DGX nodes: the AllReduces run over 50 GB/s InfiniBand, not NVLink
    # (Vol II Lab 02's failure: communication exceeds compute).
    inside = DistributedModel().solve(model=W70, fleet=h100_256, tp=8, seq_len=4096)
    across = DistributedModel().solve(model=W70, fleet=h100_256, tp=16, seq_len=4096)
    msg = 4096 * 8192 * 2
    ring = 2 * 15 * 5e-6 + 2 * 15 / 16 * msg / 50e9
    assert across.tp_communication_time.m_as("s") == pytest.approx(
        4 * 80 * across.microbatches * ring)
    assert across.tp_communication_time > across.compute_time_per_step
    assert inside.tp_communication_time < inside.compute_time_per_step


def test_pipeline_traffic_and_bubble(h100_256):
    # pp = 4 stages of tp = 8: stages sit on different nodes, so each micro-batch sends
    # b s h x 2 B / tp forward and the same back over the fabric (Narayanan et al. 2021,
    # Sec. 4.1, scatter/gather). Bubble = (p - 1)/m of the stages' work (compute and the
    # tensor-parallel AllReduces inside each stage).
    r = DistributedModel().solve(model=W70, fleet=h100_256, tp=8, pp=4, seq_len=4096,
                                 microbatches=16)
    act = 4096 * 8192 * 2
    assert r.pp_communication_time.m_as("s") == pytest.approx(2 * 16 * (5e-6 + act / 8 / 50e9))
    stage_work = (r.compute_time_per_step + r.tp_communication_time).m_as("s")
    assert r.bubble_time_per_step.m_as("s") == pytest.approx(stage_work * 3 / 16)
    assert r.bubble_fraction == pytest.approx(3 / 19)


def test_zero3_all_gathers_are_half_more_dp_traffic(h100_256):
    # ZeRO paper, Sec. 7.2: stage 3 moves 1.5x the data-parallel volume (3 Psi vs 2 Psi).
    z1 = DistributedModel().solve(model=W70, fleet=h100_256, zero_stage=1, seq_len=1024)
    z3 = DistributedModel().solve(model=W70, fleet=h100_256, zero_stage=3, seq_len=1024)
    assert z3.dp_communication_time == z1.dp_communication_time
    both = (z3.dp_communication_time + z3.zero_communication_time).m_as("s")
    assert both == pytest.approx(1.5 * z1.dp_communication_time.m_as("s"))
    vol = ParallelismModel().solve(model=W70, dp=256, zero_stage=3, seq_len=1024)
    assert vol.zero_bytes_per_gpu.m_as("B") == pytest.approx(vol.dp_bytes_per_gpu.m_as("B") / 2)


def test_step_breakdown_adds_up_and_overlap_hides_dp(h100_256):
    r = DistributedModel().solve(model=W70, fleet=h100_256, tp=8, pp=4, seq_len=4096,
                                 zero_stage=3, checkpointing="selective")
    parts = {k: v.m_as("s") for k, v in r.step_breakdown.items()}
    assert set(parts) == {"compute", "recompute", "pipeline_bubble", "dp_communication",
                          "zero_communication", "tp_communication", "pp_communication"}
    assert sum(parts.values()) == pytest.approx(r.step_time.m_as("s"))
    assert r.effective_mfu == pytest.approx(0.4 * parts["compute"] / r.step_time.m_as("s"))
    hidden = DistributedModel().solve(model=W70, fleet=h100_256, tp=8, pp=4, seq_len=4096,
                                      zero_stage=3, checkpointing="selective", overlap=True)
    assert hidden.step_breakdown["dp_communication"].m_as("s") < parts["dp_communication"]
    assert hidden.step_breakdown["tp_communication"].m_as("s") == parts["tp_communication"]


def test_microbatches_follow_the_global_batch(h100_256):
    # 4 Mi tokens / (dp 32 x 1 sequence x 4096 tokens) = 32 micro-batches per pipeline.
    r = DistributedModel().solve(model=W70, fleet=h100_256, tp=8, seq_len=4096)
    assert r.dp == 32 and r.microbatches == 32


def test_fabric_oversubscription_slows_cross_node_traffic(cluster):
    # 2:1 oversubscribed upper tiers halve the per-GPU bandwidth between nodes (Al-Fares et
    # al. 2008); the NVLink part of the hierarchical AllReduce is unchanged.
    w = Workload(name="8B", parameters=8e9)
    over = Cluster(name="2:1", node=cluster.node, nodes=128,
                   fabric=Fabric(name="IB 2:1", bandwidth_per_gpu=Q_(50, "GB/s"),
                                 latency=Q_(5, "us"), oversubscription=2.0))
    r = DistributedModel().solve(model=w, fleet=over)
    comm = (2 * 7 * 2e-6 + 2 * 7 / 8 * 16e9 / 450e9) + (2 * 127 * 5e-6 + 2 * 127 / 128 * 2e9 / 25e9)
    assert r.dp_communication_time.m_as("s") == pytest.approx(comm)
