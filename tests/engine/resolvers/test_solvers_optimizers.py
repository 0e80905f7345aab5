import pytest

import mlsysim
from mlsysim.core.constants import Q_
from mlsysim.core.errors import InfeasibleError, InvalidInputError
from mlsysim.core.results import OptimizerResult
from mlsysim.models.types import Workload
from mlsysim.resolvers import (BatchingLatencyModel, DesignSweepOptimizer, FewestGPUsSolver,
                               IronLawModel, LargestBatchSolver, ParallelismOptimizer,
                               RequiredBandwidthSolver)


def test_required_bandwidth_inverts_iron_law(h100):
    # 100 MB, 4 GFLOP, no overhead: at 20 us the memory term may take 20 - 4.04 us,
    # so BW = 100e6 / 15.956e-6 = 6.27 TB/s (more than H100's 3.35 TB/s).
    args = dict(data_bytes=Q_(100, "MB"), ops=Q_(4, "GFLOP"), overhead=Q_(0, "s"))
    r = RequiredBandwidthSolver().solve(target_latency=Q_(20, "us"), hardware=h100, **args)
    assert r.required_bandwidth.m_as("B/s") == pytest.approx(100e6 / (20e-6 - 4e9 / 989e12))
    assert not r.meets_target and r.feasible
    # 1 us is less than the compute term alone (4.04 us): no bandwidth is enough
    r = RequiredBandwidthSolver().solve(target_latency=Q_(1, "us"), hardware=h100, **args)
    assert not r.feasible and r.required_bandwidth.m_as("GB/s") == float("inf")
    [v] = r.violations
    assert v.name == "latency" and v.required.m_as("us") == pytest.approx(4e9 / 989e12 * 1e6)
    assert v.available.m_as("us") == 1
    with pytest.raises(InfeasibleError, match="latency"):
        r.raise_if_infeasible()


def test_largest_batch_under_p99():
    args = dict(arrival_rate=Q_(2000, "1/s"), base_time=Q_(2, "ms"),
                per_item_time=Q_(0.1, "ms"))
    r = LargestBatchSolver().solve(target_latency=Q_(30, "ms"), **args)
    assert r.p_latency.m_as("ms") <= 30
    nxt = BatchingLatencyModel().solve(batch_size=r.batch_size + 1, **args)
    assert nxt.p_latency.m_as("ms") > 30
    # smallest stable batch: lambda s0 / (1 - lambda s1) = 4 / 0.8 = 5 -> 6
    assert r.smallest_stable_batch == 6 and r.feasible
    # strings are quantities here as everywhere
    same = LargestBatchSolver().solve(target_latency="30 ms", arrival_rate="2000 request/s",
                                      base_time="2 ms", per_item_time="0.1 ms")
    assert same.batch_size == r.batch_size
    short = LargestBatchSolver().solve(target_latency=Q_(3, "ms"), **args)
    assert not short.feasible and short.batch_size == 0
    assert short.violations[0].name == "latency"
    flood = LargestBatchSolver().solve(target_latency=Q_(30, "ms"), **{
        **args, "arrival_rate": Q_(20_000, "1/s")})
    assert flood.violations[0].name == "server capacity"


def test_fewest_gpus_memory_and_throughput(h100):
    # 70B with mixed Adam: 16 x 70e9 = 1.12 TB of states over 72 GB usable -> 16 GPUs.
    w = Workload(name="70B", parameters=70e9, flops_per_inference=Q_(140e9, "FLOP"))
    assert FewestGPUsSolver().solve(hardware=h100, model=w).gpus == 16
    # inference fp16 weights 140 GB over 72 GB -> 2 GPUs
    assert FewestGPUsSolver().solve(hardware=h100, model=w, training=False).gpus == 2
    per = IronLawModel().solve(hardware=h100, model=w).throughput.m_as("1/s")
    r = FewestGPUsSolver().solve(hardware=h100, model=w, target_throughput=Q_(100, "1/s"))
    assert r.gpus == -(-100 // per) and r.target == "throughput"


def four_nodes_70b(h100):
    """Four 8-GPU nodes (NVLink inside, 50 GB/s per GPU across) and a 70B GQA model."""
    from mlsysim.hardware.types import Interconnect
    from mlsysim.systems.types import Cluster, Fabric, Node
    node = Node(name="n", hardware=h100, accelerators=8,
                intra_node=Interconnect("NVLink", Q_(450, "GB/s")))
    fleet = Cluster(name="c", node=node, nodes=4,
                    fabric=Fabric(name="ib", bandwidth_per_gpu=Q_(50, "GB/s"),
                                  latency=Q_(5, "us")))
    return fleet, Workload(name="70B", parameters=70e9, layers=80, hidden_size=8192, heads=64,
                           kv_heads=8)


def test_parallelism_optimizer_picks_fitting_fastest(h100):
    fleet, w = four_nodes_70b(h100)
    r = ParallelismOptimizer().solve(model=w, fleet=fleet)
    assert isinstance(r, OptimizerResult) and r.total_searched == len(r.table)
    best = r.best_config
    row = next(x for x in r.table if (x["dp"], x["tp"], x["pp"]) == (best["dp"], best["tp"],
                                                                     best["pp"]))
    assert row["fits"] and best["dp"] * best["tp"] * best["pp"] == 32
    assert all(x["step_time_s"] >= row["step_time_s"] for x in r.table if x["fits"])
    assert not next(x for x in r.table if (x["tp"], x["pp"]) == (1, 1))["fits"]


def test_design_sweep_on_registry():
    w = mlsysim.Models.Vision.ResNet50
    r = DesignSweepOptimizer().solve(model=w, batch_sizes=(1,), precisions=("fp16",))
    assert r.total_searched == len(mlsysim.Hardware.list()) and r.feasible
    best = next(row for row in r.table if row["hardware"] == r.best_config["hardware"])
    assert best["ok"] and all(row["throughput_per_s"] <= best["throughput_per_s"]
                              for row in r.table if row.get("ok"))
    s = DesignSweepOptimizer().solve(model=w, candidates=["H100"], batch_sizes=(1, 8),
                                     precisions=("fp16",))
    assert len(s.table) == 2 and s.best_config["batch_size"] == 8
    # nothing meets 1 ns: infeasible, naming the fastest latency found against the target
    none = DesignSweepOptimizer().solve(model=w, candidates=["H100"], batch_sizes=(1,),
                                        precisions=("fp16",), target_latency="1 ns")
    assert not none.feasible and none.best_config == {} and none.objective_value is None
    assert none.violations[0].name == "latency"


@pytest.mark.parametrize("call, name", [
    (lambda: RequiredBandwidthSolver().solve(target_latency=Q_(0, "s"),
                                             hardware=mlsysim.Hardware.Cloud.H100,
                                             data_bytes=Q_(1, "MB"), ops=Q_(1, "FLOP")),
     "target_latency"),
    (lambda: FewestGPUsSolver().solve(hardware=mlsysim.Hardware.Cloud.H100,
                                      model=Workload(name="x", parameters=1),
                                      memory_fraction=0), "memory_fraction"),
    (lambda: DesignSweepOptimizer().solve(model=mlsysim.Models.Vision.ResNet50,
                                          target_latency=Q_(5, "kg")), "target_latency"),
    (lambda: DesignSweepOptimizer().solve(model="resnet"), "model"),
])
def test_rejects_bad_inputs(call, name):
    with pytest.raises(InvalidInputError, match=name):
        call()


def test_seed_pipeline_example_runs():
    from mlsysim.core.pipeline import Pipeline
    from mlsysim.core.solver import DistributedModel, EconomicsModel
    out = Pipeline([DistributedModel(), EconomicsModel()]).run(
        model=mlsysim.Models.Llama3_8B, fleet=mlsysim.Systems.Clusters.Frontier_8K,
        duration="30 day")
    assert out["DistributedModel"].hardware is mlsysim.Systems.Clusters.Frontier_8K.node.hardware
    assert out["EconomicsModel"].devices == mlsysim.Systems.Clusters.Frontier_8K.total_accelerators
    assert out["EconomicsModel"].total_cost.m_as("USD") > 0


def test_parallelism_optimizer_times_are_distributed_models(h100):
    # One place for the physics: each row is DistributedModel's step (it used to add TP and
    # PP traffic on top of DistributedModel's step by itself).
    from mlsysim.core.solver import DistributedModel
    fleet, w = four_nodes_70b(h100)
    r = ParallelismOptimizer().solve(model=w, fleet=fleet)
    for row in r.table[:6]:
        d = DistributedModel().solve(model=w, fleet=fleet, tp=row["tp"], pp=row["pp"],
                                     seq_len=4096, microbatches=32, zero_stage=1,
                                     checkpointing="full")
        assert row["step_time_s"] == pytest.approx(d.step_time.m_as("s"))
        assert row["fits"] == d.feasible
        assert row["tp_communication_s"] == pytest.approx(d.tp_communication_time.m_as("s"))


def _template(h100, nodes=4):
    from mlsysim.hardware.types import Interconnect
    from mlsysim.systems.types import Cluster, Fabric, Node
    node = Node(name="n", hardware=h100, accelerators=8,
                intra_node=Interconnect("NVLink", Q_(450, "GB/s"), Q_(2, "us")))
    return Cluster(name="c", node=node, nodes=nodes,
                   fabric=Fabric(name="ib", bandwidth_per_gpu=Q_(50, "GB/s"),
                                 latency=Q_(5, "us")))


def test_fleet_sizing_cheapest_cluster_meeting_deadline_and_budget(h100):
    # Vol II Lab 01: size a cluster for C = 6 N D. An 8B model on 1 T tokens is 4.8e22 FLOP;
    # at 40 % of 989 TFLOP/s that is 1.21e8 GPU-seconds (1,404 GPU-days) before overheads.
    from mlsysim.resolvers import DistributedModel, EconomicsModel, FleetSizingOptimizer
    w = Workload(name="8B", parameters=8e9, layers=32, hidden_size=4096, heads=32, kv_heads=8,
                 context_length=4096)
    tmpl = _template(h100)
    r = FleetSizingOptimizer().solve(model=w, fleet=tmpl, tokens=1e12, duration="60 day",
                                     budget="2000000 USD", node_counts=(2, 4, 8, 16))
    assert r.feasible and r.total_searched == len(r.table)
    best = r.best_config
    assert best["days"] <= 60
    ok = [x for x in r.table if x["ok"]]
    assert r.objective_value.m_as("USD") == min(x["cost_usd"] for x in ok)
    # the row is DistributedModel's time and EconomicsModel's cost for that cluster
    from mlsysim.systems.types import Cluster
    cl = Cluster(name="x", node=tmpl.node, nodes=best["nodes"], fabric=tmpl.fabric)
    d = DistributedModel().solve(model=w, fleet=cl, tokens=1e12, tp=best["tp"], pp=best["pp"],
                                 seq_len=4096, zero_stage=1, checkpointing="full")
    assert best["days"] == pytest.approx(d.time_to_train.m_as("day"))
    cost = EconomicsModel().solve(duration=d.time_to_train, fleet=cl).total_cost
    assert r.objective_value.m_as("USD") == pytest.approx(cost.m_as("USD"))
    ideal_gpu_days = 6 * 8e9 * 1e12 / (989e12 * 0.4) / 86400
    assert best["days"] * best["devices"] > ideal_gpu_days  # overheads only add time


def test_fleet_sizing_names_what_failed(h100):
    from mlsysim.resolvers import FleetSizingOptimizer
    w = Workload(name="8B", parameters=8e9, layers=32, hidden_size=4096, heads=32, kv_heads=8,
                 context_length=4096)
    late = FleetSizingOptimizer().solve(model=w, fleet=_template(h100), tokens=1e12,
                                        duration="1 day", node_counts=(2, 4))
    assert not late.feasible and late.violations[0].name == "deadline"
    assert late.violations[0].required.m_as("day") > 1
    poor = FleetSizingOptimizer().solve(model=w, fleet=_template(h100), tokens=1e12,
                                        budget="100 USD", node_counts=(2, 4))
    assert not poor.feasible and poor.violations[0].name == "budget"
    big = FleetSizingOptimizer().solve(model=Workload(name="1T", parameters=1e12), fleet=
                                       _template(h100), tokens=1e9, node_counts=(1,),
                                       zero_stage=0)
    assert not big.feasible and big.violations[0].name == "HBM3 capacity"
    with pytest.raises(InvalidInputError, match="fleet"):
        FleetSizingOptimizer().solve(model=w, fleet=h100, tokens=1e9)
    with pytest.raises(InvalidInputError, match="node_counts"):
        FleetSizingOptimizer().solve(model=w, fleet=_template(h100), tokens=1e9,
                                     node_counts=(0,))
