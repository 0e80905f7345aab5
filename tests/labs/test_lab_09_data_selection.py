"""Lab 09 under CPython: predictions graded from the engine's illustrative curves, feedback per
option, the budget failure state reachable and reversible, the ledger entry, render time."""

import pytest
from mlsysim import Hardware, Models, Q_
from mlsysim.core.solver import (AnnotationBudgetModel, AnnotationBudgetSolver, CurriculumModel,
                                 TrainingTimeModel)

from labkit import fmt, validate_entry
from labs.vol1 import lab_09_data_selection as lab09

BOTH = {"act1.prediction": "C", "act2.prediction": "B"}
CURVE = {"base_accuracy": 0.5, "max_accuracy": 0.92, "label_scale": 20_000}  # ResNet-50 row


@pytest.fixture
def d(driver):
    return driver("vol1/09")


def test_act1_band_matches_engine_curriculum_model(d):
    # The question is about a limited training budget (Wu et al. 2021, Sec. 5: curricula help
    # there); the engine's illustrative curve for that regime is tau_scale 0.6: 1/0.6 = 1.67x.
    speedup = CurriculumModel().solve(target_accuracy=0.80, strategy="curriculum",
                                      regime="limited_budget").speedup_vs_random
    assert speedup == pytest.approx(1 / 0.6)
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == "C")  # band 1.5x-4x
        assert entry["act1"]["actual_value"] == pytest.approx(speedup)
    assert "limited training budget" in d.node(d.render(), "act1.prediction")["label"]


def test_act1_grading_agrees_with_chapter_9(d):
    """Chapter 9 (citing Wu et al. 2021): little or no benefit with a normal budget. With the
    regime switched to normal, the instruments show the curriculum in option A's band."""
    normal = CurriculumModel().solve(target_accuracy=0.80, regime="normal").speedup_by_strategy
    assert normal["curriculum"] < lab09.ACT1_BANDS["A"][1]
    chapter = (lab09.__file__.rsplit("labs_wasm", 1)[0] + "book/vol1/data_selection.qmd")
    text = open(chapter, encoding="utf-8").read()
    assert "with a normal training budget, curricula gave little or no benefit" in \
        " ".join(text.split())
    tree = d.render(BOTH, {"act1.regime": "normal"})
    assert "Normal training budget" in d.node(tree, "act1.regime")["options"][1]["label"]
    assert fmt.ratio(normal["curriculum"]) in d.node(tree, "act1.steps")["caption"]


def test_act2_correct_strategy_matches_engine():
    acc = AnnotationBudgetModel().solve(budget=Q_(3000, "USD"), cost_per_label=Q_(0.15, "USD"), **CURVE).accuracy_by_strategy
    assert max(acc, key=acc.get) == "uncertainty"
    assert lab09.act2_truth()[2] == "B"
    assert lab09.ACT2_BUDGET == pytest.approx(3000) and lab09.CROWD_PRICE == pytest.approx(0.15)


def test_budget_failure_reachable_and_reversible(d):
    # The default plan (random sampling, $3,000) misses the cloud product's 85%.
    tree = d.render(BOTH, {"context": "cloud"})
    banner = d.node(tree, "act2.budget_fail")
    need = AnnotationBudgetSolver().solve(target_accuracy=0.85, cost_per_label=Q_(0.15, "USD"), strategy="random", **CURVE).budget
    assert banner["required"] == fmt.usd(need.m_as("USD")) and banner["available"] == "$3,000"
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    # Reversible by the strategy, by the budget, and back again.
    assert d.node(d.render(BOTH, {"act2.strategy": "uncertainty"}), "act2.budget_fail") is None
    assert d.node(d.render(BOTH, {"act2.budget": 10_000}), "act2.budget_fail") is None
    assert d.node(d.render(BOTH, {"act2.budget": 1_000, "act2.strategy": "uncertainty"}),
                  "act2.budget_fail") is not None


def test_edge_context_has_its_own_floor(d):
    tree = d.render(BOTH, {"context": "edge", "act2.budget": 5_000})
    need = AnnotationBudgetSolver().solve(target_accuracy=0.80, cost_per_label=Q_(0.15, "USD"), strategy="random", **CURVE).budget
    assert need.m_as("USD") < 5_000 and d.node(tree, "act2.budget_fail") is None
    assert d.node(d.render(BOTH, {"context": "cloud", "act2.budget": 5_000}), "act2.budget_fail")


def test_training_time_from_engine(d):
    steps = CurriculumModel().solve(target_accuracy=0.80,
                                    regime="limited_budget").steps_by_strategy["random"]
    # The Edge context trains on the Orin NX GPU alone (the DLAs run only inference graphs).
    for ctx, hw in (("cloud", Hardware.Cloud.H100), ("edge", Hardware.Edge.JetsonOrinNX_GPU)):
        hours = TrainingTimeModel().solve(model=Models.Vision.ResNet50, hardware=hw, steps=steps,
                                          batch_size=256).hours
        items = {i["label"]: i["value"] for i in
                 d.node(d.render(BOTH, {"context": ctx}), "act1.metrics")["items"]}
        assert items["Random order"] == fmt.duration(hours * 3600)


def test_pareto_figure_has_frontier_and_student_point(d):
    fig = d.node(d.render(BOTH, {"act2.budget": 2_000}), "act2.pareto")
    names = [t["name"] for t in fig["figure"]["data"]]
    assert "Pareto frontier" in names and "Your design" in names
    star = fig["figure"]["data"][names.index("Your design")]
    acc = AnnotationBudgetModel().solve(budget=Q_(2000, "USD"), cost_per_label=Q_(0.15, "USD"), strategy="random", **CURVE).accuracy
    assert star["x"] == [2000] and star["y"][0] == pytest.approx(acc * 100)


def test_ledger_entry_matches_schema(d):
    for ctx in ("cloud", "edge"):
        entry = d.node(d.render(BOTH, {"context": ctx}), "ledger")["entry"]
        assert validate_entry(entry, "vol1.ch09")["context"] == ctx
