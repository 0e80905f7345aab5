"""Collective communication with the alpha-beta model: T = (messages) x alpha + bytes / beta.

AllReduce of N bytes over p devices (Thakur et al. 2005, "Optimization of collective
communication operations in MPICH"; Patarasuk & Yuan 2009 for the ring):
- ring:  2 (p-1) alpha + 2 (p-1)/p x N / BW       (bandwidth-optimal)
- tree:  2 ceil(log2 p) x (alpha + N / BW)          (reduce then broadcast; latency-optimal)
- hierarchical: ring reduce-scatter inside each node of g devices, ring AllReduce of N/g
  across nodes, ring all-gather inside the node.
BW is the per-device, per-direction link bandwidth.
"""
from __future__ import annotations

import math

from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c

ALGORITHMS = ("ring", "tree", "hierarchical")


def ring_allreduce(n_bytes: float, p: int, bw: float, alpha: float) -> float:
    if p == 1:
        return 0.0
    return 2 * (p - 1) * alpha + 2 * (p - 1) / p * n_bytes / bw


def tree_allreduce(n_bytes: float, p: int, bw: float, alpha: float) -> float:
    if p == 1:
        return 0.0
    return 2 * math.ceil(math.log2(p)) * (alpha + n_bytes / bw)


class AllReduceResult(SolverResult):
    algorithm: str
    time: Quantity
    latency_term: Quantity
    bandwidth_term: Quantity
    bytes_sent_per_device: Quantity
    algorithm_bandwidth: Quantity


class AllReduceModel(BaseModel):
    """AllReduce time of ``message_bytes`` over ``devices`` (ring, tree or hierarchical).

    ``bandwidth`` and ``latency`` describe the link each device uses (inter-node for
    hierarchical); hierarchical also needs ``devices_per_node``, ``intra_bandwidth`` and
    ``intra_latency`` (default 0)."""

    requires = ("message_bytes", "devices", "bandwidth")
    produces = AllReduceResult

    def solve(self, *, message_bytes, devices, bandwidth, latency=None, algorithm="ring",
              devices_per_node=None, intra_bandwidth=None, intra_latency=None
              ) -> AllReduceResult:
        n = c.qty("message_bytes", message_bytes, c.BYTES, c.B)
        p = c.positive_int("devices", devices)
        bw = c.qty("bandwidth", bandwidth, c.BANDWIDTH, c.B_PER_S)
        a = c.qty("latency", latency, c.TIME, c.S, allow_zero=True) if latency is not None \
            else 0.0
        algorithm = c.choice("algorithm", algorithm, ALGORITHMS)
        if algorithm == "ring":
            lat = 2 * (p - 1) * a if p > 1 else 0.0
            total = ring_allreduce(n, p, bw, a)
            sent = 2 * (p - 1) / p * n
        elif algorithm == "tree":
            steps = 2 * math.ceil(math.log2(p)) if p > 1 else 0
            lat, total, sent = steps * a, tree_allreduce(n, p, bw, a), steps * n
        else:
            g = c.positive_int("devices_per_node", devices_per_node)
            if p % g:
                raise InvalidInputError("devices_per_node", f"a divisor of devices={p}", g)
            ibw = c.qty("intra_bandwidth", intra_bandwidth, c.BANDWIDTH, c.B_PER_S)
            ia = c.qty("intra_latency", intra_latency, c.TIME, c.S, allow_zero=True) \
                if intra_latency is not None else 0.0
            nodes = p // g
            # reduce-scatter + all-gather inside the node = one intra-node ring AllReduce
            intra = ring_allreduce(n, g, ibw, ia)
            inter = ring_allreduce(n / g, nodes, bw, a)
            total = intra + inter
            lat = (2 * (g - 1) * ia if g > 1 else 0.0) + (2 * (nodes - 1) * a if nodes > 1
                                                         else 0.0)
            sent = 2 * (g - 1) / g * n + (2 * (nodes - 1) / nodes * n / g if nodes > 1 else 0)
        return AllReduceResult(
            algorithm=algorithm, time=c.q(total, c.S), latency_term=c.q(lat, c.S),
            bandwidth_term=c.q(total - lat, c.S), bytes_sent_per_device=c.q(sent, c.B),
            algorithm_bandwidth=c.q(n / total if total > 0 else math.inf, c.B_PER_S))


class LinkTransferResult(SolverResult):
    link: str
    time: Quantity
    effective_bandwidth: Quantity


class LinkTransferModel(BaseModel):
    """Point-to-point transfer time = latency + bytes / bandwidth over one link (NVLink vs
    PCIe). ``link`` is an Interconnect, or give ``bandwidth`` (and ``latency``)."""

    requires = ("message_bytes",)
    produces = LinkTransferResult

    def solve(self, *, message_bytes, link=None, bandwidth=None, latency=None
              ) -> LinkTransferResult:
        n = c.qty("message_bytes", message_bytes, c.BYTES, c.B)
        name = "link"
        if link is not None:
            if not hasattr(link, "bandwidth"):
                raise InvalidInputError("link", "an Interconnect (e.g. hardware.interconnect("
                                        "'NVLink'))", link)
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
