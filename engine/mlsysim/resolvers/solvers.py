"""Inverse problems: the input value that makes a forward model hit a target.

- RequiredBandwidthSolver: memory bandwidth for a latency target (Iron Law, additive form).
- LargestBatchSolver: largest batch whose tail latency meets a P99 target (batching queue).
- FewestGPUsSolver: fewest accelerators for a memory target (ZeRO-3 sharded training
  states) or a throughput target.
(ComputeOptimalSolver, AnnotationBudgetSolver, PrivacyBudgetSolver live with their models.)

A target no value can meet is a violated constraint in the result (``feasible`` False),
never an exception.
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseSolver
from ..core.results import CheckedResult
from ..core.types import Quantity
from . import _common as c
from .iron_law import IronLawModel
from .queueing import batch_tail


P99 = assume("solvers.P99", 0.99, "convention", "tail latency is usually quoted at P99")
MAX_BATCH = assume("solvers.MAX_BATCH", 4096, "convention",
                   "upper end of the batch sizes a solver searches")
MEMORY_FRACTION = assume(
    "solvers.MEMORY_FRACTION", 0.9, "estimate",
    "usable share of accelerator memory after framework overheads and fragmentation")


class RequiredBandwidthResult(CheckedResult):
    required_bandwidth: Quantity
    available_bandwidth: Quantity
    meets_target: bool
    t_compute: Quantity
    t_overhead: Quantity


class RequiredBandwidthSolver(BaseSolver):
    """BW = D / (T - O/(R eta) - L): the memory bandwidth at which the additive Iron Law
    time equals ``target_latency``; the other inputs are IronLawModel's. When compute and
    overhead alone exceed the target no bandwidth is enough: a violated "latency"
    constraint, and an infinite required bandwidth."""

    requires = ("target_latency", "hardware")
    produces = RequiredBandwidthResult

    def solve(self, *, target_latency, hardware, model=None, data_bytes=None, ops=None,
              precision=None, batch_size=1, mfu=1.0, overhead=None, kernels=None
              ) -> RequiredBandwidthResult:
        t = c.qty("target_latency", target_latency, c.TIME, c.S)
        hardware = c.need_hardware(hardware)
        r = IronLawModel().solve(hardware=hardware, model=model, data_bytes=data_bytes, ops=ops,
                                 precision=precision, batch_size=batch_size, mfu=mfu,
                                 overhead=overhead, kernels=kernels)
        rest = r.t_compute.m_as(c.S) + r.t_overhead.m_as(c.S)
        have = hardware.memory.bandwidth.m_as(c.B_PER_S)
        if rest >= t:
            return RequiredBandwidthResult(
                required_bandwidth=c.q(math.inf, c.GB_PER_S),
                available_bandwidth=c.q(have / 1e9, c.GB_PER_S), meets_target=False,
                t_compute=r.t_compute, t_overhead=r.t_overhead,
                violations=[c.Constraint("latency", c.q(rest, c.S), c.q(t, c.S))])
        bw = r.data_bytes.m_as(c.B) / (t - rest)
        return RequiredBandwidthResult(required_bandwidth=c.q(bw / 1e9, c.GB_PER_S),
                                       available_bandwidth=c.q(have / 1e9, c.GB_PER_S),
                                       meets_target=have >= bw, t_compute=r.t_compute,
                                       t_overhead=r.t_overhead)


class LargestBatchResult(CheckedResult):
    batch_size: int
    p_latency: Quantity
    throughput_capacity: Quantity
    smallest_stable_batch: int


class LargestBatchSolver(BaseSolver):
    """Largest batch (<= ``max_batch``) whose ``percentile`` latency under BatchingLatencyModel
    meets ``target_latency`` and whose utilisation is below 1. The tail latency rises with
    the batch, so the answer is found by bisection. When no batch works the result is
    infeasible: "server capacity" when even a batch of ``max_batch`` cannot keep up with the
    arrivals, else "latency" (the smallest stable batch's tail against the target); then
    ``batch_size`` is 0."""

    requires = ("arrival_rate", "base_time", "per_item_time", "target_latency")
    produces = LargestBatchResult

    def solve(self, *, arrival_rate, base_time, per_item_time, target_latency,
              percentile=P99, max_batch=MAX_BATCH) -> LargestBatchResult:
        target = c.qty("target_latency", target_latency, c.TIME, c.S)
        top = c.positive_int("max_batch", max_batch)
        lam = c.qty("arrival_rate", arrival_rate, c.RATE, c.S ** -1)
        s0 = c.qty("base_time", base_time, c.TIME, c.S, allow_zero=True)
        s1 = c.qty("per_item_time", per_item_time, c.TIME, c.S, allow_zero=True)
        pct = c.fraction("percentile", percentile, allow_one=False)

        def tail(b):  # BatchingLatencyModel's percentile latency, on floats (bisection)
            return batch_tail(lam, b, s0, s1, pct)[2]

        def infeasible(name, required, available, unit, b_min):
            return LargestBatchResult(batch_size=0, p_latency=c.q(math.inf, c.S),
                                      throughput_capacity=c.q(0.0, c.S ** -1),
                                      smallest_stable_batch=b_min,
                                      violations=[c.Constraint(name, c.q(required, unit),
                                                               c.q(available, unit))])

        capacity_top = top / (s0 + top * s1) if s0 + top * s1 > 0 else math.inf
        if lam * s1 >= 1 or lam >= capacity_top:
            return infeasible("server capacity", lam, capacity_top, c.S ** -1, 0)
        b_min = max(1, math.floor(lam * s0 / (1 - lam * s1)) + 1)
        first = tail(b_min)
        if first > target:
            return infeasible("latency", first, target, c.S, b_min)
        lo, hi = b_min, top
        if tail(hi) <= target:
            lo = hi
        while hi - lo > 1:  # invariant: lo meets the target, hi does not
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if tail(mid) <= target else (lo, mid)
        svc, _, best = batch_tail(lam, lo, s0, s1, pct)
        return LargestBatchResult(batch_size=lo, p_latency=c.q(best, c.S),
                                  throughput_capacity=c.q(lo / svc, c.S ** -1),
                                  smallest_stable_batch=b_min)


class FewestGPUsResult(CheckedResult):
    gpus: int
    target: str
    per_gpu: Quantity
    required: Quantity


class FewestGPUsSolver(BaseSolver):
    """Fewest accelerators of ``hardware`` for a target.

    Memory (the default): training states of mixed-precision Adam (16 B/param) fully
    sharded with ZeRO-3 plus ``activation_bytes`` per GPU must fit in ``memory_fraction`` of
    memory: n = ceil(16 N / (usable capacity - activations)). Inference weights only with
    ``training=False`` (at the precision rule's precision): n = ceil(weights / usable).
    Activations alone beyond one GPU's usable memory are a violated constraint (gpus 0).
    Throughput (``target_throughput``, any count/s): n = ceil(target / per-GPU throughput),
    the per-GPU throughput from IronLawModel at ``batch_size`` (perfect scaling assumed)."""

    requires = ("hardware", "model")
    produces = FewestGPUsResult

    def solve(self, *, hardware, model=None, target_throughput=None, training=True,
              precision=None, activation_bytes=None, memory_fraction=MEMORY_FRACTION,
              batch_size=1
              ) -> FewestGPUsResult:
        hardware = c.need_hardware(hardware)
        model = c.need_model(model)
        if target_throughput is not None:
            need = c.qty("target_throughput", target_throughput, c.RATE, c.S ** -1)
            r = IronLawModel().solve(hardware=hardware, model=model, precision=precision,
                                     batch_size=batch_size)
            per = r.throughput.m_as(c.S ** -1)
            return FewestGPUsResult(gpus=math.ceil(need / per - 1e-12), target="throughput",
                                    per_gpu=c.q(per, c.S ** -1), required=c.q(need, c.S ** -1))
        frac = c.fraction("memory_fraction", memory_fraction)
        cap = hardware.memory.capacity.m_as(c.B) * frac
        act = 0.0 if activation_bytes is None else c.qty(
            "activation_bytes", activation_bytes, c.BYTES, c.B, allow_zero=True)
        if training:
            states = 16.0 * float(model.parameters)
        else:
            states = c.bytes_of(model, c.precision_for(precision, hardware))
        if act >= cap:
            return FewestGPUsResult(gpus=0, target="memory", per_gpu=c.q(cap, c.B),
                                    required=c.q(states + act, c.B),
                                    violations=[c.Constraint("activation memory per GPU",
                                                             c.q(act, c.B), c.q(cap, c.B))])
        return FewestGPUsResult(gpus=max(1, math.ceil(states / (cap - act) - 1e-12)),
                                target="memory", per_gpu=c.q(cap, c.B),
                                required=c.q(states + act, c.B))
