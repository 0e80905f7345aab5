"""The systems registry: ``Systems.Nodes.DGX_H100``, ``Systems.Clusters.Frontier_8K``,
``Systems.Grids.France``. Nodes name their device in the hardware registry; clusters name
their node."""
from __future__ import annotations

from .._registry import Registry, collect_aliases, entries
from ..core.errors import ProvenanceError, UnknownEntryError
from ..hardware.registry import Hardware
from ..hardware.types import Interconnect
from .types import Cluster, Fabric, GridRegion, Node

NAMESPACES = {"Nodes": "nodes.toml", "Clusters": "clusters.toml", "Grids": "grids.toml"}


def _lookup(kind: str, key: str, table: dict, where: str):
    try:
        return table[key]
    except KeyError:
        raise ProvenanceError(f"{where}: unknown {kind} {key!r}; known: {', '.join(table)}") \
            from None


def _load():
    aliases: dict[str, str] = {}
    nodes, clusters, grids = {}, {}, {}
    for key, table, data, prov, where in entries(__package__, "nodes.toml"):
        try:
            hardware = Hardware.get(data["hardware"])
        except UnknownEntryError as exc:
            raise ProvenanceError(f"{where}: {key}: {exc}") from None
        nodes[key] = Node(name=data["name"], hardware=hardware,
                          accelerators=data["accelerators"],
                          intra_node=Interconnect(**data["intra_node"]), key=key,
                          provenance=prov)
        collect_aliases(key, table, aliases, where)
    for key, table, data, prov, where in entries(__package__, "clusters.toml"):
        clusters[key] = Cluster(name=data["name"], node=_lookup("node", data["node"], nodes, where),
                                nodes=data["nodes"], fabric=Fabric(**data["fabric"]), key=key,
                                provenance=prov)
        collect_aliases(key, table, aliases, where)
    for key, table, data, prov, where in entries(__package__, "grids.toml"):
        grids[key] = GridRegion(name=data["name"], key=key,
                                carbon_intensity=data["carbon_intensity"], provenance=prov)
        collect_aliases(key, table, aliases, where)
    return {"Nodes": nodes, "Clusters": clusters, "Grids": grids}, aliases


Systems = Registry("Systems", "system", tuple(NAMESPACES), _load)

__all__ = ["Systems"]
