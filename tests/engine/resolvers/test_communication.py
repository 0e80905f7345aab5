import math

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.hardware.types import Interconnect
from mlsysim.resolvers import AllReduceModel, BisectionBandwidthModel, LinkTransferModel


def test_ring_allreduce_bandwidth_term():
    # Patarasuk & Yuan 2009: ring moves 2(p-1)/p x N per device. 1 GB over 8 GPUs at
    # 450 GB/s NVLink (H100 900 GB/s bidirectional) = 2 x 7/8 x 1e9 / 450e9 = 3.889 ms.
    r = AllReduceModel().solve(message_bytes=Q_(1, "GB"), devices=8,
                               bandwidth=Q_(450, "GB/s"))
    assert r.time.m_as("ms") == pytest.approx(2 * 7 / 8 / 450 * 1e3)
    assert r.bytes_sent_per_device.m_as("GB") == pytest.approx(1.75)


def test_tree_beats_ring_for_small_messages_with_latency():
    args = dict(message_bytes=Q_(1, "kB"), devices=1024, bandwidth=Q_(50, "GB/s"),
                latency=Q_(5, "us"))
    ring = AllReduceModel().solve(**args, algorithm="ring")
    tree = AllReduceModel().solve(**args, algorithm="tree")
    assert tree.time < ring.time
    assert tree.latency_term.m_as("us") == pytest.approx(2 * 10 * 5)
    big = dict(args, message_bytes=Q_(1, "GB"))
    assert AllReduceModel().solve(**big).time < AllReduceModel().solve(**big, algorithm="tree").time


def test_hierarchical_allreduce():
    # 4 nodes x 8 GPUs; 1 GB; NVLink 450 GB/s inside, 50 GB/s (400 Gb/s IB) across.
    r = AllReduceModel().solve(message_bytes=Q_(1, "GB"), devices=32, bandwidth=Q_(50, "GB/s"),
                               algorithm="hierarchical", devices_per_node=8,
                               intra_bandwidth=Q_(450, "GB/s"))
    expected = 2 * 7 / 8 * 1e9 / 450e9 + 2 * 3 / 4 * (1e9 / 8) / 50e9
    assert r.time.m_as("s") == pytest.approx(expected)
    flat = AllReduceModel().solve(message_bytes=Q_(1, "GB"), devices=32,
                                  bandwidth=Q_(50, "GB/s"))
    assert r.time < flat.time


@settings(max_examples=50, deadline=None)
@given(bw=st.floats(1e9, 1e12), k=st.floats(1, 10), p=st.integers(1, 512),
       alg=st.sampled_from(["ring", "tree"]))
def test_more_bandwidth_never_slower_allreduce(bw, k, p, alg):
    a = dict(message_bytes=Q_(1e8, "B"), devices=p, latency=Q_(2, "us"), algorithm=alg)
    assert (AllReduceModel().solve(bandwidth=Q_(bw * k, "B/s"), **a).time
            <= AllReduceModel().solve(bandwidth=Q_(bw, "B/s"), **a).time)


def test_nvlink_vs_pcie_transfer():
    # H100 SXM NVLink 4: 450 GB/s per direction; PCIe Gen5 x16: ~64 GB/s per direction.
    nv = Interconnect("NVLink 4", Q_(450, "GB/s"))
    pcie = Interconnect("PCIe Gen5 x16", Q_(64, "GB/s"), Q_(1, "us"))
    a = LinkTransferModel().solve(message_bytes=Q_(16, "GB"), link=nv)
    b = LinkTransferModel().solve(message_bytes=Q_(16, "GB"), link=pcie)
    assert a.time.m_as("ms") == pytest.approx(16 / 450 * 1e3)
    assert b.time / a.time == pytest.approx(450 / 64, rel=1e-4)


def test_fat_tree_bisection_oversubscription():
    # 1024 endpoints at 400 Gb/s = 50 GB/s: full bisection 25.6 TB/s; 2:1 halves it.
    r = BisectionBandwidthModel().solve(devices=1024, bandwidth=Q_(400, "Gb/s"),
                                        oversubscription=2)
    assert r.full_bisection.m_as("TB/s") == pytest.approx(25.6)
    assert r.bisection_bandwidth.m_as("TB/s") == pytest.approx(12.8)
    assert r.per_endpoint_all_to_all.m_as("GB/s") == pytest.approx(25)


@pytest.mark.parametrize("kwargs, name", [
    (dict(devices=0), "devices"), (dict(bandwidth=Q_(0, "GB/s")), "bandwidth"),
    (dict(bandwidth=Q_(1, "GB")), "bandwidth"), (dict(message_bytes=Q_(-1, "B")), "message_bytes"),
    (dict(algorithm="butterfly"), "algorithm"), (dict(latency=Q_(-1, "us")), "latency"),
    (dict(algorithm="hierarchical", devices_per_node=3, intra_bandwidth=Q_(1, "GB/s")),
     "devices_per_node"),
])
def test_allreduce_rejects_bad_inputs(kwargs, name):
    args = dict(message_bytes=Q_(1, "MB"), devices=8, bandwidth=Q_(10, "GB/s")) | kwargs
    with pytest.raises(InvalidInputError, match=name):
        AllReduceModel().solve(**args)


def test_bisection_rejects_bad_inputs():
    with pytest.raises(InvalidInputError, match="oversubscription"):
        BisectionBandwidthModel().solve(devices=8, bandwidth=Q_(1, "GB/s"),
                                        oversubscription=0.5)
