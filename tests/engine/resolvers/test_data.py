"""Data gravity with egress prices, and storage feeding accelerators: bandwidth-, IOPS- and
metadata-bound loaders (Vol I Lab 04, Vol II Lab 04)."""
import pytest

import mlsysim
from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import DataGravityModel, StorageIOModel
from mlsysim.resolvers.data import METADATA_OPS_PER_FILE

S = mlsysim.Systems
IMG = Q_(110, "kB")  # an ImageNet JPEG, on average


def test_data_gravity_time_and_egress_price():
    # Vol I Lab 04: 50 TB out of AWS over 10 Gb/s: 4e14 bit / 1e10 = 40,000 s (11.1 h);
    # AWS list price: 10 TB at $0.09/GB + 40 TB at $0.085/GB = $4,300.
    r = DataGravityModel().solve(data_bytes=Q_(50, "TB"), bandwidth=Q_(10, "Gb/s"),
                                 egress_price="AWS_Internet")
    assert r.time.m_as("s") == pytest.approx(40_000) and r.feasible
    assert r.egress_cost.m_as("USD") == pytest.approx(4300)
    flat = DataGravityModel().solve(data_bytes=Q_(50, "TB"), bandwidth=Q_(10, "Gb/s"),
                                    egress_price=Q_(0.09, "USD/GB"))
    assert flat.egress_cost.m_as("USD") == pytest.approx(4500)
    # moving the compute to the data instead: ship a 70B model's FP16 weights (140 GB)
    model = DataGravityModel().solve(data_bytes=Q_(140, "GB"), bandwidth=Q_(10, "Gb/s"),
                                     egress_price=S.Egress.AWS_Internet)
    assert model.egress_cost.m_as("USD") == pytest.approx(12.6)


def test_data_gravity_deadline_and_budget_are_constraints():
    r = DataGravityModel().solve(data_bytes=Q_(50, "TB"), bandwidth=Q_(1, "Gb/s"),
                                 egress_price="AWS_Internet", deadline=Q_(1, "day"),
                                 budget=Q_(1000, "USD"))
    assert not r.feasible
    assert r.violation("transfer time").required.m_as("day") == pytest.approx(4.63, rel=1e-2)
    assert r.violation("egress cost").required.m_as("USD") == pytest.approx(4300)
    # over a registry link (a 400 GbE path): the deadline is met
    fast = DataGravityModel().solve(data_bytes=Q_(50, "TB"), link="Ethernet_400G",
                                    deadline=Q_(1, "day"))
    assert fast.feasible and fast.time.m_as("s") == pytest.approx(1000)


@pytest.mark.parametrize("kwargs, name", [
    (dict(bandwidth=Q_(1, "GB")), "bandwidth"), (dict(), "bandwidth"),
    (dict(bandwidth=Q_(1, "GB/s"), link="NDR"), "bandwidth"),
    (dict(bandwidth=Q_(1, "GB/s"), egress_price=Q_(1, "USD")), "egress_price"),
    (dict(bandwidth=Q_(1, "GB/s"), egress_price="Nowhere"), "egress_price"),
    (dict(bandwidth=Q_(1, "GB/s"), budget=Q_(1, "USD")), "egress_price"),
    (dict(bandwidth=Q_(1, "GB/s"), deadline=Q_(1, "GB")), "deadline"),
])
def test_data_gravity_rejects_bad_inputs(kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        DataGravityModel().solve(data_bytes=Q_(1, "TB"), **kwargs)


def test_sequential_reads_are_bandwidth_bound_as_before():
    s = StorageIOModel().solve(target_throughput=Q_(3000, "1/s"), bytes_per_sample=IMG,
                               storage_bandwidth=Q_(1, "GB/s"), devices=8)
    assert s.io_bound and s.required_bandwidth.m_as("GB/s") == pytest.approx(2.64)
    assert s.accelerator_utilization == pytest.approx(1 / 2.64)
    assert s.bottleneck == "bandwidth" and s.violation("storage bandwidth")


def test_small_random_reads_are_iops_bound_not_bandwidth_bound():
    # Vol II Lab 04, Act I: 8 GPUs x 3,000 images/s read at random from one S3 prefix.
    # Bandwidth needed 2.64 GB/s (the client has 12.5), but 24,000 GETs/s against S3's
    # 5,500 per prefix (AWS S3 performance guide): utilisation 5,500 / 24,000 = 23 %.
    args = dict(target_throughput=Q_(3000, "image/s"), bytes_per_sample=IMG, devices=8,
                storage="Object_Store", access_pattern="random")
    r = StorageIOModel().solve(**args)
    assert r.bottleneck == "iops" and not r.violation("storage bandwidth")
    assert r.accelerator_utilization == pytest.approx(5500 / 24000)
    assert r.violation("storage IOPS").required.m_as("1/s") == pytest.approx(24000)
    # the same bytes packed into shards and streamed: bandwidth only, fully fed
    packed = StorageIOModel().solve(**(args | dict(access_pattern="sequential")))
    assert packed.feasible and packed.accelerator_utilization == 1
    # or spread over 5 prefixes (request rate scales per prefix)
    assert StorageIOModel().solve(**args, storage_units=5).feasible


def test_reads_in_flight_bound_iops_by_littles_law():
    # NVMe: 2.5 M IOPS needs hundreds of reads in flight; with 16 in flight at 80 us each,
    # Little's law gives 16 / 80e-6 = 200,000 reads/s.
    args = dict(target_throughput=Q_(10_000, "sample/s"), bytes_per_sample=Q_(4, "KiB"),
                devices=64, storage=S.Storage.Local_NVMe, access_pattern="random")
    deep = StorageIOModel().solve(**args)
    assert deep.feasible  # 640,000 reads/s < 2.5 M
    shallow = StorageIOModel().solve(**args, in_system=16)
    assert shallow.available_iops.m_as("1/s") == pytest.approx(200_000)
    assert shallow.accelerator_utilization == pytest.approx(200_000 / 640_000)
    assert shallow.bottleneck == "iops"


def test_one_file_per_sample_saturates_the_metadata_server():
    # Vol II Lab 04's failure: 512 GPUs x 1,000 images/s, one file each, on one Lustre MDS
    # (~544 K lightweight ops/s; open + close per file): 1.02 M ops/s needed.
    args = dict(target_throughput=Q_(1000, "image/s"), bytes_per_sample=IMG, devices=512,
                storage="Parallel_FS")
    files = StorageIOModel().solve(**args, access_pattern="small_files")
    assert METADATA_OPS_PER_FILE == 2
    assert files.bottleneck == "metadata" and not files.violation("storage bandwidth")
    v = files.violation("metadata rate")
    assert v.required.m_as("1/s") == pytest.approx(1_024_000)
    assert files.accelerator_utilization == pytest.approx(544_000 / 2 / 512_000)
    # more appliances add bandwidth, not metadata servers
    assert StorageIOModel().solve(**args, access_pattern="small_files",
                                  storage_units=4).bottleneck == "metadata"
    # packing the files into shards removes the metadata load
    assert StorageIOModel().solve(**args, access_pattern="sequential").feasible
    # a local drive has no shared metadata service
    local = StorageIOModel().solve(target_throughput=Q_(1000, "image/s"), bytes_per_sample=IMG,
                                   storage="Local_NVMe", access_pattern="small_files")
    assert local.feasible and local.available_metadata_rate is None


@pytest.mark.parametrize("kwargs, name", [
    (dict(), "storage_bandwidth"),
    (dict(storage="Local_NVMe", storage_bandwidth=Q_(1, "GB/s")), "storage_bandwidth"),
    (dict(storage_bandwidth=Q_(1, "GB/s"), access_pattern="random"), "access_pattern"),
    (dict(storage="Local_NVMe", access_pattern="zigzag"), "access_pattern"),
    (dict(storage="H100"), "storage"), (dict(storage=S.Links.LTE), "storage"),
    (dict(storage_bandwidth=Q_(1, "GB/s"), storage_units=2), "storage_units"),
    (dict(storage_bandwidth=Q_(1, "GB/s"), in_system=4), "in_system"),
    (dict(storage="Local_NVMe", in_system=0), "in_system"),
])
def test_storage_io_rejects_bad_inputs(kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        StorageIOModel().solve(target_throughput=Q_(1, "1/s"), bytes_per_sample=IMG, **kwargs)
