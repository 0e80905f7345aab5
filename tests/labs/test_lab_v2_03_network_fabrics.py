"""Vol II Lab 03 under CPython: predictions graded from the engine (alpha-beta link model, fat
tree cost), feedback per option, the AllReduce failure state reachable and reversible through
the controls in the 1,024-GPU scenario (never in the 8-GPU one), the ledger entry, numbers,
stale values."""
import math

import pytest
from mlsysim import Models, Systems
from mlsysim.core.constants import Q_
from mlsysim.core.solver import (AllReduceModel, BisectionBandwidthModel, FatTreeModel,
                                 LinkTransferModel)

from labkit import fmt, validate_entry
from labs.vol2 import lab_03_network_fabrics as lab03
from labs.vol2 import network_fabrics_cases as cases

NVLINK, NDR = Systems.Links.NVLink4, Systems.Links.InfiniBand_NDR
BOTH = {"act1.prediction": "D", "act2.prediction": "C"}
GRADIENT = Models.Llama3_8B.size_in_bytes("bf16")


@pytest.fixture
def d(driver):
    return driver("vol2/03")


def direct_speedup(link, n_bytes=4096):
    """4 KiB over ``link`` and over a link of twice its bandwidth, same latency (engine)."""
    one = LinkTransferModel().solve(message_bytes=Q_(n_bytes, "B"), link=link)
    two = LinkTransferModel().solve(message_bytes=Q_(n_bytes, "B"), bandwidth=2 * link.bandwidth,
                                    latency=link.latency)
    return one.time.m_as("s"), two.time.m_as("s")


def direct_fabric(o, devices=1024, radix=64):
    return FatTreeModel().solve(devices=devices, radix=radix, oversubscription=o, link=NDR)


def direct_allreduce(devices, o, algorithm="ring"):
    return AllReduceModel().solve(message_bytes=GRADIENT, fleet=Systems.Clusters.Frontier_8K,
                                  devices=devices, oversubscription=o, algorithm=algorithm,
                                  target_latency=Q_(1, "s"))


@pytest.mark.parametrize("context, link", [("gpus_8", NVLINK), ("gpus_1024", NDR)])
def test_act1_correct_option_comes_from_the_alpha_beta_model(d, context, link):
    t1, t2 = direct_speedup(link)
    s = t1 / t2
    assert 1.0 < s < 1.1  # a 4 KiB message is latency-bound on both links
    correct = next(k for k, (lo, hi) in lab03.ACT1_BANDS.items() if lo <= s < hi)
    assert correct == "D"
    for option in "ABCD":
        tree = d.render({**BOTH, "act1.prediction": option}, {"context": context})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(s)
        overlay = d.node(tree, "act1.overlay")
        assert f"{fmt.duration(t1)} today, {fmt.duration(t2)} with twice" in overlay["actual"]
    # the link is what the scenario says: NVLink inside the node, NDR across nodes
    assert link.name in d.node(d.render(BOTH, {"context": context}), "act1.prediction")["label"]


def test_act1_doubling_pays_only_above_the_half_bandwidth_size():
    for link in (NVLINK, NDR):
        half = (link.latency * link.bandwidth).m_as("B")
        assert cases.half_bandwidth_size(
            "NVLink4" if link is NVLINK else "InfiniBand_NDR") == pytest.approx(half)
        t1, t2 = direct_speedup(link, half)
        assert t1 / t2 == pytest.approx(4 / 3)
        t1, t2 = direct_speedup(link, 2 ** 28)
        assert t1 / t2 > 1.95


def test_act2_correct_option_comes_from_the_fat_tree_cost(d):
    full, over = direct_fabric(1.0), direct_fabric(4.0)
    saving = 1 - (over.cost / full.cost).m_as("")
    # the host links and their optics stay: 4:1 saves well under three quarters
    assert 0.25 <= saving < 0.45 and full.switches == 48 and over.switches == 26
    correct = next(k for k, (lo, hi) in lab03.ACT2_BANDS.items() if lo <= saving < hi)
    assert correct == "C"
    for option in "ABCD":
        tree = d.render({**BOTH, "act2.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)
        assert fmt.usd(full.cost.m_as("USD")) in d.node(tree, "act2.overlay")["actual"]


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "overlay" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.transfer") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.tradeoff") is None and d.node(tree, "ledger") is None


def test_failure_reached_and_left_through_the_controls(d):
    # the controls start on the vendor's 4:1: fine with 8 GPUs, over budget with 1,024
    assert d.node(d.render(BOTH), "context")["value"] == "gpus_8"
    assert d.node(d.render(BOTH), "act2.failure") is None
    tree = d.render(BOTH, {"context": "gpus_1024"})
    banner = d.node(tree, "act2.failure")
    r = direct_allreduce(1024, 4.0)
    [v] = r.violations
    assert banner["required"] == f"collective time: {fmt.quantity(v.required)}"
    assert banner["available"] == fmt.quantity(v.available) == "1 s"
    assert v.required.m_as("s") == pytest.approx(2.5726, rel=1e-3)
    assert "1.5:1 or less" in banner["text"] and "hierarchical" in banner["text"]
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True
    assert entry["act2"]["result"] == pytest.approx(r.time.m_as("s"))
    # out again: less oversubscription, a hierarchical AllReduce, or one node
    for values in ({"act2.oversubscription": 1.5}, {"act2.algorithm": "hierarchical"}):
        back = d.render(BOTH, {"context": "gpus_1024", **values})
        assert d.node(back, "act2.failure") is None
        assert d.node(back, "ledger")["entry"]["constraint_hit"] is False
    assert direct_allreduce(1024, 1.5).feasible and not direct_allreduce(1024, 2.0).feasible
    assert direct_allreduce(1024, 4.0, "hierarchical").feasible
    # the same controls never fail with 8 GPUs: the AllReduce stays on NVLink
    for o in cases.OVERSUBSCRIPTIONS:
        assert d.node(d.render(BOTH, {"context": "gpus_8", "act2.oversubscription": o}),
                      "act2.failure") is None
    assert direct_allreduce(8, 4.0).time == direct_allreduce(8, 1.0).time


def test_metrics_and_table_equal_the_engine(d):
    tree = d.render(BOTH, {"context": "gpus_1024", "act2.oversubscription": 2.0})
    items = {i["label"]: i for i in d.node(tree, "act2.metrics")["items"]}
    ft = direct_fabric(2.0)
    assert items["Gradient AllReduce"]["value"] == fmt.duration(direct_allreduce(1024, 2.0).time.m_as("s"))
    assert items["Network cost"]["value"] == fmt.usd(ft.cost.m_as("USD"))
    assert items["Switches"]["value"] == str(ft.switches)
    assert items["Bisection bandwidth"]["value"] == fmt.si(ft.bisection_bandwidth.m_as("B/s"), "B/s") == "12.8 TB/s"
    full = BisectionBandwidthModel().solve(devices=1024, bandwidth=NDR.bandwidth).full_bisection
    assert items["Bisection bandwidth"]["note"] == f"full at 1:1: {fmt.si(full.m_as('B/s'), 'B/s')}"
    rows = dict(d.node(tree, "act2.fabric")["rows"])
    assert rows["Transceivers (two per link)"] == f"{ft.transceivers:,}"
    assert rows["Total"] == fmt.usd(ft.cost.m_as("USD"))
    # 8 GPUs: one switch, full bisection whatever the ratio, NVSwitch's beside it
    one = d.render(BOTH, {"context": "gpus_8"})
    items = {i["label"]: i for i in d.node(one, "act2.metrics")["items"]}
    assert items["Switches"]["value"] == "1"
    assert items["Bisection bandwidth"]["value"] == "200 GB/s"
    assert items["Bisection bandwidth"]["note"].endswith("1.8 TB/s")
    assert items["Gradient AllReduce"]["value"] == fmt.duration(direct_allreduce(8, 4.0).time.m_as("s"))


def test_act1_instruments_follow_the_message_size(d):
    values = {"context": "gpus_1024", "act1.size": str(2 ** 26)}
    items = {i["label"]: i["value"] for i in d.node(d.render(BOTH, values), "act1.metrics")["items"]}
    t1, t2 = direct_speedup(NDR, 2 ** 26)
    assert items["Time today"] == fmt.duration(t1)
    assert items["With twice the bandwidth"] == fmt.duration(t2)
    assert items["Half-bandwidth size α·β"] == "135 kB"


def test_radix_changes_the_tiers_and_the_cost(d):
    small = d.render(BOTH, {"context": "gpus_1024", "act2.radix": "32", "act2.oversubscription": 1.0})
    rows = dict(d.node(small, "act2.fabric")["rows"])
    ft = FatTreeModel().solve(devices=1024, radix=32, oversubscription=1.0, link=NDR,
                              switch_price=Q_(36_000 / 64 * 32, "USD"))
    assert ft.tiers == 3 and rows["Tiers"] == "3" and rows["Total"] == fmt.usd(ft.cost.m_as("USD"))
    assert 1024 > 32 ** 2 // 2  # beyond what two tiers of 32-port switches hold


def test_ledger_entry_matches_schema(d):
    for ctx in ("gpus_8", "gpus_1024"):
        entry = d.node(d.render(BOTH, {"context": ctx}), "ledger")["entry"]
        assert validate_entry(entry, "vol2.ch03")["context"] == ctx
        assert entry["act2"]["unit"] == "s" and "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "cloud", "act2.radix": "48", "act2.oversubscription": 9,
                           "act2.algorithm": "tree", "act1.size": "5"})
    assert d.node(tree, "context")["value"] == "gpus_8"
    assert d.node(tree, "act2.radix")["value"] == "64"
    assert d.node(tree, "act2.oversubscription")["value"] == 4.0
    assert d.node(tree, "act2.algorithm")["value"] == "ring"
    assert d.node(tree, "act1.size")["value"] == "4096"
    assert not math.isnan(d.node(tree, "ledger")["entry"]["act2"]["result"])
