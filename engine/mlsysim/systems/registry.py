"""The systems registry: ``Systems.Nodes.DGX_H100``, ``Systems.Clusters.Frontier_8K``,
``Systems.Links.InfiniBand_NDR``, ``Systems.Storage.Local_NVMe``, ``Systems.Egress.AWS_Internet``,
``Systems.Grids.France``. Nodes name their device in the hardware registry and may name their
intra-node link in ``Links``; clusters name their node and may build their fabric on a link."""
from __future__ import annotations

from .._registry import Registry, collect_aliases, entries
from ..core.errors import ProvenanceError, UnknownEntryError
from ..hardware.registry import Hardware
from ..hardware.types import Interconnect
from .types import Cluster, EgressPrice, Fabric, GridRegion, Link, Node, StorageTier

NAMESPACES = {"Nodes": "nodes.toml", "Clusters": "clusters.toml", "Links": "links.toml",
              "Storage": "storage.toml", "Egress": "egress.toml", "Grids": "grids.toml"}


def _lookup(kind: str, key: str, table: dict, where: str):
    try:
        return table[key]
    except KeyError:
        raise ProvenanceError(f"{where}: unknown {kind} {key!r}; known: {', '.join(table)}") \
            from None


def _load_links(aliases):
    links = {}
    for key, table, data, prov, where in entries(__package__, "links.toml"):
        links[key] = Link(**data, key=key, provenance=prov)
        collect_aliases(key, table, aliases, where)
    return links


def _intra_node(spec, links, where):
    """A node's intra-node link: a Links key, or an inline table (name, bandwidth, latency)."""
    if isinstance(spec, str):
        return _lookup("link", spec, links, where)
    return Interconnect(**spec)


def _fabric(spec: dict, links: dict, prov: dict, where: str) -> Fabric:
    """A cluster's fabric: inline numbers, or ``link = "<Links key>"`` whose bandwidth and
    latency (and their provenance) the fabric takes."""
    spec = dict(spec)
    if "link" in spec:
        link = _lookup("link", spec.pop("link"), links, where)
        spec.setdefault("bandwidth_per_gpu", link.bandwidth)
        spec.setdefault("latency", link.latency)
        for ours, theirs in (("bandwidth_per_gpu", "bandwidth"), ("latency", "latency")):
            prov.setdefault(f"fabric.{ours}", link.provenance[theirs])
        spec["link"] = link
    return Fabric(**spec)


def _load():
    aliases: dict[str, str] = {}
    links = _load_links(aliases)
    nodes, clusters, storage, egress, grids = {}, {}, {}, {}, {}
    for key, table, data, prov, where in entries(__package__, "nodes.toml"):
        try:
            hardware = Hardware.get(data["hardware"])
        except UnknownEntryError as exc:
            raise ProvenanceError(f"{where}: {key}: {exc}") from None
        nodes[key] = Node(name=data["name"], hardware=hardware,
                          accelerators=data["accelerators"],
                          intra_node=_intra_node(data["intra_node"], links, where), key=key,
                          provenance=prov)
        collect_aliases(key, table, aliases, where)
    for key, table, data, prov, where in entries(__package__, "clusters.toml"):
        clusters[key] = Cluster(name=data["name"], node=_lookup("node", data["node"], nodes, where),
                                nodes=data["nodes"], fabric=_fabric(data["fabric"], links, prov,
                                                                    where),
                                key=key, provenance=prov)
        collect_aliases(key, table, aliases, where)
    for key, table, data, prov, where in entries(__package__, "storage.toml"):
        storage[key] = StorageTier(**data, key=key, provenance=prov)
        collect_aliases(key, table, aliases, where)
    for key, table, data, prov, where in entries(__package__, "egress.toml"):
        egress[key] = EgressPrice(**data, key=key, provenance=prov)
        collect_aliases(key, table, aliases, where)
    for key, table, data, prov, where in entries(__package__, "grids.toml"):
        grids[key] = GridRegion(name=data["name"], key=key,
                                carbon_intensity=data["carbon_intensity"], provenance=prov)
        collect_aliases(key, table, aliases, where)
    return {"Nodes": nodes, "Clusters": clusters, "Links": links, "Storage": storage,
            "Egress": egress, "Grids": grids}, aliases


Systems = Registry("Systems", "system", tuple(NAMESPACES), _load)

__all__ = ["Systems"]
