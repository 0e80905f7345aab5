"""Drift: population stability index and the cost of retraining.

PSI = sum_i (a_i - e_i) ln(a_i / e_i) over bins of the expected (training) and actual
(serving) distributions. Rule of thumb (Siddiqi 2006, "Credit Risk Scorecards"): < 0.1 no
significant shift, 0.1-0.25 moderate, > 0.25 major. Empty bins get a small floor ``eps``.
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c


PSI_SMOOTHING = assume("drift.PSI_SMOOTHING", 1e-4, "convention",
                       "floor for empty bins so ln(a/e) stays finite (common PSI practice)")


def _proportions(name, values, eps):
    try:
        vals = [c.num(f"{name}[{i}]", v, lo=0) for i, v in enumerate(values)]
    except TypeError:
        raise InvalidInputError(name, "a sequence of bin counts or proportions", values) \
            from None
    total = sum(vals)
    if not vals or total <= 0:
        raise InvalidInputError(name, "bins with a positive total", values)
    return [max(v / total, eps) for v in vals]


class PSIResult(SolverResult):
    psi: float
    per_bin: list
    level: str


class PopulationStabilityModel(BaseModel):
    """Population stability index between ``expected`` and ``actual`` bin counts."""

    requires = ("expected", "actual")
    produces = PSIResult

    def solve(self, *, expected, actual, smoothing=PSI_SMOOTHING) -> PSIResult:
        eps = c.num("smoothing", smoothing, lo=0, lo_open=True)
        e = _proportions("expected", expected, eps)
        a = _proportions("actual", actual, eps)
        if len(e) != len(a):
            raise InvalidInputError("actual", f"{len(e)} bins like expected", len(a))
        per = [(ai - ei) * math.log(ai / ei) for ai, ei in zip(a, e)]
        psi = sum(per)
        level = "none" if psi < 0.1 else "moderate" if psi < 0.25 else "major"
        return PSIResult(psi=psi, per_bin=per, level=level)


class RetrainingResult(SolverResult):
    optimal_interval: Quantity
    cost_per_day: Quantity
    interval_used: Quantity
    illustrative: bool = True
    source: str = "illustrative: linear accuracy decay, economic-order-quantity style trade-off"


class RetrainingCostModel(BaseModel):
    """Retrain every T at ``retrain_cost``; accuracy decays linearly at ``decay_rate`` (e.g.
    "0.5 %/day": half a percentage point a day) and each percentage point lost costs
    ``loss_per_point`` (e.g. "200 USD/day"). Daily cost = retrain_cost / T + loss x decay x
    T / 2, minimised at T* = sqrt(2 retrain_cost / (loss x decay)). An illustrative model:
    real drift is rarely linear."""

    requires = ("retrain_cost", "decay_rate", "loss_per_point")
    produces = RetrainingResult

    def solve(self, *, retrain_cost, decay_rate, loss_per_point, interval=None
              ) -> RetrainingResult:
        k = c.qty("retrain_cost", retrain_cost, c.CURRENCY, c.USD)
        d = c.qty("decay_rate", decay_rate, c.RATE, c.DAY ** -1, example="0.5 %/day") * 100
        v = c.qty("loss_per_point", loss_per_point, "[currency]/[time]", c.USD / c.DAY,
                  example="200 USD/day")
        t_opt = math.sqrt(2 * k / (v * d))
        t = t_opt if interval is None else c.qty("interval", interval, c.TIME, c.DAY)
        return RetrainingResult(optimal_interval=c.q(t_opt, c.DAY),
                                cost_per_day=c.q(k / t + v * d * t / 2, c.USD / c.DAY),
                                interval_used=c.q(t, c.DAY))
