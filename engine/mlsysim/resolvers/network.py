"""Networks at two scales: the fat tree a cluster is wired with, and the wide-area path a
request travels.

Fat tree (Al-Fares, Loukissas & Vahdat 2008, "A scalable, commodity data center network
architecture"): with k-port switches, a three-tier fat tree has k pods, each of k/2 edge and
k/2 aggregation switches, and (k/2)^2 core switches: k^3/4 hosts on 5k^2/4 switches; two tiers
(leaf and spine) reach k^2/2 hosts. An oversubscription o at the edge gives each edge switch
d = floor(k o / (1 + o)) host ports and k - d uplinks (o = 1: k/2 each); the tiers above stay
non-blocking. Hosts are packed onto as few edge switches, pods and tiers as will hold them.

Propagation: light in silica fibre travels at c / n_g, n_g the group index (~1.468 for
ITU-T G.652 fibre at 1550 nm): about 4.9 us per km, so 3,000 km one way is ~14.7 ms and the
round trip ~29 ms before any queueing, transfer or compute. The latency waterfall stacks
network, queueing, data movement, compute and overhead, in that order.

Sources: Al-Fares, Loukissas & Vahdat 2008 (SIGCOMM), doi:10.1145/1402958.1402967; the fibre
group index, the speed of light and the prices are declared below with theirs.
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
from ..core.types import Quantity
from . import _common as c
from .communication import need_link

LENGTH = "[length]"
M = c.ureg.meter

SPEED_OF_LIGHT = assume(
    "network.SPEED_OF_LIGHT", 299_792_458.0, "convention",
    "Speed of light in vacuum, exact by the SI definition of the metre (17th CGPM, 1983), m/s",
    "https://www.bipm.org/en/si-base-units/metre")
FIBER_GROUP_INDEX = assume(
    "network.FIBER_GROUP_INDEX", 1.4682, "estimate",
    "Effective group index of standard single-mode fibre (ITU-T G.652.D; Corning SMF-28 Ultra "
    "product information: 1.4682 at 1550 nm, 1.4676 at 1310 nm)",
    "https://www.corning.com/optical-communications/worldwide/en/home/products/fiber/"
    "optical-fiber-products/smf-28-ultra.html",
    "Figure as printed in Corning's product information, not re-checked here. Light then "
    "travels at c / 1.4682 = 204,190 km/s, 4.90 us per km (the 'two thirds of c' rule).")
DEFAULT_RADIX = assume(
    "network.DEFAULT_RADIX", 64, "datasheet",
    "NVIDIA Quantum-2 QM9700 InfiniBand switch: 64 ports of NDR 400 Gb/s",
    "https://www.nvidia.com/en-us/networking/quantum2/")
SWITCH_PRICE = assume(
    "network.SWITCH_PRICE", 36_000.0, "estimate",
    "Price of a 64-port 400 Gb/s InfiniBand switch, USD: $36k (FS.com's version, Aug 2024; "
    "NVIDIA's own ~$50k), as used in a public H100 cluster cost sheet",
    "https://docs.google.com/spreadsheets/d/1Ft3RbeZ-w43kYSiLfYc1vxO41mK5lmJpcPC9GOYHAWc",
    "List prices; volume buyers pay less. For another radix or speed, pass switch_price.")
OPTIC_PRICE = assume(
    "network.OPTIC_PRICE", 640.0, "estimate",
    "Optics and cabling per 400 Gb/s port end (one transceiver plus its share of the cable), "
    "USD: the same sheet's $2,560 per GPU of 'connector & cable' for a two-tier non-blocking "
    "fabric, which has four port ends per GPU (host link and leaf-spine link, two ends each)",
    "https://docs.google.com/spreadsheets/d/1Ft3RbeZ-w43kYSiLfYc1vxO41mK5lmJpcPC9GOYHAWc",
    "Our arithmetic on the sheet's prices (Aug 2024): 2,560 / 4 = 640 USD.")


def fat_tree(hosts: int, k: int, o: float) -> dict:
    """Switch and link counts of the smallest fat tree of k-port switches holding ``hosts``
    with edge oversubscription ``o`` (see the module doc). ``capacity`` is the most hosts a
    three-tier tree of this radix and ratio holds."""
    d = min(k - 1, int(math.floor(k * o / (1 + o) + 1e-9)))
    u = k - d
    capacity = k * (k // 2) * d
    if hosts <= k:  # one switch
        return dict(tiers=1, edge=1, aggregation=0, core=0, host_ports=d, capacity=capacity,
                    links=hosts, uplinks=0)
    edges = math.ceil(hosts / d)
    if edges <= k:  # leaf-spine: every leaf reaches every spine
        spines = math.ceil(edges * u / k)
        return dict(tiers=2, edge=edges, aggregation=spines, core=0, host_ports=d,
                    capacity=capacity, links=hosts + edges * u, uplinks=edges * u)
    pods = math.ceil(edges / (k // 2))
    aggs = pods * u
    core = math.ceil(aggs * (k // 2) / k)
    return dict(tiers=3, edge=edges, aggregation=aggs, core=core, host_ports=d,
                capacity=capacity, links=hosts + edges * u + aggs * (k // 2),
                uplinks=edges * u + aggs * (k // 2))


class FatTreeResult(CheckedResult):
    tiers: int
    switches: int
    edge_switches: int
    aggregation_switches: int
    core_switches: int
    hosts_per_edge_switch: int
    max_devices: int
    links: int
    transceivers: int
    switch_cost: Quantity
    optics_cost: Quantity
    cost: Quantity
    cost_per_device: Quantity
    oversubscription: float
    bisection_bandwidth: Quantity | None
    per_device_all_to_all: Quantity | None


class FatTreeModel(BaseModel):
    """Switches, links and cost of a fat tree joining ``devices`` hosts (one port each) with
    ``radix``-port switches and edge ``oversubscription`` (Al-Fares et al. 2008; module doc).

    Cost = switches x ``switch_price`` + transceivers x ``optic_price``, two transceivers per
    link (host links included; copper for the shortest would cost less); the default prices
    are cited estimates for 64-port 400 Gb/s InfiniBand. Give the port ``bandwidth`` (or a
    registry ``link``) for the bisection bandwidth, devices x bandwidth / 2 / oversubscription
    (a single switch, tiers 1, has no upper tier to oversubscribe: its bisection is full).
    More devices than three tiers of this radix hold (k^3/4 at 1:1) is a violated "fat-tree
    hosts"; a cost over ``budget`` a violated "network cost"."""

    requires = ("devices",)
    produces = FatTreeResult

    def solve(self, *, devices, radix=DEFAULT_RADIX, oversubscription=1.0, bandwidth=None,
              link=None, switch_price=None, optic_price=None, budget=None) -> FatTreeResult:
        n = c.positive_int("devices", devices, lo=2)
        k = c.positive_int("radix", radix, lo=4)
        if k % 2:
            raise InvalidInputError("radix", "an even number of switch ports", k)
        o = c.num("oversubscription", oversubscription, lo=1.0)
        if link is not None:
            if bandwidth is not None:
                raise InvalidInputError("bandwidth", "no bandwidth when a link is given (the "
                                        "link has one)", bandwidth)
            bandwidth = need_link(link).bandwidth
        bw = c.opt_qty("bandwidth", bandwidth, c.BANDWIDTH, c.B_PER_S)
        sw_usd = SWITCH_PRICE if switch_price is None else \
            c.qty("switch_price", switch_price, c.CURRENCY, c.USD, allow_zero=True)
        op_usd = OPTIC_PRICE if optic_price is None else \
            c.qty("optic_price", optic_price, c.CURRENCY, c.USD, allow_zero=True)
        t = fat_tree(n, k, o)
        switches = t["edge"] + t["aggregation"] + t["core"]
        transceivers = 2 * t["links"]
        sw_cost, op_cost = switches * sw_usd, transceivers * op_usd
        total = sw_cost + op_cost
        blocking = o if t["tiers"] > 1 else 1.0  # one switch is non-blocking: no uplinks
        violations = c.violation("fat-tree hosts", n, t["capacity"], c.DIMLESS)
        if budget is not None:
            violations += c.violation("network cost", total,
                                      c.qty("budget", budget, c.CURRENCY, c.USD), c.USD)
        return FatTreeResult(
            tiers=t["tiers"], switches=switches, edge_switches=t["edge"],
            aggregation_switches=t["aggregation"], core_switches=t["core"],
            hosts_per_edge_switch=t["host_ports"], max_devices=t["capacity"],
            links=t["links"], transceivers=transceivers, switch_cost=c.q(sw_cost, c.USD),
            optics_cost=c.q(op_cost, c.USD), cost=c.q(total, c.USD),
            cost_per_device=c.q(total / n, c.USD), oversubscription=o,
            bisection_bandwidth=None if bw is None else c.q(n * bw / 2 / blocking, c.B_PER_S),
            per_device_all_to_all=None if bw is None else c.q(bw / blocking, c.B_PER_S),
            violations=violations)


def fiber_delay(distance_m: float) -> float:
    """One-way time of light over ``distance_m`` metres of fibre, seconds."""
    return distance_m * FIBER_GROUP_INDEX / SPEED_OF_LIGHT


class PropagationResult(SolverResult):
    one_way: Quantity
    round_trip: Quantity
    total: Quantity
    speed: Quantity
    delay_per_km: Quantity


class PropagationDelayModel(BaseModel):
    """Time light needs over ``distance`` of optical fibre (c / group index, module doc):
    one way, one round trip, and ``round_trips`` of them (total). Routes are longer than the
    straight line; give the fibre distance when known."""

    requires = ("distance",)
    produces = PropagationResult

    def solve(self, *, distance, round_trips=1) -> PropagationResult:
        d = c.qty("distance", distance, LENGTH, M, allow_zero=True)
        r = c.num("round_trips", round_trips, lo=0)
        one = fiber_delay(d)
        return PropagationResult(
            one_way=c.q(one, c.S), round_trip=c.q(2 * one, c.S), total=c.q(2 * one * r, c.S),
            speed=c.q(SPEED_OF_LIGHT / FIBER_GROUP_INDEX, M / c.S),
            delay_per_km=c.q(fiber_delay(1000.0), c.S))


WATERFALL = ("network", "queueing", "data movement", "compute", "overhead")


class WaterfallResult(CheckedResult):
    total: Quantity
    segments: dict
    shares: dict
    bottleneck: str
    propagation_delay: Quantity
    link_latency: Quantity
    target_latency: Quantity | None


class LatencyWaterfallModel(BaseModel):
    """End-to-end latency of one request as a stacked waterfall, in order: network
    (``round_trips`` x the fibre round trip over ``distance``, plus the ``link``'s round
    trip per round trip when a registry access link such as "LTE" is given), queueing
    (``queueing_time``), data movement (``data_bytes`` / ``bandwidth``, or over the link's
    bandwidth), compute (``compute_time``) and ``overhead``. Absent terms are zero. A total
    over ``target_latency`` is a violated "end-to-end latency" (the SLA is missed)."""

    requires = ()
    produces = WaterfallResult

    def solve(self, *, distance=None, round_trips=1, queueing_time=None, data_bytes=None,
              bandwidth=None, link=None, compute_time=None, overhead=None,
              target_latency=None) -> WaterfallResult:
        d = c.opt_qty("distance", distance, LENGTH, M, allow_zero=True) or 0.0
        r = c.num("round_trips", round_trips, lo=0)
        link_rtt = 0.0
        if link is not None:
            if bandwidth is not None:
                raise InvalidInputError("bandwidth", "no bandwidth when a link is given (the "
                                        "link has one)", bandwidth)
            link = need_link(link)
            bandwidth = link.bandwidth
            link_rtt = 2 * link.latency.m_as(c.S) if link.latency is not None else 0.0
        prop = 2 * fiber_delay(d) * r
        moved = 0.0
        if data_bytes is not None:
            n = c.qty("data_bytes", data_bytes, c.BYTES, c.B, allow_zero=True)
            if bandwidth is None:
                raise InvalidInputError("bandwidth", "a positive quantity of B/s (or a link) "
                                        "to move data_bytes", None)
            moved = n / c.qty("bandwidth", bandwidth, c.BANDWIDTH, c.B_PER_S)
        elif bandwidth is not None and link is None:
            raise InvalidInputError("data_bytes", "the bytes moved over bandwidth", None)
        times = dict(zip(WATERFALL, (
            prop + r * link_rtt,
            c.opt_qty("queueing_time", queueing_time, c.TIME, c.S, allow_zero=True) or 0.0,
            moved,
            c.opt_qty("compute_time", compute_time, c.TIME, c.S, allow_zero=True) or 0.0,
            c.opt_qty("overhead", overhead, c.TIME, c.S, allow_zero=True) or 0.0)))
        total = sum(times.values())
        target = c.opt_qty("target_latency", target_latency, c.TIME, c.S)
        return WaterfallResult(
            total=c.q(total, c.S), segments={k: c.q(v, c.S) for k, v in times.items()},
            shares={k: (v / total if total > 0 else 0.0) for k, v in times.items()},
            bottleneck=max(times, key=times.get), propagation_delay=c.q(prop, c.S),
            link_latency=c.q(r * link_rtt, c.S),
            target_latency=None if target is None else c.q(target, c.S),
            violations=[] if target is None else
            c.violation("end-to-end latency", total, target, c.S))
