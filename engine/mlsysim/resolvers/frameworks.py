"""Frameworks: kernel launch / dispatch overhead and what operator fusion saves.

Eager execution launches one kernel per operator; each launch costs a fixed dispatch time
(framework + driver, a few microseconds on GPUs) whether the kernel does much work or not.
Fusing k element-wise operators into one kernel removes k - 1 launches and k - 1 round
trips of the intermediate tensor through memory (write + read).
"""
from __future__ import annotations

from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c


class DispatchResult(SolverResult):
    overhead_time: Quantity
    compute_time: Quantity
    total: Quantity
    overhead_share: float


class DispatchOverheadModel(BaseModel):
    """Time of ``kernels`` launches each costing ``dispatch_overhead`` (default the
    hardware's) plus ``compute_time`` of useful work (serialised: no launch overlap)."""

    requires = ("kernels", "compute_time")
    produces = DispatchResult

    def solve(self, *, kernels, compute_time, dispatch_overhead=None, hardware=None
              ) -> DispatchResult:
        k = c.positive_int("kernels", kernels)
        work = c.qty("compute_time", compute_time, c.TIME, c.S, allow_zero=True)
        if dispatch_overhead is not None and hardware is not None:
            raise InvalidInputError("dispatch_overhead", "either dispatch_overhead or "
                                    "hardware (whose dispatch_overhead is used), not both",
                                    dispatch_overhead)
        if dispatch_overhead is None and hardware is not None:
            dispatch_overhead = c.need_hardware(hardware).dispatch_overhead
        d = c.qty("dispatch_overhead", dispatch_overhead, c.TIME, c.S, example="5 us")
        over = k * d
        return DispatchResult(overhead_time=c.q(over, c.S), compute_time=c.q(work, c.S),
                              total=c.q(over + work, c.S), overhead_share=over / (over + work))


class FusionResult(SolverResult):
    unfused_time: Quantity
    fused_time: Quantity
    speedup: float
    bytes_saved: Quantity
    launches_saved: int


class FusionModel(BaseModel):
    """A chain of ``kernels`` element-wise operators on a tensor of ``tensor_bytes``: unfused,
    each reads and writes the tensor (2 x bytes) and launches once; fused, the chain reads
    once, writes once, launches once. Element-wise ops are memory-bound, so time = launches x
    dispatch + bytes / bandwidth."""

    requires = ("kernels", "tensor_bytes", "hardware")
    produces = FusionResult

    def solve(self, *, kernels, tensor_bytes, hardware, dispatch_overhead=None
              ) -> FusionResult:
        k = c.positive_int("kernels", kernels)
        n = c.qty("tensor_bytes", tensor_bytes, c.BYTES, c.B)
        hardware = c.need_hardware(hardware)
        bw = hardware.memory.bandwidth.m_as(c.B_PER_S)
        d_q = dispatch_overhead if dispatch_overhead is not None else hardware.dispatch_overhead
        d = 0.0 if d_q is None else c.qty("dispatch_overhead", d_q, c.TIME, c.S,
                                          allow_zero=True)
        unfused = k * d + k * 2 * n / bw
        fused = d + 2 * n / bw
        return FusionResult(unfused_time=c.q(unfused, c.S), fused_time=c.q(fused, c.S),
                            speedup=unfused / fused, bytes_saved=c.q((k - 1) * 2 * n, c.B),
                            launches_saved=k - 1)
