"""Reliability: fleet MTBF, Young-Daly checkpoint interval, lost work, availability, SLOs.

- Fleet of N independent parts with exponential failures: MTBF_fleet = MTBF / N.
- Young 1974 / Daly 2006: optimal checkpoint interval tau = sqrt(2 C M) for checkpoint cost
  C and MTBF M (first order, C << M); the fraction of time wasted ~ C / tau + tau / (2 M)
  (checkpoint overhead + on average half an interval of recomputation per failure).
- Availability: series = product of availabilities; parallel (redundant) = 1 - prod(1 - a).
- Error budget: (1 - SLO) x window (Beyer et al. 2016, "Site Reliability Engineering").
"""
from __future__ import annotations

import math

from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c


class FleetReliabilityResult(SolverResult):
    fleet_mtbf: Quantity
    failures_per_day: float
    prob_no_failure: float


class FleetReliabilityModel(BaseModel):
    """Fleet MTBF = per-device MTBF / N for N ``devices``; probability that a job of
    ``duration`` sees no failure = exp(-duration / fleet MTBF)."""

    requires = ("mtbf", "devices")
    produces = FleetReliabilityResult

    def solve(self, *, mtbf, devices, duration=None) -> FleetReliabilityResult:
        m = c.qty("mtbf", mtbf, c.TIME, c.HOUR, example="50000 hour")
        n = c.positive_int("devices", devices)
        fleet = m / n
        t = c.opt_qty("duration", duration, c.TIME, c.HOUR)
        return FleetReliabilityResult(fleet_mtbf=c.q(fleet, c.HOUR),
                                      failures_per_day=24.0 / fleet,
                                      prob_no_failure=math.exp(-t / fleet) if t else 1.0)


class CheckpointResult(SolverResult):
    optimal_interval: Quantity
    waste_fraction: float
    checkpoint_overhead: float
    expected_rework: float
    expected_lost_work_per_failure: Quantity
    interval_used: Quantity


class YoungDalyModel(BaseModel):
    """Young-Daly optimal checkpoint interval sqrt(2 C M) for checkpoint write time C
    (``checkpoint_time``) and MTBF M, the waste fraction at ``interval`` (default: the
    optimum), and expected lost work per failure = interval / 2 + restart."""

    requires = ("checkpoint_time", "mtbf")
    produces = CheckpointResult

    def solve(self, *, checkpoint_time, mtbf, interval=None, restart_time=None
              ) -> CheckpointResult:
        cc = c.qty("checkpoint_time", checkpoint_time, c.TIME, c.S)
        m = c.qty("mtbf", mtbf, c.TIME, c.S)
        tau_opt = math.sqrt(2 * cc * m)
        tau = tau_opt if interval is None else c.qty("interval", interval, c.TIME, c.S)
        r = 0.0 if restart_time is None else c.qty("restart_time", restart_time, c.TIME, c.S,
                                                   allow_zero=True)
        over, rework = cc / tau, (tau / 2 + r) / m
        return CheckpointResult(optimal_interval=c.q(tau_opt, c.S),
                                waste_fraction=over + rework, checkpoint_overhead=over,
                                expected_rework=rework,
                                expected_lost_work_per_failure=c.q(tau / 2 + r, c.S),
                                interval_used=c.q(tau, c.S))


class AvailabilityResult(SolverResult):
    availability: float
    downtime_per_year: Quantity


class AvailabilityModel(BaseModel):
    """Availability of components in ``series`` (all needed) or ``parallel`` (any one
    suffices), independent failures."""

    requires = ("availabilities",)
    produces = AvailabilityResult

    def solve(self, *, availabilities, composition="series") -> AvailabilityResult:
        comp = c.choice("composition", composition, ("series", "parallel"))
        try:
            values = [c.fraction("availabilities", a, allow_zero=True) for a in availabilities]
        except TypeError:
            raise InvalidInputError("availabilities", "a list of numbers in [0, 1]",
                                    availabilities) from None
        if not values:
            raise InvalidInputError("availabilities", "at least one value", availabilities)
        if comp == "series":
            a = math.prod(values)
        else:
            a = 1.0 - math.prod(1.0 - v for v in values)
        return AvailabilityResult(availability=a,
                                  downtime_per_year=c.q((1 - a) * 365.25 * 24 * 60,
                                                        c.ureg.minute))


class ErrorBudgetResult(SolverResult):
    budget: Quantity
    consumed: float | None
    remaining: Quantity | None


class ErrorBudgetModel(BaseModel):
    """SLO error budget = (1 - slo) x window; ``downtime`` so far gives the share consumed."""

    requires = ("slo",)
    produces = ErrorBudgetResult

    def solve(self, *, slo, window=None, downtime=None) -> ErrorBudgetResult:
        s = c.fraction("slo", slo, allow_one=False)
        w = c.qty("window", window if window is not None else c.q(30, c.DAY), c.TIME,
                  c.ureg.minute)
        budget = (1 - s) * w
        used = c.opt_qty("downtime", downtime, c.TIME, c.ureg.minute, allow_zero=True)
        return ErrorBudgetResult(
            budget=c.q(budget, c.ureg.minute),
            consumed=None if used is None else used / budget,
            remaining=None if used is None else c.q(budget - used, c.ureg.minute))
