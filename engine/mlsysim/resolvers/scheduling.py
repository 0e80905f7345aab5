"""Scheduling: non-preemptive priority classes sharing servers (FIFO within a class).

Cobham 1954 ("Priority assignment in waiting line problems", J. Operations Research Society
of America 2(1):70-76): with classes k = 1 (highest) .. K, sigma_k = rho_1 + ... + rho_k and
W_0 the mean residual work an arrival finds in service, the mean wait of class k is

    W_k = W_0 / ((1 - sigma_{k-1}) (1 - sigma_k)).

One server, any service distribution (M/G/1): W_0 = sum_i lambda_i E[S_i^2] / 2, with
E[S^2] = (1 + cv^2) E[S]^2. c servers, exponential service at one rate for every class
(Cobham's multi-channel case): W_0 = C(c, A) / (c mu), C the Erlang C probability. Both are
derived in Larson & Odoni 1981, "Urban Operations Research", Sec. 4.9
(http://web.mit.edu/urban_or_book/www/book/chapter4/4.9.html) and Kleinrock 1976 (Queueing
Systems Vol. 2, Ch. 3). FIFO over the same mix waits W_0 / (1 - rho) in every class.

Overload: when the classes together need a server more than all the time, the lowest classes
starve (infinite wait) while higher classes keep finite waits. Classes are served until the
capacity runs out: class k gets throughput min(lambda_k, (1 - sigma_{k-1}) c mu_k), and the
residual work W_0 is computed from those throughputs (the saturated class keeps the servers
always busy).
"""
from __future__ import annotations

import math

from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult
from ..core.types import Quantity
from . import _common as c
from .queueing import erlang_c


def _rates(name, values, k=None):
    """A list of rates (1/s floats); a single rate is repeated ``k`` times."""
    if k is not None and not isinstance(values, (list, tuple)):
        values = [values] * k
    try:
        out = [c.qty(name, v, c.RATE, c.S ** -1, example="10 request/s") for v in values]
    except TypeError:
        raise InvalidInputError(name, "a list of rates, e.g. ['10 1/s', '2 1/s']",
                                values) from None
    if not out or (k is not None and len(out) != k):
        raise InvalidInputError(name, f"{k or 'at least 1'} rate(s), one per class", values)
    return out


class PriorityQueueResult(CheckedResult):
    classes: int
    servers: int
    utilization: float           # offered load / servers, all classes
    class_utilization: list      # lambda_k / (c mu_k) per class
    throughput: list             # rate each class is served at (Quantity)
    mean_wait: list              # per class, highest priority first (Quantity)
    mean_response: list
    fifo_wait: Quantity          # one FIFO queue over the same mix (every class)
    fifo_response: list
    starved: list                # True for a class whose wait is infinite


class PriorityQueueModel(BaseModel):
    """Non-preemptive priority queue with one class per entry of ``arrival_rates`` (highest
    priority first) and ``service_rates`` (one per class, or one for all): each class's mean
    wait and response time by Cobham's formula, beside FIFO over the same mix. ``service_cv``
    is the service time's coefficient of variation (1: exponential; a list gives one per
    class). ``servers`` > 1 needs one exponential service rate for every class (Cobham's
    multi-server case). Offered load above the servers' capacity is a violated "server
    capacity" constraint (load in servers' worth of work, against ``servers``); the classes
    that cannot be served are ``starved`` and wait forever, the others keep finite waits.
    """

    requires = ("arrival_rates", "service_rates")
    produces = PriorityQueueResult

    def solve(self, *, arrival_rates, service_rates, service_cv=1.0, servers=1
              ) -> PriorityQueueResult:
        lam = _rates("arrival_rates", arrival_rates)
        k = len(lam)
        mu = _rates("service_rates", service_rates, k)
        cvs = service_cv if isinstance(service_cv, (list, tuple)) else [service_cv] * k
        if len(cvs) != k:
            raise InvalidInputError("service_cv", f"one value, or {k} (one per class)",
                                    service_cv)
        cvs = [c.num("service_cv", v, lo=0) for v in cvs]
        n = c.positive_int("servers", servers)
        if n > 1 and (len(set(mu)) > 1 or any(v != 1 for v in cvs)):
            raise InvalidInputError("servers", "1, unless every class has the same exponential "
                                    "service (one service rate, service_cv 1)", servers)
        rho = [l / (n * m) for l, m in zip(lam, mu)]
        offered = sum(rho)
        # Throughput of each class once capacity runs out (lower classes starve first).
        served, sigma = [], 0.0
        for l, m in zip(lam, mu):
            x = min(l, max(0.0, 1.0 - sigma) * n * m)
            served.append(x)
            sigma += x / (n * m)
        if n == 1:
            w0 = sum(x * (1 + cv * cv) / (m * m) / 2 for x, m, cv in zip(served, mu, cvs))
        else:
            load = sum(served) / mu[0]
            w0 = (1.0 if load >= n * (1 - 1e-12) else erlang_c(n, load)) / (n * mu[0])
        waits, sigma = [], 0.0
        for r, l, x in zip(rho, lam, served):
            before, sigma = sigma, sigma + r
            waits.append(w0 / ((1 - before) * (1 - sigma)) if sigma < 1 and x == l
                         else math.inf)
        fifo = w0 / (1 - offered) if offered < 1 else math.inf
        return PriorityQueueResult(
            classes=k, servers=n, utilization=offered, class_utilization=rho,
            throughput=[c.q(x, c.S ** -1) for x in served],
            mean_wait=[c.q(w, c.S) for w in waits],
            mean_response=[c.q(w + 1 / m, c.S) for w, m in zip(waits, mu)],
            fifo_wait=c.q(fifo, c.S), fifo_response=[c.q(fifo + 1 / m, c.S) for m in mu],
            starved=[w == math.inf for w in waits],
            violations=[] if offered < 1 else [c.Constraint(
                "server capacity", c.q(offered * n, c.DIMLESS), c.q(n, c.DIMLESS))])
