"""The unit registry: FLOP as a dimension, decimal vs binary bytes, precisions, comparisons."""
import pint
import pytest

from mlsysim.core.constants import Q_, bytes_per_element
from mlsysim.core.errors import InvalidInputError


def test_flop_rate_and_byte_rate_cannot_be_added():
    with pytest.raises(pint.errors.DimensionalityError):
        Q_("1 TFLOP/s") + Q_("1 GB/s")


def test_flop_units_parse_and_convert():
    assert Q_("1 TFLOPs/s").to("GFLOP/s").magnitude == pytest.approx(1000)
    assert Q_("8 GFLOP").to("FLOP").magnitude == pytest.approx(8e9)
    assert Q_("1 MAC").to("FLOP").magnitude == 2
    ridge = (Q_("989 TFLOP/s") / Q_("3.35 TB/s")).to("FLOP/byte")
    assert ridge.magnitude == pytest.approx(295.2, rel=1e-3)


def test_decimal_and_binary_bytes_differ():
    assert Q_("1 kB").to("B").magnitude == 1000
    assert Q_("1 KB").to("B").magnitude == 1000
    assert Q_("1 KiB").to("B").magnitude == 1024
    assert Q_("1 GiB").to("GB").magnitude == pytest.approx(1.073741824)
    assert Q_("400 Gb/s").to("GB/s").magnitude == pytest.approx(50)


@pytest.mark.parametrize("precision, nbytes", [
    ("fp32", 4), ("fp16", 2), ("bf16", 2), ("fp8", 1), ("int8", 1), ("int4", 0.5),
    ("FP16", 2)])
def test_bytes_per_element(precision, nbytes):
    assert bytes_per_element(precision) == Q_(nbytes, "B")


def test_unknown_precision_names_the_choices():
    with pytest.raises(InvalidInputError, match="fp16"):
        bytes_per_element("fp12")


def test_unit_equals_string_by_meaning():
    units = Q_("1 TFLOPs/s/W").units
    assert units == "TFLOPs/s/W"
    assert units == "TFLOP/s/W"
    assert units != "GFLOP/s/W"
    assert not (units == "not a unit at all")
    assert (Q_("989 TFLOP/s") / Q_("700 W")).to("TFLOPs/s/W").units == "TFLOPs/s/W"


def test_carbon_units():
    energy = Q_("1 MWh")
    assert (energy * Q_("400 gCO2e/kWh")).to("kgCO2e").magnitude == pytest.approx(400)
