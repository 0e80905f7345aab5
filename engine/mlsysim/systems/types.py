"""Dataclasses for multi-device systems (nodes, clusters, their links), storage tiers, cloud
egress prices, and the carbon intensity of electricity grids."""
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
    """The network between nodes. ``bandwidth_per_gpu`` is per accelerator, per direction;
    ``latency`` is the per-message time (alpha) across it. ``oversubscription`` is the ratio
    of the upper tiers (1.0 = full bisection). ``link`` is the registry Link each accelerator
    attaches with, when the fabric was built from one (``Systems.Links``)."""

    name: str
    bandwidth_per_gpu: Quantity
    latency: Quantity
    topology: str = "fat-tree"
    oversubscription: float = 1.0
    link: "Link | None" = None

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


def _owner(obj) -> str:
    return obj.key or obj.name


@dataclass(frozen=True)
class Link(Interconnect):
    """A link type as registry data (``Systems.Links``): what one device's port sustains.

    ``bandwidth`` is per device, per direction (for an access link such as LTE: the uplink,
    the client's direction of sending); ``latency`` is the one-way time of a small message
    (the alpha of the alpha-beta model; for an access link half its round-trip time).
    ``family`` names the technology (nvlink, pcie, infiniband, ethernet, cellular, wifi) and
    ``scope`` where it sits (scale-up, host, scale-out, access)."""

    key: str = ""
    family: str = ""
    scope: str = ""
    downlink: Quantity | None = None
    provenance: Mapping[str, Provenance] = field(default_factory=dict)

    def __post_init__(self):
        super().__post_init__()
        if self.latency is None:
            raise InvalidInputError(f"{_owner(self)}.latency", "a positive quantity of [time]",
                                    None)
        set_frozen(self, "downlink", check_quantity(_owner(self), "downlink", self.downlink,
                                                    "B/s", optional=True))
        set_frozen(self, "provenance", freeze_provenance(_owner(self), self.provenance))

    @property
    def rtt(self) -> Quantity:
        """Round-trip time of a small message (2 x latency)."""
        return 2 * self.latency

    def __repr__(self) -> str:
        return f"<Link {_owner(self)}: {self.bandwidth:~P} per direction, {self.latency:~P}>"


STORAGE_KINDS = ("local", "parallel", "object")


@dataclass(frozen=True)
class StorageTier:
    """One unit of a storage tier (``unit`` says which: one drive, one appliance, one prefix).

    Bandwidths are sequential (large transfers); ``read_iops`` is small random reads per
    second at high queue depth; ``latency`` is one small read at low load; ``metadata_rate``
    is the file-system metadata operations (open, stat, close) per second its metadata
    service sustains (None where no separate service limits it, e.g. a local file system)."""

    name: str
    key: str
    kind: str
    unit: str
    read_bandwidth: Quantity
    write_bandwidth: Quantity
    read_iops: Quantity
    latency: Quantity
    metadata_rate: Quantity | None = None
    provenance: Mapping[str, Provenance] = field(default_factory=dict)

    def __post_init__(self):
        owner = _owner(self)
        if self.kind not in STORAGE_KINDS:
            raise InvalidInputError(f"{owner}.kind", f"one of {', '.join(STORAGE_KINDS)}",
                                    self.kind)
        for name in ("read_bandwidth", "write_bandwidth"):
            set_frozen(self, name, check_quantity(owner, name, getattr(self, name), "B/s"))
        set_frozen(self, "read_iops", check_quantity(owner, "read_iops", self.read_iops,
                                                     "[time]**-1"))
        set_frozen(self, "latency", check_quantity(owner, "latency", self.latency, "[time]"))
        set_frozen(self, "metadata_rate", check_quantity(
            owner, "metadata_rate", self.metadata_rate, "[time]**-1", optional=True))
        set_frozen(self, "provenance", freeze_provenance(owner, self.provenance))

    def __repr__(self) -> str:
        return f"<StorageTier {_owner(self)} ({self.unit})>"


@dataclass(frozen=True)
class EgressTier:
    """One band of a tiered price list: ``price`` per byte for the bytes up to ``up_to``
    (cumulative, per month; None for the last band)."""

    price: Quantity
    up_to: Quantity | None = None

    def __post_init__(self):
        set_frozen(self, "price", check_quantity("EgressTier", "price", self.price, "USD/B"))
        set_frozen(self, "up_to", check_quantity("EgressTier", "up_to", self.up_to, "B",
                                                 optional=True))


@dataclass(frozen=True)
class EgressPrice:
    """What a cloud charges for bytes leaving it (``destination``: internet or another
    region), as a tiered monthly price list quoted ``as_of`` a date."""

    name: str
    key: str
    provider: str
    destination: str
    as_of: str
    tiers: tuple[EgressTier, ...]
    provenance: Mapping[str, Provenance] = field(default_factory=dict)

    def __post_init__(self):
        owner = _owner(self)
        tiers = tuple(EgressTier(**t) if isinstance(t, Mapping) else t for t in self.tiers)
        if not tiers or not all(isinstance(t, EgressTier) for t in tiers):
            raise InvalidInputError(f"{owner}.tiers", "one or more EgressTier", self.tiers)
        ends = [t.up_to.m_as("B") for t in tiers[:-1] if t.up_to is not None]
        if len(ends) != len(tiers) - 1 or ends != sorted(ends) or tiers[-1].up_to is not None:
            raise InvalidInputError(f"{owner}.tiers", "bands with increasing up_to, the last "
                                    "without one", [t.up_to for t in tiers])
        set_frozen(self, "tiers", tiers)
        set_frozen(self, "provenance", freeze_provenance(owner, self.provenance))
        # (band end in bytes, USD per byte), precomputed: a resolver call stays fast
        object.__setattr__(self, "_bands", tuple(
            (t.up_to.m_as("B") if t.up_to is not None else float("inf"),
             t.price.m_as("USD/B")) for t in tiers))

    @property
    def price_per_gb(self) -> Quantity:
        """The first band's price (what a small transfer pays per byte), in USD/GB."""
        return self.tiers[0].price.to("USD/GB")

    def cost_usd(self, n_bytes: float) -> float:
        """Price in USD of ``n_bytes`` bytes in one month, walking the bands in order."""
        total, start = 0.0, 0.0
        for end, usd_per_byte in self._bands:
            if n_bytes > start:
                total += (min(n_bytes, end) - start) * usd_per_byte
            start = end
        return total

    def __repr__(self) -> str:
        return f"<EgressPrice {_owner(self)}: {self.price_per_gb:~P} first band>"
