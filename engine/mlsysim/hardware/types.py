"""Dataclasses describing one accelerator or processor. They validate themselves."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from .._fields import check_quantity, freeze_provenance, set_frozen
from ..core.constants import BYTES_PER_ELEMENT
from ..core.errors import InvalidInputError
from ..core.provenance import Provenance
from ..core.types import Quantity


@dataclass(frozen=True)
class ComputeCore:
    """Peak arithmetic throughput. ``peak_flops`` is the dense peak at ``default_precision``;
    ``precision_flops`` holds dense peaks per precision name (``"fp8"``, ``"int8"`` ...)."""

    peak_flops: Quantity
    precision_flops: Mapping[str, Quantity] = field(default_factory=dict)
    default_precision: str = "fp16"

    def __post_init__(self):
        set_frozen(self, "peak_flops",
                   check_quantity("ComputeCore", "peak_flops", self.peak_flops, "FLOP/s"))
        if self.default_precision not in BYTES_PER_ELEMENT:
            raise InvalidInputError("ComputeCore.default_precision",
                                    f"one of {', '.join(BYTES_PER_ELEMENT)}",
                                    self.default_precision)
        table = {}
        for name, value in dict(self.precision_flops).items():
            if name not in BYTES_PER_ELEMENT:
                raise InvalidInputError("ComputeCore.precision_flops key",
                                        f"one of {', '.join(BYTES_PER_ELEMENT)}", name)
            table[name] = check_quantity("ComputeCore", f"precision_flops[{name}]", value, "FLOP/s")
        table.setdefault(self.default_precision, self.peak_flops)
        set_frozen(self, "precision_flops", MappingProxyType(table))

    def peak(self, precision: str | None = None) -> Quantity:
        """Dense peak FLOP/s at ``precision`` (default: ``default_precision``)."""
        key = (precision or self.default_precision).lower()
        try:
            return self.precision_flops[key]
        except KeyError:
            raise InvalidInputError(
                "precision", f"one of {', '.join(sorted(self.precision_flops))} "
                "(the precisions this device lists)", precision) from None


@dataclass(frozen=True)
class MemoryHierarchy:
    """Main memory (capacity, bandwidth) plus on-chip SRAM and flash where they matter."""

    capacity: Quantity
    bandwidth: Quantity
    kind: str | None = None
    sram: Quantity | None = None
    flash: Quantity | None = None

    def __post_init__(self):
        set_frozen(self, "capacity", check_quantity("MemoryHierarchy", "capacity", self.capacity, "B"))
        set_frozen(self, "bandwidth",
                   check_quantity("MemoryHierarchy", "bandwidth", self.bandwidth, "B/s"))
        for name in ("sram", "flash"):
            set_frozen(self, name, check_quantity("MemoryHierarchy", name, getattr(self, name),
                                                  "B", optional=True))


@dataclass(frozen=True)
class Interconnect:
    """A link out of one device. ``bandwidth`` is per device, per direction."""

    name: str
    bandwidth: Quantity
    latency: Quantity | None = None

    def __post_init__(self):
        set_frozen(self, "bandwidth",
                   check_quantity(f"Interconnect({self.name})", "bandwidth", self.bandwidth, "B/s"))
        set_frozen(self, "latency", check_quantity(f"Interconnect({self.name})", "latency",
                                                   self.latency, "[time]", optional=True))


@dataclass(frozen=True)
class HardwareNode:
    """One device: compute, memory, power, cost, links, and where each number comes from.
    ``unit_cost`` is the purchase price; ``price_per_hour`` a dated public rental price of
    one device-hour (an estimate: prices move), usable as ``price_per_hour`` in
    EconomicsModel and CostPerInferenceModel."""

    name: str
    release_year: int
    compute: ComputeCore
    memory: MemoryHierarchy
    tdp: Quantity | None = None
    unit_cost: Quantity | None = None
    price_per_hour: Quantity | None = None
    key: str = ""
    category: str = ""
    vendor: str | None = None
    interconnects: tuple[Interconnect, ...] = ()
    dispatch_overhead: Quantity | None = None
    provenance: Mapping[str, Provenance] = field(default_factory=dict)

    def __post_init__(self):
        owner = self.key or self.name
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidInputError("HardwareNode.name", "a non-empty string", self.name)
        if not isinstance(self.release_year, int) or not 1970 <= self.release_year <= 2100:
            raise InvalidInputError(f"{owner}.release_year", "a year such as 2022",
                                    self.release_year)
        if not isinstance(self.compute, ComputeCore):
            raise InvalidInputError(f"{owner}.compute", "a ComputeCore", self.compute)
        if not isinstance(self.memory, MemoryHierarchy):
            raise InvalidInputError(f"{owner}.memory", "a MemoryHierarchy", self.memory)
        set_frozen(self, "tdp", check_quantity(owner, "tdp", self.tdp, "W", optional=True))
        set_frozen(self, "unit_cost",
                   check_quantity(owner, "unit_cost", self.unit_cost, "USD", optional=True))
        set_frozen(self, "price_per_hour", check_quantity(
            owner, "price_per_hour", self.price_per_hour, "USD/hour", optional=True))
        set_frozen(self, "dispatch_overhead", check_quantity(
            owner, "dispatch_overhead", self.dispatch_overhead, "[time]", optional=True))
        links = tuple(self.interconnects)
        for link in links:
            if not isinstance(link, Interconnect):
                raise InvalidInputError(f"{owner}.interconnects", "Interconnect objects", link)
        set_frozen(self, "interconnects", links)
        set_frozen(self, "provenance", freeze_provenance(owner, self.provenance))

    def interconnect(self, name: str) -> Interconnect:
        """The link whose name contains ``name`` (case-insensitive), e.g. ``"NVLink"``."""
        for link in self.interconnects:
            if name.lower() in link.name.lower():
                return link
        raise InvalidInputError(f"{self.key or self.name} interconnect",
                                f"one of {[l.name for l in self.interconnects]}", name)

    @property
    def ridge_point(self) -> Quantity:
        """Roofline ridge point at the default precision, FLOP/byte."""
        return (self.compute.peak_flops / self.memory.bandwidth).to("FLOP/B")

    def __repr__(self) -> str:
        return f"<HardwareNode {self.key or self.name}>"
