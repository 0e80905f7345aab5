"""Memory: does a model fit a device (inference), and the training memory ledger.

Training memory per device (Rajbhandari et al. 2020, "ZeRO", Sec. 3.1): with mixed-precision
Adam every parameter costs 2 B (fp16 weights) + 2 B (fp16 gradients) + 12 B (fp32 master
weights, momentum and variance) = 16 B. ZeRO stage 1 shards the 12 B optimizer state over the
data-parallel ranks, stage 2 also the gradients, stage 3 also the weights.
"""
from __future__ import annotations

import math

from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c


class MemoryFootprintResult(SolverResult):
    weight_bytes: Quantity
    activation_bytes: Quantity
    required: Quantity
    available: Quantity
    fits: bool
    shortfall_ratio: float
    binding_memory: str
    checks: dict


def _memory_kind(mem) -> str:
    return getattr(mem, "kind", None) or "DRAM"


class MemoryFootprintModel(BaseModel):
    """Inference fit: weights at a precision + activations for a batch vs device memory.

    Devices with separate ``flash`` and ``sram`` (microcontrollers) are checked twice:
    weights must fit in flash (read-only, executed in place) and activations in SRAM.
    Other devices hold both in main memory (``memory.capacity``, named by ``memory.kind``,
    e.g. "HBM3"). ``shortfall_ratio`` = required / available of the binding memory (> 1 means
    it does not fit); ``required`` and ``available`` describe that binding memory.
    Activations: ``activation_bytes`` per sample if given, else the workload's
    ``peak_activation_bytes`` (scaled from its default precision), else 0 (stated in checks).
    """

    requires = ("workload", "hardware")
    produces = MemoryFootprintResult

    def solve(self, workload, hardware, *, precision=None, batch_size=1,
              activation_bytes=None) -> MemoryFootprintResult:
        c.need_workload(workload)
        c.need_hardware(hardware)
        prec = precision or workload.default_precision
        bpe = c.precision_bytes("precision", prec)
        batch = c.positive_int("batch_size", batch_size)
        weights = float(workload.parameters) * bpe
        if activation_bytes is not None:
            per = c.qty("activation_bytes", activation_bytes, c.BYTES, c.B, allow_zero=True)
        elif getattr(workload, "peak_activation_bytes", None) is not None:
            base = c.precision_bytes("workload.default_precision", workload.default_precision)
            per = workload.peak_activation_bytes.m_as(c.B) * bpe / base
        else:
            per = 0.0
        acts = per * batch
        mem = hardware.memory
        flash, sram = getattr(mem, "flash", None), getattr(mem, "sram", None)
        if flash is not None and sram is not None:
            checks = {
                "flash": (weights, flash.m_as(c.B)),
                "SRAM": (acts, sram.m_as(c.B)),
            }
        else:
            checks = {_memory_kind(mem): (weights + acts, mem.capacity.m_as(c.B))}
        binding = max(checks, key=lambda k: checks[k][0] / checks[k][1])
        need, have = checks[binding]
        return MemoryFootprintResult(
            weight_bytes=c.q(weights, c.B), activation_bytes=c.q(acts, c.B),
            required=c.q(need, c.B), available=c.q(have, c.B),
            fits=all(n <= h for n, h in checks.values()), shortfall_ratio=need / have,
            binding_memory=binding,
            checks={k: {"required": c.q(n, c.B), "available": c.q(h, c.B), "fits": n <= h}
                    for k, (n, h) in checks.items()})
