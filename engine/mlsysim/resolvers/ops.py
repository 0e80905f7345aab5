"""Operations at scale: the fan-out tail and retry amplification.

- Fan-out (Dean & Barroso 2013, "The Tail at Scale", CACM 56(2):74-80): a request that waits
  for n independent leaf calls, each slow (beyond its ``percentile`` latency) with probability
  p = 1 - percentile, is slow with probability 1 - (1 - p)^n. Their example: 1 in 100 calls
  takes over 1 s; a request that fans out to 100 such servers takes over 1 s 63% of the time.
  For the request to meet the same percentile, each leaf must meet percentile^(1/n).
- Retries: an attempt fails with probability f independently and is retried up to r times, so
  a request makes 1 + f + ... + f^r = (1 - f^(r+1)) / (1 - f) attempts on average and fails
  with probability f^(r+1). Retries at every layer of a call stack multiply (Beyer et al.
  2016, "Site Reliability Engineering", Ch. 22 "Addressing Cascading Failures").
- Retry storm: once the offered attempts exceed capacity C, the excess fails (is shed), which
  raises f, which adds retries: a positive feedback loop (Ch. 22). The storm load is the
  fixed point of L = lambda x attempts(f(L)), f(L) = 1 - (1 - f0) min(1, C / L), found by
  iterating from the offered load (it rises monotonically to the smallest fixed point, at
  most lambda (r + 1)). The model sheds the excess uniformly; it does not model timeouts
  (capacity spent on attempts whose callers already gave up), which can keep a storm going
  after its trigger has passed (Bronson et al. 2021, "Metastable Failures in Distributed
  Systems", HotOS).
"""
from __future__ import annotations

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
from ..core.types import Quantity
from . import _common as c

P99 = assume("ops.P99", 0.99, "convention", "tail latency is usually quoted at P99")
TAIL_URL = "https://doi.org/10.1145/2408776.2408794"


class FanOutTailResult(SolverResult):
    fan_out: int
    prob_call_slow: float        # p = 1 - percentile
    prob_request_slow: float     # 1 - percentile^n
    request_percentile: float    # the percentile a leaf's tail latency becomes: percentile^n
    leaf_percentile_needed: float  # percentile^(1/n): what each leaf must meet instead
    source: str = f"Dean & Barroso 2013, The Tail at Scale, CACM ({TAIL_URL})"


class FanOutTailModel(BaseModel):
    """A request waits for ``fan_out`` independent leaf calls. A call is slow when it takes
    longer than its ``percentile`` latency (P99: 1 call in 100). The request is slow when any
    call is: probability 1 - percentile^n. ``request_percentile`` says which percentile of
    the request the leaf's tail latency is (at n = 100, the leaves' P99 is the requests'
    P36.6); ``leaf_percentile_needed`` is the leaf percentile that keeps the request at
    ``percentile`` (P99 over 100 leaves needs P99.99 leaves)."""

    requires = ("fan_out",)
    produces = FanOutTailResult

    def solve(self, *, fan_out, percentile=P99) -> FanOutTailResult:
        n = c.positive_int("fan_out", fan_out)
        p = c.fraction("percentile", percentile, allow_one=False)
        return FanOutTailResult(fan_out=n, prob_call_slow=1 - p, prob_request_slow=1 - p ** n,
                                request_percentile=p ** n, leaf_percentile_needed=p ** (1 / n))


class RetryAmplificationResult(CheckedResult):
    attempts_per_request: float      # 1 + f + ... + f^r at the healthy failure rate
    offered_load: Quantity           # attempts per second reaching the service
    capacity: Quantity | None
    utilization: float | None
    success_probability: float       # 1 - f^(r+1)
    goodput: Quantity                # requests per second that succeed
    storm_load: Quantity | None      # attempts per second once overload failures feed retries
    storm_failure_probability: float | None
    storm_goodput: Quantity | None


def attempts(f: float, r: int) -> float:
    """Mean attempts per request: 1 + f + ... + f^r."""
    return float(r + 1) if f == 1.0 else (1 - f ** (r + 1)) / (1 - f)


class RetryAmplificationModel(BaseModel):
    """Load a service sees when each of ``arrival_rate`` requests per second is retried up to
    ``retries`` times and an attempt fails with ``failure_probability`` f: lambda (1 + f +
    ... + f^r) attempts per second. With a capacity (``servers`` x ``service_rate``), offered
    attempts above it are a violated "server capacity" constraint, and the result shows the
    retry storm: excess attempts fail, failures add retries, and the load climbs to the fixed
    point ``storm_load`` (see the module doc) while ``storm_goodput`` falls."""

    requires = ("arrival_rate", "retries", "failure_probability")
    produces = RetryAmplificationResult

    def solve(self, *, arrival_rate, retries, failure_probability, service_rate=None,
              servers=1) -> RetryAmplificationResult:
        lam = c.qty("arrival_rate", arrival_rate, c.RATE, c.S ** -1, example="1000 request/s")
        r = c.positive_int("retries", retries, lo=0)
        f0 = c.fraction("failure_probability", failure_probability, allow_zero=True)
        n = c.positive_int("servers", servers)
        a = attempts(f0, r)
        load = lam * a
        per_s = c.S ** -1
        out = dict(attempts_per_request=a, offered_load=c.q(load, per_s),
                   success_probability=1 - f0 ** (r + 1),
                   goodput=c.q(lam * (1 - f0 ** (r + 1)), per_s))
        if service_rate is None:
            if n != 1:
                raise InvalidInputError("servers", "servers with a service_rate (the capacity "
                                        "is servers x service_rate)", servers)
            return RetryAmplificationResult(capacity=None, utilization=None, storm_load=None,
                                            storm_failure_probability=None, storm_goodput=None,
                                            **out)
        cap = n * c.qty("service_rate", service_rate, c.RATE, per_s, example="100 request/s")
        f, L = f0, load
        for _ in range(200):  # monotone iteration to the smallest fixed point
            f = 1 - (1 - f0) * min(1.0, cap / L)
            new = lam * attempts(f, r)
            if abs(new - L) <= 1e-12 * new:
                break
            L = new
        return RetryAmplificationResult(
            capacity=c.q(cap, per_s), utilization=load / cap, storm_load=c.q(L, per_s),
            storm_failure_probability=f, storm_goodput=c.q(lam * (1 - f ** (r + 1)), per_s),
            violations=c.violation("server capacity", load, cap, per_s), **out)
