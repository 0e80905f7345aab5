"""Vol II Lab 14 under CPython: both predictions graded from direct engine calls
(AdversarialTrainingModel's published points and its any-setting check), the target failures
reached and left through the controls in both contexts with the engine's numbers on the
banner, the contexts changing the verdict, metrics equal to the engine's (accuracy, cost
multiplier, training time, rent), the ledger entry, stale values, render time."""
import statistics
import time

import pytest
from mlsysim import Hardware
from mlsysim.core.constants import Q_
from mlsysim.core.solver import AdversarialTrainingModel, EconomicsModel, TrainingTimeModel

from labkit import fmt, validate_entry
from labs.vol2 import robust_ai_cases as cases

BOTH = {"act1.prediction": "D", "act2.prediction": "D"}
H100 = Hardware.Cloud.H100
# The lab's scenario targets, restated here: (clean, robust).
PRODUCTION = (0.91, 0.15)
HARDENED = (0.90, 0.40)


@pytest.fixture
def d(driver):
    return driver("vol2/14")


def engine(fraction, targets=(None, None), duration=None):
    return AdversarialTrainingModel().solve(
        adversarial_fraction=fraction, dataset="cifar10", attack_steps=7, duration=duration,
        target_accuracy=targets[0], target_robust_accuracy=targets[1])


def standard_hours():
    """Madry et al.'s wide ResNet (46 M weights, 13.3 GFLOP forward, counted here from its
    layers), 80,000 steps of 128 images on one H100."""
    macs = 32 * 32 * 27 * 16 + 32 * 32 * 9 * 16 * 160 + 9 * 32 * 32 * 9 * 160 * 160 \
        + 16 * 16 * 9 * 160 * 320 + 9 * 16 * 16 * 9 * 320 * 320 \
        + 8 * 8 * 9 * 320 * 640 + 9 * 8 * 8 * 9 * 640 * 640 + 640 * 10
    r = TrainingTimeModel().solve(model=None, hardware=H100, steps=80_000, batch_size=128,
                                  flops_per_sample=Q_(3 * 2 * macs, "FLOP"))
    return r.hours


def test_wide_resnet_is_counted_from_its_layers():
    assert cases.wrn_parameters() == pytest.approx(45.9e6, rel=0.01)
    assert cases.wrn_forward_flops() == pytest.approx(13.26e9, rel=0.01)
    assert cases.standard_cifar().hours == pytest.approx(standard_hours())


def test_act1_correct_option_comes_from_the_engine(d):
    standard = engine(0.0)
    robust = standard.robust_accuracy
    bands = {"A": (0.8, 1.01), "B": (0.5, 0.8), "C": (0.1, 0.5), "D": (0.0, 0.1)}
    correct = next(k for k, (lo, hi) in bands.items() if lo <= robust < hi)
    assert correct == "D" and robust < 0.05 and standard.clean_accuracy > 0.9
    for option in "ABCD":
        tree = d.render({**BOTH, "act1.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(robust * 100)
        overlay = d.node(tree, "act1.overlay")
        assert fmt.percent(robust, 1) in overlay["text"] and "ratio" not in overlay
        assert fmt.percent(robust, 1) in overlay["actual"]


def test_act2_correct_option_comes_from_the_engine(d):
    hardened = engine(0.5, HARDENED)
    assert hardened.any_setting_feasible is False
    correct = "D"
    for option in "ABCD":
        tree = d.render({**BOTH, "act2.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)
        overlay = d.node(tree, "act2.overlay")
        # the window's edges, from the engine's end points
        c0, r0 = engine(0.0).clean_accuracy, engine(0.0).robust_accuracy
        c1, r1 = engine(1.0).clean_accuracy, engine(1.0).robust_accuracy
        f_min, f_max = (0.40 - r0) / (r1 - r0), (c0 - 0.90) / (c0 - c1)
        assert f_min > f_max
        assert fmt.percent(f_min, 1) in overlay["text"]
        assert fmt.percent(f_max, 1) in overlay["text"]


def test_production_targets_have_a_window(d):
    """The same engine check says the Production targets can be met: a real choice."""
    assert engine(0.0, PRODUCTION).any_setting_feasible is True
    rows = d.node(d.render(BOTH), "act2.contexts")["rows"]
    c0, r0 = engine(0.0).clean_accuracy, engine(0.0).robust_accuracy
    c1, r1 = engine(1.0).clean_accuracy, engine(1.0).robust_accuracy
    lo, hi = (0.15 - r0) / (r1 - r0), (c0 - 0.91) / (c0 - c1)
    assert rows[0][3] == f"{fmt.percent(lo, 1)} to {fmt.percent(hi, 1)}"
    assert rows[1][3] == "none"


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    tree = d.render({"act1.prediction": "B"})
    assert d.node(tree, "act1.accuracy") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.tradeoff") is None and d.node(tree, "act2.fraction") is None


def test_act1_instruments_equal_the_engine(d):
    tree = d.render(BOTH)
    s = engine(0.0)
    items = {i["label"]: i["value"] for i in d.node(tree, "act1.metrics")["items"]}
    assert items["Clean accuracy"] == fmt.percent(s.clean_accuracy, 1)
    assert items["Under PGD"] == fmt.percent(s.robust_accuracy, 1)
    assert items["Largest L2 length"] == fmt.num(8 / 255 * 3072 ** 0.5)
    fig = d.node(tree, "act1.accuracy")
    attacked = next(t for t in fig["figure"]["data"] if t["name"] == "under PGD")
    assert attacked["y"][0] == pytest.approx(s.robust_accuracy * 100)
    rows = d.node(tree, "act1.size")["rows"]
    assert rows[0][1] == "3,072" and rows[1][1] == "784"


def banner_for(d, values):
    return d.node(d.render(BOTH, values), "act2.targets")


def test_production_failure_reached_and_left_by_the_share(d):
    assert banner_for(d, {}) is None                      # Production, 40% adversarial
    tree = d.render(BOTH, {"act2.fraction": 0.0})
    banner = d.node(tree, "act2.targets")
    r = engine(0.0, PRODUCTION)
    v = r.violations[0]
    assert v.name == "robust accuracy"
    assert banner["required"] == "robust accuracy: " + fmt.percent(v.required.m_as(""), 1)
    assert banner["available"] == fmt.percent(v.available.m_as(""), 1)
    assert "between 30% and 50%" in banner["text"]
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    # too much adversarial data misses the clean target instead
    high = banner_for(d, {"act2.fraction": 0.75})
    assert high["required"] == "clean accuracy: 91.0%"
    assert high["available"] == fmt.percent(engine(0.75).clean_accuracy, 1)
    back = d.render(BOTH, {"act2.fraction": 0.3})
    assert d.node(back, "act2.targets") is None
    assert d.node(back, "ledger")["entry"]["constraint_hit"] is False


def test_hardened_failure_at_every_share_and_left_by_the_context(d):
    for f in (0.0, 0.3, 0.65, 0.7, 0.85, 0.9, 1.0):
        values = {"context": "hardened", "act2.fraction": f}
        banner = banner_for(d, values)
        r = engine(f, HARDENED)
        assert r.violations and banner is not None, f
        assert banner["title"] == "No share of adversarial examples meets both targets"
        worst = max(r.violations, key=lambda v: v.ratio)
        assert banner["required"] == f"{worst.name}: {fmt.percent(worst.required.m_as(''), 1)}"
        assert "switch to the Production targets with a share between 30% and 50%" \
            in banner["text"]
        entry = d.node(d.render(BOTH, values), "ledger")["entry"]
        assert entry["constraint_hit"] is True and entry["context"] == "hardened"
    out = d.render(BOTH, {"context": "production", "act2.fraction": 0.4})
    assert d.node(out, "act2.targets") is None


def test_the_contexts_change_the_verdict(d):
    for f in (0.3, 0.4, 0.5):
        assert banner_for(d, {"context": "production", "act2.fraction": f}) is None
        assert banner_for(d, {"context": "hardened", "act2.fraction": f}) is not None
    rows = d.node(d.render(BOTH, {"act2.fraction": 0.4}), "act2.contexts")["rows"]
    assert rows[0][-1] == "meets both" and rows[1][-1].startswith("misses")


def test_act2_metrics_equal_the_engine(d):
    hours0 = standard_hours()
    for f in (0.0, 0.35, 1.0):
        tree = d.render(BOTH, {"act2.fraction": f})
        r = engine(f, PRODUCTION, Q_(hours0, "hour"))
        items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
        assert items["Clean accuracy"] == fmt.percent(r.clean_accuracy, 1)
        assert items["Accuracy under PGD"] == fmt.percent(r.robust_accuracy, 1)
        assert items["Training compute"] == f"{fmt.num(1 + 7 * f)}x"
        hours = r.training_time.m_as("hour")
        assert hours == pytest.approx(hours0 * (1 + 7 * f))
        want = fmt.duration(hours * 3600) if hours >= 2 else f"{fmt.num(hours * 60)} min"
        assert items["Training time, one H100"] == want
        cost = EconomicsModel().solve(hardware=H100, duration=Q_(hours, "hour"),
                                      price_per_hour=H100.price_per_hour).total_cost
        assert items["Rented cost"] == fmt.usd(cost.m_as("USD"))


def test_tradeoff_curve_is_the_engines(d):
    fig = d.node(d.render(BOTH, {"context": "hardened"}), "act2.tradeoff")["figure"]
    clean = next(t for t in fig["data"] if t["name"] == "clean accuracy")
    robust = next(t for t in fig["data"] if t["name"] == "accuracy under PGD")
    for x, c, r in zip(clean["x"], clean["y"], robust["y"]):
        e = engine(x / 100)
        assert c == pytest.approx(e.clean_accuracy * 100)
        assert r == pytest.approx(e.robust_accuracy * 100)
    # no window is shaded when none exists; one is in Production
    assert not [s for s in fig["layout"]["shapes"] if s["type"] == "rect"]
    prod = d.node(d.render(BOTH), "act2.tradeoff")["figure"]
    assert len([s for s in prod["layout"]["shapes"] if s["type"] == "rect"]) == 1


def test_ledger_entry_matches_schema(d):
    for ctx in ("production", "hardened"):
        entry = d.node(d.render(BOTH, {"context": ctx}), "ledger")["entry"]
        assert validate_entry(entry, "vol2.ch14")["context"] == ctx
        assert entry["act2"]["unit"] == "%" and "_" not in entry["act2"]["decision"]
        assert entry["act2"]["result"] == pytest.approx(engine(0.4).robust_accuracy * 100)


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "cloud", "act2.fraction": 7.5})
    assert d.node(tree, "context")["value"] == "production"
    assert d.node(tree, "act2.fraction")["value"] == pytest.approx(0.4)


def test_no_internal_names_on_screen(d):
    tree = d.render(BOTH, {"context": "hardened"})
    shown = [n for n in d.nodes(tree) if n["kind"] != "ledger"]
    shown.append(d.node(tree, "ledger")["summary"])   # the HUD shows the summary, not the entry
    text = str(shown)
    for name in ("AdversarialTraining", "cifar10", "any_setting", "robust_tradeoff",
                 "vol2.ch14", "_min"):
        assert name not in text, name


def test_median_render_under_20ms(d):
    d.render(BOTH)
    times = []
    for i in range(25):
        t0 = time.perf_counter()
        d.render(BOTH, {"act2.fraction": (i % 21) * 0.05,
                        "context": "hardened" if i % 2 else "production"})
        times.append(time.perf_counter() - t0)
    assert statistics.median(times) < 0.020
