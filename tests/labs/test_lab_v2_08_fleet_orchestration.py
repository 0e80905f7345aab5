"""Vol II Lab 08 under CPython: both predictions graded from the engine (recomputed here with
direct engine calls), feedback per option, instruments behind the gate, the failure state
reached and left through the controls in both policies, the numbers on screen equal to the
engine's, the ledger entry, stale values."""
import math

import pytest
from mlsysim import Models, Q_, Systems
from mlsysim.core.solver import MMcQueueModel, PriorityQueueModel, TrainingTimeModel

from labkit import validate_entry
from labs.vol2 import fleet_orchestration_cases as cases
from labs.vol2 import lab_08_fleet_orchestration as lab08

BOTH = {"act1.prediction": "C", "act2.prediction": "C"}
RESEARCH = Systems.Clusters.Research_256


@pytest.fixture
def d(driver):
    return driver("vol2/08")


def job_hours():
    node = Systems.Nodes.DGX_H100
    r = TrainingTimeModel().solve(model=Models.Llama3_8B, hardware=node.hardware, steps=500,
                                  batch_size=1_000_000, devices=node.accelerators)
    return r.total_time.m_as("h")


def expected_act1():
    """M/M/1 at 95% busy: the mean wait in job lengths (rho / (1 - rho) = 19)."""
    s = job_hours()
    q = MMcQueueModel().solve(arrival_rate=Q_(0.95 / s, "1/h"), service_rate=Q_(1 / s, "1/h"))
    ratio = q.mean_wait.m_as("h") / s
    bands = {"A": (0, 2), "B": (2, 8), "C": (8, 40), "D": (40, math.inf)}
    return ratio, q.mean_wait.m_as("h"), next(k for k, (lo, hi) in bands.items() if lo <= ratio < hi)


def fifo_wait_min(utilization, nodes=32, alloc_h=2.0):
    """FIFO over one length distribution is M/M/c: the engine's M/M/c mean wait, minutes."""
    q = MMcQueueModel().solve(arrival_rate=Q_(utilization * nodes / alloc_h, "1/h"),
                              service_rate=Q_(1 / alloc_h, "1/h"), servers=nodes)
    return q.mean_wait.m_as("min")


def expected_act2():
    """The highest utilisation at which FIFO keeps the interactive mean wait within 5 min."""
    lo, hi = 0.5, 0.999
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fifo_wait_min(mid) <= 5 else (lo, mid)
    bands = {"A": (0, 0.7), "B": (0.7, 0.8), "C": (0.8, 0.9), "D": (0.9, 1.0)}
    return lo, next(k for k, (a, b) in bands.items() if a <= lo < b)


def priority(utilization, share=0.2, alloc_h=2.0, nodes=32):
    rate = utilization * nodes / alloc_h
    return PriorityQueueModel().solve(
        arrival_rates=[Q_(share * rate, "1/h"), Q_((1 - share) * rate, "1/h")],
        service_rates=Q_(1 / alloc_h, "1/h"), servers=nodes)


def test_act1_correct_option_comes_from_the_engine(d):
    ratio, wait_h, correct = expected_act1()
    assert ratio == pytest.approx(19.0) and correct == "C"
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(ratio)
    overlay = d.node(d.render(BOTH), "act1.overlay")
    assert cases.span(wait_h * 3600) in overlay["actual"] == f"mean wait {cases.span(wait_h * 3600)}, 19 run lengths, at 95% busy"


def test_act2_correct_option_comes_from_the_engine(d):
    limit, correct = expected_act2()
    assert 0.82 < limit < 0.84 and correct == "C"
    fifo, prio, lab_correct = lab08.act2_truth()
    assert fifo == pytest.approx(limit, abs=1e-4) and lab_correct == correct
    for option in "ABCD":
        tree = d.render({**BOTH, "act2.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)
        assert "83.0%" in d.node(tree, "act2.overlay")["text"]
    # priority keeps both limits far higher; training's 48 h binds just below full
    assert prio > 0.99
    r = priority(round(prio, 4) + 0.0005)
    assert r.mean_wait[1].m_as("h") > 48 and r.mean_wait[0].m_as("min") < 5


def test_every_option_has_its_own_feedback_stating_the_answer(d):
    ratio, wait_h, _ = expected_act1()
    texts = {d.node(d.render({**BOTH, "act1.prediction": o}), "act1.overlay")["text"] for o in "ABCD"}
    assert len(texts) == 4 and all(cases.span(wait_h * 3600) in t for t in texts)
    texts = {d.node(d.render({**BOTH, "act2.prediction": o}), "act2.overlay")["text"] for o in "ABCD"}
    assert len(texts) == 4 and all("83.0%" in t for t in texts)
    for name in ("act1.reflection", "act2.reflection"):
        seen = {d.node(d.render(BOTH, {name: o}), f"{name}.feedback")["text"] for o in "ABCD"}
        assert len(seen) == 4


def test_act1_reflection_pooling_is_graded_from_the_engine(d):
    s = job_hours()
    one = MMcQueueModel().solve(arrival_rate=Q_(0.95 / s, "1/h"), service_rate=Q_(1 / s, "1/h"))
    two = MMcQueueModel().solve(arrival_rate=Q_(1.9 / s, "1/h"), service_rate=Q_(1 / s, "1/h"),
                                servers=2)
    ratio = two.mean_wait.m_as("h") / one.mean_wait.m_as("h")
    assert 0.2 < ratio < 0.8   # roughly half: option B
    fb = d.node(d.render(BOTH, {"act1.reflection": "B"}), "act1.reflection.feedback")
    assert fb["tone"] == "success" and cases.span(two.mean_wait.m_as("s")) in fb["text"]


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.curve") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.curve") is None and d.node(tree, "act2.utilization") is None


def banner_rows(violations):
    return [{"name": v.name, "required": lab08.amount(v.required),
             "available": lab08.amount(v.available)} for v in violations]


def test_fifo_failure_reached_and_left_through_the_controls(d):
    assert d.node(d.render(BOTH), "act2.failure") is None          # 80%: 3 min
    tree = d.render(BOTH, {"act2.utilization": 0.9})
    banner = d.node(tree, "act2.failure")
    wait = fifo_wait_min(0.9)
    assert wait > 5
    assert banner["required"] == f"interactive mean wait: {cases.span(wait * 60)}"
    assert banner["available"] == "5 min"
    assert "switch the policy to Priority" in banner["text"]
    assert "lower the utilisation target to 82% or less" in banner["text"]
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    # leave: the same 90% under priority keeps both limits
    back = d.render(BOTH, {"act2.utilization": 0.9, "context": "priority"})
    assert d.node(back, "act2.failure") is None
    assert d.node(back, "ledger")["entry"]["constraint_hit"] is False
    assert d.node(d.render(BOTH, {"act2.utilization": 0.82}), "act2.failure") is None


def test_priority_failure_training_starves_under_overload(d):
    tree = d.render(BOTH, {"context": "priority", "act2.utilization": 1.05})
    banner = d.node(tree, "act2.failure")
    r = priority(1.05)
    assert r.starved == [False, True] and not r.feasible
    assert math.isinf(r.mean_wait[1].m_as("h"))
    rows = banner["constraints"]
    assert rows[0] == {"name": "training mean wait", "required": "unbounded", "available": "48 h"}
    assert rows[1] == banner_rows(r.violations)[0]          # the engine's server capacity
    assert rows[1]["required"] == "33.6 nodes of work" and rows[1]["available"] == "32 nodes of work"
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True
    assert entry["act2"]["result"] == pytest.approx(r.mean_wait[0].m_as("min"))
    assert d.node(d.render(BOTH, {"context": "priority", "act2.utilization": 0.99}),
                  "act2.failure") is None


def test_priority_interactive_limit_with_long_allocations(d):
    """Even first in line, interactive jobs wait for a running 8-hour allocation to end."""
    values = {"context": "priority", "act2.utilization": 0.9, "act2.allocation": "8"}
    banner = d.node(d.render(BOTH, values), "act2.failure")
    r = priority(0.9, alloc_h=8.0)
    assert banner["required"] == f"interactive mean wait: {cases.span(r.mean_wait[0].m_as('s'))}"
    assert "shorten allocations to 4 h" in banner["text"]
    assert d.node(d.render(BOTH, {**values, "act2.allocation": "4"}), "act2.failure") is None


def test_same_controls_different_verdicts_in_the_two_contexts(d):
    for u, fifo_fails, prio_fails in ((0.8, False, False), (0.9, True, False),
                                      (0.95, True, False), (1.05, True, True)):
        f = d.node(d.render(BOTH, {"act2.utilization": u}), "act2.failure")
        p = d.node(d.render(BOTH, {"act2.utilization": u, "context": "priority"}), "act2.failure")
        assert (f is not None, p is not None) == (fifo_fails, prio_fails), u


def test_metrics_and_table_equal_the_engine(d):
    tree = d.render(BOTH, {"context": "priority", "act2.utilization": 0.9})
    r = priority(0.9)
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Interactive mean wait"] == cases.span(r.mean_wait[0].m_as("s"))
    assert items["Training mean wait"] == cases.span(r.mean_wait[1].m_as("s"))
    rows = d.node(tree, "act2.classes")["rows"]
    assert rows[0][3] == cases.span(r.mean_wait[0].m_as("s"))
    assert rows[0][4] == cases.span(r.fifo_wait.m_as("s")) == cases.span(fifo_wait_min(0.9) * 60)
    # Act I metrics at the default utilisation
    ratio, wait_h, _ = expected_act1()
    items = {i["label"]: i for i in d.node(d.render(BOTH), "act1.metrics")["items"]}
    assert items["Mean wait"]["value"] == cases.span(wait_h * 3600)
    assert items["Runs waiting (mean)"]["value"] == "18"     # L_q = rho^2 / (1 - rho)


def test_conservation_law_in_the_reflection(d):
    """Load-weighted waits are equal under both policies (Kleinrock): the reflection's factor."""
    r = priority(0.9)
    u = r.class_utilization
    total = sum(x * w.m_as("s") for x, w in zip(u, r.mean_wait))
    assert total == pytest.approx(r.utilization * r.fifo_wait.m_as("s"))
    fb = d.node(d.render(BOTH, {"act2.reflection": "B"}), "act2.reflection.feedback")["text"]
    assert f"= {1 / (1 - u[0]):.3g} on training" in fb.replace(",", "")


def test_the_larger_cluster_pools_the_wait(d):
    tree = d.render(BOTH, {"act2.utilization": 0.95, "act2.cluster": "frontier"})
    assert d.node(tree, "act2.failure") is None
    frontier = Systems.Clusters.Frontier_8K.nodes
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Interactive mean wait"] == cases.span(fifo_wait_min(0.95, frontier) * 60)


def test_ledger_entry_matches_schema(d):
    for ctx in ("fifo", "priority"):
        for u in (0.8, 1.1):
            entry = d.node(d.render(BOTH, {"context": ctx, "act2.utilization": u}), "ledger")["entry"]
            assert validate_entry(entry, "vol2.ch08")["context"] == ctx
    entry = d.node(d.render(BOTH, {"act2.utilization": 1.1}), "ledger")["entry"]
    assert entry["act2"]["result"] is None and entry["act2"]["unit"] == "min"


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "cloud", "act2.cluster": "moon", "act2.utilization": 7,
                           "act2.allocation": "3", "act2.share": -1})
    assert d.node(tree, "context")["value"] == "fifo"
    assert d.node(tree, "act2.cluster")["value"] == "research"
    assert d.node(tree, "act2.allocation")["value"] == "2"
    assert d.node(tree, "act2.utilization")["value"] == 0.8
    assert d.node(tree, "act2.share")["value"] == 0.2
