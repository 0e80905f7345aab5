"""Energy per operation and per access (Horowitz, ISSCC 2014, Fig. 1.1.9, 45 nm)."""
import pytest

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import KernelEnergyModel
from mlsysim.resolvers.energy import HOROWITZ_45NM, energy_per_flop_pj


def test_horowitz_figures():
    # Fig. 1.1.9: 32-bit int add 0.1 pJ, mult 3.1 pJ; 32-bit float add 0.9, mult 3.7;
    # 8-bit int add 0.03, mult 0.2; 8 KB cache (64 bit) 10 pJ; DRAM 1.3-2.6 nJ.
    assert HOROWITZ_45NM["add"]["int32"] == 0.1 and HOROWITZ_45NM["mult"]["int32"] == 3.1
    assert HOROWITZ_45NM["add"]["fp32"] == 0.9 and HOROWITZ_45NM["mult"]["fp32"] == 3.7
    assert HOROWITZ_45NM["add"]["int8"] == 0.03 and HOROWITZ_45NM["mult"]["int8"] == 0.2
    assert HOROWITZ_45NM["access_64bit"]["sram_8kb"] == 10
    assert HOROWITZ_45NM["access_64bit"]["dram"] == 1300
    assert energy_per_flop_pj("fp32") == pytest.approx(2.3)


def test_dram_fetch_is_two_orders_of_magnitude_above_the_arithmetic():
    # Vol I Lab 05 Act I: one 32-bit operand from DRAM (1.3 nJ / 2 = 650 pJ) vs one fp32
    # multiply (3.7 pJ): ~176x; a 64-bit access vs the multiply: ~351x.
    r = KernelEnergyModel().solve(ops=Q_(2, "FLOP"), data_bytes=Q_(4, "B"))
    assert r.data_energy.m_as("pJ") == pytest.approx(650)
    assert r.arithmetic_energy.m_as("pJ") == pytest.approx(3.7 + 0.9)
    assert r.data_energy / r.arithmetic_energy > 100
    assert r.access_to_op_ratio == pytest.approx(1300 / 3.7)
    sram = KernelEnergyModel().solve(ops=Q_(2, "FLOP"), data_bytes=Q_(4, "B"),
                                     memory_level="sram_8kb")
    assert sram.data_energy.m_as("pJ") == pytest.approx(5)


def test_int8_arithmetic_is_cheaper_and_data_share_grows():
    fp = KernelEnergyModel().solve(ops="1 GFLOP", data_bytes="10 MB", precision="fp32")
    i8 = KernelEnergyModel().solve(ops="1 GFLOP", data_bytes="10 MB", precision="int8")
    assert i8.arithmetic_energy < fp.arithmetic_energy
    assert i8.data_share > fp.data_share
    assert fp.total_energy.m_as("mJ") == pytest.approx(1e9 * 2.3e-9 + 1e7 * 162.5e-9)


@pytest.mark.parametrize("kw, name", [
    (dict(ops="1 GB", data_bytes="1 MB"), "ops"),
    (dict(ops="1 GFLOP", data_bytes="1 s"), "data_bytes"),
    (dict(ops="1 GFLOP", data_bytes="1 MB", precision="fp64"), "precision"),
    (dict(ops="1 GFLOP", data_bytes="1 MB", memory_level="hbm"), "memory_level"),
])
def test_rejects_bad_inputs(kw, name):
    with pytest.raises(InvalidInputError, match=name):
        KernelEnergyModel().solve(**kw)
