"""Registry dataclasses validate themselves: a wrong dimension or sign names the field."""
import pytest

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.hardware.types import ComputeCore, HardwareNode, Interconnect, MemoryHierarchy
from mlsysim.models.types import Workload
from mlsysim.systems.types import Cluster, Fabric, GridRegion, Node


def make_hw(**kw):
    args = dict(name="Toy", release_year=2024, compute=ComputeCore(peak_flops=Q_("100 TFLOP/s")),
                memory=MemoryHierarchy(capacity=Q_("80 GB"), bandwidth=Q_("2 TB/s")))
    args.update(kw)
    return HardwareNode(**args)


def test_hand_built_node_like_the_seed():
    hw = make_hw(tdp=None)
    assert hw.tdp is None
    assert hw.ridge_point.to("FLOP/B").magnitude == pytest.approx(50)
    assert hw.compute.peak() == Q_("100 TFLOP/s")


def test_precision_lookup_lists_available():
    core = ComputeCore(peak_flops=Q_("1 PFLOP/s"), precision_flops={"fp8": Q_("2 PFLOP/s")})
    assert core.peak("fp8") == Q_("2 PFLOP/s")
    assert core.peak("fp16") == Q_("1 PFLOP/s")
    with pytest.raises(InvalidInputError, match="fp16, fp8"):
        core.peak("int4")


@pytest.mark.parametrize("field, bad", [
    ("capacity", Q_("80 GB/s")), ("bandwidth", Q_("2 TFLOP/s")), ("bandwidth", Q_("-1 GB/s")),
    ("capacity", 80)])
def test_memory_rejects_bad_quantities(field, bad):
    args = dict(capacity=Q_("80 GB"), bandwidth=Q_("2 TB/s"))
    args[field] = bad
    with pytest.raises(InvalidInputError, match=f"MemoryHierarchy.{field}"):
        MemoryHierarchy(**args)


def test_compute_rejects_byte_rate():
    with pytest.raises(InvalidInputError, match="peak_flops"):
        ComputeCore(peak_flops=Q_("100 GB/s"))


def test_node_rejects_bad_tdp_and_year():
    with pytest.raises(InvalidInputError, match="tdp"):
        make_hw(tdp=Q_("700 J"))
    with pytest.raises(InvalidInputError, match="release_year"):
        make_hw(release_year=24.5)


def test_types_are_frozen():
    hw = make_hw()
    with pytest.raises(AttributeError):
        hw.name = "x"


def test_workload_size_and_checks():
    w = Workload(name="w", parameters=7e9, heads=32, kv_heads=8)
    assert w.size_in_bytes().to("GB").magnitude == pytest.approx(14)
    assert w.size_in_bytes("int4").to("GB").magnitude == pytest.approx(3.5)
    with pytest.raises(InvalidInputError, match="kv_heads"):
        Workload(name="w", parameters=1, heads=32, kv_heads=5)
    with pytest.raises(InvalidInputError, match="parameters"):
        Workload(name="w", parameters=-1)
    with pytest.raises(InvalidInputError, match="flops_per_inference"):
        Workload(name="w", parameters=1, flops_per_inference=Q_("1 GB"))


def test_systems_types():
    link = Interconnect("NVLink", Q_("450 GB/s"))
    node = Node("n", make_hw(), 8, link)
    fabric = Fabric("ib", Q_("400 Gb/s"), Q_("5 us"))
    cluster = Cluster("c", node, 4, fabric)
    assert cluster.total_accelerators == 32
    with pytest.raises(InvalidInputError, match="accelerators"):
        Node("n", make_hw(), 0, link)
    with pytest.raises(InvalidInputError, match="oversubscription"):
        Fabric("ib", Q_("400 Gb/s"), Q_("5 us"), oversubscription=0.5)
    with pytest.raises(InvalidInputError, match="carbon_intensity"):
        GridRegion("g", "g", Q_("400 g/kWh"))
