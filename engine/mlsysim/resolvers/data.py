"""Data: input pipelines, data gravity, storage I/O versus accelerator demand.

A pipeline of stages runs at the rate of its slowest stage; the accelerator then idles for
the rest. Moving a data set costs bytes / bandwidth and, out of a cloud, its egress price
("data gravity": large data sets pull compute to where they live).

Storage serves a loader at the lowest of three rates: bandwidth / bytes per sample; reads per
second, where a random read costs one I/O and the reads in flight bound the rate by Little's
law (in flight / latency, Little 1961) below the device's IOPS at high queue depth; and, for
one file per sample, the metadata service's operations per second / operations per file
(open and close). Packed shards read sequentially escape the last two.
"""
from __future__ import annotations

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
from ..core.types import Quantity
from . import _common as c
from .communication import need_link

ACCESS_PATTERNS = ("sequential", "random", "small_files")
METADATA_OPS_PER_FILE = assume(
    "data.METADATA_OPS_PER_FILE", 2, "estimate",
    "Reading a whole file through a parallel file system costs an open and a close on the "
    "metadata server (Lustre Operations Manual, 'Understanding Lustre': the MDS serves "
    "namespace operations; the client then reads the OSTs directly)",
    "https://doc.lustre.org/lustre_manual.xhtml",
    "A stat before the open (as many loaders do) would make it 3.")
PER_S = c.S ** -1
USD_PER_B = c.USD / c.B


def need_storage(storage, name: str = "storage"):
    """A StorageTier of mlsysim.Systems.Storage (or its name)."""
    if isinstance(storage, str):
        storage = c.by_name("Systems", storage, name)
    if not hasattr(storage, "read_iops"):
        raise InvalidInputError(name, "a StorageTier of mlsysim.Systems.Storage (e.g. "
                                "'Local_NVMe')", storage)
    return storage


def tier_or_bandwidth(storage, storage_bandwidth, units: int):
    """(StorageTier, None) when a storage tier is given, or (None, bytes/s) for an explicit
    ``storage_bandwidth``; never both, and ``storage_units`` only multiplies a tier."""
    if storage is not None:
        if storage_bandwidth is not None:
            raise InvalidInputError("storage_bandwidth", "no storage_bandwidth when a storage "
                                    "tier is given (it has one)", storage_bandwidth)
        return need_storage(storage), None
    if storage_bandwidth is None:
        raise InvalidInputError("storage_bandwidth", "a positive quantity of B/s (or a "
                                "storage tier)", None)
    if units != 1:
        raise InvalidInputError("storage_units", "1 without a storage tier", units)
    return None, c.qty("storage_bandwidth", storage_bandwidth, c.BANDWIDTH, c.B_PER_S)


class DataPipelineResult(SolverResult):
    throughput: Quantity
    bottleneck: str
    accelerator_utilization: float
    stage_rates: dict


class DataPipelineModel(BaseModel):
    """Pipeline throughput = min over ``stages`` (name -> samples/s); accelerator
    utilisation = min(1, throughput / ``target_throughput``), the rate the accelerator could
    consume."""

    requires = ("stages",)
    produces = DataPipelineResult

    def solve(self, *, stages, target_throughput=None) -> DataPipelineResult:
        if not hasattr(stages, "items") or not stages:
            raise InvalidInputError("stages", "a mapping stage name -> rate (1/s)", stages)
        rates = {k: c.qty(f"stages[{k!r}]", v, c.RATE, PER_S, example="2000 1/s")
                 for k, v in stages.items()}
        slow = min(rates, key=rates.get)
        thr = rates[slow]
        util = 1.0
        if target_throughput is not None:
            util = min(1.0, thr / c.qty("target_throughput", target_throughput, c.RATE,
                                        PER_S))
        return DataPipelineResult(throughput=c.q(thr, PER_S), bottleneck=slow,
                                  accelerator_utilization=util,
                                  stage_rates={k: c.q(v, PER_S) for k, v in rates.items()})


class TransferResult(CheckedResult):
    time: Quantity
    days: float
    bandwidth: Quantity
    egress_cost: Quantity | None


class DataGravityModel(BaseModel):
    """Time to move ``data_bytes`` over a path that sustains ``bandwidth`` (give the achieved
    rate, not the line rate) or over a registry ``link``; with ``egress_price`` (USD per byte,
    or an entry of mlsysim.Systems.Egress, whose bands are walked in order) what leaving the
    cloud costs. A time over ``deadline`` is a violated "transfer time"; a cost over ``budget``
    a violated "egress cost". Moving the compute to the data instead is the same call with the
    bytes that would move then (a model, a container)."""

    requires = ("data_bytes",)
    produces = TransferResult

    def solve(self, *, data_bytes, bandwidth=None, link=None, egress_price=None,
              deadline=None, budget=None) -> TransferResult:
        n = c.qty("data_bytes", data_bytes, c.BYTES, c.B)
        if link is not None:
            if bandwidth is not None:
                raise InvalidInputError("bandwidth", "no bandwidth when a link is given (the "
                                        "link has one)", bandwidth)
            bandwidth = need_link(link).bandwidth
        if bandwidth is None:
            raise InvalidInputError("bandwidth", "a positive quantity of B/s (or a link)", None)
        bw = c.qty("bandwidth", bandwidth, c.BANDWIDTH, c.B_PER_S)
        t = n / bw
        cost = None if egress_price is None else _egress_usd(egress_price, n)
        violations = []
        if deadline is not None:
            violations += c.violation("transfer time", t,
                                      c.qty("deadline", deadline, c.TIME, c.S), c.S)
        if budget is not None:
            if cost is None:
                raise InvalidInputError("egress_price", "a price to compare with the budget",
                                        None)
            violations += c.violation("egress cost", cost,
                                      c.qty("budget", budget, c.CURRENCY, c.USD,
                                            allow_zero=True), c.USD)
        return TransferResult(time=c.q(t, c.S), days=t / 86400, bandwidth=c.q(bw, c.B_PER_S),
                              egress_cost=None if cost is None else c.q(cost, c.USD),
                              violations=violations)


def _egress_usd(price, n_bytes: float) -> float:
    if isinstance(price, str):
        try:
            price = c.by_name("Systems", price, "egress_price")
        except InvalidInputError:
            pass  # not a registry name: a quantity such as "0.09 USD/GB"
    if hasattr(price, "cost_usd"):
        return price.cost_usd(n_bytes)
    return n_bytes * c.qty("egress_price", price, "[currency]/[information]", USD_PER_B,
                           allow_zero=True, example="0.09 USD/GB")


class StorageIOResult(CheckedResult):
    required_bandwidth: Quantity
    available_bandwidth: Quantity
    required_iops: Quantity
    available_iops: Quantity | None
    required_metadata_rate: Quantity
    available_metadata_rate: Quantity | None
    achieved_throughput: Quantity
    bottleneck: str
    io_bound: bool
    accelerator_utilization: float


class StorageIOModel(BaseModel):
    """Can storage feed ``devices`` accelerators that each consume ``target_throughput``
    samples/s of ``bytes_per_sample``? The storage is ``storage_bandwidth``, or a registry
    ``storage`` tier (x ``storage_units`` drives, appliances or prefixes in parallel:
    bandwidth and IOPS scale; a parallel file system keeps one metadata service, an object
    store's per-prefix request rate scales).

    ``access_pattern``: "sequential" (packed shards; bandwidth only), "random" (one random
    read per sample: at most the tier's IOPS, and with ``in_system`` reads in flight at most
    in_system / latency, Little's law), "small_files" (random, plus one file per sample:
    METADATA_OPS_PER_FILE metadata operations each). The samples/s delivered is the lowest
    rate; each limit the demand exceeds is a violated constraint ("storage bandwidth",
    "storage IOPS", "metadata rate"), and utilisation = delivered / demanded."""

    requires = ("target_throughput", "bytes_per_sample")
    produces = StorageIOResult

    def solve(self, *, target_throughput, bytes_per_sample, storage_bandwidth=None,
              storage=None, storage_units=1, devices=1, access_pattern="sequential",
              in_system=None) -> StorageIOResult:
        r = c.qty("target_throughput", target_throughput, c.RATE, PER_S)
        b = c.qty("bytes_per_sample", bytes_per_sample, c.BYTES, c.B)
        pattern = c.choice("access_pattern", access_pattern, ACCESS_PATTERNS)
        units = c.positive_int("storage_units", storage_units)
        demand = r * c.positive_int("devices", devices)  # samples/s
        iops = meta = lat = None
        tier, bw = tier_or_bandwidth(storage, storage_bandwidth, units)
        if tier is not None:
            bw = tier.read_bandwidth.m_as(c.B_PER_S) * units
            iops = tier.read_iops.m_as(PER_S) * units
            lat = tier.latency.m_as(c.S)
            if tier.metadata_rate is not None:
                meta = tier.metadata_rate.m_as(PER_S) * (units if tier.kind == "object" else 1)
        elif pattern != "sequential":
            raise InvalidInputError("access_pattern", "'sequential' without a storage tier "
                                    "(random reads need its IOPS and latency)", pattern)
        if in_system is not None:
            flight = c.num("in_system", in_system, lo=0, lo_open=True)
            if lat is None:
                raise InvalidInputError("in_system", "a storage tier (its latency bounds the "
                                        "rate of in_system reads in flight)", in_system)
            iops = min(iops, flight / lat)
        limits = {"bandwidth": bw / b}
        if pattern != "sequential" and iops is not None:
            limits["iops"] = iops
        if pattern == "small_files" and meta is not None:
            limits["metadata"] = meta / METADATA_OPS_PER_FILE
        binding = min(limits, key=limits.get)
        achieved = min(demand, limits[binding])
        need_reads = demand if pattern != "sequential" else 0.0
        need_meta = demand * METADATA_OPS_PER_FILE if pattern == "small_files" else 0.0
        violations = c.violation("storage bandwidth", demand * b, bw, c.B_PER_S)
        if "iops" in limits:
            violations += c.violation("storage IOPS", need_reads, iops, PER_S)
        if "metadata" in limits:
            violations += c.violation("metadata rate", need_meta, meta, PER_S)
        return StorageIOResult(
            required_bandwidth=c.q(demand * b, c.B_PER_S), available_bandwidth=c.q(bw, c.B_PER_S),
            required_iops=c.q(need_reads, PER_S),
            available_iops=None if iops is None else c.q(iops, PER_S),
            required_metadata_rate=c.q(need_meta, PER_S),
            available_metadata_rate=None if meta is None else c.q(meta, PER_S),
            achieved_throughput=c.q(achieved, PER_S),
            bottleneck=binding if limits[binding] < demand else "none",
            io_bound=limits[binding] < demand, accelerator_utilization=achieved / demand,
            violations=violations)
