"""Queueing: Little's law, M/M/1, M/M/c (Erlang C) with its response-time distribution,
M/G/1 (Pollaczek-Khinchine), and tail latency under batching. Priority classes are in
``scheduling.py``.

Formulas: Kleinrock 1975 (Queueing Systems Vol. 1); Harchol-Balter 2013 ("Performance
Modeling and Design of Computer Systems", Ch. 14): for M/M/c with offered load A = lambda/mu
and rho = A/c < 1, P(wait) = C(c, A) (Erlang C), mean wait C / (c mu - lambda), and
P(W_q > t) = C exp(-(c mu - lambda) t). The response time T = wait + service has
P(T > t) = e^(-mu t) (1 + C mu / (c mu - lambda - mu) (1 - e^(-(c mu - lambda - mu) t)))
(Gross et al. 2008, "Fundamentals of Queueing Theory", Sec. 2.3.1); for M/M/1 it is
exponential with rate mu - lambda, so its P99 is ln(100) / (mu - lambda).
M/G/1 mean wait (Pollaczek-Khinchine): W_q = lambda E[S^2] / (2 (1 - rho)) = rho / (1 - rho)
x (1 + cv^2) / 2 x E[S] (Kleinrock 1975, Ch. 5; Harchol-Balter 2013, Ch. 23).
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
from ..core.types import Quantity
from . import _common as c
from ._stats import gamma_quantile


P99 = assume("queueing.P99", 0.99, "convention", "tail latency is usually quoted at P99")


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability an arrival waits in M/M/c (computed with the stable Erlang B recursion)."""
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    rho = offered_load / servers
    return b / (1.0 - rho + rho * b)


class LittlesLawResult(SolverResult):
    in_system: float
    arrival_rate: Quantity
    time_in_system: Quantity


class LittlesLawModel(BaseModel):
    """L = lambda W: give any two of ``in_system`` (L), ``arrival_rate``, ``time_in_system``."""

    requires = ()
    produces = LittlesLawResult

    def solve(self, *, in_system=None, arrival_rate=None, time_in_system=None
              ) -> LittlesLawResult:
        given = [v is not None for v in (in_system, arrival_rate, time_in_system)]
        if sum(given) != 2:
            raise InvalidInputError("in_system", "exactly two of in_system, arrival_rate, "
                                    "time_in_system", sum(given))
        lam = c.opt_qty("arrival_rate", arrival_rate, c.RATE, c.S ** -1)
        w = c.opt_qty("time_in_system", time_in_system, c.TIME, c.S)
        L = None if in_system is None else c.num("in_system", in_system, lo=0, lo_open=True)
        if L is None:
            L = lam * w
        elif lam is None:
            lam = L / w
        else:
            w = L / lam
        return LittlesLawResult(in_system=L, arrival_rate=c.q(lam, c.S ** -1),
                                time_in_system=c.q(w, c.S))


class QueueResult(CheckedResult):
    servers: int
    utilization: float
    prob_wait: float
    mean_wait: Quantity
    mean_response: Quantity
    mean_queue_length: float
    mean_in_system: float
    wait_percentile: Quantity
    response_percentile: Quantity
    percentile: float


def response_ccdf(t: float, servers: int, lam: float, mu: float, pw: float) -> float:
    """P(T > t) for the M/M/c response time (wait + service); see the module doc.

    With g = c mu - lambda - mu and a = C mu / g it is e^(-mu t) (1 - a expm1(-g t)) (accurate
    for small g); when -g t is large that form would overflow (near rho = 1 with g < 0), and
    the equal form (1 + a) e^(-mu t) - a e^(-(c mu - lambda) t) is used instead."""
    gap = servers * mu - lam - mu
    if abs(gap) < 1e-12 * mu:
        return math.exp(-mu * t) * (1 + pw * mu * t)
    a = pw * mu / gap
    if -gap * t < 700.0:
        return math.exp(-mu * t) * (1 - a * math.expm1(-gap * t))
    return (1 + a) * math.exp(-mu * t) - a * math.exp(-(servers * mu - lam) * t)


def _quantile(ccdf, p: float, scale: float) -> float:
    """The t with ccdf(t) = 1 - p for a decreasing ccdf: bracket by doubling, then the
    Illinois variant of regula falsi (superlinear; about 10 evaluations instead of 80
    bisections)."""
    target = 1 - p
    lo, hi = 0.0, scale
    while ccdf(hi) > target:
        lo, hi = hi, hi * 2
    flo, fhi = ccdf(lo) - target, ccdf(hi) - target   # flo > 0 >= fhi
    side = 0
    for _ in range(200):
        if fhi == 0.0 or hi - lo <= 1e-13 * hi:
            return hi
        mid = hi - fhi * (hi - lo) / (fhi - flo)
        fmid = ccdf(mid) - target
        if abs(fmid) <= 1e-13 * target:
            return mid
        if fmid > 0:
            lo, flo = mid, fmid
            if side == 1:
                fhi /= 2
            side = 1
        else:
            hi, fhi = mid, fmid
            if side == -1:
                flo /= 2
            side = -1
    return hi


class MMcQueueModel(BaseModel):
    """M/M/c queue (M/M/1 with ``servers=1``): utilisation, Erlang C probability of waiting,
    mean wait and response, queue lengths (Little), and the ``percentile`` of the wait,
    t_p = max(0, ln(C / (1 - p)) / (c mu - lambda)), and of the response time (wait +
    service), which is what a user sees. Arrivals at or above the servers' capacity (rho >=
    1) are a violated "server capacity" constraint: the queue grows without bound, and every
    time and length is infinite. With ``target_latency`` (an SLO on the response-time
    ``percentile``), a response percentile above it is a violated "latency SLO" constraint.
    ``ResponseTimeDistributionModel`` gives the whole response-time distribution."""

    requires = ("arrival_rate", "service_rate")
    produces = QueueResult

    def solve(self, *, arrival_rate, service_rate, servers=1, percentile=P99,
              target_latency=None) -> QueueResult:
        lam, mu, n = _mmc_inputs(arrival_rate, service_rate, servers)
        p = c.fraction("percentile", percentile, allow_one=False)
        slo = c.opt_qty("target_latency", target_latency, c.TIME, c.S)
        rho = lam / (n * mu)
        if rho >= 1:
            inf = math.inf
            return QueueResult(
                servers=n, utilization=rho, prob_wait=1.0, mean_wait=c.q(inf, c.S),
                mean_response=c.q(inf, c.S), mean_queue_length=inf, mean_in_system=inf,
                wait_percentile=c.q(inf, c.S), response_percentile=c.q(inf, c.S),
                percentile=p, violations=_capacity(lam, n * mu) + (
                    [] if slo is None else c.violation("latency SLO", inf, slo, c.S)))
        pw = erlang_c(n, lam / mu)
        wq = pw / (n * mu - lam)
        tp = max(0.0, math.log(pw / (1 - p)) / (n * mu - lam)) if pw > 0 else 0.0
        tr = _quantile(lambda t: response_ccdf(t, n, lam, mu, pw), p, 1 / mu)
        return QueueResult(servers=n, utilization=rho, prob_wait=pw, mean_wait=c.q(wq, c.S),
                           mean_response=c.q(wq + 1 / mu, c.S), mean_queue_length=lam * wq,
                           mean_in_system=lam * (wq + 1 / mu), wait_percentile=c.q(tp, c.S),
                           response_percentile=c.q(tr, c.S), percentile=p,
                           violations=[] if slo is None else c.violation(
                               "latency SLO", tr, slo, c.S))


def _mmc_inputs(arrival_rate, service_rate, servers):
    lam = c.qty("arrival_rate", arrival_rate, c.RATE, c.S ** -1, example="100 1/s")
    mu = c.qty("service_rate", service_rate, c.RATE, c.S ** -1, example="120 1/s")
    return lam, mu, c.positive_int("servers", servers)


def _capacity(lam: float, capacity: float) -> list:
    """The violated "server capacity" constraint (arrivals against what the servers
    complete), as MMcQueueModel reports it."""
    return [c.Constraint("server capacity", c.q(lam, c.S ** -1), c.q(capacity, c.S ** -1))]


def erlang_quantile(k: int, rate: float, p: float) -> float:
    """Quantile of the Erlang(k, rate) distribution (time for k Poisson arrivals): the gamma
    quantile, O(sqrt k) work (a sum of k Poisson terms underflowed past k ~ 745)."""
    if k <= 0:
        return 0.0
    return gamma_quantile(k, p) / rate


def batch_tail(lam: float, b: int, s0: float, s1: float, p: float):
    """(service time, utilisation, percentile latency) of a batch of b, in seconds: the
    arithmetic of BatchingLatencyModel on floats, for solvers that search over b."""
    svc = s0 + b * s1
    return svc, lam * svc / b, erlang_quantile(b - 1, lam, p) + svc


class BatchingLatencyResult(CheckedResult):
    batch_size: int
    service_time: Quantity
    utilization: float
    mean_latency: Quantity
    p_latency: Quantity
    throughput: Quantity


class BatchingLatencyModel(BaseModel):
    """Latency of a server that waits for ``batch_size`` Poisson arrivals, then runs the batch
    in ``base_time + batch_size x per_item_time`` (e.g. from IronLawModel).

    The first request of a batch waits for b - 1 more arrivals (Erlang(b-1, lambda)); its
    latency is that fill time plus the service time. ``p_latency`` is that request's
    ``percentile`` (the worst position in the batch); ``mean_latency`` averages over
    positions, (b-1)/(2 lambda) + service. Queueing between batches is not modelled, so the
    result requires utilisation lambda x service / b < 1 and is optimistic near 1; at or
    above 1, arrivals exceed what batches of b can serve (a violated "server capacity"
    constraint: the backlog grows without bound).
    """

    requires = ("arrival_rate", "batch_size", "base_time", "per_item_time")
    produces = BatchingLatencyResult

    def solve(self, *, arrival_rate, batch_size, base_time, per_item_time, percentile=P99
              ) -> BatchingLatencyResult:
        lam = c.qty("arrival_rate", arrival_rate, c.RATE, c.S ** -1)
        b = c.positive_int("batch_size", batch_size)
        s0 = c.qty("base_time", base_time, c.TIME, c.S, allow_zero=True)
        s1 = c.qty("per_item_time", per_item_time, c.TIME, c.S, allow_zero=True)
        p = c.fraction("percentile", percentile, allow_one=False)
        svc, util, tail = batch_tail(lam, b, s0, s1, p)
        capacity = b / svc if svc > 0 else math.inf
        return BatchingLatencyResult(
            batch_size=b, service_time=c.q(svc, c.S), utilization=util,
            mean_latency=c.q((b - 1) / (2 * lam) + svc, c.S), p_latency=c.q(tail, c.S),
            throughput=c.q(min(lam, capacity), c.S ** -1),
            violations=[] if util < 1 else [c.Constraint(
                "server capacity", c.q(lam, c.S ** -1), c.q(capacity, c.S ** -1))])


# ---- the response-time distribution (Lab 13's P99 histogram) --------------------------------
PERCENTILES = assume("queueing.PERCENTILES", (0.5, 0.9, 0.99, 0.999), "convention",
                     "median and the tail percentiles latency dashboards usually show")
HISTOGRAM_BINS = assume("queueing.HISTOGRAM_BINS", 40, "convention",
                        "bins of a latency histogram: fine enough to show the tail's shape")
HISTOGRAM_TOP = assume("queueing.HISTOGRAM_TOP", 0.999, "convention",
                       "a latency histogram spans 0 to the P99.9 response time; the mass "
                       "beyond is reported as tail_probability")


class ResponseTimeDistributionResult(CheckedResult):
    servers: int
    utilization: float
    mean_response: Quantity
    quantiles: dict           # percentile -> response time (Quantity)
    ratio_to_mean: dict       # percentile -> quantile / mean response
    bin_edges: list           # bins + 1 Quantities, 0 to the P99.9 response time
    bin_probabilities: list   # probability of a response time in each bin (sums to ~0.999)
    tail_probability: float   # P(T > last edge)
    prob_over_target: float | None


class ResponseTimeDistributionModel(BaseModel):
    """The M/M/c response-time (wait + service) distribution of MMcQueueModel: its
    ``percentiles`` and a histogram of ``bins`` equal bins from 0 to the P99.9 (each bin's
    probability is the CDF's rise across it), for a latency histogram instrument. For M/M/1
    the response time is exponential with rate mu - lambda, so every quantile is
    -ln(1 - p) x the mean (P99 = ln 100 = 4.6 x mean; Kleinrock 1975, Harchol-Balter 2013).
    With ``target_latency``, ``prob_over_target`` = P(T > target). An unstable queue (rho >=
    1) is a violated "server capacity" constraint (no distribution: times are infinite)."""

    requires = ("arrival_rate", "service_rate")
    produces = ResponseTimeDistributionResult

    def solve(self, *, arrival_rate, service_rate, servers=1, percentiles=PERCENTILES,
              bins=HISTOGRAM_BINS, target_latency=None) -> ResponseTimeDistributionResult:
        lam, mu, n = _mmc_inputs(arrival_rate, service_rate, servers)
        try:
            ps = [c.fraction("percentiles", v, allow_one=False) for v in percentiles]
        except TypeError:
            raise InvalidInputError("percentiles", "a list of fractions in (0, 1)",
                                    percentiles) from None
        k = c.positive_int("bins", bins)
        slo = c.opt_qty("target_latency", target_latency, c.TIME, c.S)
        rho = lam / (n * mu)
        if rho >= 1:
            inf = math.inf
            return ResponseTimeDistributionResult(
                servers=n, utilization=rho, mean_response=c.q(inf, c.S),
                quantiles={p: c.q(inf, c.S) for p in ps}, ratio_to_mean={p: math.nan for p in ps},
                bin_edges=[], bin_probabilities=[], tail_probability=1.0,
                prob_over_target=None if slo is None else 1.0,
                violations=_capacity(lam, n * mu))
        pw = erlang_c(n, lam / mu)
        mean = pw / (n * mu - lam) + 1 / mu

        def ccdf(t):
            return response_ccdf(t, n, lam, mu, pw)

        qs = {p: _quantile(ccdf, p, 1 / mu) for p in ps}
        top = _quantile(ccdf, HISTOGRAM_TOP, 1 / mu)
        edges = [top * i / k for i in range(k + 1)]
        tail = [ccdf(t) for t in edges]
        return ResponseTimeDistributionResult(
            servers=n, utilization=rho, mean_response=c.q(mean, c.S),
            quantiles={p: c.q(t, c.S) for p, t in qs.items()},
            ratio_to_mean={p: t / mean for p, t in qs.items()},
            bin_edges=[c.q(t, c.S) for t in edges],
            bin_probabilities=[tail[i] - tail[i + 1] for i in range(k)],
            tail_probability=tail[-1],
            prob_over_target=None if slo is None else ccdf(slo))


# ---- M/G/1: Pollaczek-Khinchine -------------------------------------------------------------
class MG1QueueResult(CheckedResult):
    utilization: float
    mean_service: Quantity
    service_cv: float
    mean_wait: Quantity
    mean_response: Quantity
    mean_queue_length: float
    mean_in_system: float
    wait_vs_exponential: float   # (1 + cv^2) / 2: this queue's wait over M/M/1's


class MG1QueueModel(BaseModel):
    """M/G/1 queue (one server, Poisson arrivals, any service-time distribution) by the
    Pollaczek-Khinchine mean-value formula (Kleinrock 1975, Ch. 5; Harchol-Balter 2013,
    Ch. 23): W_q = rho / (1 - rho) x (1 + cv^2) / 2 x E[S], where cv is the service time's
    coefficient of variation ``service_cv`` (std / mean: 1 for exponential service, where it
    is M/M/1; 0 for deterministic service, M/D/1, which waits half as long). Means only: the
    P-K formula gives no percentile without the whole service distribution. rho >= 1 is a
    violated "server capacity" constraint (infinite times)."""

    requires = ("arrival_rate", "service_rate")
    produces = MG1QueueResult

    def solve(self, *, arrival_rate, service_rate, service_cv=1.0) -> MG1QueueResult:
        lam, mu, _ = _mmc_inputs(arrival_rate, service_rate, 1)
        cv = c.num("service_cv", service_cv, lo=0)
        rho, factor = lam / mu, (1 + cv * cv) / 2
        if rho >= 1:
            wq = lq = math.inf
        else:
            wq = rho / (1 - rho) * factor / mu
            lq = lam * wq
        return MG1QueueResult(
            utilization=rho, mean_service=c.q(1 / mu, c.S), service_cv=cv,
            mean_wait=c.q(wq, c.S), mean_response=c.q(wq + 1 / mu, c.S), mean_queue_length=lq,
            mean_in_system=lq + rho if rho < 1 else math.inf, wait_vs_exponential=factor,
            violations=_capacity(lam, mu) if rho >= 1 else [])
