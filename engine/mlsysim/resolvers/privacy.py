"""Differential privacy: Gaussian mechanism, composition, and an illustrative DP-SGD curve.

- Gaussian mechanism (Dwork & Roth 2014, "The Algorithmic Foundations of Differential
  Privacy", Thm A.1): sigma = sqrt(2 ln(1.25 / delta)) x sensitivity / epsilon gives
  (epsilon, delta)-DP for epsilon < 1.
- Basic composition of k mechanisms: (k eps, k delta). Advanced composition (Dwork,
  Rothblum & Vadhan 2010; Dwork & Roth Thm 3.20): for any delta' > 0,
  eps' = sqrt(2 k ln(1/delta')) eps + k eps (e^eps - 1), delta_total = k delta + delta'.
- DP-SGD utility (Abadi et al. 2016) depends on model, data and tuning; the curve here is
  illustrative: accuracy rises from a floor towards the non-private accuracy as eps grows.
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel, BaseSolver
from ..core.results import CheckedResult, SolverResult
from . import _common as c

DPSGD_CURVE = assume(
    "privacy.DPSGD_CURVE", {"max_accuracy": 0.95, "base_accuracy": 0.10, "epsilon_scale": 2.0},
    "illustrative", "shape after Abadi et al. 2016 (DP-SGD)", "https://arxiv.org/abs/1607.00133",
    "utility loss shrinks as epsilon grows; real curves are task-dependent")
DELTA_PRIME = assume("privacy.DELTA_PRIME", 1e-5, "convention",
                     "advanced composition slack, of the order of 1/dataset size")
DPSGD_SOURCE = ("illustrative; shape after Abadi et al. 2016 (DP-SGD): utility loss shrinks "
                "as epsilon grows; real curves are task-dependent")


class GaussianMechanismResult(SolverResult):
    sigma: float
    epsilon: float
    delta: float
    sensitivity: float
    valid_regime: bool


class GaussianMechanismModel(BaseModel):
    """Noise scale sigma for (epsilon, delta)-DP; ``valid_regime`` is False for epsilon >= 1,
    where the classic bound is not proven (use the analytic Gaussian mechanism instead)."""

    requires = ("epsilon", "delta")
    produces = GaussianMechanismResult

    def solve(self, *, epsilon, delta, sensitivity=1.0) -> GaussianMechanismResult:
        e = c.num("epsilon", epsilon, lo=0, lo_open=True)
        d = c.fraction("delta", delta, allow_one=False)
        s = c.num("sensitivity", sensitivity, lo=0, lo_open=True)
        sigma = math.sqrt(2 * math.log(1.25 / d)) * s / e
        return GaussianMechanismResult(sigma=sigma, epsilon=e, delta=d, sensitivity=s,
                                       valid_regime=e < 1)


class CompositionResult(SolverResult):
    basic_epsilon: float
    basic_delta: float
    advanced_epsilon: float
    advanced_delta: float
    best_epsilon: float


class CompositionModel(BaseModel):
    """Total privacy loss of ``steps`` (epsilon, delta) mechanisms: basic and advanced
    composition (slack ``delta_prime``); ``best_epsilon`` is the smaller of the two."""

    requires = ("epsilon", "steps")
    produces = CompositionResult

    def solve(self, *, epsilon, steps, delta=0.0, delta_prime=DELTA_PRIME) -> CompositionResult:
        e = c.num("epsilon", epsilon, lo=0, lo_open=True)
        n = c.positive_int("steps", steps)
        d = c.fraction("delta", delta, allow_zero=True, allow_one=False)
        dp = c.fraction("delta_prime", delta_prime, allow_one=False)
        adv = math.sqrt(2 * n * math.log(1 / dp)) * e + n * e * (math.exp(e) - 1)
        return CompositionResult(basic_epsilon=n * e, basic_delta=n * d, advanced_epsilon=adv,
                                 advanced_delta=n * d + dp, best_epsilon=min(n * e, adv))


def dpsgd_accuracy(epsilon: float, *, max_accuracy: float = DPSGD_CURVE["max_accuracy"],
                   base_accuracy: float = DPSGD_CURVE["base_accuracy"],
                   epsilon_scale: float = DPSGD_CURVE["epsilon_scale"]) -> float:
    """Illustrative DP-SGD accuracy: base + (max - base) (1 - exp(-eps / scale)), where max
    is the non-private accuracy and base the accuracy with no signal left."""
    return base_accuracy + (max_accuracy - base_accuracy) * (
        1 - math.exp(-epsilon / epsilon_scale))


class DPSGDUtilityResult(SolverResult):
    accuracy: float
    accuracy_gap: float
    illustrative: bool = True
    source: str = DPSGD_SOURCE


class DPSGDUtilityModel(BaseModel):
    """Illustrative accuracy of DP-SGD at privacy budget epsilon (``dpsgd_accuracy``)."""

    requires = ("epsilon",)
    produces = DPSGDUtilityResult

    def solve(self, *, epsilon, max_accuracy=DPSGD_CURVE["max_accuracy"],
              base_accuracy=DPSGD_CURVE["base_accuracy"],
              epsilon_scale=DPSGD_CURVE["epsilon_scale"]) -> DPSGDUtilityResult:
        e = c.num("epsilon", epsilon, lo=0, lo_open=True)
        top = c.fraction("max_accuracy", max_accuracy)
        lo = c.fraction("base_accuracy", base_accuracy, allow_zero=True)
        sc = c.num("epsilon_scale", epsilon_scale, lo=0, lo_open=True)
        a = dpsgd_accuracy(e, max_accuracy=top, base_accuracy=lo, epsilon_scale=sc)
        return DPSGDUtilityResult(accuracy=a, accuracy_gap=top - a)


class PrivacyBudgetResult(CheckedResult):
    epsilon: float
    accuracy: float
    illustrative: bool = True
    source: str = DPSGD_SOURCE


class PrivacyBudgetSolver(BaseSolver):
    """The privacy budget epsilon at which the illustrative DP-SGD curve just meets
    ``target_accuracy``: the strongest privacy (smallest epsilon) that keeps accuracy at or
    above the target; any larger epsilon also meets it. Closed-form inverse of
    ``dpsgd_accuracy``. A target at or above the non-private accuracy is a violated
    "accuracy" constraint (epsilon is then infinite)."""

    requires = ("target_accuracy",)
    produces = PrivacyBudgetResult

    def solve(self, *, target_accuracy, max_accuracy=DPSGD_CURVE["max_accuracy"],
              base_accuracy=DPSGD_CURVE["base_accuracy"],
              epsilon_scale=DPSGD_CURVE["epsilon_scale"]) -> PrivacyBudgetResult:
        f = c.fraction("target_accuracy", target_accuracy, allow_one=False)
        top = c.fraction("max_accuracy", max_accuracy)
        lo = c.fraction("base_accuracy", base_accuracy, allow_zero=True)
        sc = c.num("epsilon_scale", epsilon_scale, lo=0, lo_open=True)
        if f >= top:
            return PrivacyBudgetResult(epsilon=math.inf, accuracy=top, violations=[
                c.Constraint("accuracy", c.q(f, c.DIMLESS), c.q(top, c.DIMLESS))])
        if f <= lo:
            eps = 0.0
        else:
            eps = -sc * math.log(1 - (f - lo) / (top - lo))
        return PrivacyBudgetResult(epsilon=eps, accuracy=max(f, lo))
