"""Collective communication with the alpha-beta model: T = (steps) x alpha + (bytes on the
busiest link) / beta, with alpha the per-message latency and beta the per-device, per-direction
link bandwidth. M is the full message (the gradient tensor; for reduce-scatter and all-gather,
the gathered tensor), p the number of devices.

AllReduce:
- ring (Patarasuk & Yuan 2009; Thakur et al. 2005): 2 (p-1) alpha + 2 (p-1)/p M / beta.
  Bandwidth-optimal: no algorithm moves less than 2 (p-1)/p M per device.
- tree, NCCL's pipelined double binary tree (Sanders, Speck & Traeff 2009; NCCL 2.4):
  2 ceil(log2 p) alpha + 2 M / beta. Two complementary trees each carry half of M, so every
  link is busy in both directions; the reduction then the broadcast each take ~M / beta and
  the latency grows with the trees' depth, log2 p, up and back down. This is NCCL's own cost
  model (tuning.cc: tree algorithm bandwidth = bus bandwidth / 2, latency 2 log2(nodes) hops).
  The pipeline's fill time, O(sqrt(alpha M log p / beta)), is left out as NCCL does.
- hierarchical: ring AllReduce of M inside each node of g devices (reduce-scatter and
  all-gather), ring AllReduce of M/g across the p/g nodes on each device's own link.
- parameter_server, the naive one: one of the p devices is the server; the other p-1 each
  send it M, then it sends each of them the sum. Its link serialises both phases, as Thakur
  et al.'s linear reduce and broadcast do: 2 (p-1) (alpha + M / beta), p times the ring's
  bandwidth term. (Li et al. 2014 shard the server over many machines to avoid exactly this.)
Reduce-scatter and all-gather (Thakur et al. 2005, Sec. 4): ring (p-1) alpha + (p-1)/p M / beta;
recursive halving (reduce-scatter) or doubling (all-gather, Bruck et al. 1997 for any p)
ceil(log2 p) alpha + (p-1)/p M / beta.

Oversubscription: the inter-node link's bandwidth is divided by the ratio of the tier above
it. That is the worst case (Al-Fares et al. 2008 define the ratio by it: the pattern in which
every host sends across the tier at once), which a collective reaches when its ring or tree
order does not follow the switch hierarchy or other jobs share the uplinks; a ring laid out
along the leaves crosses the tier only twice per leaf and would see far less.

Sources: Thakur, Rabenseifner & Gropp 2005, IJHPCA 19(1), doi:10.1177/1094342005051521;
Patarasuk & Yuan 2009, JPDC 69(2), doi:10.1016/j.jpdc.2008.09.002; Sanders, Speck & Traeff 2009,
Parallel Computing 35(12), doi:10.1016/j.parco.2009.09.001; NCCL 2.4 double binary trees,
https://developer.nvidia.com/blog/massively-scale-deep-learning-training-nccl-2-4/ and its
cost model, https://github.com/NVIDIA/nccl/blob/master/src/graph/tuning.cc; bus bandwidth,
https://github.com/NVIDIA/nccl-tests/blob/master/doc/PERFORMANCE.md; Bruck et al. 1997, IEEE
TPDS 8(11), doi:10.1109/71.642949; Li et al. 2014 (OSDI), "Scaling distributed machine learning
with the parameter server"; Al-Fares, Loukissas & Vahdat 2008, doi:10.1145/1402958.1402967.
"""
from __future__ import annotations

import math

from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
from ..core.types import Quantity
from . import _common as c

ALGORITHMS = ("ring", "tree", "hierarchical", "parameter_server")
GATHER_ALGORITHMS = ("ring", "recursive")


def ring_allreduce(n_bytes: float, p: int, bw: float, alpha: float) -> float:
    if p == 1:
        return 0.0
    return 2 * (p - 1) * alpha + 2 * (p - 1) / p * n_bytes / bw


def tree_allreduce(n_bytes: float, p: int, bw: float, alpha: float) -> float:
    """Pipelined double binary tree (see the module doc)."""
    if p == 1:
        return 0.0
    return 2 * math.ceil(math.log2(p)) * alpha + 2 * n_bytes / bw


def parameter_server_allreduce(n_bytes: float, p: int, bw: float, alpha: float) -> float:
    """One server among p devices: push (p-1) x M in, then send (p-1) x M out."""
    return 2 * (p - 1) * (alpha + n_bytes / bw)


def need_link(link, name: str = "link"):
    """An Interconnect (a registry Link from mlsysim.Systems.Links, a device's
    ``hardware.interconnect('NVLink')``), or the registry name of a link."""
    if isinstance(link, str):
        link = c.by_name("Systems", link, name)
    if not (hasattr(link, "bandwidth") and hasattr(link, "latency")):
        raise InvalidInputError(name, "an Interconnect or a Link of mlsysim.Systems.Links "
                                "(e.g. 'InfiniBand_NDR')", link)
    return link


class CollectiveResult(CheckedResult):
    """One collective: its time split into the latency (alpha) and bandwidth (beta) terms."""

    collective: str
    algorithm: str
    devices: int
    time: Quantity
    latency_term: Quantity
    bandwidth_term: Quantity
    bytes_sent_per_device: Quantity
    algorithm_bandwidth: Quantity
    bus_bandwidth: Quantity
    effective_bandwidth: Quantity
    oversubscription: float


#: The name of 0.1, kept: AllReduceModel's result.
AllReduceResult = CollectiveResult


class _Path:
    """The links a collective runs over, from the inputs (explicit values win over a
    ``link``, which wins over a ``fleet``)."""

    __slots__ = ("p", "bw", "a", "o", "g", "ibw", "ia")

    def __init__(self, *, devices, bandwidth, latency, link, fleet, oversubscription,
                 devices_per_node, intra_bandwidth, intra_latency):
        p = bw = a = o = g = ibw = ia = None
        if fleet is not None:
            _, n_acc, system = c.fleet_parts(fleet)
            p = n_acc
            fabric = getattr(system, "fabric", None)
            node = getattr(system, "node", system)
            intra = getattr(node, "intra_node", None)
            if intra is not None:
                ibw = intra.bandwidth.m_as(c.B_PER_S)
                ia = intra.latency.m_as(c.S) if intra.latency is not None else 0.0
                g = node.accelerators
            if fabric is not None:
                bw, a = fabric.bandwidth_per_gpu.m_as(c.B_PER_S), fabric.latency.m_as(c.S)
                o = float(fabric.oversubscription)
            elif intra is not None:
                bw, a = ibw, ia
        if link is not None:
            if bandwidth is not None:
                raise InvalidInputError("bandwidth", "no bandwidth when a link is given (the "
                                        "link has one)", bandwidth)
            link = need_link(link)
            bw = link.bandwidth.m_as(c.B_PER_S)
            a = link.latency.m_as(c.S) if link.latency is not None else 0.0
        self.p = c.positive_int("devices", devices) if devices is not None else p
        if self.p is None:
            raise InvalidInputError("devices", "a positive integer (or a fleet)", None)
        if bandwidth is not None:
            bw = c.qty("bandwidth", bandwidth, c.BANDWIDTH, c.B_PER_S)
        if bw is None:
            raise InvalidInputError("bandwidth", "a positive quantity of B/s (or a link, or a "
                                    "Cluster or Node as fleet)", None)
        if latency is not None:
            a = c.qty("latency", latency, c.TIME, c.S, allow_zero=True)
        self.bw, self.a = bw, a or 0.0
        self.o = c.num("oversubscription", oversubscription, lo=1.0) \
            if oversubscription is not None else (o or 1.0)
        self.g = c.positive_int("devices_per_node", devices_per_node) \
            if devices_per_node is not None else g
        self.ibw = c.qty("intra_bandwidth", intra_bandwidth, c.BANDWIDTH, c.B_PER_S) \
            if intra_bandwidth is not None else ibw
        self.ia = c.qty("intra_latency", intra_latency, c.TIME, c.S, allow_zero=True) \
            if intra_latency is not None else (ia or 0.0)
        if fleet is not None and self.g and self.p <= self.g and self.ibw is not None \
                and link is None and bandwidth is None:
            # the whole collective fits in one node: it runs on the intra-node link
            self.bw, self.a, self.o = self.ibw, self.ia, 1.0


def _result(collective, algorithm, p, n, lat, bw_term, sent, bus_factor, bw_eff, o,
            target_latency) -> CollectiveResult:
    total = lat + bw_term
    alg_bw = n / total if total > 0 else math.inf
    bus_bw = alg_bw * bus_factor if total > 0 else math.inf
    violations = [] if target_latency is None else c.violation(
        "collective time", total, c.qty("target_latency", target_latency, c.TIME, c.S), c.S)
    return CollectiveResult(
        collective=collective, algorithm=algorithm, devices=p, time=c.q(total, c.S),
        latency_term=c.q(lat, c.S), bandwidth_term=c.q(bw_term, c.S),
        bytes_sent_per_device=c.q(sent, c.B), algorithm_bandwidth=c.q(alg_bw, c.B_PER_S),
        bus_bandwidth=c.q(bus_bw, c.B_PER_S),
        effective_bandwidth=c.q(bw_eff, c.B_PER_S), oversubscription=o,
        violations=violations)


class AllReduceModel(BaseModel):
    """AllReduce time of ``message_bytes`` over ``devices`` with ``algorithm`` ring (default),
    tree (NCCL's double binary tree), hierarchical or parameter_server; the formulas and
    their sources are in this module's doc.

    The links come from ``bandwidth`` and ``latency`` (per device, per direction; the
    inter-node link for hierarchical), or a ``link`` (a registry Link such as
    "InfiniBand_NDR"), or a ``fleet``: a Cluster gives the devices, its fabric (bandwidth,
    latency, oversubscription) and its node (devices_per_node, intra-node link; a collective
    that fits in one node runs on it); a Node gives its intra-node link. Explicit inputs win.
    ``oversubscription`` divides the inter-node bandwidth (worst case, module doc).
    ``bus_bandwidth`` is nccl-tests' busbw (algorithm bandwidth x 2(p-1)/p), comparable to the
    link's bandwidth. A time over ``target_latency`` is a violated "collective time"."""

    requires = ("message_bytes",)
    produces = CollectiveResult

    def solve(self, *, message_bytes, devices=None, bandwidth=None, latency=None,
              algorithm="ring", link=None, fleet=None, oversubscription=None,
              devices_per_node=None, intra_bandwidth=None, intra_latency=None,
              target_latency=None) -> CollectiveResult:
        n = c.qty("message_bytes", message_bytes, c.BYTES, c.B)
        algorithm = c.choice("algorithm", algorithm, ALGORITHMS)
        path = _Path(devices=devices, bandwidth=bandwidth, latency=latency, link=link,
                     fleet=fleet, oversubscription=oversubscription,
                     devices_per_node=devices_per_node, intra_bandwidth=intra_bandwidth,
                     intra_latency=intra_latency)
        p, a, bw = path.p, path.a, path.bw / path.o
        if p == 1:
            return _result("allreduce", algorithm, p, n, 0.0, 0.0, 0.0, 0.0, bw, path.o,
                           target_latency)
        if algorithm == "ring":
            lat, sent = 2 * (p - 1) * a, 2 * (p - 1) / p * n
            bw_term = sent / bw
        elif algorithm == "tree":
            lat, sent = 2 * math.ceil(math.log2(p)) * a, 2.0 * n
            bw_term = sent / bw
        elif algorithm == "parameter_server":
            lat, sent = 2 * (p - 1) * a, (p - 1) * n
            bw_term = 2 * sent / bw
        else:
            lat, bw_term, sent = _hierarchical(n, p, path, bw)
        return _result("allreduce", algorithm, p, n, lat, bw_term, sent, 2 * (p - 1) / p, bw,
                       path.o, target_latency)


def _hierarchical(n, p, path, inter_bw):
    g = path.g
    if g is None:
        raise InvalidInputError("devices_per_node", "a positive integer (or a Cluster as "
                                "fleet) for the hierarchical algorithm", None)
    if p % g:
        raise InvalidInputError("devices_per_node", f"a divisor of devices={p}", g)
    if path.ibw is None:
        raise InvalidInputError("intra_bandwidth", "a positive quantity of B/s (or a Cluster "
                                "as fleet) for the hierarchical algorithm", None)
    nodes = p // g
    # reduce-scatter + all-gather inside the node = one intra-node ring AllReduce
    intra_lat = 2 * (g - 1) * path.ia if g > 1 else 0.0
    inter_lat = 2 * (nodes - 1) * path.a if nodes > 1 else 0.0
    intra_bw_term = 2 * (g - 1) / g * n / path.ibw
    inter_bytes = 2 * (nodes - 1) / nodes * n / g if nodes > 1 else 0.0
    sent = 2 * (g - 1) / g * n + inter_bytes
    return intra_lat + inter_lat, intra_bw_term + inter_bytes / inter_bw, sent


class _GatherModel(BaseModel):
    """Reduce-scatter or all-gather of ``message_bytes`` (the full, gathered tensor) over
    ``devices``: ring (default) (p-1) alpha + (p-1)/p M / beta, or recursive (halving or
    doubling) ceil(log2 p) alpha + (p-1)/p M / beta (Thakur et al. 2005). Links, fleet,
    oversubscription and ``target_latency`` as in AllReduceModel (no hierarchical form)."""

    requires = ("message_bytes",)
    produces = CollectiveResult
    collective = ""

    def solve(self, *, message_bytes, devices=None, bandwidth=None, latency=None,
              algorithm="ring", link=None, fleet=None, oversubscription=None,
              target_latency=None) -> CollectiveResult:
        n = c.qty("message_bytes", message_bytes, c.BYTES, c.B)
        algorithm = c.choice("algorithm", algorithm, GATHER_ALGORITHMS)
        path = _Path(devices=devices, bandwidth=bandwidth, latency=latency, link=link,
                     fleet=fleet, oversubscription=oversubscription, devices_per_node=None,
                     intra_bandwidth=None, intra_latency=None)
        p, bw = path.p, path.bw / path.o
        steps = 0 if p == 1 else (p - 1 if algorithm == "ring" else math.ceil(math.log2(p)))
        sent = (p - 1) / p * n
        return _result(self.collective, algorithm, p, n, steps * path.a, sent / bw, sent,
                       (p - 1) / p, bw, path.o, target_latency)


class ReduceScatterModel(_GatherModel):
    __doc__ = _GatherModel.__doc__.replace("Reduce-scatter or all-gather", "Reduce-scatter")
    collective = "reduce_scatter"


class AllGatherModel(_GatherModel):
    __doc__ = _GatherModel.__doc__.replace("Reduce-scatter or all-gather", "All-gather")
    collective = "all_gather"


class LinkTransferResult(SolverResult):
    link: str
    time: Quantity
    effective_bandwidth: Quantity


class LinkTransferModel(BaseModel):
    """Point-to-point transfer time = latency + bytes / bandwidth over one link (NVLink vs
    PCIe). ``link`` is an Interconnect, a registry Link or its name ("PCIe_Gen5_x16");
    ``latency`` overrides the link's. Or give ``bandwidth`` (and ``latency``) instead."""

    requires = ("message_bytes",)
    produces = LinkTransferResult

    def solve(self, *, message_bytes, link=None, bandwidth=None, latency=None
              ) -> LinkTransferResult:
        n = c.qty("message_bytes", message_bytes, c.BYTES, c.B)
        name = "link"
        if link is not None:
            if bandwidth is not None:
                raise InvalidInputError("bandwidth", "no bandwidth when a link is given (the "
                                        "link has one)", bandwidth)
            link = need_link(link)
            name, bandwidth = link.name, link.bandwidth
            latency = latency if latency is not None else link.latency
        bw = c.qty("bandwidth", bandwidth, c.BANDWIDTH, c.B_PER_S)
        a = c.qty("latency", latency, c.TIME, c.S, allow_zero=True) if latency is not None \
            else 0.0
        t = a + n / bw
        return LinkTransferResult(link=name, time=c.q(t, c.S),
                                  effective_bandwidth=c.q(n / t, c.B_PER_S))


class BisectionResult(SolverResult):
    full_bisection: Quantity
    bisection_bandwidth: Quantity
    per_endpoint_all_to_all: Quantity
    oversubscription: float


class BisectionBandwidthModel(BaseModel):
    """Bisection bandwidth of a fat tree of ``devices`` endpoints, each on a link of
    ``bandwidth``: full = devices x bandwidth / 2, divided by the oversubscription ratio of the
    upper tiers (e.g. 2:1 halves it). Under all-to-all traffic each endpoint gets
    bandwidth / oversubscription (Leiserson 1985; Al-Fares et al. 2008)."""

    requires = ("devices", "bandwidth")
    produces = BisectionResult

    def solve(self, *, devices, bandwidth, oversubscription=1.0) -> BisectionResult:
        n = c.positive_int("devices", devices, lo=2)
        bw = c.qty("bandwidth", bandwidth, c.BANDWIDTH, c.B_PER_S)
        o = c.num("oversubscription", oversubscription, lo=1.0)
        full = n * bw / 2
        return BisectionResult(full_bisection=c.q(full, c.B_PER_S),
                               bisection_bandwidth=c.q(full / o, c.B_PER_S),
                               per_endpoint_all_to_all=c.q(bw / o, c.B_PER_S),
                               oversubscription=o)
