"""Collectives (alpha-beta model) and point-to-point links, against the textbook formulas:
Thakur, Rabenseifner & Gropp 2005 (MPICH collectives), Patarasuk & Yuan 2009 (ring),
Sanders, Speck & Traeff 2009 and NCCL's tuning model (double binary tree), nccl-tests'
PERFORMANCE.md (bus bandwidth)."""
import math

import pytest
from hypothesis import given, settings, strategies as st

import mlsysim
from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.hardware.types import Interconnect
from mlsysim.resolvers import (AllGatherModel, AllReduceModel, BisectionBandwidthModel,
                               LinkTransferModel, ReduceScatterModel)

S = mlsysim.Systems
GB, NV = Q_(1, "GB"), Q_(450, "GB/s")


def test_ring_allreduce_bandwidth_term():
    # Patarasuk & Yuan 2009: ring moves 2(p-1)/p x N per device. 1 GB over 8 GPUs at
    # 450 GB/s NVLink (H100 900 GB/s bidirectional) = 2 x 7/8 x 1e9 / 450e9 = 3.889 ms.
    r = AllReduceModel().solve(message_bytes=GB, devices=8, bandwidth=NV)
    assert r.time.m_as("ms") == pytest.approx(2 * 7 / 8 / 450 * 1e3)
    assert r.bytes_sent_per_device.m_as("GB") == pytest.approx(1.75)
    # nccl-tests PERFORMANCE.md: busBw = algBw x 2(n-1)/n, which reaches the link's speed.
    assert r.bus_bandwidth.m_as("GB/s") == pytest.approx(450)


def test_tree_is_the_pipelined_double_binary_tree():
    # The physics fix. Before: 2 ceil(log2 p) (a + M/B) = 6 x 1e9/450e9 = 13.3 ms for 1 GB on
    # 8 GPUs, 3.4x the ring. Sanders, Speck & Traeff 2009 / NCCL (tuning.cc: tree algorithm
    # bandwidth = bus bandwidth / 2): 2 M/B + 2 ceil(log2 p) a = 4.44 ms + 6 a.
    r = AllReduceModel().solve(message_bytes=GB, devices=8, bandwidth=NV, algorithm="tree")
    assert r.time.m_as("ms") == pytest.approx(2 / 450 * 1e3)
    ring = AllReduceModel().solve(message_bytes=GB, devices=8, bandwidth=NV)
    assert r.time / ring.time == pytest.approx(8 / 7)  # 2 M/B vs 2 (p-1)/p M/B
    a = AllReduceModel().solve(message_bytes=GB, devices=8, bandwidth=NV, algorithm="tree",
                               latency=Q_(5, "us"))
    assert a.latency_term.m_as("us") == pytest.approx(2 * 3 * 5)
    assert a.bandwidth_term.m_as("ms") == pytest.approx(2 / 450 * 1e3)


def test_ring_tree_crossover_between_latency_and_bandwidth_regimes():
    # Tree wins while 2 (p-1 - log2 p) a > 2 M/(p B), i.e. M < p (p-1-log2 p) a B.
    p, a, bw = 8, 5e-6, 450e9
    crossover = p * (p - 1 - 3) * a * bw  # 72 MB
    args = dict(devices=p, bandwidth=Q_(bw, "B/s"), latency=Q_(a, "s"))
    for m, tree_wins in ((crossover / 10, True), (crossover * 10, False)):
        ring = AllReduceModel().solve(message_bytes=Q_(m, "B"), **args)
        tree = AllReduceModel().solve(message_bytes=Q_(m, "B"), algorithm="tree", **args)
        assert (tree.time < ring.time) is tree_wins
    # at 1,024 GPUs the ring's 2 (p-1) a latency term is 10 ms: tree wins even for 1 GB
    big = dict(message_bytes=GB, devices=1024, bandwidth=Q_(50, "GB/s"), latency=Q_(5, "us"))
    assert AllReduceModel().solve(**big, algorithm="tree").time < AllReduceModel().solve(**big).time
    assert AllReduceModel().solve(**big).latency_term.m_as("ms") == pytest.approx(10.23)


def test_naive_parameter_server_vs_ring_at_128_gpus():
    # Vol II Lab 06, Act I. One server among p devices: (p-1) M in, then (p-1) M out, on its
    # one link (Thakur et al.'s linear reduce + broadcast): 2 (p-1)(a + M/B). The ring moves
    # 2 (p-1)/p M: the server is p = 128 times slower on the bandwidth term.
    args = dict(message_bytes=GB, devices=128, bandwidth=Q_(50, "GB/s"))
    ps = AllReduceModel().solve(**args, algorithm="parameter_server")
    ring = AllReduceModel().solve(**args)
    assert ps.time.m_as("s") == pytest.approx(2 * 127 * 1e9 / 50e9)
    assert ps.time / ring.time == pytest.approx(128)
    assert ps.bytes_sent_per_device.m_as("GB") == pytest.approx(127)  # the server's link
    lat = AllReduceModel().solve(**args, algorithm="parameter_server", latency=Q_(5, "us"))
    assert lat.latency_term.m_as("us") == pytest.approx(2 * 127 * 5)


def test_reduce_scatter_and_all_gather():
    # Thakur et al. 2005: ring (p-1) a + (p-1)/p M/B each; the ring AllReduce is one of each.
    args = dict(message_bytes=GB, devices=8, bandwidth=NV, latency=Q_(5, "us"))
    rs = ReduceScatterModel().solve(**args)
    ag = AllGatherModel().solve(**args)
    ar = AllReduceModel().solve(**args)
    assert rs.time.m_as("s") == pytest.approx(7 * 5e-6 + 7 / 8 * 1e9 / 450e9)
    assert rs.collective == "reduce_scatter" and ag.collective == "all_gather"
    assert (rs.time + ag.time).m_as("s") == pytest.approx(ar.time.m_as("s"))
    assert rs.bus_bandwidth < NV and ag.bytes_sent_per_device.m_as("GB") == pytest.approx(0.875)
    # recursive halving / doubling: ceil(log2 p) steps, same bytes
    rec = AllGatherModel().solve(**args, algorithm="recursive")
    assert rec.latency_term.m_as("us") == pytest.approx(3 * 5)
    assert rec.bandwidth_term == ag.bandwidth_term


def test_hierarchical_allreduce():
    # 4 nodes x 8 GPUs; 1 GB; NVLink 450 GB/s inside, 50 GB/s (400 Gb/s IB) across.
    r = AllReduceModel().solve(message_bytes=GB, devices=32, bandwidth=Q_(50, "GB/s"),
                               algorithm="hierarchical", devices_per_node=8,
                               intra_bandwidth=NV)
    expected = 2 * 7 / 8 * 1e9 / 450e9 + 2 * 3 / 4 * (1e9 / 8) / 50e9
    assert r.time.m_as("s") == pytest.approx(expected)
    flat = AllReduceModel().solve(message_bytes=GB, devices=32, bandwidth=Q_(50, "GB/s"))
    assert r.time < flat.time


def test_fleet_supplies_links_and_explicit_inputs_win():
    c = S.Clusters.Research_256  # 32 x DGX A100: NVLink 3 inside, IB HDR across
    r = AllReduceModel().solve(message_bytes=GB, fleet=c, algorithm="hierarchical")
    explicit = AllReduceModel().solve(
        message_bytes=GB, devices=256, algorithm="hierarchical", devices_per_node=8,
        bandwidth=S.Links.InfiniBand_HDR.bandwidth, latency=S.Links.InfiniBand_HDR.latency,
        intra_bandwidth=S.Links.NVLink3.bandwidth, intra_latency=S.Links.NVLink3.latency)
    assert r.time == explicit.time and r.devices == 256
    by_name = AllReduceModel().solve(message_bytes=GB, fleet="Research_256",
                                     algorithm="hierarchical")
    assert by_name.time == r.time
    # a collective that fits in one node runs on the node's link, not the fabric
    one = AllReduceModel().solve(message_bytes=GB, fleet=c, devices=8)
    assert one.effective_bandwidth == S.Links.NVLink3.bandwidth.to("B/s")
    # a Node alone: its intra-node link
    node = AllReduceModel().solve(message_bytes=GB, fleet=S.Nodes.DGX_H100)
    assert node.devices == 8 and node.effective_bandwidth.m_as("GB/s") == pytest.approx(450)
    wide = AllReduceModel().solve(message_bytes=GB, fleet=c, bandwidth=Q_(1, "GB/s"))
    assert wide.effective_bandwidth.m_as("GB/s") == pytest.approx(1)


def test_nvlink_vs_pcie_node_allreduce_cliff():
    # Vol II Lab 02: the same 8-GPU AllReduce on NVLink 4 (450 GB/s) vs PCIe Gen5 x16
    # (63.0 GB/s per direction): 7.1x slower on the PCIe-only node.
    grads = Q_(2 * 70e9, "B")  # a 70B model's FP16 gradients
    nv = AllReduceModel().solve(message_bytes=grads, fleet=S.Nodes.DGX_H100)
    pcie = AllReduceModel().solve(message_bytes=grads, fleet=S.Nodes.PCIe_H100x8)
    assert nv.time.m_as("s") == pytest.approx(2 * 7 / 8 * 140e9 / 450e9, rel=1e-3)
    assert (pcie.time / nv.time).to("").magnitude == pytest.approx(450 / 63.0, rel=1e-3)


def test_oversubscription_divides_the_inter_node_bandwidth():
    # Worst case (Al-Fares et al. 2008's definition of the ratio): every device crosses the
    # oversubscribed tier at once and gets bandwidth / o.
    args = dict(message_bytes=Q_(10, "GB"), devices=1024, bandwidth=Q_(50, "GB/s"))
    full = AllReduceModel().solve(**args)
    four = AllReduceModel().solve(**args, oversubscription=4)
    assert four.bandwidth_term / full.bandwidth_term == pytest.approx(4)
    assert four.effective_bandwidth.m_as("GB/s") == pytest.approx(12.5)
    # Vol II Lab 03's failure: 10 GB of gradients over 1,024 GPUs of the NDR cluster takes
    # 0.40 s at 1:1 and 1.6 s at 4:1: over a 1 s budget only when oversubscribed.
    fleet = dict(message_bytes=Q_(10, "GB"), fleet=S.Clusters.Frontier_8K, devices=1024,
                 target_latency=Q_(1, "s"))
    assert AllReduceModel().solve(**fleet).feasible
    bad = AllReduceModel().solve(**fleet, oversubscription=4)
    assert not bad.feasible and bad.violation("collective time").required.m_as("s") > 1.5
    # hierarchical: only the inter-node phase slows down
    h = dict(message_bytes=GB, fleet=S.Clusters.Frontier_8K, algorithm="hierarchical")
    h1, h4 = AllReduceModel().solve(**h), AllReduceModel().solve(**h, oversubscription=4)
    intra = 2 * 7 / 8 * 1e9 / 450e9
    assert (h4.bandwidth_term.m_as("s") - intra) == pytest.approx(
        4 * (h1.bandwidth_term.m_as("s") - intra))


def test_single_device_costs_nothing():
    r = AllReduceModel().solve(message_bytes=GB, devices=1, bandwidth=NV, latency=Q_(5, "us"))
    assert r.time.m_as("s") == 0 and math.isinf(r.algorithm_bandwidth.magnitude)


@settings(max_examples=50, deadline=None)
@given(bw=st.floats(1e9, 1e12), k=st.floats(1, 10), p=st.integers(1, 512),
       alg=st.sampled_from(["ring", "tree", "parameter_server"]))
def test_more_bandwidth_never_slower_allreduce(bw, k, p, alg):
    a = dict(message_bytes=Q_(1e8, "B"), devices=p, latency=Q_(2, "us"), algorithm=alg)
    assert (AllReduceModel().solve(bandwidth=Q_(bw * k, "B/s"), **a).time
            <= AllReduceModel().solve(bandwidth=Q_(bw, "B/s"), **a).time)


@settings(max_examples=50, deadline=None)
@given(m=st.floats(1, 1e11), p=st.integers(2, 4096))
def test_ring_is_bandwidth_optimal(m, p):
    # No AllReduce moves less than 2 (p-1)/p M per device (Patarasuk & Yuan 2009).
    a = dict(message_bytes=Q_(m, "B"), devices=p, bandwidth=NV)
    ring = AllReduceModel().solve(**a).bandwidth_term
    for alg in ("tree", "parameter_server"):
        assert AllReduceModel().solve(**a, algorithm=alg).bandwidth_term >= ring


def test_nvlink_vs_pcie_transfer():
    # H100 SXM NVLink 4: 450 GB/s per direction; PCIe Gen5 x16: ~64 GB/s per direction.
    nv = Interconnect("NVLink 4", Q_(450, "GB/s"))
    pcie = Interconnect("PCIe Gen5 x16", Q_(64, "GB/s"), Q_(1, "us"))
    a = LinkTransferModel().solve(message_bytes=Q_(16, "GB"), link=nv)
    b = LinkTransferModel().solve(message_bytes=Q_(16, "GB"), link=pcie)
    assert a.time.m_as("ms") == pytest.approx(16 / 450 * 1e3)
    assert b.time / a.time == pytest.approx(450 / 64, rel=1e-4)


def test_link_transfer_over_registry_links():
    # Vol II Lab 02, Act I: a 70B model's FP16 gradients (140 GB) over one link.
    g = Q_(140, "GB")
    nv = LinkTransferModel().solve(message_bytes=g, link="NVLink4")
    pcie = LinkTransferModel().solve(message_bytes=g, link=S.Links.PCIe_Gen5_x16)
    assert nv.link == S.Links.NVLink4.name
    assert nv.time.m_as("s") == pytest.approx(140 / 450 + 0.5e-6)
    assert pcie.time.m_as("s") == pytest.approx(140 / 63.0 + 1e-6)
    # Vol II Lab 03, Act I: a 4 KB message is latency-bound: doubling bandwidth barely helps.
    small = [LinkTransferModel().solve(message_bytes=Q_(4, "kB"), link=k).time
             for k in ("InfiniBand_HDR", "InfiniBand_NDR")]
    assert small[1] / small[0] > 0.95


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
    (dict(algorithm="hierarchical"), "devices_per_node"),
    (dict(algorithm="hierarchical", devices_per_node=4), "intra_bandwidth"),
    (dict(oversubscription=0.5), "oversubscription"),
    (dict(link="NVLink4"), "bandwidth"),  # both a link and a bandwidth
    (dict(bandwidth=None), "bandwidth"),
    (dict(bandwidth=None, link="Warp_Drive"), "link"),
    (dict(bandwidth=None, link=S.Storage.Local_NVMe), "link"),
    (dict(devices=None), "devices"),
    (dict(target_latency=Q_(1, "GB")), "target_latency"),
])
def test_allreduce_rejects_bad_inputs(kwargs, name):
    args = dict(message_bytes=Q_(1, "MB"), devices=8, bandwidth=Q_(10, "GB/s")) | kwargs
    args = {k: v for k, v in args.items() if v is not None}
    with pytest.raises(InvalidInputError, match=name):
        AllReduceModel().solve(**args)


def test_gather_and_transfer_reject_bad_inputs():
    with pytest.raises(InvalidInputError, match="algorithm"):
        AllGatherModel().solve(message_bytes=GB, devices=8, bandwidth=NV, algorithm="tree")
    with pytest.raises(InvalidInputError, match="devices_per_node"):
        ReduceScatterModel().solve(message_bytes=GB, devices=8, bandwidth=NV,
                                   devices_per_node=8)
    with pytest.raises(InvalidInputError, match="bandwidth"):
        LinkTransferModel().solve(message_bytes=GB, link="NVLink4", bandwidth=NV)


def test_bisection_rejects_bad_inputs():
    with pytest.raises(InvalidInputError, match="oversubscription"):
        BisectionBandwidthModel().solve(devices=8, bandwidth=Q_(1, "GB/s"),
                                        oversubscription=0.5)
