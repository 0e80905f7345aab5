"""Amdahl's law (fixed problem), with Gustafson's scaled speedup beside it.

Amdahl 1967: speedup(n) = 1 / ((1 - p) + p / n), bounded by 1 / (1 - p).
Gustafson 1988: scaled speedup(n) = (1 - p) + p n, with p the parallel share of the run
on the n-processor machine (the problem grows with the machine).
"""
from __future__ import annotations

from ..core._base import BaseModel
from ..core.results import SolverResult
from . import _common as c


class SpeedupResult(SolverResult):
    amdahl_speedup: float
    amdahl_limit: float
    gustafson_speedup: float
    parallel_efficiency: float


class AmdahlModel(BaseModel):
    """Speedup on ``devices`` of a program whose ``parallel_fraction`` p parallelises; the
    result carries Gustafson's scaled speedup for the same p and n too."""

    requires = ("parallel_fraction", "devices")
    produces = SpeedupResult

    def solve(self, *, parallel_fraction, devices) -> SpeedupResult:
        p = c.fraction("parallel_fraction", parallel_fraction, allow_zero=True)
        n = c.num("devices", devices, lo=1)
        s = 1.0 / ((1 - p) + p / n)
        return SpeedupResult(amdahl_speedup=s,
                             amdahl_limit=float("inf") if p == 1 else 1 / (1 - p),
                             gustafson_speedup=(1 - p) + p * n, parallel_efficiency=s / n)
