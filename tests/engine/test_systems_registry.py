"""Systems registry additions: links, storage tiers, egress prices, PCIe-only nodes, fabrics
built on links. Numbers are checked against the cited sources (see systems/data/*.toml)."""
import pytest

import mlsysim
from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.hardware.types import Interconnect
from mlsysim.systems.types import EgressPrice, EgressTier, Link, StorageTier

S = mlsysim.Systems


def test_datacenter_links_per_direction():
    # NVIDIA datasheets quote both directions: A100 600, H100 900, B200 1800 GB/s per GPU.
    assert 2 * S.Links.NVLink3.bandwidth == Q_("600 GB/s")
    assert 2 * S.Links.NVLink4.bandwidth == Q_("900 GB/s")
    assert 2 * S.Links.NVLink5.bandwidth == Q_("1800 GB/s")
    # PCI-SIG: 16 / 32 GT/s per lane, 128b/130b encoding, 16 lanes.
    for key, gts in (("PCIe_Gen4_x16", 16), ("PCIe_Gen5_x16", 32)):
        expected = gts * 16 * 128 / 130 / 8
        assert S.Links.get(key).bandwidth.m_as("GB/s") == pytest.approx(expected, rel=2e-3)
    # IEEE 802.3ba/bs and InfiniBand HDR/NDR line rates.
    assert S.Links.Ethernet_100G.bandwidth.m_as("GB/s") == pytest.approx(12.5)
    assert S.Links.InfiniBand_NDR.bandwidth.m_as("GB/s") == pytest.approx(50)
    assert S.Links.InfiniBand_HDR.bandwidth.m_as("GB/s") == pytest.approx(25)


def test_link_latencies_order_and_provenance():
    L = S.Links
    # NCCL's cost model: NVLink < PCI < network per hop (0.47, 1.0, 2.7 us, LL protocol).
    assert L.NVLink4.latency < L.PCIe_Gen5_x16.latency < L.InfiniBand_NDR.latency
    assert L.InfiniBand_NDR.provenance["latency"].kind == "estimate"
    # Access links: round trips of tens of ms (Opensignal, Ookla), far above any fabric.
    assert L.LTE.rtt == Q_("50 ms") and L.FiveG.rtt == Q_("32 ms") and L.WiFi.rtt == Q_("10 ms")
    assert L.LTE.bandwidth < L.FiveG.bandwidth < L.WiFi.bandwidth
    assert L.FiveG.downlink.m_as("Mb/s") == pytest.approx(166.13)
    assert S.get("5G") is L.FiveG and S.get("400GbE") is L.Ethernet_400G


def test_links_are_interconnects_and_nodes_use_them():
    assert isinstance(S.Links.NVLink4, Interconnect)
    assert S.Nodes.DGX_H100.intra_node is S.Links.NVLink4
    pcie = S.Nodes.PCIe_H100x8
    assert pcie.hardware is mlsysim.Hardware.Cloud.H100_PCIe and pcie.accelerators == 8
    assert pcie.intra_node is S.Links.PCIe_Gen5_x16
    # The NVLink vs PCIe cliff inside a node (Vol II Lab 02): 450 / 63 = 7.1x.
    ratio = (S.Nodes.DGX_H100.intra_node.bandwidth / pcie.intra_node.bandwidth).to("")
    assert ratio.magnitude == pytest.approx(7.14, rel=1e-2)


def test_cluster_fabric_takes_its_links_numbers_and_provenance():
    c = S.Clusters.Frontier_8K
    assert c.fabric.link is S.Links.InfiniBand_NDR
    assert c.fabric.bandwidth_per_gpu == S.Links.InfiniBand_NDR.bandwidth
    assert c.fabric.latency == S.Links.InfiniBand_NDR.latency
    assert c.provenance["fabric.latency"] is S.Links.InfiniBand_NDR.provenance["latency"]


def test_storage_tiers():
    nvme, pfs, s3 = S.Storage.Local_NVMe, S.Storage.Parallel_FS, S.Storage.Object_Store
    # Samsung PM1743: 13 GB/s read, 6.6 GB/s write, 2.5 M random-read IOPS.
    assert nvme.read_bandwidth == Q_("13 GB/s") and nvme.write_bandwidth == Q_("6.6 GB/s")
    assert nvme.read_iops.m_as("1/s") == 2.5e6 and nvme.metadata_rate is None
    # AWS S3: 5,500 GET/HEAD per second per prefix; ~100-200 ms first byte.
    assert s3.read_iops.m_as("1/s") == 5500 and s3.latency >= Q_("100 ms")
    assert pfs.metadata_rate is not None and pfs.kind == "parallel"
    # latency ladder: local flash < parallel FS < object store
    assert nvme.latency < pfs.latency < s3.latency


def test_egress_tiers_walk_in_order():
    aws = S.Egress.AWS_Internet
    assert aws.price_per_gb == Q_("0.09 USD/GB")
    # 50 TB in one month: 10 TB at $0.09/GB + 40 TB at $0.085/GB = $4,300 (AWS list).
    assert aws.cost_usd(50e12) == pytest.approx(10e3 * 0.09 + 40e3 * 0.085)
    assert aws.cost_usd(0) == 0
    assert aws.cost_usd(200e12) == pytest.approx(900 + 3400 + 7000 + 50e3 * 0.05)
    gcp = S.Egress.GCP_Internet
    assert gcp.cost_usd(2 ** 40) == pytest.approx(1024 * 0.12)  # billed per GiB


@pytest.mark.parametrize("build, name", [
    (lambda: Link("x", Q_("1 GB/s")), "latency"),
    (lambda: Link("x", Q_("1 GB/s"), Q_("1 us"), downlink=Q_("1 s")), "downlink"),
    (lambda: StorageTier("x", "x", "tape", "one", Q_("1 GB/s"), Q_("1 GB/s"), Q_("1 1/s"),
                         Q_("1 ms")), "kind"),
    (lambda: StorageTier("x", "x", "local", "one", Q_("1 GB/s"), Q_("1 GB/s"), Q_("1 GB/s"),
                         Q_("1 ms")), "read_iops"),
    (lambda: EgressPrice("x", "x", "p", "internet", "2025", ()), "tiers"),
    (lambda: EgressPrice("x", "x", "p", "internet", "2025",
                         (EgressTier(Q_("1 USD/GB")),
                          EgressTier(Q_("1 USD/GB"), Q_("1 TB")))), "tiers"),
])
def test_new_types_validate_themselves(build, name):
    with pytest.raises(InvalidInputError, match=name):
        build()


def test_l4_inference_server_is_pcie_gen4_only():
    node = S.Nodes.PCIe_L4x8
    assert node.hardware is mlsysim.Hardware.get("L4") and node.accelerators == 8
    assert node.intra_node is S.Links.PCIe_Gen4_x16
    # half the per-GPU link of the H100 PCIe server (Gen4 vs Gen5)
    assert (S.Nodes.PCIe_H100x8.intra_node.bandwidth / node.intra_node.bandwidth
            ).to("").magnitude == pytest.approx(2)
