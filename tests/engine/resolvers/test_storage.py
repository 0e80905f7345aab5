"""Checkpoint write time and stall (Vol II Labs 04 and 07)."""
import pytest

import mlsysim
from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.core.pipeline import Pipeline
from mlsysim.resolvers import CheckpointModel, YoungDalyModel

S = mlsysim.Systems
LLAMA70 = mlsysim.Models.Llama3_70B


def test_checkpoint_size_is_weights_plus_optimizer_state():
    # Mixed-precision Adam (Rajbhandari et al. 2020): 2 B fp16 weights + 12 B fp32 master
    # weights, momentum and variance = 14 B per parameter; gradients are not saved.
    r = CheckpointModel().solve(model=LLAMA70, storage_bandwidth=Q_(10, "GB/s"))
    assert r.checkpoint_bytes.m_as("B") == pytest.approx(LLAMA70.parameters * 14)
    sgd = CheckpointModel().solve(model=LLAMA70, optimizer="sgd_plain",
                                  storage_bandwidth=Q_(10, "GB/s"))
    assert sgd.checkpoint_bytes.m_as("B") == pytest.approx(LLAMA70.parameters * 4)


def test_write_time_is_bytes_over_the_slower_of_storage_and_writers():
    size = LLAMA70.parameters * 14
    # one Lustre appliance absorbs 65 GB/s; 64 writers at 25 GB/s could send 1.6 TB/s
    pfs = CheckpointModel().solve(model=LLAMA70, storage="Parallel_FS", devices=64,
                                  bandwidth=Q_(25, "GB/s"))
    assert pfs.write_time.m_as("s") == pytest.approx(size / 65e9)
    assert pfs.bottleneck == "storage" and pfs.checkpoint_time == pfs.write_time
    # 2 writers at 12.5 GB/s each: the writers bind
    few = CheckpointModel().solve(model=LLAMA70, storage="Parallel_FS", devices=2,
                                  bandwidth=Q_(12.5, "GB/s"))
    assert few.bottleneck == "writers" and few.write_time.m_as("s") == pytest.approx(size / 25e9)
    # four appliances
    four = CheckpointModel().solve(model=LLAMA70, storage="Parallel_FS", storage_units=4)
    assert four.write_time.m_as("s") == pytest.approx(size / 260e9)


def test_a_stall_longer_than_allowed_is_a_violation():
    # Vol II Lab 04's failure: ~988 GB to one S3 prefix client at 12.5 GB/s = 79 s > 60 s.
    slow = CheckpointModel().solve(model=LLAMA70, storage="Object_Store",
                                   max_stall=Q_(60, "s"))
    assert not slow.feasible
    assert slow.violation("checkpoint stall").required.m_as("s") == pytest.approx(
        LLAMA70.parameters * 14 / 12.5e9)
    # asynchronous: the job only waits for the copy to host memory over PCIe Gen5
    fast = CheckpointModel().solve(model=LLAMA70, storage="Object_Store", devices=64,
                                   bandwidth=S.Links.PCIe_Gen5_x16.bandwidth, overlap=True,
                                   max_stall=Q_(60, "s"), interval=Q_(30, "min"))
    assert fast.feasible and fast.checkpoint_time.m_as("s") == pytest.approx(
        LLAMA70.parameters * 14 / 64 / 63e9)
    # ... but the background write must finish before the next checkpoint
    tight = CheckpointModel().solve(model=LLAMA70, storage="Object_Store", devices=64,
                                    bandwidth=Q_(63, "GB/s"), overlap=True, interval=Q_(1, "min"))
    assert tight.violation("checkpoint write time")


def test_checkpoint_time_feeds_young_daly():
    # Young 1974 / Daly 2006: the optimum interval is sqrt(2 C MTBF), C the checkpoint stall.
    out = Pipeline([CheckpointModel(), YoungDalyModel()]).run(
        data_bytes=Q_(1, "TB"), storage_bandwidth=Q_(10, "GB/s"), mtbf=Q_(3, "hour"))
    c = out["CheckpointModel"].checkpoint_time
    assert c.m_as("s") == pytest.approx(100)
    direct = YoungDalyModel().solve(checkpoint_time=c, mtbf=Q_(3, "hour"))
    assert out["YoungDalyModel"] == direct


@pytest.mark.parametrize("kwargs, name", [
    (dict(), "model"), (dict(model=LLAMA70, data_bytes=Q_(1, "TB")), "model"),
    (dict(data_bytes=Q_(1, "TB")), "storage_bandwidth"),
    (dict(data_bytes=Q_(1, "TB"), storage="S3", storage_bandwidth=Q_(1, "GB/s")),
     "storage_bandwidth"),
    (dict(model=LLAMA70, optimizer="lion", storage="S3"), "optimizer"),
    (dict(data_bytes=Q_(1, "TB"), storage="S3", overlap=True), "bandwidth"),
    (dict(data_bytes=Q_(1, "TB"), storage="S3", overlap="yes"), "overlap"),
    (dict(data_bytes=Q_(1, "TB"), storage="S3", devices=0), "devices"),
    (dict(data_bytes=Q_(1, "TB"), storage="S3", max_stall=Q_(1, "GB")), "max_stall"),
    (dict(data_bytes=Q_(1, "TB"), storage_bandwidth=Q_(1, "GB/s"), storage_units=3),
     "storage_units"),
])
def test_checkpoint_rejects_bad_inputs(kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        CheckpointModel().solve(**kwargs)
