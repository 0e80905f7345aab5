"""Queueing: Little's law, M/M/1, M/M/c (Erlang C), and tail latency under batching.

Formulas: Kleinrock 1975 (Queueing Systems Vol. 1); Harchol-Balter 2013 ("Performance
Modeling and Design of Computer Systems", Ch. 14): for M/M/c with offered load A = lambda/mu
and rho = A/c < 1, P(wait) = C(c, A) (Erlang C), mean wait C / (c mu - lambda), and
P(W_q > t) = C exp(-(c mu - lambda) t). The response time T = wait + service has
P(T > t) = e^(-mu t) (1 + C mu / (c mu - lambda - mu) (1 - e^(-(c mu - lambda - mu) t)))
(Gross et al. 2008, "Fundamentals of Queueing Theory", Sec. 2.3.1); for M/M/1 it is
exponential with rate mu - lambda, so its P99 is ln(100) / (mu - lambda).
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
from ..core.types import Quantity
from . import _common as c


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
    """P(T > t) for the M/M/c response time (wait + service); see the module doc."""
    gap = servers * mu - lam - mu
    if abs(gap) < 1e-12 * mu:
        return math.exp(-mu * t) * (1 + pw * mu * t)
    return math.exp(-mu * t) * (1 + pw * mu / gap * (1 - math.exp(-gap * t)))


def _quantile(ccdf, p: float, scale: float) -> float:
    """The t with ccdf(t) = 1 - p for a decreasing ccdf (bisection)."""
    lo, hi = 0.0, scale
    while ccdf(hi) > 1 - p:
        hi *= 2
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ccdf(mid) > 1 - p else (lo, mid)
    return hi


class MMcQueueModel(BaseModel):
    """M/M/c queue (M/M/1 with ``servers=1``): utilisation, Erlang C probability of waiting,
    mean wait and response, queue lengths (Little), and the ``percentile`` of the wait,
    t_p = max(0, ln(C / (1 - p)) / (c mu - lambda)), and of the response time (wait +
    service), which is what a user sees. Arrivals at or above the servers' capacity (rho >=
    1) are a violated "server capacity" constraint: the queue grows without bound, and every
    time and length is infinite."""

    requires = ("arrival_rate", "service_rate")
    produces = QueueResult

    def solve(self, *, arrival_rate, service_rate, servers=1, percentile=P99) -> QueueResult:
        lam = c.qty("arrival_rate", arrival_rate, c.RATE, c.S ** -1, example="100 1/s")
        mu = c.qty("service_rate", service_rate, c.RATE, c.S ** -1, example="120 1/s")
        n = c.positive_int("servers", servers)
        p = c.fraction("percentile", percentile, allow_one=False)
        rho = lam / (n * mu)
        if rho >= 1:
            inf = math.inf
            return QueueResult(
                servers=n, utilization=rho, prob_wait=1.0, mean_wait=c.q(inf, c.S),
                mean_response=c.q(inf, c.S), mean_queue_length=inf, mean_in_system=inf,
                wait_percentile=c.q(inf, c.S), response_percentile=c.q(inf, c.S),
                percentile=p, violations=[c.Constraint(
                    "server capacity", c.q(lam, c.S ** -1), c.q(n * mu, c.S ** -1))])
        pw = erlang_c(n, lam / mu)
        wq = pw / (n * mu - lam)
        tp = max(0.0, math.log(pw / (1 - p)) / (n * mu - lam)) if pw > 0 else 0.0
        tr = _quantile(lambda t: response_ccdf(t, n, lam, mu, pw), p, 1 / mu)
        return QueueResult(servers=n, utilization=rho, prob_wait=pw, mean_wait=c.q(wq, c.S),
                           mean_response=c.q(wq + 1 / mu, c.S), mean_queue_length=lam * wq,
                           mean_in_system=lam * (wq + 1 / mu), wait_percentile=c.q(tp, c.S),
                           response_percentile=c.q(tr, c.S), percentile=p)


def erlang_quantile(k: int, rate: float, p: float) -> float:
    """Quantile of the Erlang(k, rate) distribution (time for k Poisson arrivals)."""
    if k <= 0:
        return 0.0

    def cdf(t):
        x = rate * t
        term, s = math.exp(-x), 0.0
        for n in range(k):
            s += term
            term *= x / (n + 1)
        return 1.0 - s

    lo, hi = 0.0, k / rate
    while cdf(hi) < p:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < p else (lo, mid)
    return hi


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
        svc = s0 + b * s1
        util = lam * svc / b
        tail = erlang_quantile(b - 1, lam, p) + svc
        capacity = b / svc if svc > 0 else math.inf
        return BatchingLatencyResult(
            batch_size=b, service_time=c.q(svc, c.S), utilization=util,
            mean_latency=c.q((b - 1) / (2 * lam) + svc, c.S), p_latency=c.q(tail, c.S),
            throughput=c.q(min(lam, capacity), c.S ** -1),
            violations=[] if util < 1 else [c.Constraint(
                "server capacity", c.q(lam, c.S ** -1), c.q(capacity, c.S ** -1))])
