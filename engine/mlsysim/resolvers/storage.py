"""Checkpoints: how long writing the training state takes, and how long the job stalls.

A checkpoint holds the weights and the optimizer state (not the gradients): in
mixed-precision Adam 2 + 12 = 14 bytes per parameter (Rajbhandari et al. 2020, Sec. 3.1;
the state table is memory.OPTIMIZERS). ``devices`` writers each send their shard at most at
``bandwidth`` (their path to storage); the storage absorbs at most its write bandwidth. The
slower of the two sets the write time, bytes / min(writers x per-writer, storage) (Young 1974
and Daly 2006 call the stall it causes the checkpoint cost C).

A synchronous checkpoint stalls the job for the whole write. An asynchronous one (e.g.
PyTorch Distributed Checkpoint's async save, Check-N-Run, Eisenman et al. 2022) stalls only
while each device copies its shard to host memory over ``bandwidth``; the write to storage
then runs behind training and must finish before the next checkpoint is due (``interval``).
"""
from __future__ import annotations

from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult
from ..core.types import Quantity
from . import _common as c
from .data import tier_or_bandwidth


class CheckpointResult(CheckedResult):
    checkpoint_bytes: Quantity
    write_bandwidth: Quantity
    write_time: Quantity
    checkpoint_time: Quantity
    bottleneck: str
    asynchronous: bool


class CheckpointModel(BaseModel):
    """Checkpoint write time and the stall it causes (module doc).

    Size: ``data_bytes``, or ``model``'s parameters x (weight + optimizer-state bytes of
    ``optimizer``, default mixed-precision Adam: 14 B). Storage: ``storage_bandwidth``, or a
    registry ``storage`` tier's write bandwidth x ``storage_units``. ``devices`` writers, each
    limited to ``bandwidth`` when given. ``overlap`` = True: asynchronous (the stall is the copy
    of each device's shard over ``bandwidth``, which it then needs). ``checkpoint_time`` is the
    stall (the C of YoungDalyModel). A stall over ``max_stall`` is a violated "checkpoint
    stall"; a write longer than ``interval`` (the next checkpoint is due) a violated
    "checkpoint write time"."""

    requires = ()
    produces = CheckpointResult

    def solve(self, *, model=None, data_bytes=None, optimizer="adam_mixed",
              storage_bandwidth=None, storage=None, storage_units=1, devices=1,
              bandwidth=None, overlap=False, max_stall=None, interval=None
              ) -> CheckpointResult:
        if (model is None) == (data_bytes is None):
            raise InvalidInputError("model", "exactly one of model and data_bytes", model)
        if data_bytes is not None:
            size = c.qty("data_bytes", data_bytes, c.BYTES, c.B)
        else:
            from .memory import OPTIMIZERS

            table = OPTIMIZERS[c.choice("optimizer", optimizer, tuple(OPTIMIZERS))]
            size = float(c.need_model(model).parameters) * (table["weights"]
                                                            + table["optimizer"])
        units = c.positive_int("storage_units", storage_units)
        tier, store = tier_or_bandwidth(storage, storage_bandwidth, units)
        if tier is not None:
            store = tier.write_bandwidth.m_as(c.B_PER_S) * units
        n = c.positive_int("devices", devices)
        per = c.opt_qty("bandwidth", bandwidth, c.BANDWIDTH, c.B_PER_S)
        writers = n * per if per is not None else float("inf")
        rate = min(store, writers)
        write = size / rate
        if not isinstance(overlap, bool):
            raise InvalidInputError("overlap", "True or False", overlap)
        if overlap:
            if per is None:
                raise InvalidInputError("bandwidth", "each device's copy bandwidth to host "
                                        "memory, for an asynchronous (overlap) checkpoint", None)
            stall = size / n / per
        else:
            stall = write
        violations = []
        if max_stall is not None:
            violations += c.violation("checkpoint stall", stall,
                                      c.qty("max_stall", max_stall, c.TIME, c.S), c.S)
        if interval is not None:
            violations += c.violation("checkpoint write time", write,
                                      c.qty("interval", interval, c.TIME, c.S), c.S)
        return CheckpointResult(
            checkpoint_bytes=c.q(size, c.B), write_bandwidth=c.q(rate, c.B_PER_S),
            write_time=c.q(write, c.S), checkpoint_time=c.q(stall, c.S),
            bottleneck="storage" if store <= writers else "writers", asynchronous=overlap,
            violations=violations)
