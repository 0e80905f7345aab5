"""Vol II Lab 06 under CPython: both predictions graded from the engine (one parameter server
against the ring at 128 GPUs; the ring/tree crossover at 128 GPUs), feedback per option, the
communication-budget failure reached and left through the controls in both contexts, with the
engine's numbers, the ledger entry, stale values, render time."""
import math

import pytest
from mlsysim import Models, Q_, Systems
from mlsysim.core.solver import AllReduceModel, DistributedModel
from mlsysim.systems.types import Cluster

from labkit import fmt, validate_entry
from labs.vol2 import collective_communication_cases as cases
from labs.vol2 import lab_06_collective_communication as lab

BOTH = {"act1.prediction": "C", "act2.prediction": "D"}
FLEET = Systems.Clusters.Frontier_8K
LLAMA = Models.Language.Llama3_8B


@pytest.fixture
def d(driver):
    return driver("vol2/06")


def fleet(nodes):
    return Cluster(name="test", node=Systems.Nodes.DGX_H100, nodes=nodes, fabric=FLEET.fabric)


def ar(algorithm, message_bytes, nodes):
    return AllReduceModel().solve(message_bytes=Q_(message_bytes, "B"), fleet=fleet(nodes),
                                  algorithm=algorithm)


def grad():
    return 2.0 * LLAMA.parameters   # bf16: 2 bytes per parameter


def direct_step(algorithm, bucket, nodes, sequences=512):
    """Communication per step and its budget, recomputed with direct engine calls."""
    g = grad()
    size = min(bucket or g, g)
    full = int(g // size)
    rest = g - full * size
    total = full * ar(algorithm, size, nodes).time.m_as("s")
    if rest:
        total += ar(algorithm, rest, nodes).time.m_as("s")
    compute = DistributedModel().solve(
        model=LLAMA, fleet=fleet(nodes),
        global_batch_tokens=sequences * LLAMA.context_length).compute_time_per_step.m_as("s")
    return total, compute / 2


# ---- the predictions ------------------------------------------------------------------------
def expected_act1():
    ps = ar("parameter_server", grad(), 16).time.m_as("s")
    ring = ar("ring", grad(), 16).time.m_as("s")
    ratio = ps / ring
    correct = next(k for k, (lo, hi) in {"A": (1, 5), "B": (5, 40), "C": (40, 500),
                                         "D": (500, math.inf)}.items() if lo <= ratio < hi)
    return ps, ring, ratio, correct


def expected_crossover(nodes=16):
    """The message size above which the ring beats the tree, by bisection on the engine's
    times (independent of the cases module's closed form)."""
    lo, hi = 1.0, 1e13
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if ar("ring", mid, nodes).time.m_as("s") < ar("tree", mid, nodes).time.m_as("s"):
            hi = mid
        else:
            lo = mid
    return hi


def test_act1_correct_option_comes_from_the_engine(d):
    ps, ring, ratio, correct = expected_act1()
    # one server carries (p - 1) gradients each way: about p = 128 times the ring
    assert correct == "C" and 120 < ratio < 128
    assert lab.act1_truth()[3] == correct
    for option in "ABCD":
        tree = d.render({**BOTH, "act1.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(ratio)
        overlay = d.node(tree, "act1.overlay")
        assert overlay["mode"] == "choice" and "ratio" not in overlay
        assert fmt.duration(ps) in overlay["actual"] and fmt.duration(ring) in overlay["actual"]
        assert fmt.duration(ps) in overlay["text"]  # each option's feedback states the answer


def test_act2_correct_option_is_the_engines_crossover(d):
    m = expected_crossover(16)
    assert cases.crossover(16) == pytest.approx(m, rel=1e-6)
    # 2 (p - 1 - ceil(log2 p)) alpha against 2 M / (p beta): M* = p (p - 1 - 7) alpha beta
    alpha, beta = 2.7e-6, 50e9
    assert m == pytest.approx(128 * (127 - 7) * alpha * beta, rel=1e-6)
    correct = "D" if m >= 1e9 else "C" if m >= 1e8 else "B" if m >= 1e6 else "A"
    assert correct == "D" and lab.act2_truth()[1] == correct
    for option in "ABCD":
        tree = d.render({**BOTH, "act2.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)
        overlay = d.node(tree, "act2.overlay")
        assert fmt.si(m, "B") in overlay["actual"] and fmt.si(m, "B") in overlay["text"]
        assert "ratio" not in overlay


def test_act1_reflection_physics_the_ring_barely_grows():
    small, big = ar("ring", grad(), 16), ar("ring", grad(), 128)
    growth = big.time.m_as("s") / small.time.m_as("s")
    assert 1.0 < growth < 1.05   # 'barely changes' (B) is right
    assert big.latency_term.m_as("s") / small.latency_term.m_as("s") == pytest.approx(1023 / 127)


def test_act2_reflection_physics_larger_buckets_fix_the_ring():
    small_total, budget = direct_step("ring", 4 * 2 ** 20, 16)
    big_total, _ = direct_step("ring", 16 * 2 ** 20, 16)
    assert small_total > budget > big_total       # B: larger buckets get within budget
    s = cases.step("ring", "4m", 16)
    assert s.latency > s.budget                    # C: bandwidth alone cannot fix it
    wider_total, wider_budget = direct_step("ring", 4 * 2 ** 20, 32)
    assert wider_total > wider_budget              # D: more GPUs make it worse
    assert direct_step("ring", 2 ** 20, 16)[0] > small_total   # A: smaller is worse


# ---- locks ----------------------------------------------------------------------------------
def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "overlay" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.scaling") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.sweep") is None and d.node(tree, "act2.bucket") is None


# ---- the failure state ----------------------------------------------------------------------
def test_failure_reached_by_small_buckets_and_left_by_the_tree(d):
    """Ring, 4 MiB buckets, 128 GPUs: over budget; the same buckets with the tree are within
    it (the two contexts give different verdicts); larger buckets leave it too."""
    assert d.node(d.render(BOTH), "act2.budget") is None           # defaults: within
    tree = d.render(BOTH, {"act2.bucket": "4m"})
    banner = d.node(tree, "act2.budget")
    total, budget = direct_step("ring", 4 * 2 ** 20, 16)
    assert total > budget
    assert banner["required"] == f"gradient AllReduce per step: {fmt.duration(total)}"
    assert banner["available"] == fmt.duration(budget)
    assert "switch the algorithm to Tree" in banner["text"]
    assert "buckets of 16 MiB or larger" in banner["text"]
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True
    assert entry["act2"]["result"] == pytest.approx(total * 1e3)
    back = d.render(BOTH, {"act2.bucket": "4m", "context": "tree"})
    assert d.node(back, "act2.budget") is None
    assert d.node(back, "ledger")["entry"]["constraint_hit"] is False
    assert d.node(d.render(BOTH, {"act2.bucket": "16m"}), "act2.budget") is None


def test_failure_in_the_tree_context_and_out_again(d):
    """The tree fails too, with buckets small enough or a fleet large enough; bigger buckets
    or a bigger global batch bring it back."""
    values = {"context": "tree", "act2.bucket": "256k"}
    tree = d.render(BOTH, values)
    total, budget = direct_step("tree", 256 * 2 ** 10, 16)
    assert total > budget
    assert d.node(tree, "act2.budget")["available"] == fmt.duration(budget)
    assert d.node(d.render(BOTH, {**values, "act2.bucket": "1m"}), "act2.budget") is None
    big = {"context": "tree", "act2.nodes": 128}
    assert d.node(d.render(BOTH, big), "act2.budget") is not None
    assert d.node(d.render(BOTH, {**big, "act2.sequences": 2048}), "act2.budget") is None
    assert direct_step("tree", 25 * 2 ** 20, 128, 2048)[0] < direct_step("tree", 25 * 2 ** 20, 128, 2048)[1]


def test_more_nodes_reach_the_failure_with_the_ring_not_the_tree(d):
    tree = d.render(BOTH, {"act2.nodes": 32})
    total, budget = direct_step("ring", 25 * 2 ** 20, 32)
    assert total > budget and d.node(tree, "act2.budget")
    t_total, t_budget = direct_step("tree", 25 * 2 ** 20, 32)
    assert t_total < t_budget
    assert d.node(d.render(BOTH, {"act2.nodes": 32, "context": "tree"}), "act2.budget") is None


# ---- instruments equal the engine -----------------------------------------------------------
def test_metrics_and_tables_equal_engine_numbers(d):
    tree = d.render(BOTH, {"act2.bucket": "4m"})
    items = {i["label"]: i for i in d.node(tree, "act2.metrics")["items"]}
    total, budget = direct_step("ring", 4 * 2 ** 20, 16)
    assert items["AllReduce per step"]["value"] == fmt.duration(total)
    assert items["Buckets per step"]["value"] == f"{math.ceil(grad() / 2 ** 22):,}"
    one = ar("ring", 4 * 2 ** 20, 16)
    assert items["One bucket's AllReduce"]["value"] == fmt.duration(one.time.m_as("s"))
    assert items["Bus bandwidth"]["value"] == fmt.si(one.bus_bandwidth.m_as("B/s"), "B/s")
    assert items["Ring/tree crossover"]["value"] == fmt.si(expected_crossover(16), "B")
    rows = {r[0].split(" (")[0]: r for r in d.node(tree, "act2.algorithms")["rows"]}
    for name, algorithm in (("Ring", "ring"), ("Tree", "tree"), ("Hierarchical", "hierarchical"),
                            ("One parameter server", "parameter_server")):
        t, _ = direct_step(algorithm, 4 * 2 ** 20, 16)
        assert rows[name][2] == fmt.duration(t)
    m1 = d.node(tree, "act1.metrics")["items"]
    ps, ring, ratio, _ = expected_act1()
    assert [m["value"] for m in m1][:2] == [fmt.duration(ps), fmt.duration(ring)]
    sweep = d.node(tree, "act2.sweep")["table"]["rows"]
    assert sweep[2] == ["1 MiB", fmt.duration(ar("ring", 2 ** 20, 16).time.m_as("s")),
                        fmt.duration(ar("tree", 2 ** 20, 16).time.m_as("s"))]


def test_one_node_runs_on_nvlink(d):
    tree = d.render(BOTH, {"act2.nodes": 1})
    items = {i["label"]: i for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Bus bandwidth"]["note"] == "link 450 GB/s per GPU"
    assert items["Ring/tree crossover"]["value"] == fmt.si(expected_crossover(1), "B")


def test_ledger_entry_matches_schema(d):
    for ctx in ("ring", "tree"):
        entry = d.node(d.render(BOTH, {"context": ctx}), "ledger")["entry"]
        assert validate_entry(entry, "vol2.ch06")["context"] == ctx
        assert entry["act2"]["unit"] == "ms" and "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "cloud", "act2.bucket": "3m", "act2.nodes": 999,
                           "act2.sequences": 100})
    assert d.node(tree, "context")["value"] == "ring"
    assert d.node(tree, "act2.bucket")["value"] == "25m"
    assert d.node(tree, "act2.nodes")["value"] == 16
    assert d.node(tree, "act2.sequences")["value"] == 512

