"""Reliability: fleet MTBF, Young-Daly checkpoint interval, lost work, availability, SLOs.

- Fleet of N independent parts with exponential failures: MTBF_fleet = MTBF / N.
- Young 1974 / Daly 2006: optimal checkpoint interval tau = sqrt(2 C M) for checkpoint cost
  C and MTBF M (first order, C << M); the fraction of time wasted ~ C / tau + tau / (2 M)
  (checkpoint overhead + on average half an interval of recomputation per failure).
- Availability: series = product of availabilities; parallel (redundant) = 1 - prod(1 - a).
- Error budget: (1 - SLO) x window (Beyer et al. 2016, "Site Reliability Engineering").
- Availability of a part = MTBF / (MTBF + MTTR); all N parts up at once = A^N (0.999^1000 =
  37%).

Cited failure data: the Llama 3 405B pre-training run (``LLAMA3_405B_INTERRUPTIONS``). The
per-GPU MTBF it implies is the default ``mtbf`` of FleetReliabilityModel.
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c


LLAMA3_URL = "https://arxiv.org/abs/2407.21783"
#: Llama Team 2024, "The Llama 3 Herd of Models", Sec. 3.3.4: "During a 54-day snapshot period
#: of pre-training, we experienced a total of 466 job interruptions. Of these, 47 were planned
#: [...] The remaining 419 were unexpected interruptions" (classified in Table 5; ~78% confirmed
#: or suspected hardware, GPU issues the largest category at 58.7%).
LLAMA3_405B_INTERRUPTIONS = assume(
    "reliability.LLAMA3_405B_INTERRUPTIONS",
    {"failures": 419, "planned": 47, "duration_days": 54, "devices": 16_384},
    "paper", "Llama Team 2024, The Llama 3 Herd of Models, Sec. 3.3.4 and Table 5", LLAMA3_URL,
    "failures = unexpected interruptions of the 405B pre-training job (all causes: GPU, host, "
    "network, software); devices = 16,384 H100s, the largest configuration of Table 4 (the "
    "paper trains on 'up to 16K' GPUs and does not give the snapshot's exact count)")
_L3 = LLAMA3_405B_INTERRUPTIONS
#: The job's MTBF and the per-GPU MTBF it implies (every interruption charged to the GPUs).
LLAMA3_JOB_MTBF_HOURS = assume(
    "reliability.LLAMA3_JOB_MTBF_HOURS", _L3["duration_days"] * 24 / _L3["failures"],
    "estimate", "from Llama Team 2024, Sec. 3.3.4", LLAMA3_URL,
    "54 days x 24 h / 419 unexpected interruptions = 3.09 h between interruptions")
LLAMA3_GPU_MTBF_HOURS = assume(
    "reliability.LLAMA3_GPU_MTBF_HOURS", LLAMA3_JOB_MTBF_HOURS * _L3["devices"],
    "estimate", "from Llama Team 2024, Sec. 3.3.4", LLAMA3_URL,
    "16,384 GPUs x 3.09 h = 50,700 h (5.8 years) per GPU: the job-interrupting failure rate "
    "of one GPU's share of the fleet (host, network and software causes included)")
LLAMA3_SOURCE = ("per-GPU MTBF implied by the Llama 3 405B run: 419 unexpected interruptions "
                 "in 54 days on 16,384 GPUs (Llama Team 2024, Sec. 3.3.4)")


class FleetReliabilityResult(SolverResult):
    fleet_mtbf: Quantity
    failures_per_day: float
    prob_no_failure: float
    mtbf: Quantity                    # per-device MTBF used
    device_availability: float | None
    prob_all_up: float | None
    expected_down: float | None
    source: str


class FleetReliabilityModel(BaseModel):
    """Fleet MTBF = per-device MTBF / N for N ``devices``; probability that a job of
    ``duration`` sees no failure = exp(-duration / fleet MTBF). Without ``mtbf`` the per-GPU
    MTBF implied by the Llama 3 405B run is used (``LLAMA3_GPU_MTBF_HOURS``, about 50,700 h).
    With ``repair_time`` (MTTR): each device is up A = MTBF / (MTBF + MTTR) of the time, all N
    are up at once A^N of the time, and N (1 - A) are down on average."""

    requires = ("devices",)
    produces = FleetReliabilityResult

    def solve(self, *, devices, mtbf=None, duration=None, repair_time=None
              ) -> FleetReliabilityResult:
        if mtbf is None:
            m, source = LLAMA3_GPU_MTBF_HOURS, LLAMA3_SOURCE
        else:
            m = c.qty("mtbf", mtbf, c.TIME, c.HOUR, example="50000 hour")
            source = "mtbf given"
        n = c.positive_int("devices", devices)
        fleet = m / n
        t = c.opt_qty("duration", duration, c.TIME, c.HOUR)
        mttr = c.opt_qty("repair_time", repair_time, c.TIME, c.HOUR, allow_zero=True)
        a = None if mttr is None else m / (m + mttr)
        return FleetReliabilityResult(fleet_mtbf=c.q(fleet, c.HOUR),
                                      failures_per_day=24.0 / fleet,
                                      prob_no_failure=math.exp(-t / fleet) if t else 1.0,
                                      mtbf=c.q(m, c.HOUR), device_availability=a,
                                      prob_all_up=None if a is None else a ** n,
                                      expected_down=None if a is None else n * (1 - a),
                                      source=source)


class ObservedMTBFResult(SolverResult):
    mtbf: Quantity            # of the whole job or fleet
    device_mtbf: Quantity     # of one device, if every failure is charged to the devices
    failures_per_day: float


class ObservedMTBFModel(BaseModel):
    """MTBF from an observed failure count: ``failures`` in ``duration`` on ``devices``
    devices gives the job's MTBF = duration / failures and a per-device MTBF = devices x
    that (exponential failures, independent devices). The Llama 3 405B run
    (``LLAMA3_405B_INTERRUPTIONS``: 419 in 54 days on 16,384 GPUs) gives 3.09 h and 50,700 h.
    """

    requires = ("failures", "duration")
    produces = ObservedMTBFResult

    def solve(self, *, failures, duration, devices=1) -> ObservedMTBFResult:
        f = c.positive_int("failures", failures)
        t = c.qty("duration", duration, c.TIME, c.HOUR, example="54 day")
        n = c.positive_int("devices", devices)
        return ObservedMTBFResult(mtbf=c.q(t / f, c.HOUR), device_mtbf=c.q(n * t / f, c.HOUR),
                                  failures_per_day=24.0 * f / t)


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
        try:  # plain floats in [0, 1] skip the general check (1,000 GPUs stay under 1 ms)
            values = [a if type(a) is float and 0.0 <= a <= 1.0 else
                      c.fraction("availabilities", a, allow_zero=True) for a in availabilities]
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
