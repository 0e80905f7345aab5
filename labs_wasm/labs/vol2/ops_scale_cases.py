"""The cases Chapter 28 (book/vol2/ops_scale.qmd) and Vol II Lab 12 both compute, in one place.

Two pieces of operations arithmetic, both the engine's:

- Availability composes. A request that needs every one of n services is up only when all of
  them are (AvailabilityModel, series); a service that runs k independent replicas is down
  only when all of them are (parallel). An SLO leaves an error budget of (1 - SLO) x window
  (ErrorBudgetModel).
- Retries amplify load. A fault makes a share f of attempts fail; clients retry each failure
  up to r times, so every request makes 1 + f + ... + f^r attempts. When those exceed the
  tier's capacity the excess fails too, which adds retries: the load climbs to a fixed point
  (RetryAmplificationModel, a retry storm). The tier's capacity is its replicas times what one
  GPU classifies per second, from the Iron Law (IronLawModel, ResNet-50 in batches of 32).

This module fixes which services, machines, traffic and faults a case means, declares the
scenario constants with their sources or as illustrative, and composes two things the engine
does not model by itself: a retry budget (retries capped at a share of requests, Beyer et al.
2016, Ch. 21) and the time line of an incident (how long the tier stays overloaded when an
autoscaler can add capacity, or cannot).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Hardware, Models, Q_, Systems
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (AvailabilityModel, ErrorBudgetModel, FanOutTailModel,
                                 FleetReliabilityModel, IronLawModel, LittlesLawModel, MMcQueueModel,
                                 RetryAmplificationModel)
from mlsysim.resolvers.ops import attempts

from labkit import fmt

# ---- availability: series and parallel ------------------------------------------------------
#: The SLO window: 30 days, the engine's default (Beyer et al. 2016, Ch. 4, measure SLOs over
#: a rolling window of about a month).
WINDOW_DAYS = 30
WINDOW = Q_(WINDOW_DAYS, "day")
#: Availabilities a service may promise (the usual "nines"), for the lab's selector.
AVAILABILITIES = (0.99, 0.995, 0.999, 0.9995, 0.9999)
#: Act I: five services in series, each available 99% of the month (the issue's brief; an
#: ILLUSTRATIVE scenario: a search request through gateway, features, retrieval, ranking and
#: assembly). The product team's promise for the whole request is the reflection's 99.9%.
LAB_SERVICES = 5
LAB_AVAILABILITY = 0.99
LAB_TARGET = 0.999
#: The chapter's chain: seven services at 99.9% (ILLUSTRATIVE), and a 99.9% promise.
CHAPTER_SERVICES = 7
CHAPTER_AVAILABILITY = 0.999
CHAPTER_TARGET = 0.999


@lru_cache(maxsize=4096)
def service(availability: float, replicas: int = 1) -> float:
    """One service of ``replicas`` independent replicas, any one of which can answer."""
    if replicas == 1:
        return availability
    return AvailabilityModel().solve(availabilities=[availability] * replicas,
                                     composition="parallel").availability


@lru_cache(maxsize=4096)
def chain(services: int, availability: float, replicas: int = 1) -> float:
    """End-to-end availability of ``services`` in series, each ``service(...)``."""
    one = service(availability, replicas)
    return AvailabilityModel().solve(availabilities=[one] * services).availability


def downtime_min(availability: float) -> float:
    """Expected minutes down per SLO window at ``availability``."""
    return (1 - availability) * WINDOW.m_as("min")


@lru_cache(maxsize=64)
def error_budget(slo: float, downtime_min: float | None = None):
    """The engine's error budget over the window (and the share ``downtime_min`` uses)."""
    return ErrorBudgetModel().solve(
        slo=slo, window=WINDOW,
        downtime=None if downtime_min is None else Q_(downtime_min, "min"))


def needed_per_service(target: float, services: int) -> float:
    """The availability each of ``services`` in series must reach for ``target`` overall:
    target^(1/n) (the inverse of the series product)."""
    return target ** (1 / services)


def nines(availability: float) -> float:
    """-log10(1 - a): 99.9% is 3 nines."""
    return -math.log10(1 - availability)


def pct_a(a: float) -> str:
    """An availability with the decimals its nines need: 95.1%, 99.98%, 99.995% (the chapter
    and the lab write every availability with it)."""
    if a >= 1 or nines(a) > 6.05:
        return "over 99.9999%"
    decimals = max(1, math.ceil(nines(a) - 1e-9) - 2)
    text = fmt.percent(a, decimals)
    return text.rstrip("%").rstrip("0").rstrip(".") + "%"


def span(minutes: float) -> str:
    """Downtime in the unit that reads best: seconds, minutes, hours."""
    if minutes >= 120:
        return f"{fmt.num(minutes / 60)} h"
    if minutes >= 1:
        return f"{fmt.num(minutes)} min"
    return fmt.duration(minutes * 60)


# ---- a replica's availability from its failure and restart times ---------------------------
#: A serving replica (one GPU server's process) fails about once a month. ILLUSTRATIVE.
REPLICA_MTBF_H = 30 * 24.0
#: Time to bring a failed replica back (MTTR). ILLUSTRATIVE: Kubernetes reschedules the pod on
#: a healthy node and reloads the model (minutes); on bare metal without an orchestrator a dead
#: server waits for someone to replace or re-image it (hours).
RESTART_MIN = {"kubernetes": 2.0, "bare_metal": 240.0}


@lru_cache(maxsize=8)
def replica_availability(platform: str) -> float:
    """MTBF / (MTBF + MTTR) for one replica on ``platform`` (the engine's fleet model)."""
    return FleetReliabilityModel().solve(devices=1, mtbf=Q_(REPLICA_MTBF_H, "hour"),
                                         repair_time=Q_(RESTART_MIN[platform], "min")
                                         ).device_availability


# ---- the tail at scale (the chapter's fan-out example) ---------------------------------------
#: The chapter's fan-out: a request that gathers 20 shards, each slow beyond its P99 1% of the
#: time (ILLUSTRATIVE width; Volume I worked 100).
CHAPTER_FAN_OUT = 20


@lru_cache(maxsize=16)
def fan_out(n: int, percentile: float = 0.99):
    return FanOutTailModel().solve(fan_out=n, percentile=percentile)


# ---- the serving tier: ResNet-50 image classification on GPUs -------------------------------
MODEL = Models.Vision.ResNet50
#: Images per GPU batch: the server batches calls from many clients (ILLUSTRATIVE, a common
#: serving batch for ResNet-50; the Iron Law gives the batch's time).
BATCH = 32
MACHINES = {"lab": Hardware.Cloud.L4, "chapter": Hardware.Cloud.H100}
#: The lab's tier: image calls per second at peak, and the GPUs provisioned for it. Two of the
#: registry's 8-GPU L4 inference servers. ILLUSTRATIVE scenario: a marketplace that scores
#: every product image on its search pages (5,000 pages/s x 30 images).
LAB_NODE = Systems.Nodes.PCIe_L4x8
RATE = {"lab": 150_000.0, "chapter": 240_000.0}
REPLICAS = {"lab": 2 * LAB_NODE.accelerators, "chapter": 4}
#: The chapter's tier: four H100s classifying one frame per second from each of 240,000 live
#: video streams (ILLUSTRATIVE).
#: The fault of each case: the share of responses lost (a flaky load balancer drops them after
#: the GPU has done the work, so every attempt costs capacity), and the client's retry limit.
#: ILLUSTRATIVE. Three retries is a common client-library default; Beyer et al. 2016, Ch. 21,
#: suggest at most three attempts per request (two retries).
FAULT = {"lab": 0.30, "chapter": 0.50}
RETRIES = {"lab": 3, "chapter": 2}
RETRY_CHOICES = tuple(range(0, 6))


@lru_cache(maxsize=4)
def step(case: str):
    """One batch of ResNet-50 on the case's GPU: the Iron Law's best case (eta = 1)."""
    return IronLawModel().solve(hardware=MACHINES[case], model=MODEL, batch_size=BATCH)


def service_rate(case: str) -> float:
    """Images one GPU classifies per second (a batch of 32 every Iron Law batch time)."""
    return step(case).throughput.m_as("1/s")


def capacity(case: str, replicas: int) -> float:
    return replicas * service_rate(case)


def utilization(case: str, replicas: int | None = None) -> float:
    """The tier's busy share with no fault: calls / capacity."""
    n = REPLICAS[case] if replicas is None else replicas
    return RATE[case] / capacity(case, n)


# ---- retry budgets (composed: the engine retries every failure up to r times) ----------------
#: A per-client retry budget: retries may be at most 10% of requests (Beyer et al. 2016,
#: "Site Reliability Engineering", Ch. 21 "Handling Overload": a request is retried only while
#: the client's ratio of retries to requests is below 10%).
RETRY_BUDGET = 0.10


def budget_share(f: float, r: int) -> float:
    """With a retry budget, the share q of failed requests that may run their retries: all
    of them while 1 + f + ... + f^r stays within 1 + budget, else budget / (extra attempts)."""
    extra = attempts(f, r) - 1
    return 1.0 if extra <= RETRY_BUDGET else RETRY_BUDGET / extra


def budget_attempts(f: float, r: int) -> float:
    """Attempts per request under the retry budget: 1 + q (a - 1), at most 1 + budget."""
    return 1 + budget_share(f, r) * (attempts(f, r) - 1)


def budget_failure(f: float, r: int) -> float:
    """Share of requests that fail under the budget: a request fails when its first attempt
    fails and it is either refused retries (1 - q) or all r retries fail too (q f^r)."""
    q = budget_share(f, r)
    return f * ((1 - q) + q * f ** r)


# ---- one capacity level under a fault ---------------------------------------------------------
@dataclass(frozen=True)
class Phase:
    """The tier with ``replicas`` GPUs while a share ``fault`` of responses is lost."""

    case: str
    fault: float
    retries: int
    budget: bool
    replicas: int
    capacity: float           # attempts/s the GPUs complete
    offered: float            # attempts/s at the fault's failure share (before any feedback)
    settled: float            # attempts/s once overload failures feed back (the fixed point)
    attempt_failure: float    # share of attempts that fail once settled
    request_failure: float    # share of requests that fail, if the excess is shed at once
    violations: tuple         # the engine's "server capacity" constraint, when offered > capacity

    @property
    def overloaded(self) -> bool:
        return bool(self.violations)

    @property
    def rate(self) -> float:
        return RATE[self.case]

    @property
    def per_request(self) -> float:
        """Attempts per request once settled."""
        return self.settled / self.rate

    @property
    def offered_per_request(self) -> float:
        return self.offered / self.rate


@lru_cache(maxsize=8192)
def phase(case: str, fault: float, retries: int, budget: bool, replicas: int) -> Phase:
    """Without a budget: the engine's retry model with the tier's capacity. With a budget: the
    same fixed point with attempts per request capped (budget_attempts), and the engine's
    M/M/c capacity check on the offered attempts."""
    lam, mu = RATE[case], service_rate(case)
    cap = replicas * mu
    if not budget:
        r = RetryAmplificationModel().solve(
            arrival_rate=Q_(lam, "request/s"), retries=retries, failure_probability=fault,
            service_rate=Q_(mu, "request/s"), servers=replicas)
        return Phase(case, fault, retries, budget, replicas, cap, r.offered_load.m_as("1/s"),
                     r.storm_load.m_as("1/s"), r.storm_failure_probability,
                     1 - r.storm_goodput.m_as("1/s") / lam, tuple(r.violations))
    offered = lam * budget_attempts(fault, retries)
    f, load = fault, offered
    for _ in range(200):  # as the engine iterates: rises monotonically to the smallest fixed point
        f = 1 - (1 - fault) * min(1.0, cap / load)
        new = lam * budget_attempts(f, retries)
        if abs(new - load) <= 1e-12 * new:
            break
        load = new
    q = MMcQueueModel().solve(arrival_rate=Q_(offered, "request/s"),
                              service_rate=Q_(mu, "request/s"), servers=replicas)
    over = tuple(v for v in q.violations if v.name == "server capacity")
    return Phase(case, fault, retries, budget, replicas, cap, offered, load, f,
                 budget_failure(f, retries), over)


def largest_safe_retries(case: str, fault: float, replicas: int | None = None,
                         budget: bool = False) -> int | None:
    """The largest retry limit (of 0-5) that keeps the offered attempts within capacity; None
    when even no retries overload the tier."""
    n = REPLICAS[case] if replicas is None else replicas
    safe = [r for r in RETRY_CHOICES if not phase(case, fault, r, budget, n).overloaded]
    return max(safe) if safe else None


# ---- the incident's time line, by platform ---------------------------------------------------
#: How long the fault lasts. ILLUSTRATIVE (an hour before someone finds and drains the bad
#: load balancer).
INCIDENT_MIN = 60.0
#: The tier's SLO: 99.9% of calls answered in time over the window. ILLUSTRATIVE.
SLO = 0.999
#: Kubernetes: the horizontal pod autoscaler sees the saturated GPUs and asks for replicas; the
#: cluster autoscaler adds a GPU node; the new pods pull their image and load the model. The
#: parts: the HPA's default sync period is 15 s (Kubernetes documentation, "Horizontal Pod
#: Autoscaling"); the cluster autoscaler scans every 10 s (its FAQ); booting a cloud GPU node
#: and pulling a multi-gigabyte serving image take minutes. ILLUSTRATIVE total: 5 minutes.
SCALE_UP_MIN = 5.0
#: The autoscaler may add at most one more 8-GPU node to the tier (the node pool's maximum).
#: ILLUSTRATIVE quota.
SCALE_OUT_GPUS = LAB_NODE.accelerators
PLATFORMS = ("kubernetes", "bare_metal")


@dataclass(frozen=True)
class Incident:
    """A fault of INCIDENT_MIN minutes on ``platform``: the tier at the provisioned replicas
    (``first``), then, on Kubernetes, at what the autoscaler reaches (``final``)."""

    platform: str
    shedding: bool
    first: Phase
    final: Phase
    first_min: float          # minutes at the first capacity level
    bad_min: float            # minutes of calls lost (share failing x minutes)
    budget: object            # ErrorBudgetResult: budget, consumed, remaining
    violations: tuple

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def scaled(self) -> bool:
        return self.final.replicas != self.first.replicas

    @property
    def consumed(self) -> float:
        return self.budget.consumed

    @property
    def quota(self) -> int:
        return self.first.replicas + (SCALE_OUT_GPUS if self.platform == "kubernetes" else 0)


def lost_share(p: Phase, shedding: bool) -> float:
    """Share of calls lost at a capacity level. Overloaded without shedding, the queue grows
    without bound (M/M/c has no steady state) and every call times out; with shedding the
    excess is refused at once and the engine's settled failure share applies."""
    if p.overloaded and not shedding:
        return 1.0
    return p.request_failure


@lru_cache(maxsize=8192)
def incident(platform: str, case: str, fault: float, retries: int, budget: bool,
             shedding: bool, replicas: int) -> Incident:
    first = phase(case, fault, retries, budget, replicas)
    final, first_min = first, INCIDENT_MIN
    if platform == "kubernetes" and first.overloaded:
        # The saturated GPUs read 100% busy, so the pod autoscaler asks for more replicas at
        # every sync until its maximum; the cluster autoscaler adds whole nodes, so the tier
        # ends at the node pool's limit: one more 8-GPU server.
        final = phase(case, fault, retries, budget, replicas + SCALE_OUT_GPUS)
        first_min = min(SCALE_UP_MIN, INCIDENT_MIN)
    bad = (first_min * lost_share(first, shedding)
           + (INCIDENT_MIN - first_min) * lost_share(final, shedding))
    eb = error_budget(SLO, bad)
    out = list(final.violations)
    if eb.consumed > 1:
        out.append(Constraint("error budget", Q_(bad, "min"), eb.budget))
    return Incident(platform, shedding, first, final, first_min, bad, eb, tuple(out))


def in_flight(rate: float, seconds: float) -> float:
    """Little's law: attempts in flight at ``rate`` per second, each held ``seconds``."""
    return LittlesLawModel().solve(arrival_rate=Q_(rate, "request/s"),
                                   time_in_system=Q_(seconds, "s")).in_system


#: A client's timeout: how long a caller waits for an attempt before giving up and retrying.
#: ILLUSTRATIVE (1 s for an interactive page's image calls), for the chapter's Little's-law
#: count of work in flight.
TIMEOUT_S = 1.0


# ---- model weights reloaded on a restart (the chapter's platform comparison) ----------------
TIERS = {"object_store": Systems.Storage.Object_Store, "local_nvme": Systems.Storage.Local_NVMe}


def weights_load_s(model, tier: str, precision: str = "fp16") -> float:
    """Seconds to read a model's weights from a storage tier at its read bandwidth."""
    return (model.size_in_bytes(precision).m_as("B")
            / TIERS[tier].read_bandwidth.m_as("B/s"))
