"""Fat trees (Al-Fares et al. 2008), propagation in fibre, and the latency waterfall."""
import pytest

import mlsysim
from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import FatTreeModel, LatencyWaterfallModel, PropagationDelayModel
from mlsysim.resolvers.network import OPTIC_PRICE, SWITCH_PRICE, fat_tree

S = mlsysim.Systems


@pytest.mark.parametrize("k", [4, 8, 24, 48, 64])
def test_full_k_ary_fat_tree_matches_al_fares(k):
    # Al-Fares, Loukissas & Vahdat 2008, Sec. 2.2: k-port switches support k^3/4 hosts on
    # 5k^2/4 switches (k pods of k/2 edge + k/2 aggregation, (k/2)^2 core).
    r = FatTreeModel().solve(devices=k ** 3 // 4, radix=k)
    assert r.feasible and r.tiers == 3 and r.max_devices == k ** 3 // 4
    assert r.switches == 5 * k * k // 4
    assert (r.edge_switches, r.aggregation_switches, r.core_switches) == \
        (k * k // 2, k * k // 2, k * k // 4)


def test_48_port_example_from_the_paper():
    # Al-Fares et al.: 48-port switches, 27,648 hosts, 2,880 switches.
    r = FatTreeModel().solve(devices=27_648, radix=48)
    assert (r.switches, r.max_devices) == (2880, 27_648)


def test_h100_cluster_switch_counts_match_the_public_cost_sheet():
    # The cost sheet cited for the prices (Aug 2024, 64-port NDR): 1,024 H100 need 48 switches
    # (32 leaves + 16 spines) and 32,768 need 2,560; its switch cost $1,728,000 and
    # "connector & cable" $2,621,440 at 1,024 GPUs.
    small = FatTreeModel().solve(devices=1024)
    assert (small.tiers, small.switches, small.edge_switches) == (2, 48, 32)
    assert small.switch_cost.m_as("USD") == pytest.approx(1_728_000)
    assert small.optics_cost.m_as("USD") == pytest.approx(2_621_440)
    assert small.cost_per_device.m_as("USD") == pytest.approx((1_728_000 + 2_621_440) / 1024)
    assert FatTreeModel().solve(devices=32_768).switches == 2560
    assert (SWITCH_PRICE, OPTIC_PRICE) == (36_000.0, 640.0)


def test_oversubscription_trades_bisection_for_switches():
    full = FatTreeModel().solve(devices=1024, link="InfiniBand_NDR")
    three = FatTreeModel().solve(devices=1024, oversubscription=3, link="InfiniBand_NDR")
    # 3:1 at the edge: 48 host ports and 16 uplinks per 64-port switch
    assert three.hosts_per_edge_switch == 48 and full.hosts_per_edge_switch == 32
    assert three.switches < full.switches and three.cost < full.cost
    # bisection: 1,024 x 50 GB/s / 2 = 25.6 TB/s at 1:1, a third of it at 3:1
    assert full.bisection_bandwidth.m_as("TB/s") == pytest.approx(25.6)
    assert three.bisection_bandwidth.m_as("TB/s") == pytest.approx(25.6 / 3)
    assert three.per_device_all_to_all.m_as("GB/s") == pytest.approx(50 / 3)
    assert three.max_devices > full.max_devices


def test_small_and_two_tier_trees():
    assert fat_tree(48, 64, 1.0)["tiers"] == 1
    t = fat_tree(2048, 64, 1.0)  # two tiers reach k^2/2 = 2,048 hosts
    assert t["tiers"] == 2 and t["edge"] == 64 and t["aggregation"] == 32
    assert fat_tree(2049, 64, 1.0)["tiers"] == 3


def test_one_switch_has_no_upper_tier_to_oversubscribe():
    # 8 hosts on one 64-port switch: no uplinks, so a 4:1 design ratio cannot divide anything.
    one = FatTreeModel().solve(devices=8, oversubscription=4, link="InfiniBand_NDR")
    assert one.tiers == 1 and one.switches == 1
    assert one.bisection_bandwidth.m_as("GB/s") == pytest.approx(8 * 50 / 2)
    assert one.per_device_all_to_all.m_as("GB/s") == pytest.approx(50)
    two = FatTreeModel().solve(devices=128, oversubscription=4, link="InfiniBand_NDR")
    assert two.tiers == 2 and two.bisection_bandwidth.m_as("GB/s") == pytest.approx(128 * 50 / 2 / 4)


def test_too_many_hosts_or_too_little_money_is_a_result():
    r = FatTreeModel().solve(devices=100_000, radix=64)  # k^3/4 = 65,536
    assert not r.feasible
    v = r.violation("fat-tree hosts")
    assert v.required.magnitude == 100_000 and v.available.magnitude == 65_536
    poor = FatTreeModel().solve(devices=1024, budget=Q_(1e6, "USD"))
    assert poor.violation("network cost").required.m_as("USD") == pytest.approx(4_349_440)
    free = FatTreeModel().solve(devices=1024, switch_price=Q_(0, "USD"), optic_price=Q_(0, "USD"))
    assert free.cost.m_as("USD") == 0


@pytest.mark.parametrize("kwargs, name", [
    (dict(radix=63), "radix"), (dict(radix=2), "radix"), (dict(devices=1), "devices"),
    (dict(oversubscription=0.5), "oversubscription"),
    (dict(link="NDR", bandwidth=Q_(1, "GB/s")), "bandwidth"),
    (dict(switch_price=Q_(1, "GB")), "switch_price"), (dict(budget=10), "budget"),
])
def test_fat_tree_rejects_bad_inputs(kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        FatTreeModel().solve(**(dict(devices=1024) | kwargs))


def test_light_in_fibre():
    # c / 1.4682 (G.652 fibre group index at 1550 nm) = 204,190 km/s: 4.90 us per km.
    r = PropagationDelayModel().solve(distance=Q_(3000, "km"))
    assert r.delay_per_km.m_as("us") == pytest.approx(4.897, abs=1e-3)
    assert r.speed.m_as("km/s") == pytest.approx(299_792.458 / 1.4682)
    # Vol I Lab 02: 3,000 km away, the round trip alone is ~29 ms (~30 ms: the SLA is 10 ms).
    assert r.round_trip.m_as("ms") == pytest.approx(29.38, abs=0.01)
    assert PropagationDelayModel().solve(distance="3000 km", round_trips=3).total == 3 * r.round_trip


def test_waterfall_cloud_misses_a_10_ms_sla_and_the_edge_meets_it():
    # Vol I Lab 02, Act II: same queueing, transfer, compute and overhead; only the distance
    # to the server changes.
    common = dict(queueing_time=Q_(1, "ms"), data_bytes=Q_(50, "kB"),
                  bandwidth=Q_(1, "Gb/s"), compute_time=Q_(3, "ms"), overhead=Q_(0.5, "ms"),
                  target_latency=Q_(10, "ms"))
    cloud = LatencyWaterfallModel().solve(distance=Q_(3000, "km"), **common)
    edge = LatencyWaterfallModel().solve(distance=Q_(10, "km"), **common)
    assert list(cloud.segments) == ["network", "queueing", "data movement", "compute",
                                    "overhead"]
    assert cloud.bottleneck == "network" and not cloud.feasible
    assert cloud.violation("end-to-end latency").available == Q_(10, "ms").to("s")
    assert edge.feasible and edge.total.m_as("ms") < 10
    moved = 50e3 * 8 / 1e9
    assert cloud.segments["data movement"].m_as("s") == pytest.approx(moved)
    assert cloud.total.m_as("s") == pytest.approx(0.02938 + 1e-3 + moved + 3e-3 + 0.5e-3,
                                                  abs=1e-5)
    assert sum(cloud.shares.values()) == pytest.approx(1)


def test_waterfall_over_an_access_link():
    # A phone on LTE: the radio's round trip (Opensignal: ~50 ms) dwarfs the fibre's.
    r = LatencyWaterfallModel().solve(distance=Q_(100, "km"), link="LTE",
                                      data_bytes=Q_(100, "kB"))
    assert r.link_latency == S.Links.LTE.rtt.to("s")
    assert r.segments["data movement"].m_as("s") == pytest.approx(100e3 * 8 / 6.3e6)
    assert r.propagation_delay.m_as("ms") == pytest.approx(0.979, abs=1e-3)
    assert LatencyWaterfallModel().solve().total.magnitude == 0


@pytest.mark.parametrize("kwargs, name", [
    (dict(distance=Q_(1, "s")), "distance"), (dict(round_trips=-1), "round_trips"),
    (dict(data_bytes=Q_(1, "MB")), "bandwidth"), (dict(bandwidth=Q_(1, "GB/s")), "data_bytes"),
    (dict(link="LTE", bandwidth=Q_(1, "GB/s")), "bandwidth"),
    (dict(queueing_time=Q_(1, "m")), "queueing_time"), (dict(link="H100"), "link"),
])
def test_waterfall_rejects_bad_inputs(kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        LatencyWaterfallModel().solve(**kwargs)
