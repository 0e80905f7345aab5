"""Vol II Lab 12 under CPython: both predictions graded from the engine (recomputed here with
direct engine calls), feedback per option, instruments behind the gate, the retry-storm failure
reached and left through the controls on both platforms, the numbers on screen equal to the
engine's, the ledger entry, stale values, render time."""
import statistics
import time

import pytest
from mlsysim import Hardware, Models, Q_
from mlsysim.core.solver import (AvailabilityModel, ErrorBudgetModel, IronLawModel,
                                 RetryAmplificationModel)

from labkit import fmt, validate_entry
from labs.vol2 import lab_12_ops_scale as lab12
from labs.vol2 import ops_scale_cases as cases

BOTH = {"act1.prediction": "C", "act2.prediction": "D"}
RATE = 150_000          # the lab's image calls per second
GPUS = 16               # two 8-GPU L4 servers
FAULT, RETRIES = 0.3, 3


@pytest.fixture
def d(driver):
    return driver("vol2/12")


def mu():
    """Images one L4 classifies per second: ResNet-50 in batches of 32 (Iron Law)."""
    return IronLawModel().solve(hardware=Hardware.Cloud.L4, model=Models.Vision.ResNet50,
                                batch_size=32).throughput.m_as("1/s")


def retry(retries, gpus=GPUS, fault=FAULT):
    return RetryAmplificationModel().solve(
        arrival_rate=Q_(RATE, "request/s"), retries=retries, failure_probability=fault,
        service_rate=Q_(mu(), "request/s"), servers=gpus)


def per_s(x):
    return f"{fmt.num(x)} attempts/s"


def budget_min():
    return ErrorBudgetModel().solve(slo=0.999, window=Q_(30, "day")).budget.m_as("min")


# ---- Act I --------------------------------------------------------------------------------
def test_act1_correct_option_comes_from_the_engine(d):
    a = AvailabilityModel().solve(availabilities=[0.99] * 5).availability
    assert a == pytest.approx(0.99 ** 5) and 0.93 <= a < 0.97          # band C, "about 95%"
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == "C")
        assert entry["act1"]["actual_value"] == pytest.approx(a)
    overlay = d.node(d.render(BOTH), "act1.overlay")
    assert overlay["actual"] == "95.1% end to end (0.99^5), down 35.3 h a month"


def test_act1_reflection_is_graded_from_the_engine(d):
    need = 0.999 ** (1 / 5)
    check = AvailabilityModel().solve(availabilities=[need] * 5).availability
    assert check == pytest.approx(0.999)
    assert f"{need * 100:.2f}%" == "99.98%"
    fb = d.node(d.render(BOTH, {"act1.reflection": "B"}), "act1.reflection.feedback")
    assert fb["tone"] == "success" and "= 99.98%" in fb["text"]
    wrong = d.node(d.render(BOTH, {"act1.reflection": "A"}), "act1.reflection.feedback")
    five = AvailabilityModel().solve(availabilities=[0.999] * 5).availability
    assert wrong["tone"] == "warn" and cases.pct_a(five) in wrong["text"]


def test_act1_instruments_follow_the_controls(d):
    tree = d.render(BOTH, {"act1.services": 7, "act1.availability": "0.999",
                           "act1.replicas": 2})
    pair = AvailabilityModel().solve(availabilities=[0.999, 0.999],
                                     composition="parallel").availability
    a = AvailabilityModel().solve(availabilities=[pair] * 7).availability
    items = {i["label"]: i["value"] for i in d.node(tree, "act1.metrics")["items"]}
    assert items["End-to-end availability"] == cases.pct_a(a) == "99.9993%"
    assert items["Each service"] == "99.9999%"
    rows = d.node(tree, "act1.chain")["table"]["rows"]
    assert rows[3][0] == "5" and rows[3][3] == cases.pct_a(
        AvailabilityModel().solve(availabilities=[pair] * 5).availability)


# ---- Act II -------------------------------------------------------------------------------
def test_act2_correct_option_comes_from_the_engine(d):
    feasible = [r for r in range(6) if retry(r).feasible]
    assert feasible == [0]                                   # even one retry overloads
    assert retry(0).utilization == pytest.approx(RATE / (GPUS * mu()))
    assert lab12.act2_truth() == (0, "D")
    for option in "ABCD":
        tree = d.render({**BOTH, "act2.prediction": option})
        assert d.node(tree, "ledger")["entry"]["act2"]["correct"] is (option == "D")
        assert "**the largest safe limit is 0 retries**" in d.node(tree, "act2.overlay")["text"]
    overlay = d.node(d.render(BOTH), "act2.overlay")
    one = retry(1)
    assert overlay["actual"] == (f"0 retries: a limit of 1 offers {fmt.num(one.attempts_per_request)} "
                                 f"attempts per call, "
                                 f"{fmt.percent(one.utilization, 0)} of the 16 GPUs' capacity")


def test_every_option_has_its_own_feedback_stating_the_answer(d):
    texts = {d.node(d.render({**BOTH, "act1.prediction": o}), "act1.overlay")["text"] for o in "ABCD"}
    assert len(texts) == 4 and all("**95.1%**" in t for t in texts)
    texts = {d.node(d.render({**BOTH, "act2.prediction": o}), "act2.overlay")["text"] for o in "ABCD"}
    assert len(texts) == 4 and all("0 retries" in t for t in texts)
    for name in ("act1.reflection", "act2.reflection"):
        seen = {d.node(d.render(BOTH, {name: o}), f"{name}.feedback")["text"] for o in "ABCD"}
        assert len(seen) == 4


def test_act2_reflection_states_the_storm_from_the_engine(d):
    r = retry(RETRIES)
    assert r.storm_load.m_as("1/s") / RATE > r.attempts_per_request * 1.3
    fb = d.node(d.render(BOTH, {"act2.reflection": "B"}), "act2.reflection.feedback")
    assert fb["tone"] == "success"
    assert f"settles at {fmt.num(r.storm_load.m_as('1/s') / RATE)}" in fb["text"]
    assert f"from 30% to {fmt.percent(r.storm_failure_probability, 0)}" in fb["text"]


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.chain") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.load") is None and d.node(tree, "act2.retries") is None


def test_bare_metal_storm_reached_and_left_through_the_controls(d):
    tree = d.render(BOTH, {"context": "bare_metal"})
    banner = d.node(tree, "act2.failure")
    r = retry(RETRIES)
    assert not r.feasible
    rows = banner["constraints"]
    assert rows[0] == {"name": "server capacity", "required": per_s(r.offered_load.m_as("1/s")),
                       "available": per_s(r.capacity.m_as("1/s"))}
    assert rows[1] == {"name": "error budget", "required": "60 min",
                       "available": cases.span(budget_min())}
    assert banner["available"] == "43.2 min"
    assert per_s(r.storm_load.m_as("1/s")) in banner["text"]
    for way in ("set a retry budget of 10%", "lower the retry limit to 0", "provision 18 GPUs",
                "move the tier to Kubernetes"):
        assert way in banner["text"]
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    # each way out, checked against the engine where it is the engine's model
    assert retry(RETRIES, gpus=18).feasible and not retry(RETRIES, gpus=17).feasible
    for values in ({"act2.budget": "budget"}, {"act2.retries": 0}, {"act2.replicas": 18},
                   {"context": "kubernetes"}):
        back = d.render(BOTH, {"context": "bare_metal", **values})
        assert d.node(back, "act2.failure") is None, values
        assert d.node(back, "ledger")["entry"]["constraint_hit"] is False


def test_load_shedding_limits_the_damage_but_not_the_overload(d):
    tree = d.render(BOTH, {"context": "bare_metal", "act2.shedding": "shed"})
    banner = d.node(tree, "act2.failure")
    r = retry(RETRIES)
    lost = 1 - r.storm_goodput.m_as("1/s") / RATE
    assert lost == pytest.approx(1 - r.capacity.m_as("1/s") * (1 - FAULT) / RATE)
    assert banner["required"] == f"server capacity: {per_s(r.offered_load.m_as('1/s'))}"
    assert banner.get("constraints") is None                  # the budget survives
    assert f"{fmt.percent(lost, 1)} of calls lost" in banner["text"]
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    used = ErrorBudgetModel().solve(slo=0.999, window=Q_(30, "day"),
                                    downtime=Q_(60 * lost, "min")).consumed
    assert items["Error budget used"] == fmt.percent(used, 1)


def test_kubernetes_storm_beyond_the_autoscaler_reached_and_left(d):
    assert d.node(d.render(BOTH), "act2.failure") is None     # the autoscaler absorbs it
    tree = d.render(BOTH, {"act2.fault": 0.6})
    banner = d.node(tree, "act2.failure")
    r = retry(RETRIES, gpus=GPUS + 8, fault=0.6)
    assert not r.feasible
    assert banner["constraints"][0] == {"name": "server capacity",
                                        "required": per_s(r.offered_load.m_as("1/s")),
                                        "available": per_s(r.capacity.m_as("1/s"))}
    assert "24 GPUs, its quota" in banner["text"] and "lower the retry limit to 1" in banner["text"]
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    assert retry(1, gpus=24, fault=0.6).feasible
    for values in ({"act2.retries": 1}, {"act2.budget": "budget"}, {"act2.fault": 0.45}):
        assert d.node(d.render(BOTH, {"act2.fault": 0.6, **values}), "act2.failure") is None


def test_same_controls_different_verdicts_on_the_two_platforms(d):
    for values, k8s_fails, metal_fails in (({}, False, True),
                                           ({"act2.retries": 0}, False, False),
                                           ({"act2.replicas": 12}, False, True),
                                           ({"act2.fault": 0.6}, True, True)):
        k = d.node(d.render(BOTH, values), "act2.failure")
        m = d.node(d.render(BOTH, {**values, "context": "bare_metal"}), "act2.failure")
        assert (k is not None, m is not None) == (k8s_fails, metal_fails), values


def test_kubernetes_storm_lasts_until_the_autoscaler_arrives(d):
    tree = d.render(BOTH)
    first, final = retry(RETRIES), retry(RETRIES, gpus=24)
    assert not first.feasible and final.feasible
    lost_min = 5 * 1.0 + 55 * FAULT ** (RETRIES + 1)           # queued: all lost, then f^(r+1)
    used = ErrorBudgetModel().solve(slo=0.999, window=Q_(30, "day"),
                                    downtime=Q_(lost_min, "min")).consumed
    items = {i["label"]: i for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Error budget used"]["value"] == fmt.percent(used, 1)
    assert items["GPUs by the end"]["value"] == "24"
    assert items["Capacity"]["value"] == per_s(first.capacity.m_as("1/s"))
    assert items["Offered attempts"]["value"] == per_s(first.offered_load.m_as("1/s"))
    assert items["Settled load"]["value"] == per_s(first.storm_load.m_as("1/s"))
    rows = d.node(tree, "act2.timeline")["rows"]
    assert rows[0][:4] == ["5 min", "16", per_s(first.storm_load.m_as("1/s")),
                           per_s(first.capacity.m_as("1/s"))]
    assert rows[1][:3] == ["55 min", "24", per_s(final.storm_load.m_as("1/s"))]
    callout = d.node(tree, "act2.storm")
    assert callout["tone"] == "warn" and fmt.percent(used, 1) in callout["text"]


def test_retry_budget_caps_the_attempts(d):
    tree = d.render(BOTH, {"context": "bare_metal", "act2.budget": "budget"})
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Offered attempts"] == per_s(RATE * 1.1)
    # a share q of failed calls may run their retries: 1 + q (a - 1) = 1.1
    a = retry(RETRIES).attempts_per_request
    q = 0.1 / (a - 1)
    lost = FAULT * ((1 - q) + q * FAULT ** RETRIES)
    assert items["Calls lost at first"] == fmt.percent(lost, 1)


def test_load_chart_table_equals_the_engine(d):
    tree = d.render(BOTH, {"context": "bare_metal"})
    rows = d.node(tree, "act2.load")["table"]["rows"]
    for r, row in enumerate(rows):
        e = retry(r)
        assert row[1] == per_s(e.offered_load.m_as("1/s"))
        assert row[2] == per_s(e.storm_load.m_as("1/s"))
        assert row[4] == ("no" if e.feasible else "yes")


def test_ledger_entry_matches_schema(d):
    for ctx in ("kubernetes", "bare_metal"):
        for values in ({}, {"act2.fault": 0.6, "act2.shedding": "shed"}, {"act2.budget": "budget"}):
            entry = d.node(d.render(BOTH, {"context": ctx, **values}), "ledger")["entry"]
            assert validate_entry(entry, "vol2.ch12")["context"] == ctx
            assert entry["act2"]["unit"] == "%"
    entry = d.node(d.render(BOTH, {"context": "bare_metal"}), "ledger")["entry"]
    assert entry["act2"]["result"] == pytest.approx(100 * 60 / budget_min())
    assert entry["act1"]["predicted_value"] == 0.95


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "cloud", "act1.availability": "0.5", "act2.budget": "x",
                           "act2.shedding": "maybe", "act2.retries": 17, "act2.fault": -1,
                           "act2.replicas": 1000, "act1.services": 0})
    assert d.node(tree, "context")["value"] == "kubernetes"
    assert d.node(tree, "act1.availability")["value"] == "0.99"
    assert d.node(tree, "act1.services")["value"] == 5
    assert d.node(tree, "act2.budget")["value"] == "none"
    assert d.node(tree, "act2.shedding")["value"] == "queue"
    assert d.node(tree, "act2.retries")["value"] == 3
    assert d.node(tree, "act2.fault")["value"] == 0.3
    assert d.node(tree, "act2.replicas")["value"] == 16


def test_render_is_fast(d):
    states = [{}, {"context": "bare_metal"}, {"act2.fault": 0.6}, {"act2.replicas": 8},
              {"act2.budget": "budget"}]
    for s in states:
        d.render(BOTH, s)
    times = []
    for s in states * 8:
        t0 = time.perf_counter()
        d.render(BOTH, s)
        times.append(time.perf_counter() - t0)
    assert statistics.median(times) < 0.020
