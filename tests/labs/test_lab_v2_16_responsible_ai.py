"""Vol II Lab 16 under CPython: both predictions graded from the engine (recomputed here with
direct engine calls), feedback per option, instruments behind the gate, the failure state
reached and left through the controls under both organisations' rules, the numbers on screen
equal to the engine's, the ledger entry, stale values."""
import math
import statistics
import time

import pytest
from mlsysim import Q_
from mlsysim.core.solver import ChouldechovaModel, ThresholdSweepModel

from labkit import validate_entry
from labs.vol2 import lab_16_responsible_ai as lab16
from labs.vol2 import responsible_ai_cases as cases

BOTH = {"act1.prediction": "C", "act2.prediction": "B"}
SPEC = {"A": {"base_rate": 0.2, "pos_mean": 2.4, "neg_mean": 0.0, "share": 0.7},
        "B": {"base_rate": 0.4, "pos_mean": 2.5, "neg_mean": 0.2, "share": 0.3}}
VOLUME = Q_(1_000_000, "1/day")


@pytest.fixture
def d(driver):
    return driver("vol2/16")


def solve(ta, tb, **kw):
    return ThresholdSweepModel().solve(score_distributions=SPEC, threshold={"A": ta, "B": tb},
                                       arrival_rate=VOLUME, **kw)


def test_the_scenario_is_the_one_tested_here():
    assert cases.case_spec("lab") == SPEC
    assert cases.LAB_POSTS_PER_DAY == 1_000_000
    assert (cases.TOLERANCE, cases.CATCH_FLOOR) == (0.03, 0.70)


def test_act1_correct_option_comes_from_the_engine(d):
    m = ChouldechovaModel()
    fa = m.solve(base_rate=0.2, ppv=0.8, fnr=0.25).fpr
    fb = m.solve(base_rate=0.4, ppv=0.8, fnr=0.25).fpr
    ratio = fb / fa
    assert ratio == pytest.approx((0.4 / 0.6) / (0.2 / 0.8))     # the odds ratio, 8/3
    bands = {"A": (0, 1.25), "B": (1.25, 2), "C": (2, 4), "D": (4, math.inf)}
    correct = next(k for k, (lo, hi) in bands.items() if lo <= ratio < hi)
    assert correct == "C" == lab16.act1_truth()[2]
    for option in "ABCD":
        tree = d.render({**BOTH, "act1.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(ratio)
    overlay = d.node(d.render(BOTH), "act1.overlay")
    assert overlay["actual"].startswith(f"language A {fa * 100:.1f}%, language B {fb * 100:.1f}%: 2.7x")


def test_act1_ratio_does_not_move_with_the_sliders(d):
    for ppv, fnr in ((0.5, 0.05), (0.95, 0.6), (0.7, 0.4)):
        tree = d.render(BOTH, {"act1.ppv": ppv, "act1.fnr": fnr})
        items = {i["label"]: i for i in d.node(tree, "act1.metrics")["items"]}
        assert items["Language B over language A"]["value"] == "2.7x"
        fb = ChouldechovaModel().solve(base_rate=0.4, ppv=ppv, fnr=fnr).fpr
        assert items["Legitimate posts removed, B"]["value"] == f"{fb * 100:.1f}%"
        assert items["Legitimate posts removed, B"]["note"] == f"{round(fb * 300_000 * 0.6):,} a day"
        # language B's precision that would equalize the false-positive rates, checked back
        fa = ChouldechovaModel().solve(base_rate=0.2, ppv=ppv, fnr=fnr).fpr
        need = 1 / (1 + fa * 0.6 / (0.4 * (1 - fnr)))
        assert ChouldechovaModel().solve(base_rate=0.4, ppv=need, fnr=fnr).fpr == pytest.approx(fa)
        assert items["B's precision for equal false positives"]["value"] == f"{need * 100:.1f}%"


def brute_best(rule):
    """The reachable design with the fewest errors a day meeting ``rule``, recomputed here:
    language B's threshold for each criterion found by a fine scan of the engine's rates."""
    best = None
    for t in cases.THRESHOLD_GRID:
        ref = solve(t, t).groups["A"]
        for crit in cases.CRITERIA:
            tb = cases.partner_threshold("lab", crit, t)
            r = solve(t, tb)
            g = r.groups
            if crit in ("ppv", "fpr", "fnr"):
                assert g["B"][crit] == pytest.approx(ref[crit], abs=1e-6)
            if crit == "balanced":
                assert abs(g["A"]["tpr"] - g["B"]["tpr"]) == pytest.approx(
                    abs(g["A"]["fpr"] - g["B"]["fpr"]), abs=1e-6)
            floor = min(g["A"]["tpr"], g["B"]["tpr"]) >= 0.70
            ppv_ok = abs(g["A"]["ppv"] - g["B"]["ppv"]) <= 0.03
            eo_ok = r.equalized_odds_gap <= 0.03
            ok = floor and (ppv_ok if rule == "accuracy" else eo_ok)
            if ok and (best is None or r.errors_per_day < best[0]):
                best = (r.errors_per_day, crit, t)
    return best


@pytest.mark.parametrize("t", [0.5, 1.0, 1.85, 2.5])
def test_partner_thresholds_meet_their_criterion(t):
    ref = solve(t, t).groups["A"]
    for crit in ("ppv", "fpr", "fnr"):
        r = solve(t, cases.partner_threshold("lab", crit, t))
        assert r.groups["B"][crit] == pytest.approx(ref[crit], abs=1e-6)


def test_act2_correct_option_comes_from_the_engine(d):
    acc, eq = brute_best("accuracy"), brute_best("equity")
    assert acc[1:] == ("ppv", 1.85) and eq[1:] == ("same", 1.65)
    share = eq[0] / acc[0] - 1
    bands = {"A": (-math.inf, 0.002), "B": (0.002, 0.02), "C": (0.02, 0.10),
             "D": (0.10, math.inf)}
    correct = next(k for k, (lo, hi) in bands.items() if lo <= share < hi)
    assert correct == "B" == lab16.act2_truth()[4]
    for option in "ABCD":
        tree = d.render({**BOTH, "act2.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)
        text = d.node(tree, "act2.overlay")["text"]
        assert f"{round(eq[0] - acc[0]):,} more, {share * 100:.1f}%" in text
    overlay = d.node(d.render(BOTH), "act2.overlay")
    assert overlay["actual"].startswith(f"{round(eq[0]):,} wrong decisions a day")


def test_no_design_meets_both_rules():
    assert cases.meets_both("lab") == ()
    for dsg in cases.designs("lab"):
        r = solve(dsg.t1, dsg.t2)
        g = r.groups
        floor = min(g["A"]["tpr"], g["B"]["tpr"]) >= 0.70
        assert not (floor and abs(g["A"]["ppv"] - g["B"]["ppv"]) <= 0.03
                    and r.equalized_odds_gap <= 0.03)


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.identity") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.errors") is None and d.node(tree, "act2.threshold") is None


def test_default_design_meets_the_accuracy_rule_and_fails_the_equity_rule(d):
    tree = d.render(BOTH)
    assert d.node(tree, "act2.failure") is None
    assert d.node(tree, "act2.criterion")["value"] == "ppv"
    assert d.node(tree, "act2.threshold")["value"] == 1.85
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is False
    # reach: the same design held to the equity rule
    tree = d.render(BOTH, {"context": "equity"})
    banner = d.node(tree, "act2.failure")
    r = solve(1.85, cases.partner_threshold("lab", "ppv", 1.85), max_gap=0.03)
    assert [v.name for v in r.violations] == ["equalized odds gap"]
    assert banner["required"] == f"equalized odds gap: {r.equalized_odds_gap * 100:.1f} points"
    assert banner["available"] == "3 points"
    excess = (r.groups["B"]["fpr"] - r.groups["A"]["fpr"]) * 300_000 * 0.6
    assert f"{round(excess):,} more legitimate posts in language B removed each day" in banner["text"]
    assert f"This design makes {round(r.errors_per_day):,} wrong decisions a day" in banner["text"]
    assert "set language B's threshold by balanced error rates" in banner["text"]
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    # leave: balanced error rates at the same threshold meet it
    back = d.render(BOTH, {"context": "equity", "act2.criterion": "balanced"})
    assert d.node(back, "act2.failure") is None
    assert d.node(back, "ledger")["entry"]["constraint_hit"] is False


def test_accuracy_failure_reached_and_left(d):
    values = {"act2.criterion": "fpr"}
    tree = d.render(BOTH, values)
    banner = d.node(tree, "act2.failure")
    r = solve(1.85, cases.partner_threshold("lab", "fpr", 1.85))
    gap = abs(r.groups["A"]["ppv"] - r.groups["B"]["ppv"])
    assert gap > 0.03
    rows = banner["constraints"] or [{"name": banner["required"].split(":")[0]}]
    assert rows[0]["name"] == "gap in removal precision"
    assert f"{gap * 100:.1f} points" in (rows[0].get("required") or banner["required"])
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    # leave: back to equal removal precision
    assert d.node(d.render(BOTH, {"act2.criterion": "ppv"}), "act2.failure") is None
    # equal false-positive rates at a lower threshold meet the equity rule, not this one
    lower = {**values, "act2.threshold": 1.5}
    assert d.node(d.render(BOTH, lower), "act2.failure") is not None
    assert d.node(d.render(BOTH, {**lower, "context": "equity"}), "act2.failure") is None


def test_catch_floor_failure_in_both_contexts(d):
    for ctx in ("accuracy", "equity"):
        tree = d.render(BOTH, {"context": ctx, "act2.threshold": 2.5, "act2.criterion": "balanced"})
        banner = d.node(tree, "act2.failure")
        r = solve(2.5, cases.partner_threshold("lab", "balanced", 2.5))
        worst = min(r.groups["A"]["tpr"], r.groups["B"]["tpr"])
        assert worst < 0.7
        names = [c["name"] for c in banner["constraints"]] if banner["constraints"] else \
            [banner["required"].split(":")[0]]
        assert any(n.startswith("violating posts caught") for n in names)
        assert f"{worst * 100:.1f}%" in str(banner)
        assert "70.0%" in str(banner)
    assert d.node(d.render(BOTH, {"context": "equity", "act2.threshold": 1.5,
                                  "act2.criterion": "balanced"}), "act2.failure") is None


def test_same_controls_different_verdicts_in_the_two_contexts(d):
    for crit, t, acc_fails, eq_fails in (("ppv", 1.85, False, True), ("balanced", 1.5, True, False),
                                         ("same", 1.65, True, False), ("fpr", 1.0, True, False)):
        v = {"act2.criterion": crit, "act2.threshold": t}
        a = d.node(d.render(BOTH, v), "act2.failure")
        e = d.node(d.render(BOTH, {**v, "context": "equity"}), "act2.failure")
        assert (a is not None, e is not None) == (acc_fails, eq_fails), (crit, t)


def test_metrics_and_tables_equal_the_engine(d):
    tree = d.render(BOTH, {"act2.criterion": "fnr", "act2.threshold": 1.4})
    tb = cases.partner_threshold("lab", "fnr", 1.4)
    r = solve(1.4, tb)
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Wrong decisions a day"] == f"{round(r.errors_per_day):,}"
    assert items["Gap in error rates"] == f"{round(r.equalized_odds_gap * 100, 1):g} points"
    assert items["Language B's threshold"] == f"{tb:.2f}"
    rows = d.node(tree, "act2.languages")["rows"]
    fp = {g: 1e6 * SPEC[g]["share"] * (1 - SPEC[g]["base_rate"]) * r.groups[g]["fpr"] for g in "AB"}
    fn = {g: 1e6 * SPEC[g]["share"] * SPEC[g]["base_rate"] * r.groups[g]["fnr"] for g in "AB"}
    assert [row[4] for row in rows] == [f"{round(fp[g]):,}" for g in "AB"]
    assert [row[5] for row in rows] == [f"{round(fn[g]):,}" for g in "AB"]
    assert sum(fp.values()) + sum(fn.values()) == pytest.approx(r.errors_per_day)
    rules = d.node(tree, "act2.rules")["rows"]
    assert rules[1][2] == items["Gap in error rates"]


def test_ledger_entry_matches_schema(d):
    for ctx in ("accuracy", "equity"):
        for crit in ("ppv", "balanced"):
            tree = d.render(BOTH, {"context": ctx, "act2.criterion": crit})
            entry = d.node(tree, "ledger")["entry"]
            assert validate_entry(entry, "vol2.ch16")["context"] == ctx
            assert entry["act2"]["unit"] == "wrong decisions/day"
    entry = d.node(d.render(BOTH), "ledger")["entry"]
    assert entry["act2"]["result"] == pytest.approx(brute_best("accuracy")[0], abs=0.1)


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "cloud", "act2.criterion": "coin", "act2.threshold": 9,
                           "act1.ppv": -1})
    assert d.node(tree, "context")["value"] == "accuracy"
    assert d.node(tree, "act2.criterion")["value"] == "ppv"
    assert d.node(tree, "act2.threshold")["value"] == 1.85
    assert d.node(tree, "act1.ppv")["value"] == 0.8


def test_render_is_fast_once_warm(d):
    d.render(BOTH)
    times = []
    for i in range(15):
        t0 = time.perf_counter()
        d.render(BOTH, {"act2.threshold": round(0.5 + 0.1 * i, 2), "act2.criterion": "fnr"})
        times.append(time.perf_counter() - t0)
    assert statistics.median(times) < 0.02
