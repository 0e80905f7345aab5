import itertools
import math

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InfeasibleError, InvalidInputError
from mlsysim.resolvers import (AnnotationBudgetModel, AnnotationBudgetSolver, CurriculumModel,
                               ParetoFrontier)
from mlsysim.resolvers.learning_curves import (ACTIVE_LEARNING_CURVES, CURRICULUM_CURVES,
                                               active_learning_accuracy, pareto_frontier)


def test_curriculum_is_labelled_illustrative_with_sources():
    r = CurriculumModel().solve(target_accuracy=0.8)
    assert r.illustrative is True
    assert "Wu et al. 2021" in r.source
    assert "Bengio" in r.source and "Hacohen" in r.source
    assert "illustrative" in CurriculumModel.__doc__


def test_curriculum_normal_budget_gives_little_or_no_benefit():
    # Wu, Dyer & Neyshabur 2021 (ICLR), Sec. 4: on standard benchmarks with a normal training
    # budget "curricula have only marginal benefits, and randomly ordered samples perform as
    # well or better than curricula and anti-curricula". The default regime is that one:
    # every ordering within 5% of random order (the old table gave the curriculum 2.5x).
    r = CurriculumModel().solve(target_accuracy=0.8)
    assert r.regime == "normal"
    for strategy, speedup in r.speedup_by_strategy.items():
        assert 0.95 <= speedup <= 1.05, strategy
    assert r.speedup_by_strategy["hard_first"] <= 1.0 <= r.speedup_vs_random


@pytest.mark.parametrize("regime", ["limited_budget", "noisy_labels"])
def test_curriculum_helps_with_a_limited_budget_or_noisy_labels(regime):
    # Wu et al. 2021, Sec. 5: "curriculum, but not anti-curriculum can indeed improve the
    # performance either with limited training time budget or in existence of noisy data".
    s = CurriculumModel().solve(target_accuracy=0.8, regime=regime).speedup_by_strategy
    assert s["random"] == 1.0
    assert s["hard_first"] < 1.0 < 1.5 <= s["curriculum"]
    assert s["curriculum"] == max(s.values())


def test_curriculum_limited_budget_speedup_is_its_pace_factor():
    # same ceiling, exponential curve: speedup = 1 / tau_scale exactly
    r = CurriculumModel().solve(target_accuracy=0.8, regime="limited_budget")
    assert r.speedup_vs_random == pytest.approx(
        1 / CURRICULUM_CURVES["limited_budget"]["curriculum"]["tau_scale"])


def test_curriculum_noisy_labels_lower_random_orders_plateau():
    # noisy labels: random order plateaus at 0.93 x 0.9 = 0.837, so a 0.84 target is never
    # reached in random order while the curriculum (which skips the noise) gets there.
    r = CurriculumModel().solve(target_accuracy=0.84, regime="noisy_labels")
    assert r.steps_by_strategy["random"] == math.inf and r.reachable
    assert r.speedup_vs_random == math.inf


def test_curriculum_steps_closed_form():
    # random: t = -tau ln(1 - target / max) = -10000 ln(1 - 0.8/0.9) = 21972 steps
    r = CurriculumModel().solve(target_accuracy=0.8, strategy="random", tau_steps=10_000,
                                max_accuracy=0.9)
    assert r.steps_to_target == pytest.approx(-10_000 * math.log(1 - 0.8 / 0.9))


def test_curriculum_easy_first_plateaus_below_high_targets():
    # limited budget: easy_first ceiling 0.97 x 0.9 = 0.873: a 0.88 target is never reached.
    r = CurriculumModel().solve(target_accuracy=0.88, strategy="easy_first",
                                regime="limited_budget")
    assert not r.reachable and r.steps_to_target == math.inf and r.speedup_vs_random == 0.0


def test_curriculum_accuracy_at_steps():
    r = CurriculumModel().solve(target_accuracy=0.5, strategy="random", steps=10_000)
    assert r.accuracy_at_steps == pytest.approx(0.9 * (1 - math.exp(-1)))


@pytest.mark.parametrize("kwargs, name", [
    (dict(target_accuracy=0), "target_accuracy"),
    (dict(target_accuracy=1.0), "target_accuracy"),
    (dict(target_accuracy=0.5, strategy="shuffle"), "strategy"),
    (dict(target_accuracy=0.5, regime="short"), "regime"),
    (dict(target_accuracy=0.5, tau_steps=-3), "tau_steps"),
    (dict(target_accuracy=0.5, max_accuracy=1.2), "max_accuracy"),
    (dict(target_accuracy=0.5, steps=-1), "steps"),
])
def test_curriculum_rejects_bad_inputs(kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        CurriculumModel().solve(**kwargs)


def test_annotation_labels_are_budget_over_cost():
    # $5,000 at $0.05 per label buys 100,000 labels.
    r = AnnotationBudgetModel().solve(budget=Q_(5000, "USD"), cost_per_label=Q_(0.05, "USD"))
    assert r.labels == 100_000
    assert r.illustrative and "Settles" in r.source
    assert r.accuracy == r.accuracy_by_strategy["uncertainty"]
    per_sample = AnnotationBudgetModel().solve(budget=Q_(5000, "USD"),
                                               cost_per_label=Q_(0.05, "USD/sample"))
    assert per_sample.labels == 100_000


def test_annotation_diversity_wins_small_budgets_uncertainty_large():
    small = AnnotationBudgetModel().solve(budget=Q_(50, "USD"), cost_per_label=Q_(0.05, "USD"))
    large = AnnotationBudgetModel().solve(budget=Q_(2000, "USD"), cost_per_label=Q_(0.05, "USD"))
    a, b = small.accuracy_by_strategy, large.accuracy_by_strategy
    assert a["diversity"] > a["uncertainty"] and a["diversity"] > a["random"]
    assert b["uncertainty"] > b["diversity"] > b["random"]


def test_annotation_zero_budget_is_base_accuracy():
    r = AnnotationBudgetModel().solve(budget=Q_(0, "USD"), cost_per_label=Q_(1, "USD"))
    assert r.labels == 0 and r.accuracy == 0.5


@settings(max_examples=50, deadline=None)
@given(n=st.integers(0, 10**6), dn=st.integers(1, 10**5),
       strategy=st.sampled_from(sorted(ACTIVE_LEARNING_CURVES)))
def test_annotation_accuracy_monotone_in_labels(n, dn, strategy):
    assert active_learning_accuracy(strategy, n + dn) >= active_learning_accuracy(strategy, n)


@pytest.mark.parametrize("strategy", sorted(ACTIVE_LEARNING_CURVES))
def test_annotation_solver_finds_smallest_budget(strategy):
    r = AnnotationBudgetSolver().solve(target_accuracy=0.85, cost_per_label=Q_(0.05, "USD"),
                                       strategy=strategy)
    assert r.accuracy >= 0.85
    assert active_learning_accuracy(strategy, r.labels - 1) < 0.85
    assert r.budget.m_as("USD") == pytest.approx(r.labels * 0.05)


def test_annotation_solver_random_matches_closed_form():
    # random: n = -scale ln(1 - (floor - a0)/(amax - a0)) = -20000 ln(1 - 0.35/0.42)
    r = AnnotationBudgetSolver().solve(target_accuracy=0.85, cost_per_label=Q_(1, "USD"),
                                       strategy="random")
    assert r.labels == math.ceil(-20_000 * math.log(1 - 0.35 / 0.42))


def test_annotation_solver_infeasible_above_ceiling():
    r = AnnotationBudgetSolver().solve(target_accuracy=0.95, cost_per_label=Q_(1, "USD"))
    assert not r.feasible and r.budget.m_as("USD") == math.inf
    [v] = r.violations
    assert v.name == "accuracy" and v.required == 0.95 and v.available == 0.92
    with pytest.raises(InfeasibleError, match="accuracy"):
        r.raise_if_infeasible()


@pytest.mark.parametrize("kwargs, name", [
    (dict(budget=Q_(-1, "USD")), "budget"),
    (dict(budget=100), "budget"),
    (dict(cost_per_label=Q_(0, "USD")), "cost_per_label"),
    (dict(cost_per_label=Q_(1, "s")), "cost_per_label"),
    (dict(strategy="magic"), "strategy"),
    (dict(max_accuracy=0.4), "max_accuracy"),
])
def test_annotation_rejects_bad_inputs(kwargs, name):
    args = dict(budget=Q_(100, "USD"), cost_per_label=Q_(0.05, "USD")) | kwargs
    with pytest.raises(InvalidInputError, match=name):
        AnnotationBudgetModel().solve(**args)


def test_pareto_frontier_small_example():
    pts = [(1, 0.6), (2, 0.7), (2, 0.65), (3, 0.7), (4, 0.9), (5, 0.8)]
    r = ParetoFrontier().solve(points=pts)
    assert r.frontier == [(1, 0.6), (2, 0.7), (4, 0.9)]
    assert r.dominated == [2, 3, 5]


def test_pareto_frontier_accepts_quantities():
    pts = [(Q_(1, "kUSD"), 0.7), (Q_(500, "USD"), 0.8)]
    assert ParetoFrontier().solve(points=pts).indices == [1]


def test_pareto_rejects_bad_points():
    with pytest.raises(InvalidInputError, match="points"):
        ParetoFrontier().solve(points=[(1,)])


def _dominates(p, q):
    return p[0] <= q[0] and p[1] >= q[1] and p != q


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), max_size=30))
def test_pareto_frontier_is_exactly_the_non_dominated_set(pts):
    idx = set(pareto_frontier(pts))
    brute = {i for i, p in enumerate(pts) if not any(_dominates(q, p) for q in pts)}
    assert idx == brute
    for i, j in itertools.combinations(idx, 2):
        assert not _dominates(pts[i], pts[j]) and not _dominates(pts[j], pts[i])
