"""Inverse problems: the input value that makes a forward model hit a target.

- RequiredBandwidthSolver: memory bandwidth for a latency target (Iron Law, additive form).
- LargestBatchSolver: largest batch whose tail latency meets a P99 target (batching queue).
- FewestGPUsSolver: fewest accelerators for a memory target (ZeRO-3 sharded training
  states) or a throughput target.
(ComputeOptimalSolver, AnnotationBudgetSolver, PrivacyBudgetSolver live with their models.)
"""
from __future__ import annotations

import math

from ..core._base import BaseSolver
from ..core.errors import InfeasibleError, InvalidInputError
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c
from .iron_law import IronLawModel
from .queueing import BatchingLatencyModel


class RequiredBandwidthResult(SolverResult):
    required_bandwidth: Quantity
    available_bandwidth: Quantity
    meets_target: bool
    t_compute: Quantity
    t_overhead: Quantity


class RequiredBandwidthSolver(BaseSolver):
    """BW = D / (T - O/(R eta) - L): the memory bandwidth at which the additive Iron Law
    time equals ``target_latency``. Inputs as IronLawModel. InfeasibleError when compute and
    overhead alone exceed the target."""

    requires = ("target_latency", "hardware")
    produces = RequiredBandwidthResult

    def solve(self, target_latency, hardware, workload=None, **iron_law) -> RequiredBandwidthResult:
        t = c.qty("target_latency", target_latency, c.TIME, c.S)
        r = IronLawModel().solve(hardware=hardware, workload=workload, **iron_law)
        rest = r.t_compute.m_as(c.S) + r.t_overhead.m_as(c.S)
        if rest >= t:
            raise InfeasibleError(f"target_latency {t:g} s is below compute + overhead "
                                  f"({rest:g} s): no bandwidth is enough")
        bw = r.data_bytes.m_as(c.B) / (t - rest)
        have = hardware.memory.bandwidth.m_as(c.B_PER_S)
        return RequiredBandwidthResult(required_bandwidth=c.q(bw / 1e9, c.GB_PER_S),
                                       available_bandwidth=c.q(have / 1e9, c.GB_PER_S),
                                       meets_target=have >= bw, t_compute=r.t_compute,
                                       t_overhead=r.t_overhead)


class LargestBatchResult(SolverResult):
    batch_size: int
    p_latency: Quantity
    throughput_capacity: Quantity
    smallest_stable_batch: int


class LargestBatchSolver(BaseSolver):
    """Largest batch (<= ``max_batch``) whose ``percentile`` latency under BatchingLatencyModel
    meets ``latency_target`` and whose utilisation is below 1. The tail latency rises with
    the batch, so the answer is found by bisection. InfeasibleError if no batch works."""

    requires = ("arrival_rate", "base_time", "per_item_time", "latency_target")
    produces = LargestBatchResult

    def solve(self, arrival_rate, base_time, per_item_time, latency_target, *,
              percentile=0.99, max_batch=4096) -> LargestBatchResult:
        target = c.qty("latency_target", latency_target, c.TIME, c.S)
        top = c.positive_int("max_batch", max_batch)
        model = BatchingLatencyModel()

        def run(b):
            return model.solve(arrival_rate=arrival_rate, batch_size=b, base_time=base_time,
                               per_item_time=per_item_time, percentile=percentile)

        first = run(1)
        lam = c.qty("arrival_rate", arrival_rate, c.RATE, c.S ** -1)
        s0, s1 = base_time.m_as(c.S), per_item_time.m_as(c.S)
        if lam * s1 >= 1:
            raise InfeasibleError("per_item_time x arrival_rate >= 1: no batch keeps up")
        b_min = max(1, math.floor(lam * s0 / (1 - lam * s1)) + 1)
        if first.p_latency.m_as(c.S) > target or b_min > top or \
                run(b_min).p_latency.m_as(c.S) > target:
            raise InfeasibleError(f"no batch size meets latency_target {target:g} s at this "
                                  f"arrival rate (smallest stable batch {b_min})")
        lo, hi = b_min, top
        if run(hi).p_latency.m_as(c.S) <= target:
            lo = hi
        while hi - lo > 1:  # invariant: lo meets the target, hi does not
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if run(mid).p_latency.m_as(c.S) <= target else (lo, mid)
        best = run(lo)
        return LargestBatchResult(batch_size=lo, p_latency=best.p_latency,
                                  throughput_capacity=c.q(lo / best.service_time.m_as(c.S),
                                                          c.S ** -1),
                                  smallest_stable_batch=b_min)


class FewestGPUsResult(SolverResult):
    gpus: int
    target: str
    per_gpu: Quantity
    required: Quantity


class FewestGPUsSolver(BaseSolver):
    """Fewest accelerators of ``hardware`` for a target.

    Memory (give ``workload``, ``mode="memory"``): training states of mixed-precision Adam
    (16 B/param) fully sharded with ZeRO-3 plus ``activation_bytes`` per GPU must fit in
    ``usable_fraction`` of memory: n = ceil(16 N / (usable capacity - activations)).
    Inference weights only with ``training=False``: n = ceil(weights / usable capacity).
    Throughput (``target_throughput`` in 1/s): n = ceil(target / per-GPU throughput), the
    per-GPU throughput from IronLawModel at ``batch_size`` (perfect scaling assumed)."""

    requires = ("hardware",)
    produces = FewestGPUsResult

    def solve(self, hardware, workload=None, *, target_throughput=None, training=True,
              precision=None, activation_bytes=None, usable_fraction=0.9, batch_size=1
              ) -> FewestGPUsResult:
        c.need_hardware(hardware)
        if target_throughput is not None:
            need = c.qty("target_throughput", target_throughput, c.RATE, c.S ** -1)
            r = IronLawModel().solve(hardware=hardware, workload=workload, precision=precision,
                                     batch_size=batch_size)
            per = r.throughput.m_as(c.S ** -1)
            return FewestGPUsResult(gpus=math.ceil(need / per - 1e-12), target="throughput",
                                    per_gpu=c.q(per, c.S ** -1), required=c.q(need, c.S ** -1))
        c.need_workload(workload)
        frac = c.fraction("usable_fraction", usable_fraction)
        cap = hardware.memory.capacity.m_as(c.B) * frac
        act = 0.0 if activation_bytes is None else c.qty(
            "activation_bytes", activation_bytes, c.BYTES, c.B, allow_zero=True)
        if act >= cap:
            raise InfeasibleError("activation_bytes alone exceed the usable memory of one GPU")
        if training:
            states = 16.0 * float(workload.parameters)
        else:
            states = c.bytes_of(workload, precision or workload.default_precision)
        return FewestGPUsResult(gpus=max(1, math.ceil(states / (cap - act) - 1e-12)),
                                target="memory", per_gpu=c.q(cap, c.B),
                                required=c.q(states + act, c.B))
