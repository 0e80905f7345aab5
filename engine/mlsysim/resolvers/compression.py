"""Compression: quantization and pruning size and speed; accuracy curves are illustrative.

Size scales with bytes per element (quantization) and kept weights (pruning). Speed: a
memory-bound layer speeds up by the byte ratio; unstructured sparsity does not speed up
dense hardware (index overhead and irregular access), structured pruning removes whole
channels, 2:4 sparsity doubles math throughput on Ampere and later (NVIDIA A100 whitepaper).
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c

#: Illustrative accuracy drop (points) vs compression, per method: drop = a x (x / x0)^k.
#: x = bits removed from fp16 (quantization) or sparsity (pruning). Not measurements: real
#: drops depend on model, data and calibration (e.g. int8 PTQ is often < 1 point).
ACCURACY_DROP_CURVES = assume("compression.ACCURACY_DROP_CURVES", {
    "quantization": {"a": 0.3, "x0": 8.0, "k": 3.0},  # 16 -> 8 bits 0.3 pt, 16 -> 4 ~1 pt
    "unstructured": {"a": 1.0, "x0": 0.9, "k": 4.0},  # ~1 pt at 90 % sparsity
    "structured": {"a": 1.0, "x0": 0.5, "k": 2.0},    # ~1 pt at 50 % channels removed
}, "illustrative", "teaching curves, not measurements", None,
    "real drops depend on model, data and calibration")
PRUNING = ("unstructured", "structured", "2:4")


class CompressionResult(SolverResult):
    original_size: Quantity
    compressed_size: Quantity
    compression_ratio: float
    memory_bound_speedup: float
    compute_speedup: float
    accuracy_drop: float
    illustrative: bool = True
    source: str = "size/speed: arithmetic; accuracy_drop: illustrative (ACCURACY_DROP_CURVES)"


class CompressionModel(BaseModel):
    """Size and speed of ``model`` quantized to ``precision`` and/or pruned to ``sparsity``
    (``pruning`` unstructured, structured or 2:4). Unstructured sparse weights are stored
    with a 1-bit mask per weight. ``accuracy_drop`` (points) is illustrative."""

    requires = ("model",)
    produces = CompressionResult

    def solve(self, *, model, precision="int8", sparsity=0.0, pruning="unstructured",
              baseline_precision=None) -> CompressionResult:
        workload = c.need_model(model)
        base_p = baseline_precision or workload.default_precision
        b0 = c.precision_bytes(base_p, "baseline_precision")
        b1 = c.precision_bytes(precision)
        kind = c.choice("pruning", pruning, PRUNING)
        s = 0.5 if kind == "2:4" else c.fraction("sparsity", sparsity, allow_zero=True,
                                                  allow_one=False)
        n = float(workload.parameters)
        size0 = n * b0
        keep = n * (1 - s)
        size1 = keep * b1 + (n / 8 if kind in ("unstructured", "2:4") and s > 0 else 0.0)
        compute = {"unstructured": 1.0, "structured": 1 / (1 - s), "2:4": 2.0}[kind]
        bits = max(0.0, (b0 - b1) * 8)
        q = ACCURACY_DROP_CURVES["quantization"]
        drop = q["a"] * (bits / q["x0"]) ** q["k"] if bits else 0.0
        if s > 0:
            p = ACCURACY_DROP_CURVES["structured" if kind == "structured" else "unstructured"]
            drop += p["a"] * (s / p["x0"]) ** p["k"]
        return CompressionResult(
            original_size=c.q(size0, c.B), compressed_size=c.q(size1, c.B),
            compression_ratio=size0 / size1, memory_bound_speedup=size0 / size1,
            compute_speedup=compute, accuracy_drop=drop)
