import pytest

import mlsysim
from mlsysim.core.constants import Q_
from mlsysim.core.errors import InfeasibleError, InvalidInputError
from mlsysim.core.results import OptimizerResult
from mlsysim.models.types import Workload
from mlsysim.resolvers import (BatchingLatencyModel, BatchingOptimizer, DesignSweepOptimizer,
                               FewestGPUsSolver, HardwareSelectionOptimizer, IronLawModel,
                               LargestBatchSolver, ParallelismOptimizer,
                               RequiredBandwidthSolver)


def test_required_bandwidth_inverts_iron_law(h100):
    # 100 MB, 4 GFLOP, no overhead: at 20 us the memory term may take 20 - 4.04 us,
    # so BW = 100e6 / 15.956e-6 = 6.27 TB/s (more than H100's 3.35 TB/s).
    args = dict(data_bytes=Q_(100, "MB"), ops=Q_(4, "GFLOP"), overhead=Q_(0, "s"))
    r = RequiredBandwidthSolver().solve(target_latency=Q_(20, "us"), hardware=h100, **args)
    assert r.required_bandwidth.m_as("B/s") == pytest.approx(100e6 / (20e-6 - 4e9 / 989e12))
    assert not r.meets_target
    with pytest.raises(InfeasibleError, match="target_latency"):
        RequiredBandwidthSolver().solve(target_latency=Q_(1, "us"), hardware=h100, **args)


def test_largest_batch_under_p99():
    args = dict(arrival_rate=Q_(2000, "1/s"), base_time=Q_(2, "ms"),
                per_item_time=Q_(0.1, "ms"))
    r = LargestBatchSolver().solve(latency_target=Q_(30, "ms"), **args)
    assert r.p_latency.m_as("ms") <= 30
    nxt = BatchingLatencyModel().solve(batch_size=r.batch_size + 1, **args)
    assert nxt.p_latency.m_as("ms") > 30
    # smallest stable batch: lambda s0 / (1 - lambda s1) = 4 / 0.8 = 5 -> 6
    assert r.smallest_stable_batch == 6
    with pytest.raises(InfeasibleError):
        LargestBatchSolver().solve(latency_target=Q_(3, "ms"), **args)


def test_fewest_gpus_memory_and_throughput(h100):
    # 70B with mixed Adam: 16 x 70e9 = 1.12 TB of states over 72 GB usable -> 16 GPUs.
    w = Workload(name="70B", parameters=70e9, flops_per_inference=Q_(140e9, "FLOP"))
    assert FewestGPUsSolver().solve(hardware=h100, workload=w).gpus == 16
    # inference fp16 weights 140 GB over 72 GB -> 2 GPUs
    assert FewestGPUsSolver().solve(hardware=h100, workload=w, training=False).gpus == 2
    per = IronLawModel().solve(hardware=h100, workload=w).throughput.m_as("1/s")
    r = FewestGPUsSolver().solve(hardware=h100, workload=w, target_throughput=Q_(100, "1/s"))
    assert r.gpus == -(-100 // per) and r.target == "throughput"


def test_parallelism_optimizer_picks_fitting_fastest(h100):
    from mlsysim.hardware.types import Interconnect
    from mlsysim.systems.types import Cluster, Fabric, Node
    node = Node(name="n", hardware=h100, accelerators=8,
                intra_node=Interconnect("NVLink", Q_(450, "GB/s")))
    fleet = Cluster(name="c", node=node, nodes=4,
                    fabric=Fabric(name="ib", bandwidth_per_gpu=Q_(50, "GB/s"),
                                  latency=Q_(5, "us")))
    w = Workload(name="70B", parameters=70e9, layers=80, hidden_size=8192, heads=64,
                 kv_heads=8)
    r = ParallelismOptimizer().solve(model=w, fleet=fleet)
    assert isinstance(r, OptimizerResult) and r.total_searched == len(r.table)
    best = r.best_config
    row = next(x for x in r.table if (x["dp"], x["tp"], x["pp"]) == (best["dp"], best["tp"],
                                                                     best["pp"]))
    assert row["fits"] and best["dp"] * best["tp"] * best["pp"] == 32
    assert all(x["step_time_s"] >= row["step_time_s"] for x in r.table if x["fits"])
    assert not next(x for x in r.table if (x["tp"], x["pp"]) == (1, 1))["fits"]


def test_batching_optimizer():
    r = BatchingOptimizer().solve(arrival_rate=Q_(2000, "1/s"), base_time=Q_(2, "ms"),
                                  per_item_time=Q_(0.1, "ms"), latency_target=Q_(30, "ms"))
    assert r.best_config["batch_size"] in (8, 16, 32)
    assert all(row["p_latency_s"] <= 0.03 for row in r.table if row["ok"])


def test_hardware_selection_and_sweep_on_registry():
    w = mlsysim.Models.Vision.ResNet50
    r = HardwareSelectionOptimizer().solve(workload=w, max_power=Q_(30, "W"), batch_size=1)
    names = {row["hardware"]: row for row in r.table}
    assert r.total_searched == len(mlsysim.Hardware.list())
    chosen = names[r.best_config["hardware"]]
    assert chosen["ok"]
    assert all(row["reason"] in ("power",) or row["ok"] or "memory" in row["reason"]
               or "precision" in row["reason"] for row in r.table if not row["ok"])
    s = DesignSweepOptimizer().solve(workload=w, hardware=[mlsysim.Hardware.Cloud.H100],
                                     batch_sizes=(1, 8), precisions=("fp16",))
    assert len(s.table) == 2 and s.best_config["batch_size"] == 8


@pytest.mark.parametrize("call, name", [
    (lambda: RequiredBandwidthSolver().solve(target_latency=Q_(0, "s"),
                                             hardware=mlsysim.Hardware.Cloud.H100,
                                             data_bytes=Q_(1, "MB"), ops=Q_(1, "FLOP")),
     "target_latency"),
    (lambda: FewestGPUsSolver().solve(hardware=mlsysim.Hardware.Cloud.H100,
                                      workload=Workload(name="x", parameters=1),
                                      usable_fraction=0), "usable_fraction"),
    (lambda: HardwareSelectionOptimizer().solve(workload=mlsysim.Models.Vision.ResNet50,
                                                max_power=Q_(5, "kg")), "max_power"),
    (lambda: DesignSweepOptimizer().solve(workload="resnet"), "workload"),
])
def test_rejects_bad_inputs(call, name):
    with pytest.raises(InvalidInputError, match=name):
        call()


def test_seed_pipeline_example_runs():
    from mlsysim.core.pipeline import Pipeline
    from mlsysim.core.solver import DistributedModel, EconomicsModel
    out = Pipeline([DistributedModel(), EconomicsModel()]).run(
        model=mlsysim.Models.Llama3_8B, fleet=mlsysim.Systems.Clusters.Frontier_8K,
        duration_days=30)
    assert out["DistributedModel"].hardware is mlsysim.Systems.Clusters.Frontier_8K.node.hardware
    assert out["EconomicsModel"].devices == mlsysim.Systems.Clusters.Frontier_8K.total_accelerators
    assert out["EconomicsModel"].total_cost.m_as("USD") > 0
