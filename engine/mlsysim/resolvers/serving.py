"""Time to first token under load: the prefill as a queue.

Each request's first token waits for a prefill server, then for its own prefill (the
prompt's forward pass, PrefillDecodeModel). With Poisson arrivals at rate lambda and
``servers`` prefill replicas each finishing 1 / T_prefill requests per second, the wait is
that of an M/M/c queue (Erlang C; Harchol-Balter 2013, Ch. 14) and TTFT = wait + prefill.
The wait's tail is taken from M/M/c (exponential service: conservative, since for a fixed
prompt length the prefill time barely varies; the M/D/1 mean wait is half the M/M/1 one by
Pollaczek-Khinchine, ``mean_wait_deterministic``, one server); the prefill
itself is added as the fixed time it is, not as an exponential with a 4.6x-mean P99. Decode steps that share the GPU
with prefills (continuous batching) lengthen the prefill further; they are not modelled:
this is a prefill-only (disaggregated) server, the best case for TTFT.
"""
from __future__ import annotations

import math

from ..core._base import BaseModel
from ..core.assumptions import assume
from ..core.results import CheckedResult
from ..core.types import Quantity
from . import _common as c
from .queueing import MMcQueueModel
from .transformer import PrefillDecodeModel

P99 = assume("serving.P99", 0.99, "convention",
             "serving SLOs quote the 99th percentile (Vol II Lab 10: P99 TTFT)")


class TTFTResult(CheckedResult):
    prefill_time: Quantity
    service_rate: Quantity
    utilization: float
    mean_wait: Quantity
    mean_wait_deterministic: Quantity | None
    mean_ttft: Quantity
    ttft_percentile: Quantity
    percentile: float
    servers: int
    tp: int
    precision: str


class TTFTModel(BaseModel):
    """Time to first token of ``model`` on ``servers`` replicas of ``tp`` x ``hardware``
    under ``arrival_rate`` requests of ``prompt_tokens``.

    prefill time: PrefillDecodeModel (roofline at ``mfu``, TP AllReduces over ``link``);
    wait: M/M/c with service rate 1 / prefill time per replica; ``ttft_percentile`` = the
    wait's ``percentile`` (default P99) + the prefill time. Violations: the replicas cannot hold the
    weights ("<memory> capacity"), arrivals at or above the prefill capacity ("prefill
    capacity": the queue grows without bound), and a ``target_latency`` the TTFT percentile
    exceeds ("TTFT P99", Vol II Lab 10's 200 ms)."""

    requires = ("model", "hardware", "prompt_tokens", "arrival_rate")
    produces = TTFTResult

    def solve(self, *, model, hardware, prompt_tokens, arrival_rate, servers=1, tp=1,
              precision=None, mfu=1.0, link=None, percentile=P99, target_latency=None
              ) -> TTFTResult:
        lam = c.qty("arrival_rate", arrival_rate, c.RATE, c.S ** -1, example="5 request/s")
        target = c.opt_qty("target_latency", target_latency, c.TIME, c.S)
        pd = PrefillDecodeModel().solve(model=model, hardware=hardware,
                                        prompt_tokens=prompt_tokens, output_tokens=1,
                                        precision=precision, mfu=mfu, tp=tp, link=link)
        t_pre = pd.prefill_time.m_as(c.S)
        q = MMcQueueModel().solve(arrival_rate=c.q(lam, c.S ** -1), service_rate=c.q(1 / t_pre,
                                                                              c.S ** -1),
                                  servers=servers, percentile=percentile)
        n = q.servers
        violations = list(pd.violations) + [
            c.Constraint("prefill capacity", v.required, v.available) for v in q.violations]
        wait = q.mean_wait.m_as(c.S)
        tail = q.wait_percentile.m_as(c.S) + t_pre
        if target is not None and tail > target:
            violations.append(c.Constraint(f"TTFT P{q.percentile * 100:g}", c.q(tail, c.S),
                                           c.q(target, c.S)))
        det = None
        if n == 1:
            rho = q.utilization
            det = c.q(rho * t_pre / (2 * (1 - rho)) if rho < 1 else math.inf, c.S)
        return TTFTResult(
            prefill_time=c.q(t_pre, c.S), service_rate=c.q(1 / t_pre, c.S ** -1),
            utilization=q.utilization, mean_wait=c.q(wait, c.S), mean_wait_deterministic=det,
            mean_ttft=c.q(wait + t_pre, c.S), ttft_percentile=c.q(tail, c.S),
            percentile=q.percentile, servers=n, tp=c.positive_int("tp", tp),
            precision=pd.precision, violations=violations)
