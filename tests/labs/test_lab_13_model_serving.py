"""Lab 13 under CPython: predictions graded from direct engine calls, feedback per option, the
P99 failure state reached and left through the controls in both contexts, the histogram's and
the metrics' numbers equal to the engine's, the ledger entry, stale values, render time."""
import math

import pytest
from mlsysim import Hardware, Models, Q_
from mlsysim.core.solver import (BatchingLatencyModel, IronLawModel, LittlesLawModel,
                                 MMcQueueModel, ResponseTimeDistributionModel)

from labkit import fmt, validate_entry
from labs.vol1 import model_serving_cases as cases

H100, A17 = Hardware.Cloud.H100, Hardware.Mobile.A17Pro
XL, SMALL = Models.Language.GPT2_XL, Models.Language.GPT2
BOTH = {"act1.prediction": "C", "act2.prediction": "B"}
SLA = Q_(200, "ms")
TOKENS = 8
RATE = {"cloud": 30.0, "mobile": 36.2 * 5 / 60}


@pytest.fixture
def d(driver):
    return driver("vol1/13")


# ---- the engine, called directly (not through the cases module) -------------------------
def engine_service(context, batch=1, tokens=TOKENS):
    hw, model, prec = (H100, XL, "fp16") if context == "cloud" else (A17, SMALL, "int8")
    step = IronLawModel().solve(hardware=hw, model=model, precision=prec, batch_size=batch)
    return tokens * step.total.m_as("s")


def engine_design(context, load, servers=1, batch=1, tokens=TOKENS):
    """(P99 s or inf, mean s or inf, queue result, stable) of a design, from engine calls."""
    lam = load * RATE[context]
    s = engine_service(context, batch, tokens)
    q = MMcQueueModel().solve(arrival_rate=Q_(lam / batch, "1/s"),
                              service_rate=Q_(1 / s, "1/s"), servers=servers)
    if not q.feasible:
        return math.inf, math.inf, q, False
    f = BatchingLatencyModel().solve(arrival_rate=Q_(lam, "1/s"), batch_size=batch,
                                     base_time=Q_(0, "s"), per_item_time=Q_(0, "s"))
    p99 = q.response_percentile.m_as("s") + f.p_latency.m_as("s")
    mean = q.mean_response.m_as("s") + f.mean_latency.m_as("s")
    return p99, mean, q, True


def expected_act1(context):
    lam = RATE[context]
    r = ResponseTimeDistributionModel().solve(
        arrival_rate=Q_(lam, "1/s"), service_rate=Q_(1 / engine_service(context), "1/s"),
        percentiles=(0.5, 0.99))
    p99, mean = r.quantiles[0.99].m_as("s"), r.mean_response.m_as("s")
    bands = {"A": (1, 1.5), "B": (1.5, 3), "C": (3, 7), "D": (7, math.inf)}
    return p99, mean, next(k for k, (lo, hi) in bands.items() if lo <= p99 / mean < hi)


def expected_act2():
    need = next(c for c in range(1, 65) if engine_design("cloud", 10, c)[0] <= SLA.m_as("s"))
    bands = {"A": (2, 3), "B": (4, 5), "C": (6, 9), "D": (10, 10 ** 6)}
    return need, next(k for k, (lo, hi) in bands.items() if lo <= need <= hi)


# ---- predictions ---------------------------------------------------------------------------
@pytest.mark.parametrize("context", ["cloud", "mobile"])
def test_act1_correct_option_is_the_engine_p99_band(d, context):
    p99, mean, correct = expected_act1(context)
    assert p99 / mean == pytest.approx(math.log(100), rel=1e-6)       # ln(100) = 4.605
    assert correct == "C"
    for option in "ABCD":
        tree = d.render({**BOTH, "act1.prediction": option}, {"context": context})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(p99 * 1e3)
    overlay = d.node(d.render(BOTH, {"context": context}), "act1.overlay")
    assert overlay["actual"].startswith(f"P99 = {fmt.duration(p99)} against a mean of "
                                        f"{fmt.duration(mean)}")
    assert "ratio" not in overlay


def test_act2_correct_option_is_the_fewest_h100s_from_the_engine(d):
    need, correct = expected_act2()
    assert need == 4 and correct == "B"
    # three H100s carry the load (stable) but miss the objective: capacity is not enough
    p3, _, q3, stable3 = engine_design("cloud", 10, 3)
    assert stable3 and q3.utilization > 0.9 and p3 > SLA.m_as("s")
    assert not engine_design("cloud", 10, 2)[3]
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)
    assert d.node(d.render(BOTH), "act2.overlay")["actual"].startswith(f"{need} H100s")


@pytest.mark.parametrize("name", ["act1.prediction", "act2.prediction"])
def test_every_prediction_option_has_its_own_feedback_stating_the_answer(d, name):
    overlay_key = name.split(".")[0] + ".overlay"
    p99, _, _ = expected_act1("cloud")
    need, _ = expected_act2()
    answer = f"**{fmt.duration(p99)}**" if name.startswith("act1") else f"**{need} H100s**"
    texts = set()
    for o in "ABCD":
        text = d.node(d.render({**BOTH, name: o}), overlay_key)["text"]
        assert answer in text
        texts.add(text)
    assert len(texts) == 4


def test_reflections_are_true_in_the_engine():
    # Act I: the P99/mean ratio of one server does not move with load
    s = engine_service("cloud")
    ratios = [ResponseTimeDistributionModel().solve(
        arrival_rate=Q_(x * RATE["cloud"], "1/s"), service_rate=Q_(1 / s, "1/s"),
        percentiles=(0.99,)).ratio_to_mean[0.99] for x in (1.0, 2.0, 3.5)]
    assert max(ratios) - min(ratios) < 1e-6
    # Act II: on the phone at 10x, no batch size helps but 6-token replies do
    assert engine_design("mobile", 10)[0] > SLA.m_as("s")
    assert all(engine_design("mobile", 10, 1, b)[0] > SLA.m_as("s") for b in range(1, 33))
    assert engine_design("mobile", 10, 1, 1, 6)[0] <= SLA.m_as("s")
    assert cases.longest_reply("mobile", 10.0) == 6


def test_instruments_locked_until_each_prediction_is_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.histogram") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.curve") is None and d.node(tree, "act2.load") is None


# ---- the failure state -----------------------------------------------------------------------
def test_cloud_overload_at_ten_times_then_left_by_servers_or_batching(d):
    assert d.node(d.render(BOTH), "act2.sla") is None              # defaults: 1x meets it
    tree = d.render(BOTH, {"act2.load": 10})
    banner = d.node(tree, "act2.sla")
    _, _, q, stable = engine_design("cloud", 10)
    assert not stable
    [v] = q.violations
    assert banner["required"] == f"server capacity: {fmt.num(300)} requests/s"
    assert banner["available"] == f"{fmt.num(v.available.m_as('1/s'))} requests/s"
    assert "use 4 H100s" in banner["text"]
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True and entry["act2"]["result"] is None
    # three H100s: stable, but the P99 misses the objective (a finite number)
    tree = d.render(BOTH, {"act2.load": 10, "act2.servers": 3})
    p3 = engine_design("cloud", 10, 3)[0]
    assert d.node(tree, "act2.sla")["required"] == f"P99 latency: {fmt.duration(p3)}"
    assert d.node(tree, "act2.sla")["available"] == "200 ms"
    # left by a fourth H100 ...
    left = d.render(BOTH, {"act2.load": 10, "act2.servers": 4})
    assert d.node(left, "act2.sla") is None
    assert d.node(left, "ledger")["entry"]["constraint_hit"] is False
    assert d.node(left, "ledger")["entry"]["act2"]["result"] == pytest.approx(
        engine_design("cloud", 10, 4)[0] * 1e3)
    # ... or by batching on one H100
    assert d.node(d.render(BOTH, {"act2.load": 10, "act2.batch": 8}), "act2.sla") is None
    assert engine_design("cloud", 10, 1, 8)[0] <= SLA.m_as("s")


def test_batching_at_low_traffic_misses_the_objective_by_the_fill_wait(d):
    tree = d.render(BOTH, {"act2.batch": 4})
    banner = d.node(tree, "act2.sla")
    p99 = engine_design("cloud", 1, 1, 4)[0]
    assert banner["required"] == f"P99 latency: {fmt.duration(p99)}"
    assert "fill" in banner["text"]


def test_mobile_misses_at_ten_times_and_only_shorter_replies_leave(d):
    base = {"context": "mobile"}
    assert d.node(d.render(BOTH, base), "act2.sla") is None
    tree = d.render(BOTH, {**base, "act2.load": 10})
    banner = d.node(tree, "act2.sla")
    p99 = engine_design("mobile", 10)[0]
    assert banner["required"] == f"P99 latency: {fmt.duration(p99)}"
    assert banner["available"] == "200 ms"
    assert "shorten replies to 6 tokens" in banner["text"]
    assert d.node(tree, "act2.servers") is None                     # one neural engine
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    # the Cloud's lever does nothing here: a stored server count is ignored on the phone
    assert d.node(d.render(BOTH, {**base, "act2.load": 10, "act2.servers": 4}), "act2.sla")
    left = d.render(BOTH, {**base, "act2.load": 10, "act2.tokens": 6})
    assert d.node(left, "act2.sla") is None
    assert d.node(left, "ledger")["entry"]["constraint_hit"] is False


def test_same_controls_different_verdicts_in_the_two_contexts(d):
    rows = d.node(d.render(BOTH, {"act2.load": 10, "act2.servers": 4}), "act2.contexts")["rows"]
    assert [r[-1] for r in rows] == ["meets it", "misses it"]
    rows = d.node(d.render(BOTH, {"act2.load": 10}), "act2.contexts")["rows"]
    assert rows[0][4] == "unbounded" and rows[1][4] == fmt.duration(engine_design("mobile", 10)[0])


# ---- instruments equal the engine ----------------------------------------------------------
@pytest.mark.parametrize("context", ["cloud", "mobile"])
def test_histogram_and_act1_metrics_equal_the_engine(d, context):
    lam = 2 * RATE[context]
    r = ResponseTimeDistributionModel().solve(
        arrival_rate=Q_(lam, "1/s"), service_rate=Q_(1 / engine_service(context), "1/s"),
        percentiles=(0.5, 0.9, 0.99, 0.999))
    tree = d.render(BOTH, {"context": context, "act1.load": 2.0})
    fig = d.node(tree, "act1.histogram")
    bars = fig["figure"]["data"][0]["y"]
    assert bars == pytest.approx([p * 100 for p in r.bin_probabilities])
    rows = {row[0]: row[1] for row in fig["table"]["rows"]}
    assert rows["P99"] == fmt.duration(r.quantiles[0.99].m_as("s"))
    assert rows["mean"] == fmt.duration(r.mean_response.m_as("s"))
    items = {i["label"]: i["value"] for i in d.node(tree, "act1.metrics")["items"]}
    assert items["P99"] == fmt.duration(r.quantiles[0.99].m_as("s"))
    assert items["Median (P50)"] == fmt.duration(r.quantiles[0.5].m_as("s"))


def test_act2_metrics_and_curve_equal_the_engine(d):
    values = {"act2.load": 10, "act2.servers": 2, "act2.batch": 4, "act2.tokens": 12}
    p99, mean, q, _ = engine_design("cloud", 10, 2, 4, 12)
    tree = d.render(BOTH, values)
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["P99 latency"] == fmt.duration(p99)
    assert items["Mean latency"] == fmt.duration(mean)
    assert items["Utilisation ρ"] == fmt.percent(q.utilization, 0)
    little = LittlesLawModel().solve(arrival_rate=Q_(300, "1/s"), time_in_system=Q_(mean, "s"))
    assert items["Requests in flight (L = λW)"] == fmt.num(little.in_system)
    curve = d.node(tree, "act2.curve")["table"]["rows"]
    ten = next(r for r in curve if r[0] == "10×")
    assert ten[2] == fmt.duration(p99)
    one = next(r for r in curve if r[0] == "1×")
    assert one[3] == fmt.duration(engine_design("cloud", 1, 1, 1, 12)[0])


# ---- ledger, stale values, speed -------------------------------------------------------------
def test_ledger_entry_matches_schema(d):
    for ctx in ("cloud", "mobile"):
        for values in ({}, {"act2.load": 10}, {"act2.batch": 32}):
            entry = d.node(d.render(BOTH, {"context": ctx, **values}), "ledger")["entry"]
            assert validate_entry(entry, "vol1.ch13")["context"] == ctx
            assert "_" not in entry["act2"]["decision"] and entry["act2"]["unit"] == "ms"


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "tiny", "act2.load": 99, "act2.servers": 0,
                           "act2.batch": 64, "act2.tokens": 40, "act1.load": 9})
    assert d.node(tree, "context")["value"] == "cloud"
    assert d.node(tree, "act2.load")["value"] == 1
    assert d.node(tree, "act2.servers")["value"] == 1
    assert d.node(tree, "act2.batch")["value"] == 1
    assert d.node(tree, "act2.tokens")["value"] == 8
    assert d.node(tree, "act1.load")["value"] == 1
