"""Dataclasses for multi-device systems and for the carbon intensity of electricity grids."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .._fields import check_quantity, freeze_provenance, set_frozen
from ..core import validate
from ..core.errors import InvalidInputError
from ..core.provenance import Provenance
from ..core.types import Quantity
from ..hardware.types import HardwareNode, Interconnect


@dataclass(frozen=True)
class Node:
    """A server holding ``accelerators`` identical devices joined by ``intra_node``."""

    name: str
    hardware: HardwareNode
    accelerators: int
    intra_node: Interconnect
    key: str = ""
    provenance: Mapping[str, Provenance] = field(default_factory=dict)

    def __post_init__(self):
        owner = self.key or self.name
        if not isinstance(self.hardware, HardwareNode):
            raise InvalidInputError(f"{owner}.hardware", "a HardwareNode", self.hardware)
        if not isinstance(self.intra_node, Interconnect):
            raise InvalidInputError(f"{owner}.intra_node", "an Interconnect", self.intra_node)
        validate.number(f"{owner}.accelerators", self.accelerators, lo=1, integer=True)
        set_frozen(self, "provenance", freeze_provenance(owner, self.provenance))

    def __repr__(self) -> str:
        return f"<Node {self.key or self.name}: {self.accelerators}x {self.hardware.key}>"


@dataclass(frozen=True)
class Fabric:
    """The network between nodes. ``bandwidth_per_gpu`` is per accelerator, per direction."""

    name: str
    bandwidth_per_gpu: Quantity
    latency: Quantity
    topology: str = "fat-tree"
    oversubscription: float = 1.0

    def __post_init__(self):
        set_frozen(self, "bandwidth_per_gpu", check_quantity(
            f"Fabric({self.name})", "bandwidth_per_gpu", self.bandwidth_per_gpu, "B/s"))
        set_frozen(self, "latency",
                   check_quantity(f"Fabric({self.name})", "latency", self.latency, "[time]"))
        validate.number(f"Fabric({self.name}).oversubscription", self.oversubscription, lo=1)


@dataclass(frozen=True)
class Cluster:
    """``nodes`` identical nodes on one fabric."""

    name: str
    node: Node
    nodes: int
    fabric: Fabric
    key: str = ""
    provenance: Mapping[str, Provenance] = field(default_factory=dict)

    def __post_init__(self):
        owner = self.key or self.name
        if not isinstance(self.node, Node):
            raise InvalidInputError(f"{owner}.node", "a Node", self.node)
        if not isinstance(self.fabric, Fabric):
            raise InvalidInputError(f"{owner}.fabric", "a Fabric", self.fabric)
        validate.number(f"{owner}.nodes", self.nodes, lo=1, integer=True)
        set_frozen(self, "provenance", freeze_provenance(owner, self.provenance))

    @property
    def total_accelerators(self) -> int:
        return self.nodes * self.node.accelerators

    @property
    def hardware(self) -> HardwareNode:
        """The accelerator every node holds (shortcut for ``node.hardware``)."""
        return self.node.hardware

    def __repr__(self) -> str:
        return f"<Cluster {self.key or self.name}: {self.total_accelerators} accelerators>"


@dataclass(frozen=True)
class GridRegion:
    """Average carbon intensity of a region's electricity, gCO2e per kWh."""

    name: str
    key: str
    carbon_intensity: Quantity
    provenance: Mapping[str, Provenance] = field(default_factory=dict)

    def __post_init__(self):
        set_frozen(self, "carbon_intensity", check_quantity(
            self.key or self.name, "carbon_intensity", self.carbon_intensity, "gCO2e/kWh"))
        set_frozen(self, "provenance", freeze_provenance(self.key or self.name, self.provenance))

    def __repr__(self) -> str:
        return f"<GridRegion {self.key}: {self.carbon_intensity}>"
