"""Vol II Lab 13 under CPython: both predictions graded from direct engine calls (the Gaussian
mechanism's noise for one count, the RDP accountant's epsilon at two batch sizes), the budget
and accuracy-floor failures reached and left through the controls in both contexts with the
engine's numbers on the banner, the contexts changing the verdict, metrics equal to the
engine's, the ledger entry, stale values and the render time."""
import math

import pytest
from mlsysim.core.solver import (DPSGDAccountantModel, DPSGDUtilityModel,
                                 GaussianMechanismModel, PrivacyBudgetSolver)

from labkit import fmt, validate_entry
from labs.vol2 import security_privacy_cases as cases

BOTH = {"act1.prediction": "C", "act2.prediction": "D"}
N, DELTA = 50_000, 1e-5                 # the lab's records and delta, restated
BUDGET = {"on_prem": 8.0, "cloud": 3.0}
FLOOR = 0.70


@pytest.fixture
def d(driver):
    return driver("vol2/13")


def accountant(noise, batch, epochs, context=None):
    """The lab's run, recomputed from the engine without the cases module."""
    kw = {} if context is None else {"epsilon": BUDGET[context], "target_accuracy": FLOOR}
    return DPSGDAccountantModel().solve(noise_multiplier=noise, sampling_rate=batch / N,
                                        steps=math.ceil(epochs * N / batch), delta=DELTA, **kw)


def banner_for(d, values):
    return d.node(d.render(BOTH, values), "act2.failure")


def test_act1_correct_option_comes_from_the_engine(d):
    g = GaussianMechanismModel().solve(epsilon=1, delta=1e-5, sensitivity=1)
    bands = {"A": (0, 1.5), "B": (1.5, 3), "C": (3, 10), "D": (10, math.inf)}
    correct = next(k for k, (lo, hi) in bands.items() if lo <= g.sigma < hi)
    # sqrt(2 ln(1.25e5)) = 4.84; the exact calibration (3.73) lies in the same band.
    assert correct == "C" and g.sigma == pytest.approx(4.84, abs=0.01)
    assert 3 <= g.analytic_sigma < 10
    for option in "ABCD":
        tree = d.render({**BOTH, "act1.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(g.sigma)
        overlay = d.node(tree, "act1.overlay")
        assert f"{fmt.num(g.sigma)} patients" in overlay["text"] and "ratio" not in overlay
        assert fmt.num(g.analytic_sigma) in overlay["actual"]


def test_act2_correct_option_comes_from_the_engine(d):
    small, big = accountant(1.0, 256, 10), accountant(1.0, 4096, 10)
    r = big.epsilon / small.epsilon
    bands = {"A": (0, 0.5), "B": (0.5, 1.5), "C": (1.5, 3), "D": (3, math.inf)}
    correct = next(k for k, (lo, hi) in bands.items() if lo <= r < hi)
    # sixteen times the sampling rate at the same epochs: about sqrt(16) = 4 times the epsilon
    assert correct == "D" and 3.5 < r < 5
    for option in "ABCD":
        tree = d.render({**BOTH, "act2.prediction": option})
        assert d.node(tree, "ledger")["entry"]["act2"]["correct"] is (option == correct)
        overlay = d.node(tree, "act2.overlay")
        assert f"ε = {fmt.num(big.epsilon)}" in overlay["actual"]
        assert f"ε = {fmt.num(small.epsilon)}" in overlay["actual"]
        assert "ratio" not in overlay


def test_act1_reflection_follows_the_logarithm(d):
    """delta 1e-5 -> 1e-10 multiplies sigma by sqrt(ln(1.25e10)/ln(1.25e5)), about sqrt(2)."""
    r = (GaussianMechanismModel().solve(epsilon=1, delta=1e-10).sigma
         / GaussianMechanismModel().solve(epsilon=1, delta=1e-5).sigma)
    assert 1.3 < r < 1.5
    fb = d.node(d.render(BOTH, {"act1.reflection": "B"}), "act1.reflection.feedback")
    assert fb["tone"] == "success" and f"{fmt.num(r, 2)} times as large" in fb["text"]


@pytest.mark.parametrize("context", ["on_prem", "cloud"])
def test_act2_reflection_noise_spends_the_budget(d, context):
    """The two noise multipliers the reflection states each spend the context's budget, and
    the large batch's averaged gradient is the less noisy."""
    s0 = cases.noise_for(BUDGET[context], 256, 10)
    s1 = cases.noise_for(BUDGET[context], 4096, 10)
    assert accountant(s0, 256, 10).epsilon == pytest.approx(BUDGET[context], rel=0.01)
    assert accountant(s1, 4096, 10).epsilon == pytest.approx(BUDGET[context], rel=0.01)
    assert s1 > s0 and s0 / 256 > 3 * s1 / 4096
    fb = d.node(d.render(BOTH, {"context": context, "act2.reflection": "B"}),
                "act2.reflection.feedback")
    assert fb["tone"] == "success" and f"{s0:.2f}" in fb["text"] and f"{s1:.2f}" in fb["text"]


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    tree = d.render({"act1.prediction": "B"})
    assert d.node(tree, "act1.tradeoff") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.tradeoff") is None and d.node(tree, "act2.noise") is None


def test_act1_instruments_equal_the_engine(d):
    g = GaussianMechanismModel().solve(epsilon=1, delta=1e-5)
    tree = d.render(BOTH)
    items = {i["label"]: i["value"] for i in d.node(tree, "act1.metrics")["items"]}
    assert items["Noise σ, classical"] == f"{fmt.num(g.sigma)} patients"
    assert items["Noise σ, exact"] == f"{fmt.num(g.analytic_sigma)} patients"
    assert items["95% of releases within"] == f"± {fmt.num(1.96 * g.sigma)} patients"
    fig = d.node(tree, "act1.tradeoff")
    star = next(t for t in fig["figure"]["data"] if t["name"] == "the board's release")
    assert star["y"] == pytest.approx([g.sigma, g.analytic_sigma])
    rows = {r[0]: r for r in fig["table"]["rows"]}
    half = GaussianMechanismModel().solve(epsilon=0.5, delta=1e-5)
    assert rows["0.5"][1:3] == [fmt.num(half.sigma), fmt.num(half.analytic_sigma)]


def test_budget_failure_on_prem_reached_and_left_by_the_noise(d):
    assert banner_for(d, {}) is None                          # on-prem defaults are fine
    tree = d.render(BOTH, {"act2.noise": 0.5})
    banner = d.node(tree, "act2.failure")
    r = accountant(0.5, 1024, 20, "on_prem")
    v = r.violation("privacy budget")
    assert v is not None and len(r.violations) == 1
    assert banner["title"] == "Over the privacy budget"
    assert banner["required"] == f"privacy budget: ε = {fmt.num(v.required.m_as(''))}"
    assert banner["available"] == "ε = 8"
    assert "To get out" in banner["text"]
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    back = d.render(BOTH, {"act2.noise": 1.0})
    assert d.node(back, "act2.failure") is None
    assert d.node(back, "ledger")["entry"]["constraint_hit"] is False


def test_budget_failure_in_the_cloud_and_every_way_out_works(d):
    banner = banner_for(d, {"context": "cloud"})
    r = accountant(1.0, 1024, 20, "cloud")
    assert banner["required"] == f"privacy budget: ε = {fmt.num(r.epsilon)}"
    assert banner["available"] == "ε = 3"
    assert "raise the noise multiplier to 1.4" in banner["text"]
    assert "train for 5 epochs" in banner["text"]
    assert "switch to On-premises" in banner["text"]
    for values in ({"act2.noise": 1.4}, {"act2.epochs": 5}):
        assert banner_for(d, {"context": "cloud", **values}) is None, values
        assert not accountant(values.get("act2.noise", 1.0), 1024, values.get("act2.epochs", 20),
                              "cloud").violations
    assert banner_for(d, {"context": "on_prem"}) is None


@pytest.mark.parametrize("context", ["on_prem", "cloud"])
def test_accuracy_floor_failure_reached_and_left(d, context):
    tree = d.render(BOTH, {"context": context, "act2.noise": 4.0})
    banner = d.node(tree, "act2.failure")
    r = accountant(4.0, 1024, 20, context)
    v = r.violation("accuracy")
    assert v is not None and r.violation("privacy budget") is None
    assert banner["title"] == "Below the accuracy floor"
    assert banner["required"] == "accuracy: 70.0%"
    assert banner["available"] == fmt.percent(v.available.m_as(""), 1)
    floor_eps = PrivacyBudgetSolver().solve(target_accuracy=FLOOR).epsilon
    assert f"ε = {fmt.num(floor_eps)}" in banner["text"]
    assert "lower the noise multiplier to 1.5" in banner["text"]
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    assert banner_for(d, {"context": context, "act2.noise": 1.5}) is None


def test_the_floor_lies_below_every_budget():
    """A run can break the budget or the floor, never both: the banner's units depend on it."""
    assert PrivacyBudgetSolver().solve(target_accuracy=FLOOR).epsilon < min(BUDGET.values())
    assert cases.floor_epsilon() < min(cases.BUDGET.values())


def test_the_contexts_change_the_verdict(d):
    rows = d.node(d.render(BOTH), "act2.contexts")["rows"]
    assert [r[-1] for r in rows] == ["acceptable", "over budget"]
    eps = accountant(1.0, 1024, 20).epsilon
    assert [r[2] for r in rows] == [fmt.num(eps)] * 2
    assert BUDGET["cloud"] < eps < BUDGET["on_prem"]


def test_act2_metrics_equal_the_engine(d):
    tree = d.render(BOTH, {"act2.noise": 1.3, "act2.batch": "2048", "act2.epochs": 35})
    r = accountant(1.3, 2048, 35)
    acc = DPSGDUtilityModel().solve(epsilon=r.epsilon).accuracy
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Privacy spent ε"] == fmt.num(r.epsilon)
    assert items["Accuracy (illustrative)"] == fmt.percent(acc, 1)
    assert items["Sampling rate q"] == fmt.num(2048 / N)
    assert items["Steps T"] == f"{math.ceil(35 * N / 2048):,}"
    assert items["Noise on the averaged gradient"] == f"{fmt.num(1.3 / 2048)} C"
    full = DPSGDAccountantModel().solve(noise_multiplier=1.3, sampling_rate=1.0,
                                        steps=math.ceil(35 * N / 2048), delta=DELTA)
    rows = d.node(tree, "act2.accounting")["rows"]
    assert rows[0][1] == fmt.num(r.epsilon) and rows[1][1] == fmt.num(full.epsilon)
    star = next(t for t in d.node(tree, "act2.tradeoff")["figure"]["data"]
                if t["name"] == "your run")
    assert star["x"] == [pytest.approx(r.epsilon)]


def test_ledger_entry_matches_schema(d):
    for ctx in ("on_prem", "cloud"):
        entry = d.node(d.render(BOTH, {"context": ctx}), "ledger")["entry"]
        assert validate_entry(entry, "vol2.ch13")["context"] == ctx
        assert entry["act2"]["unit"] == "ε" and "_" not in entry["act2"]["decision"]
        assert entry["act2"]["result"] == pytest.approx(accountant(1.0, 1024, 20).epsilon)


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "fleet", "act2.noise": 99, "act2.batch": "3",
                           "act2.epochs": -4})
    assert d.node(tree, "context")["value"] == "on_prem"
    assert d.node(tree, "act2.batch")["value"] == "1024"
    assert d.node(tree, "act2.noise")["value"] == 1.0
    assert d.node(tree, "act2.epochs")["value"] == 20


def test_cases_module_agrees_with_the_engine():
    g = GaussianMechanismModel().solve(epsilon=0.5, delta=1e-6, sensitivity=30 / 10_000)
    assert cases.chapter_mean().sigma == pytest.approx(g.sigma)
    assert cases.abadi().epsilon == pytest.approx(1.26, abs=0.01)   # Abadi et al. 2016
    r = DPSGDAccountantModel().solve(noise_multiplier=1.2, sampling_rate=0.01, steps=1500,
                                     delta=1e-6)
    assert cases.chapter_run().epsilon == pytest.approx(r.epsilon)
