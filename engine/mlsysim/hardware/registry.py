"""The hardware registry: ``Hardware.Cloud.H100``, ``Hardware.get("H100")``, ``Hardware.list()``.

Numbers live in ``hardware/data/*.toml`` (one file per namespace), each beside its source.
"""
from __future__ import annotations

from .._registry import Registry, collect_aliases, entries
from ..core.errors import ProvenanceError
from .types import ComputeCore, HardwareNode, Interconnect, MemoryHierarchy

NAMESPACES = {"Cloud": "cloud.toml", "Edge": "edge.toml", "Mobile": "mobile.toml",
              "Tiny": "tiny.toml"}


def build_node(key: str, category: str, data: dict, provenance: dict) -> HardwareNode:
    compute = dict(data.get("compute", {}))
    default = compute.get("default_precision", "fp16")
    table = compute.get("precision_flops", {})
    if default not in table:
        raise ProvenanceError(f"{key}: compute.precision_flops lacks the default precision "
                              f"{default!r}")
    # peak_flops is the dense peak at the default precision: same number, same source.
    provenance["compute.peak_flops"] = provenance[f"compute.precision_flops.{default}"]
    links = tuple(Interconnect(**link) for link in data.get("interconnects", []))
    return HardwareNode(
        name=data["name"], release_year=data["release_year"], key=key, category=category,
        vendor=data.get("vendor"),
        compute=ComputeCore(peak_flops=table[default], precision_flops=table,
                            default_precision=default),
        memory=MemoryHierarchy(**data["memory"]),
        tdp=data.get("tdp"), unit_cost=data.get("unit_cost"),
        price_per_hour=data.get("price_per_hour"),
        dispatch_overhead=data.get("dispatch_overhead"),
        interconnects=links, provenance=provenance,
    )


def _load():
    by_ns, aliases = {}, {}
    for ns, filename in NAMESPACES.items():
        by_ns[ns] = found = {}
        for key, table, data, prov, where in entries(__package__, filename):
            found[key] = build_node(key, ns, data, prov)
            collect_aliases(key, table, aliases, where)
    return by_ns, aliases


Hardware = Registry("Hardware", "hardware", tuple(NAMESPACES), _load)

__all__ = ["Hardware"]
