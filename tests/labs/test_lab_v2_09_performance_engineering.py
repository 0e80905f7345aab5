"""Vol II Lab 09 under CPython: predictions graded from the engine, the step's profile equal to
DistributedModel's and StorageIOModel's numbers, the plan's failure state (target missed, budget
overspent) reached and left through the controls in both contexts, ledger, stale values."""
import math

import pytest
from mlsysim import Models, Q_, Systems
from mlsysim.core.solver import AmdahlModel, DistributedModel, StorageIOModel
from mlsysim.systems.types import Cluster

from labkit import fmt, validate_entry
from labs.vol2 import performance_engineering_cases as cases

BOTH = {"act1.prediction": "D", "act2.prediction": "B"}
T = Systems.Frontier_8K
CLUSTER = Cluster(name="64 DGX H100", node=T.node, nodes=64, fabric=T.fabric)


@pytest.fixture
def d(driver):
    return driver("vol2/09")


def x(value):
    return f"{value:.2f}x"


def step(tokens, checkpointing="full", overlap=False, pp=4):
    """The job's step straight from the engine (not through the cases module)."""
    return DistributedModel().solve(model=Models.Llama3_70B, fleet=CLUSTER, tp=8, pp=pp,
                                    seq_len=4096, global_batch_tokens=tokens, zero_stage=1,
                                    checkpointing=checkpointing, overlap=overlap)


def total(tokens, storage, access, in_flight=1, prefetch=False, **kw):
    r = step(tokens, **kw)
    gpu = r.step_time.m_as("s")
    dp = 512 // (8 * kw.get("pp", 4))
    rate = StorageIOModel().solve(target_throughput=Q_(1e9, "1/s"),
                                  bytes_per_sample=Q_(4096 * 4, "B"), storage=storage,
                                  access_pattern=access,
                                  in_system=in_flight).achieved_throughput.m_as("1/s")
    fetch = tokens // 4096 // dp / rate
    return gpu + (max(0.0, fetch - gpu) if prefetch else fetch)


BATCH = (4 * 2 ** 20, Systems.Local_NVMe, "sequential")
STREAM = (2 ** 19, Systems.Object_Store, "random")


def test_act1_correct_option_comes_from_amdahl(d):
    r = AmdahlModel().solve(parallel_fraction=0.12, devices=3)
    assert r.amdahl_speedup == pytest.approx(1 / (0.88 + 0.04))   # the issue's ~1.09x
    bands = {"A": (2.5, math.inf), "B": (1.5, 2.5), "C": (1.15, 1.5), "D": (1.0, 1.15)}
    correct = next(k for k, (lo, hi) in bands.items() if lo <= r.amdahl_speedup < hi)
    assert correct == "D"
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(r.amdahl_speedup)
    overlay = d.node(d.render(BOTH), "act1.overlay")
    assert overlay["actual"].startswith(x(r.amdahl_speedup)) and overlay["mode"] == "choice"


def test_act2_correct_option_is_the_largest_single_speedup(d):
    base = total(*BATCH)
    alone = {"selective": base / total(*BATCH, checkpointing="selective"),
             "overlap": base / total(*BATCH, overlap=True),
             "stages": base / total(*BATCH, pp=2)}
    # The fused kernel: Amdahl on 12% of the arithmetic (first pass and recomputed).
    assert alone["selective"] > 1.3 > max(alone["overlap"], alone["stages"])
    assert cases.single_speedups("batch")["selective"] == pytest.approx(alone["selective"])
    assert cases.single_speedups("batch")["fused"] < alone["selective"]
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == "B")


def test_streaming_needs_a_different_plan():
    """The reflection's claim: in the streaming job the best single optimisation is the
    prefetching loader, the cheapest on the menu."""
    base = total(*STREAM)
    prefetch = base / total(*STREAM, in_flight=8, prefetch=True)
    selective = base / total(*STREAM, checkpointing="selective")
    assert prefetch > selective and prefetch >= cases.TARGET_SPEEDUP > selective
    s = cases.single_speedups("streaming")
    assert max(s, key=s.get) == "prefetch" == min(cases.OPT, key=lambda k: cases.OPT[k].weeks)
    assert s["prefetch"] == pytest.approx(prefetch)


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.amdahl") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.profile") is None and d.node(tree, "act2.fused") is None


def test_act1_metrics_follow_the_controls(d):
    tree = d.render(BOTH, {"act1.share": 0.4, "act1.kernel": 5.0})
    r = AmdahlModel().solve(parallel_fraction=0.4, devices=5.0)
    items = {i["label"]: i["value"] for i in d.node(tree, "act1.metrics")["items"]}
    assert items["Step speed-up"] == x(r.amdahl_speedup)
    assert items["Ceiling"] == x(r.amdahl_limit)


@pytest.mark.parametrize("context, job", [("batch", BATCH), ("streaming", STREAM)])
def test_profile_equals_the_engine(d, context, job):
    tree = d.render(BOTH, {"context": context})
    r = step(job[0])
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Step today"] == fmt.duration(total(*job))
    rows = {row[0]: row[1] for row in d.node(tree, "act2.profile")["table"]["rows"]}
    b = r.step_breakdown
    assert rows["Arithmetic (forward and backward)"] == fmt.duration(b["compute"].m_as("s"))
    assert rows["Recomputed activations"] == fmt.duration(b["recompute"].m_as("s"))
    assert rows["Pipeline bubble"] == fmt.duration(b["pipeline_bubble"].m_as("s"))
    comm = sum(b[k].m_as("s") for k in ("dp_communication", "zero_communication",
                                          "tp_communication", "pp_communication"))
    assert rows["Exposed communication"] == fmt.duration(comm)
    assert items["Memory per GPU"] == fmt.si(r.memory_per_gpu.m_as("B"), "B")


def test_failure_reached_by_funding_the_kernel_and_left_by_funding_what_binds(d):
    """Batch: the kernel team's plan (fused attention alone) misses the target; selective
    recomputation alone meets it."""
    tree = d.render(BOTH, {"act2.fused": "on"})
    banner = d.node(tree, "act2.failure")
    s = total(*BATCH) / (total(*BATCH) - (1 - 1 / AmdahlModel().solve(
        parallel_fraction=0.12, devices=3).amdahl_speedup) * sum(
        step(BATCH[0]).step_breakdown[k].m_as("s") for k in ("compute", "recompute"))
        * (1 + step(BATCH[0]).step_breakdown["pipeline_bubble"].m_as("s")
           / sum(step(BATCH[0]).step_breakdown[k].m_as("s")
                 for k in ("compute", "recompute", "tp_communication"))))
    assert banner["required"] == f"step speed-up: {x(cases.TARGET_SPEEDUP)}"
    assert banner["available"] == x(s)
    assert "recomputed activations" in banner["text"]
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    left = d.render(BOTH, {"act2.fused": "off", "act2.selective": "on"})
    assert d.node(left, "act2.failure") is None and d.node(left, "act2.ok")
    assert d.node(left, "ledger")["entry"]["constraint_hit"] is False
    # The batch job's winning plan misses in the streaming job.
    stream = d.render(BOTH, {"act2.selective": "on", "context": "streaming"})
    assert d.node(stream, "act2.failure")["available"] == x(
        total(*STREAM) / total(*STREAM, checkpointing="selective"))
    ok = d.render(BOTH, {"act2.prefetch": "on", "context": "streaming"})
    assert d.node(ok, "act2.failure") is None


def test_failure_over_budget(d):
    values = {"act2.fused": "on", "act2.selective": "on"}   # 7 engineer-weeks
    banner = d.node(d.render(BOTH, values), "act2.failure")
    assert banner["required"] == "engineering effort: 7 engineer-weeks"
    assert banner["available"] == "6 engineer-weeks"
    assert "drop what buys least" in banner["text"]


def test_empty_plan_is_not_a_failure(d):
    tree = d.render(BOTH)
    assert d.node(tree, "act2.failure") is None and d.node(tree, "act2.empty")
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is False


def test_every_cheapest_feasible_plan_meets_the_target_within_budget():
    for context in ("batch", "streaming"):
        plans = cases.feasible_plans(context)
        assert plans, context
        assert all(cases.weeks(p) <= cases.BUDGET_WEEKS for p in plans)
        assert all(cases.speedup(context, p) >= cases.TARGET_SPEEDUP for p in plans)
        assert frozenset({"fused"}) not in plans


def test_ledger_entry_matches_schema(d):
    for ctx in ("batch", "streaming"):
        entry = d.node(d.render(BOTH, {"context": ctx, "act2.prefetch": "on"}), "ledger")["entry"]
        assert validate_entry(entry, "vol2.ch09")["context"] == ctx
        assert entry["act2"]["unit"] == "x"


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "cloud", "act2.fused": "maybe", "act1.share": 7,
                           "act1.kernel": "fast"})
    assert d.node(tree, "context")["value"] == "batch"
    assert d.node(tree, "act2.fused")["value"] == "off"
    assert d.node(tree, "act1.share")["value"] == 0.12
    assert d.node(tree, "act1.kernel")["value"] == 3.0


def test_no_internal_names_on_screen(d):
    tree = d.render({**BOTH, "act1.reflection": "C", "act2.reflection": "A"},
                    {"act2.fused": "on", "act2.selective": "on"})
    shown = " ".join(str(n.get(k, "")) for n in d.nodes(tree) if n["kind"] != "ledger"
                     for k in ("text", "caption", "label", "items", "required", "available"))
    for name in ("DistributedModel", "step_breakdown", "vol2.ch09", "tp_communication",
                 "act2.", "None", "nan"):
        assert name not in shown
