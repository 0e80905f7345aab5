"""Drift: population stability index, accuracy decay with detection delay, and the cost of
retraining.

PSI = sum_i (a_i - e_i) ln(a_i / e_i) over bins of the expected (training) and actual
(serving) distributions. Rule of thumb (Siddiqi 2006, "Credit Risk Scorecards"): < 0.1 no
significant shift, 0.1-0.25 moderate, > 0.25 major. Empty bins get a small floor ``eps``.
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
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


DECAY_SOURCE = ("illustrative: accuracy decays at a constant rate (linear) or in proportion to "
                "itself (exponential); a breach is equally likely anywhere between two checks, "
                "so it is detected half a monitoring interval later on average")


class AccuracyDecayResult(CheckedResult):
    decay: str
    time_to_breach: Quantity            # deployment (or retrain) to accuracy < floor
    detection_delay: Quantity           # mean: half the monitoring interval
    worst_detection_delay: Quantity     # the whole interval
    time_below_floor: Quantity          # mean: detection delay + retraining
    worst_time_below_floor: Quantity
    accuracy_at_detection: float
    lowest_accuracy: float              # when the retrained model goes live
    cycle_time: Quantity                # breach + detection + retraining (mean)
    share_below_floor: float            # time below the floor / cycle time
    accuracy_at_duration: float | None
    illustrative: bool = True
    source: str = DECAY_SOURCE


class AccuracyDecayModel(BaseModel):
    """ILLUSTRATIVE accuracy decay after deployment, and what monitoring catches. Accuracy
    starts at ``initial_accuracy`` a0 and falls at ``decay_rate`` d (accuracy per unit time:
    "0.5 %/day" is half a point a day at the start), either ``linear``, a(t) = a0 - d t, or
    ``exponential``, a(t) = a0 exp(-d t / a0) (same initial slope, slowing as it falls). It
    breaches the floor ``target_accuracy`` after t_b = (a0 - floor) / d (linear) or
    (a0 / d) ln(a0 / floor) (exponential). Checks every ``interval`` detect the breach half an
    interval later on average (a whole one at worst); retraining takes ``retrain_time``, so
    accuracy stays below the floor for interval / 2 + retrain_time (infinite with no
    monitoring). With ``tolerated_time``, a mean time below the floor longer than it is a
    violated "time below accuracy floor" constraint. ``duration`` gives the unmonitored
    accuracy after that long."""

    requires = ("initial_accuracy", "target_accuracy", "decay_rate")
    produces = AccuracyDecayResult

    def solve(self, *, initial_accuracy, target_accuracy, decay_rate, decay="exponential",
              interval=None, retrain_time=None, tolerated_time=None, duration=None
              ) -> AccuracyDecayResult:
        a0 = c.fraction("initial_accuracy", initial_accuracy)
        floor = c.fraction("target_accuracy", target_accuracy, allow_one=False)
        d = c.qty("decay_rate", decay_rate, c.RATE, c.DAY ** -1, example="0.5 %/day")
        shape = c.choice("decay", decay, ("linear", "exponential"))
        check = c.opt_qty("interval", interval, c.TIME, c.DAY)
        retrain = c.opt_qty("retrain_time", retrain_time, c.TIME, c.DAY, allow_zero=True) or 0.0
        tol = c.opt_qty("tolerated_time", tolerated_time, c.TIME, c.DAY, allow_zero=True)
        t_end = c.opt_qty("duration", duration, c.TIME, c.DAY, allow_zero=True)

        def acc(t):
            if shape == "linear":
                return max(0.0, a0 - d * t)
            return a0 * math.exp(-d * t / a0)

        if a0 <= floor:
            t_b = 0.0
        else:
            t_b = (a0 - floor) / d if shape == "linear" else a0 / d * math.log(a0 / floor)
        delay = math.inf if check is None else check / 2
        worst = math.inf if check is None else check
        below, worst_below = delay + retrain, worst + retrain
        cycle = t_b + below
        return AccuracyDecayResult(
            decay=shape, time_to_breach=c.q(t_b, c.DAY), detection_delay=c.q(delay, c.DAY),
            worst_detection_delay=c.q(worst, c.DAY), time_below_floor=c.q(below, c.DAY),
            worst_time_below_floor=c.q(worst_below, c.DAY),
            accuracy_at_detection=acc(t_b + delay), lowest_accuracy=acc(t_b + below),
            cycle_time=c.q(cycle, c.DAY),
            share_below_floor=1.0 if cycle == math.inf or cycle == 0 else below / cycle,
            accuracy_at_duration=None if t_end is None else acc(t_end),
            violations=[] if tol is None else c.violation(
                "time below accuracy floor", below, tol, c.DAY))
