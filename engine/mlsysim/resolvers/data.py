"""Data: input pipelines, data gravity, storage I/O versus accelerator demand.

A pipeline of stages runs at the rate of its slowest stage; the accelerator then idles for
the rest. Moving a data set costs bytes / bandwidth ("data gravity": large data sets pull
compute to where they live).
"""
from __future__ import annotations

from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c


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
        rates = {k: c.qty(f"stages[{k!r}]", v, c.RATE, c.S ** -1, example="2000 1/s")
                 for k, v in stages.items()}
        slow = min(rates, key=rates.get)
        thr = rates[slow]
        util = 1.0
        if target_throughput is not None:
            util = min(1.0, thr / c.qty("target_throughput", target_throughput, c.RATE,
                                        c.S ** -1))
        return DataPipelineResult(throughput=c.q(thr, c.S ** -1), bottleneck=slow,
                                  accelerator_utilization=util,
                                  stage_rates={k: c.q(v, c.S ** -1) for k, v in rates.items()})


class TransferResult(SolverResult):
    time: Quantity
    days: float


class DataGravityModel(BaseModel):
    """Time to move ``data_bytes`` over a path that sustains ``bandwidth`` (give the achieved
    rate, not the line rate)."""

    requires = ("data_bytes", "bandwidth")
    produces = TransferResult

    def solve(self, *, data_bytes, bandwidth) -> TransferResult:
        n = c.qty("data_bytes", data_bytes, c.BYTES, c.B)
        bw = c.qty("bandwidth", bandwidth, c.BANDWIDTH, c.B_PER_S)
        t = n / bw
        return TransferResult(time=c.q(t, c.S), days=t / 86400)


class StorageIOResult(SolverResult):
    required_bandwidth: Quantity
    available_bandwidth: Quantity
    io_bound: bool
    accelerator_utilization: float


class StorageIOModel(BaseModel):
    """Read bandwidth the accelerators need (``target_throughput`` samples/s per device x
    ``bytes_per_sample`` x ``devices``) versus what storage delivers."""

    requires = ("target_throughput", "bytes_per_sample", "storage_bandwidth")
    produces = StorageIOResult

    def solve(self, *, target_throughput, bytes_per_sample, storage_bandwidth, devices=1
              ) -> StorageIOResult:
        r = c.qty("target_throughput", target_throughput, c.RATE, c.S ** -1)
        b = c.qty("bytes_per_sample", bytes_per_sample, c.BYTES, c.B)
        s = c.qty("storage_bandwidth", storage_bandwidth, c.BANDWIDTH, c.B_PER_S)
        need = r * b * c.positive_int("devices", devices)
        return StorageIOResult(required_bandwidth=c.q(need, c.B_PER_S),
                               available_bandwidth=c.q(s, c.B_PER_S), io_bound=need > s,
                               accelerator_utilization=min(1.0, s / need))
