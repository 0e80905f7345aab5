"""Curriculum learning and active learning: ILLUSTRATIVE learning curves for teaching.

Nothing here is a measurement. The curriculum curves depend on the training regime, after
Wu, Dyer & Neyshabur 2021 ("When Do Curricula Work?", ICLR; over 20,000 models trained on
CIFAR-10/100): with a normal training budget on standard benchmarks, curricula give little or no
benefit over random order ("randomly ordered samples perform as well or better than curricula
and anti-curricula"; pacing alone gives a marginal benefit); with a limited training budget
or noisy labels, an easy-to-hard curriculum, but not an anti-curriculum, helps, more as the
budget shrinks. Earlier reports of faster convergence (Bengio et al. 2009, "Curriculum
learning", ICML; Hacohen & Weinshall 2019, "On the power of curriculum learning in training
deep networks", ICML) are the limited-budget shape. Settles 2009 ("Active Learning Literature
Survey", UW-Madison TR 1648): uncertainty and diversity sampling often reach an accuracy with
fewer labels than random sampling. Gains are task-dependent; the parameters below are picked
to show those shapes and are collected in tables so a lab can show them to students.
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel, BaseSolver
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
from ..core.types import Quantity
from . import _common as c

WU_URL = "https://arxiv.org/abs/2012.03107"
CURRICULUM_SOURCE = ("illustrative; by training regime after Wu et al. 2021 (When Do Curricula "
                     "Work?, ICLR): little or no benefit at a normal budget, gains with a "
                     "limited budget or noisy labels; shapes after Bengio et al. 2009 and "
                     "Hacohen & Weinshall 2019")
ACTIVE_SOURCE = ("illustrative; shapes after Settles 2009 (Active Learning Literature "
                 "Survey), gains are task-dependent")

#: Training curves acc(t) = ceiling x max_accuracy x (1 - exp(-t / (tau_scale x tau))), one
#: table per regime. ILLUSTRATIVE. tau_scale < 1 learns faster than random order (speed-up
#: 1 / tau_scale at equal ceilings); ceiling < 1 plateaus lower.
CURRICULUM_CURVES = assume("learning_curves.CURRICULUM_CURVES", {
    # Standard benchmark, normal budget (Wu et al. 2021, Sec. 4): ordering does not matter;
    # pacing gives a marginal gain within run-to-run noise; anti-curriculum no better.
    "normal": {
        "random":     {"tau_scale": 1.00, "ceiling": 1.00},
        "easy_first": {"tau_scale": 1.00, "ceiling": 1.00},
        "hard_first": {"tau_scale": 1.03, "ceiling": 1.00},
        "curriculum": {"tau_scale": 0.97, "ceiling": 1.00},   # ~1.03x: marginal
    },
    # Limited training budget (Wu et al. 2021, Sec. 5, Fig. 6): a paced curriculum helps,
    # more as the budget shrinks; anti-curriculum does not; unpaced easy-first starts fast
    # but plateaus.
    "limited_budget": {
        "random":     {"tau_scale": 1.00, "ceiling": 1.00},
        "easy_first": {"tau_scale": 0.80, "ceiling": 0.97},
        "hard_first": {"tau_scale": 1.25, "ceiling": 1.00},
        "curriculum": {"tau_scale": 0.60, "ceiling": 1.00},   # ~1.7x
    },
    # Noisy labels (Wu et al. 2021, Sec. 5, Fig. 7: curricula help "by a large margin"; the
    # best pacing ignores the noisy examples): random order fits the noise and plateaus
    # lower, hard-first lower still; the curriculum keeps the clean plateau.
    "noisy_labels": {
        "random":     {"tau_scale": 1.00, "ceiling": 0.93},
        "easy_first": {"tau_scale": 0.85, "ceiling": 0.97},
        "hard_first": {"tau_scale": 1.20, "ceiling": 0.90},
        "curriculum": {"tau_scale": 0.80, "ceiling": 1.00},
    },
}, "illustrative", "regimes after Wu et al. 2021, When Do Curricula Work? (ICLR)", WU_URL,
    "the gaps are picked to show each regime's finding; measured gains are task-dependent")
REGIMES = tuple(CURRICULUM_CURVES)
STRATEGIES = tuple(CURRICULUM_CURVES["normal"])

#: Accuracy vs labels acc(n) = a0 + (a_max - a0) x (1 - exp(-n_eff / n_scale)), with
#: n_eff = n x (1 + (gain - 1) x n / (n + n_cold)). ILLUSTRATIVE. ``gain``: label efficiency
#: once warmed up; ``n_cold``: labels before an uncertainty model is good enough to pick well
#: (cold start), so diversity sampling wins at small budgets and uncertainty at large ones.
ACTIVE_LEARNING_CURVES = assume("learning_curves.ACTIVE_LEARNING_CURVES", {
    #  strategy          gain   n_cold
    "random":      {"gain": 1.0, "n_cold": 0.0},
    "uncertainty": {"gain": 2.2, "n_cold": 5000.0},
    "diversity":   {"gain": 1.5, "n_cold": 0.0},
}, "illustrative", "shapes after Settles 2009, Active Learning Literature Survey", None,
    "label-efficiency gains are task-dependent")


CURRICULUM_TASK = assume(
    "learning_curves.CURRICULUM_TASK", {"max_accuracy": 0.9, "tau_steps": 10_000},
    "illustrative", "teaching task for the curriculum curves", None,
    "best accuracy of the task and the random-order time constant, in steps")
ACTIVE_TASK = assume(
    "learning_curves.ACTIVE_TASK",
    {"base_accuracy": 0.5, "max_accuracy": 0.92, "label_scale": 20_000}, "illustrative",
    "teaching task for the active-learning curves", None,
    "accuracy with no labels, plateau, and the label-count constant")


class CurriculumResult(SolverResult):
    strategy: str
    regime: str
    steps_to_target: float
    speedup_vs_random: float
    reachable: bool
    steps_by_strategy: dict
    speedup_by_strategy: dict
    accuracy_at_steps: float | None
    max_accuracy: float     # the curve parameters used, so a caller can show them
    tau_steps: float
    illustrative: bool = True
    source: str = CURRICULUM_SOURCE


def curriculum_accuracy(strategy: str, steps: float, *, regime: str = "normal",
                        tau_steps: float = CURRICULUM_TASK["tau_steps"],
                        max_accuracy: float = CURRICULUM_TASK["max_accuracy"]) -> float:
    """Illustrative accuracy after ``steps`` training steps under ``strategy`` in ``regime``."""
    table = CURRICULUM_CURVES[c.choice("regime", regime, REGIMES)]
    p = table[c.choice("strategy", strategy, STRATEGIES)]
    return p["ceiling"] * max_accuracy * (1.0 - math.exp(-steps / (p["tau_scale"] * tau_steps)))


def _steps_to(p, target, max_accuracy, tau):
    top = p["ceiling"] * max_accuracy
    if target >= top:
        return math.inf
    return -p["tau_scale"] * tau * math.log(1.0 - target / top)


def _speedup(base: float, steps: float) -> float:
    """Random-order steps / a strategy's steps: 0 when the strategy never reaches the target,
    inf when only random order never does, nan when neither does."""
    if steps == math.inf:
        return math.nan if base == math.inf else 0.0
    if base == math.inf:
        return math.inf
    return base / steps if steps else math.inf


class CurriculumModel(BaseModel):
    """Steps to a target accuracy for random, easy-first, hard-first and paced curriculum
    orderings, and the speedup over random order, in a training ``regime``: ``normal``
    (standard benchmark, normal budget: every ordering within a few percent of random),
    ``limited_budget`` or ``noisy_labels`` (a paced curriculum helps, anti-curriculum does
    not), after Wu et al. 2021. The learning curves are illustrative (``CURRICULUM_CURVES``);
    steps are infinite (``reachable`` False) when a strategy's curve plateaus below the target.
    """

    requires = ("target_accuracy",)
    produces = CurriculumResult

    def solve(self, *, target_accuracy, strategy="curriculum", regime="normal",
              max_accuracy=CURRICULUM_TASK["max_accuracy"],
              tau_steps=CURRICULUM_TASK["tau_steps"], steps=None) -> CurriculumResult:
        strategy = c.choice("strategy", strategy, STRATEGIES)
        regime = c.choice("regime", regime, REGIMES)
        amax = c.fraction("max_accuracy", max_accuracy)
        target = c.fraction("target_accuracy", target_accuracy, allow_one=False)
        tau = c.num("tau_steps", tau_steps, lo=0, lo_open=True)
        by = {s: _steps_to(p, target, amax, tau) for s, p in CURRICULUM_CURVES[regime].items()}
        base = by["random"]
        speed = {s: _speedup(base, v) for s, v in by.items()}
        acc = None
        if steps is not None:
            acc = curriculum_accuracy(strategy, c.num("steps", steps, lo=0), regime=regime,
                                      tau_steps=tau, max_accuracy=amax)
        return CurriculumResult(
            strategy=strategy, regime=regime, steps_to_target=by[strategy],
            speedup_vs_random=speed[strategy], reachable=by[strategy] != math.inf,
            steps_by_strategy=by, speedup_by_strategy=speed, accuracy_at_steps=acc,
            max_accuracy=amax, tau_steps=tau)


def active_learning_accuracy(strategy: str, labels: float, *,
                             base_accuracy: float = ACTIVE_TASK["base_accuracy"],
                             max_accuracy: float = ACTIVE_TASK["max_accuracy"],
                             label_scale: float = ACTIVE_TASK["label_scale"]) -> float:
    """Illustrative accuracy after ``labels`` labelled examples chosen by ``strategy``."""
    p = ACTIVE_LEARNING_CURVES[c.choice("strategy", strategy, tuple(ACTIVE_LEARNING_CURVES))]
    n = labels
    n_eff = n * (1.0 + (p["gain"] - 1.0) * (n / (n + p["n_cold"]) if n > 0 else 0.0))
    return base_accuracy + (max_accuracy - base_accuracy) * (1.0 - math.exp(-n_eff / label_scale))


def _curve_params(base_accuracy, max_accuracy, label_scale):
    a0 = c.fraction("base_accuracy", base_accuracy, allow_zero=True, allow_one=False)
    amax = c.fraction("max_accuracy", max_accuracy)
    if amax <= a0:
        raise InvalidInputError("max_accuracy", f"a value above base_accuracy ({a0})",
                                max_accuracy)
    scale = c.num("label_scale", label_scale, lo=0, lo_open=True)
    return a0, amax, scale


def _cost_per_label(value) -> float:
    """Cost per label as USD (or USD/sample) -> float USD."""
    if isinstance(value, c.Q_) and value.dimensionality == c.ureg.dollar.dimensionality / \
            c.ureg.sample.dimensionality:
        value = value * c.q(1.0, c.ureg.sample)
    return c.qty("cost_per_label", value, c.CURRENCY, c.USD, example="0.05 USD")


class AnnotationBudgetResult(SolverResult):
    strategy: str
    budget: Quantity
    cost_per_label: Quantity
    labels: int
    accuracy: float
    accuracy_by_strategy: dict
    illustrative: bool = True
    source: str = ACTIVE_SOURCE


class AnnotationBudgetModel(BaseModel):
    """Labels bought = floor(budget / cost_per_label); accuracy reached by random,
    uncertainty and diversity sampling on illustrative saturating learning curves
    (``ACTIVE_LEARNING_CURVES``).
    """

    requires = ("budget", "cost_per_label")
    produces = AnnotationBudgetResult

    def solve(self, *, budget, cost_per_label, strategy="uncertainty",
              base_accuracy=ACTIVE_TASK["base_accuracy"],
              max_accuracy=ACTIVE_TASK["max_accuracy"],
              label_scale=ACTIVE_TASK["label_scale"]) -> AnnotationBudgetResult:
        strategy = c.choice("strategy", strategy, tuple(ACTIVE_LEARNING_CURVES))
        money = c.qty("budget", budget, c.CURRENCY, c.USD, allow_zero=True, example="5000 USD")
        unit = _cost_per_label(cost_per_label)
        a0, amax, scale = _curve_params(base_accuracy, max_accuracy, label_scale)
        labels = int(math.floor(money / unit + 1e-9))
        by = {s: active_learning_accuracy(s, labels, base_accuracy=a0, max_accuracy=amax,
                                          label_scale=scale) for s in ACTIVE_LEARNING_CURVES}
        return AnnotationBudgetResult(
            strategy=strategy, budget=c.q(money, c.USD), cost_per_label=c.q(unit, c.USD),
            labels=labels, accuracy=by[strategy], accuracy_by_strategy=by)


class AnnotationBudgetSolverResult(CheckedResult):
    strategy: str
    labels: float
    budget: Quantity
    accuracy: float
    illustrative: bool = True
    source: str = ACTIVE_SOURCE


class AnnotationBudgetSolver(BaseSolver):
    """Smallest budget whose labels reach ``target_accuracy`` under a strategy (bisection on
    the number of labels; accuracy rises monotonically with labels); illustrative curves.
    A target at or above the curve's ceiling is a violated "accuracy" constraint (labels and
    budget are then infinite).
    """

    requires = ("target_accuracy", "cost_per_label")
    produces = AnnotationBudgetSolverResult

    def solve(self, *, target_accuracy, cost_per_label, strategy="uncertainty",
              base_accuracy=ACTIVE_TASK["base_accuracy"],
              max_accuracy=ACTIVE_TASK["max_accuracy"],
              label_scale=ACTIVE_TASK["label_scale"]) -> AnnotationBudgetSolverResult:
        strategy = c.choice("strategy", strategy, tuple(ACTIVE_LEARNING_CURVES))
        floor = c.fraction("target_accuracy", target_accuracy, allow_one=False)
        unit = _cost_per_label(cost_per_label)
        a0, amax, scale = _curve_params(base_accuracy, max_accuracy, label_scale)
        if floor >= amax:
            return AnnotationBudgetSolverResult(
                strategy=strategy, labels=math.inf, budget=c.q(math.inf, c.USD), accuracy=amax,
                violations=[c.Constraint("accuracy", c.q(floor, c.DIMLESS),
                                         c.q(amax, c.DIMLESS))])

        def acc(n):
            return active_learning_accuracy(strategy, n, base_accuracy=a0,
                                            max_accuracy=amax, label_scale=scale)

        if acc(0) >= floor:
            n = 0
        else:
            lo, hi = 0, 1
            while acc(hi) < floor:
                lo, hi = hi, hi * 2
            while hi - lo > 1:  # invariant: acc(lo) < floor <= acc(hi)
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if acc(mid) < floor else (lo, mid)
            n = hi
        return AnnotationBudgetSolverResult(strategy=strategy, labels=n,
                                            budget=c.q(n * unit, c.USD), accuracy=acc(n))


class ParetoFrontierResult(SolverResult):
    frontier: list
    indices: list
    dominated: list


def pareto_frontier(points) -> list[int]:
    """Indices of the non-dominated (cost, quality) points: lower cost and higher quality
    are better. A point is dominated when another is no worse in both and better in one.
    Equal points are all kept. Returned in order of increasing cost. O(n log n).
    """
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    keep: list[int] = []
    best = -math.inf
    for i in order:
        cost, qual = points[i]
        if qual > best:
            keep.append(i)
            best = qual
        elif qual == best and keep and points[keep[-1]] == (cost, qual):
            keep.append(i)  # an exact duplicate of a frontier point
    return keep


def _plain(name, v):
    if isinstance(v, c.Q_):
        return float(v.to_base_units().magnitude)
    return c.num(name, v)


class ParetoFrontier(BaseModel):
    """The non-dominated set of (cost, quality) points: minimise cost, maximise quality.

    Exact (sort and sweep). Points are pairs of numbers or Quantities (each coordinate in one
    unit across points).
    """

    requires = ("points",)
    produces = ParetoFrontierResult

    def solve(self, *, points) -> ParetoFrontierResult:
        try:
            pts = [(_plain("points[cost]", p[0]), _plain("points[quality]", p[1]))
                   for p in points]
        except (TypeError, IndexError, KeyError):
            raise InvalidInputError("points", "a sequence of (cost, quality) pairs",
                                    points) from None
        idx = pareto_frontier(pts)
        kept = set(idx)
        return ParetoFrontierResult(frontier=[points[i] for i in idx], indices=idx,
                                    dominated=[i for i in range(len(pts)) if i not in kept])
