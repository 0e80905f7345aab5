"""Energy per operation and per memory access: arithmetic vs data movement.

Horowitz, "Computing's Energy Problem (and what we can do about it)", ISSCC 2014, Fig.
1.1.9 (45 nm, 0.9 V): an 8-bit integer add costs 0.03 pJ, a 32-bit float multiply 3.7 pJ,
but a 64-bit read from an 8 KB SRAM cache costs 10 pJ and from DRAM 1.3-2.6 nJ: fetching an
operand from DRAM costs two orders of magnitude more than computing with it.

``KernelEnergyModel``: energy = ops x energy per FLOP + data_bytes x energy per byte of the
memory it comes from. One FLOP is half a multiply-accumulate, so the energy per FLOP is
(add + multiply) / 2 at the operand precision; a memory access moves 64 bits (8 B).
Absolute figures are for 45 nm; newer processes lower both, the ratio is the lesson.
"""
from __future__ import annotations

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c

#: Horowitz 2014, Fig. 1.1.9, 45 nm: pJ per operation and per 64-bit memory access.
HOROWITZ_45NM = assume("energy.HOROWITZ_45NM", {
    "add": {"int8": 0.03, "int32": 0.1, "fp16": 0.4, "fp32": 0.9},
    "mult": {"int8": 0.2, "int32": 3.1, "fp16": 1.1, "fp32": 3.7},
    "access_64bit": {"sram_8kb": 10.0, "sram_32kb": 20.0, "sram_1mb": 100.0,
                     "dram": 1300.0, "dram_high": 2600.0},
}, "paper", "Horowitz, Computing's Energy Problem (and what we can do about it), ISSCC 2014, "
   "Fig. 1.1.9 (45 nm, 0.9 V)", "https://doi.org/10.1109/ISSCC.2014.6757323",
   "DRAM is given as a range, 1.3-2.6 nJ per 64-bit access; 'dram' is its low end (Han et "
   "al. 2016's widely used 640 pJ per 32-bit DRAM read is the same figure halved). 32-bit "
   "int/float add and multiply and the 8 KB cache figure were also checked against a "
   "secondary citation of the table (PMC8934428, Table 3).")
PRECISIONS = ("int8", "int32", "fp16", "fp32")
MEMORIES = ("sram_8kb", "sram_32kb", "sram_1mb", "dram", "dram_high")
PJ = c.ureg.picojoule
SOURCE = "Horowitz 2014 (ISSCC), 45 nm"


def energy_per_flop_pj(precision: str) -> float:
    """pJ per FLOP at ``precision``: (add + multiply) / 2 (one FLOP = half a MAC)."""
    return (HOROWITZ_45NM["add"][precision] + HOROWITZ_45NM["mult"][precision]) / 2.0


def energy_per_byte_pj(memory_level: str) -> float:
    """pJ per byte read from ``memory_level`` (a 64-bit access moves 8 B)."""
    return HOROWITZ_45NM["access_64bit"][memory_level] / 8.0


class KernelEnergyResult(SolverResult):
    arithmetic_energy: Quantity
    data_energy: Quantity
    total_energy: Quantity
    data_share: float
    energy_per_flop: Quantity
    energy_per_access: Quantity
    access_to_op_ratio: float
    source: str = SOURCE


class KernelEnergyModel(BaseModel):
    """Energy of a kernel's arithmetic (``ops`` FLOP at ``precision``: int8, int32, fp16,
    fp32) against its data movement (``data_bytes`` read from ``memory_level``: sram_8kb,
    sram_32kb, sram_1mb, dram, dram_high). ``access_to_op_ratio`` is the energy of one
    64-bit access over one multiply at the precision (DRAM vs fp32 multiply: 1300 / 3.7,
    about 350x; per 32-bit operand about 175x)."""

    requires = ("ops", "data_bytes")
    produces = KernelEnergyResult

    def solve(self, *, ops, data_bytes, precision="fp32", memory_level="dram"
              ) -> KernelEnergyResult:
        n_ops = c.qty("ops", ops, c.COMPUTE, c.FLOP, allow_zero=True, example="1 GFLOP")
        n_bytes = c.qty("data_bytes", data_bytes, c.BYTES, c.B, allow_zero=True,
                        example="64 MB")
        p = c.choice("precision", precision.lower() if isinstance(precision, str)
                     else precision, PRECISIONS)
        m = c.choice("memory_level", memory_level, MEMORIES)
        e_op, e_byte = energy_per_flop_pj(p), energy_per_byte_pj(m)
        arith, data = n_ops * e_op, n_bytes * e_byte
        total = arith + data
        return KernelEnergyResult(
            arithmetic_energy=c.q(arith * 1e-12, c.J), data_energy=c.q(data * 1e-12, c.J),
            total_energy=c.q(total * 1e-12, c.J),
            data_share=data / total if total else 0.0,
            energy_per_flop=c.q(e_op, PJ), energy_per_access=c.q(e_byte * 8, PJ),
            access_to_op_ratio=HOROWITZ_45NM["access_64bit"][m] / HOROWITZ_45NM["mult"][p])
