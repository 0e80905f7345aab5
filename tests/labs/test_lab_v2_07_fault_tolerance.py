"""Vol II Lab 07 under CPython: both predictions graded from direct engine calls (fleet MTBF,
checkpoint model, Young-Daly), the loss-budget and write-time failures reached and left through
the controls in both contexts with the engine's numbers on the banner, the contexts changing
the verdict, metrics equal to the engine's, the ledger entry, stale values."""
import math

import pytest
from mlsysim import Models, Systems
from mlsysim.core.constants import Q_
from mlsysim.core.solver import CheckpointModel, FleetReliabilityModel, YoungDalyModel

from labkit import fmt, validate_entry
from labs.vol2 import fault_tolerance_cases as cases

BOTH = {"act1.prediction": "A", "act2.prediction": "D"}
PCIE = Systems.Links.PCIe_Gen5_x16.bandwidth
RELAUNCH = Q_(600, "s")  # the lab's illustrative relaunch time, restated here


@pytest.fixture
def d(driver):
    return driver("vol2/07")


def engine_design(gpus, model, storage, units, interval_s, asynchronous=False):
    """The lab's loss, recomputed from the engine's resolvers without the cases module."""
    mtbf = FleetReliabilityModel().solve(devices=gpus).fleet_mtbf
    ck = CheckpointModel().solve(model=model, storage=storage, storage_units=units,
                                 devices=gpus, bandwidth=PCIE, overlap=asynchronous)
    tier = getattr(Systems.Storage, storage)
    read = CheckpointModel().solve(data_bytes=ck.checkpoint_bytes,
                                   storage_bandwidth=tier.read_bandwidth * units, devices=gpus,
                                   bandwidth=PCIE).write_time
    extra = RELAUNCH + read + (ck.write_time if asynchronous else Q_(0, "s"))
    at = YoungDalyModel().solve(checkpoint_time=ck.checkpoint_time, mtbf=mtbf,
                                interval=Q_(interval_s, "s"), restart_time=extra)
    opt = YoungDalyModel().solve(checkpoint_time=ck.checkpoint_time, mtbf=mtbf,
                                 restart_time=extra)
    return mtbf, ck, at, opt, extra


def expected_act1():
    mtbf, ck, at, opt, _ = engine_design(16_384, Models.GPT3_175B, "Parallel_FS", 32, 1800)
    tau_min = opt.optimal_interval.m_as("min")
    bands = {"A": (0, 10), "B": (10, 60), "C": (60, 360), "D": (360, math.inf)}
    return tau_min, next(k for k, (lo, hi) in bands.items() if lo <= tau_min < hi), at


def expected_act2():
    mtbf, ck, _, opt, extra = engine_design(16_384, Models.GPT3_175B, "Object_Store", 1, 1800)
    best = YoungDalyModel().solve(checkpoint_time=ck.checkpoint_time, mtbf=mtbf,
                                  interval=opt.optimal_interval, restart_time=extra)
    w = best.waste_fraction
    bands = {"A": (0, 0.05), "B": (0.05, 0.10), "C": (0.10, 0.20), "D": (0.20, math.inf)}
    return w, next(k for k, (lo, hi) in bands.items() if lo <= w < hi)


def test_act1_correct_option_comes_from_the_engine(d):
    tau_min, correct, _ = expected_act1()
    # 2.45 TB at 2.08 TB/s = 1.18 s; fleet MTBF 3.09 h: sqrt(2 C M) is minutes, not half an hour.
    assert correct == "A" and 2 < tau_min < 4
    for option in "ABCD":
        tree = d.render({**BOTH, "act1.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(tau_min)
        overlay = d.node(tree, "act1.overlay")
        assert f"{fmt.num(tau_min)} min" in overlay["text"] and "ratio" not in overlay


def test_act2_correct_option_comes_from_the_engine(d):
    w, correct = expected_act2()
    # One object-store prefix: a 196 s stall; even at sqrt(2CM) the loss breaks 20%.
    assert correct == "D" and 0.22 < w < 0.30
    for option in "ABCD":
        tree = d.render({**BOTH, "act2.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)
        assert fmt.percent(w, 1) in d.node(tree, "act2.overlay")["text"]


def test_act1_reflection_follows_the_square_root(d):
    """Doubling the fleet halves M; storage-bound C stays: the optimum shrinks by sqrt(2)."""
    fb = d.node(d.render(BOTH, {"act1.reflection": "B"}), "act1.reflection.feedback")
    assert fb["tone"] == "success" and "0.71 times" in fb["text"]


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    tree = d.render({"act1.prediction": "B"})
    assert d.node(tree, "act1.curve") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.curve") is None and d.node(tree, "act2.interval") is None


def test_act1_instruments_equal_the_engine(d):
    tau_min, _, at = expected_act1()
    tree = d.render(BOTH)
    items = {i["label"]: i for i in d.node(tree, "act1.metrics")["items"]}
    assert items["Fleet MTBF"]["value"] == fmt.duration(
        FleetReliabilityModel().solve(devices=16_384).fleet_mtbf.m_as("s"))
    assert items["Optimum interval √(2CM)"]["value"] == f"{fmt.num(tau_min)} min"
    assert items["Lost every 30 min"]["value"] == fmt.percent(at.waste_fraction, 1)
    curve = d.node(tree, "act1.curve")
    best = next(t for t in curve["figure"]["data"] if t.get("name") == "best interval")
    assert best["x"][0] == pytest.approx(tau_min)


def banner_for(d, values):
    return d.node(d.render(BOTH, values), "act2.budget")


def test_loss_budget_failure_on_8_gpus_reached_and_left_by_the_interval(d):
    assert banner_for(d, {}) is None                      # 8 GPUs, Llama 3 8B, every 30 min
    tree = d.render(BOTH, {"act2.interval": 1})
    banner = d.node(tree, "act2.budget")
    _, _, at, _, _ = engine_design(8, Models.Llama3_8B, "Local_NVMe", 1, 60)
    assert at.waste_fraction > 0.20
    assert banner["required"] == ("time lost to checkpoints, failures and restarts: "
                                  + fmt.percent(at.waste_fraction, 1))
    assert banner["available"] == "20.0%"
    assert "To get out" in banner["text"]
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    back = d.render(BOTH, {"act2.interval": 30})
    assert d.node(back, "act2.budget") is None
    assert d.node(back, "ledger")["entry"]["constraint_hit"] is False


def test_loss_budget_failure_on_16k_gpus_left_by_asynchronous_writes(d):
    tree = d.render(BOTH, {"context": "gpus_16k"})
    banner = d.node(tree, "act2.budget")
    _, _, at, _, _ = engine_design(16_384, Models.GPT3_175B, "Object_Store", 1, 1800)
    assert banner["required"].endswith(fmt.percent(at.waste_fraction, 1))
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    assert "write asynchronously" in banner["text"]
    out = d.render(BOTH, {"context": "gpus_16k", "act2.mode": "async"})
    assert d.node(out, "act2.budget") is None
    _, _, at_async, _, _ = engine_design(16_384, Models.GPT3_175B, "Object_Store", 1, 1800,
                                         asynchronous=True)
    assert d.node(out, "ledger")["entry"]["act2"]["result"] == pytest.approx(
        at_async.waste_fraction * 100)
    # widening the storage, as the banner offers, leaves the failure too
    assert banner_for(d, {"context": "gpus_16k", "act2.units": 2}) is None


def test_asynchronous_write_longer_than_the_interval_is_a_failure(d):
    values = {"context": "gpus_16k", "act2.mode": "async", "act2.interval": 2}
    banner = banner_for(d, values)
    ck = CheckpointModel().solve(model=Models.GPT3_175B, storage="Object_Store", devices=16_384,
                                 bandwidth=PCIE, overlap=True, interval="120 s")
    v = ck.violation("checkpoint write time")
    assert v is not None
    assert banner["required"] == f"checkpoint write time: {fmt.quantity(v.required)}"
    assert banner["available"] == fmt.quantity(v.available)
    assert banner_for(d, {**values, "act2.interval": 4}) is None


def test_the_contexts_change_the_verdict(d):
    """The same explicit design is within budget on one node and over it on 16,384 GPUs."""
    design = {"act2.model": "llama3_8b", "act2.storage": "local_nvme", "act2.interval": 60}
    assert banner_for(d, {**design, "context": "gpus_8"}) is None
    assert banner_for(d, {**design, "context": "gpus_16k"}) is not None
    rows = d.node(d.render(BOTH, design), "act2.contexts")["rows"]
    assert [r[-1] for r in rows] == ["within budget", "over budget"]


def test_act2_metrics_equal_the_engine(d):
    tree = d.render(BOTH, {"context": "gpus_16k", "act2.storage": "parallel_fs",
                           "act2.units": 8, "act2.model": "llama3_70b"})
    mtbf, ck, at, opt, extra = engine_design(16_384, Models.Llama3_70B, "Parallel_FS", 8, 1800)
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Fleet MTBF"] == fmt.duration(mtbf.m_as("s"))
    assert items["Checkpoint size"] == fmt.si(ck.checkpoint_bytes.m_as("B"), "B")
    assert items["Write time W"] == fmt.duration(ck.write_time.m_as("s"))
    assert items["Best interval"] == f"{fmt.num(opt.optimal_interval.m_as('min'))} min"
    assert items["Lost at your interval"] == fmt.percent(at.waste_fraction, 1)


def test_one_node_optimum_is_hours_to_days(d):
    """8 GPUs rarely fail: the optimum interval is hours, a day or more for a slow store."""
    tree = d.render(BOTH, {"act2.model": "gpt3_175b", "act2.storage": "object_store"})
    _, _, _, opt, _ = engine_design(8, Models.GPT3_175B, "Object_Store", 1, 1800)
    assert opt.optimal_interval.m_as("h") > 24
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Best interval"] == f"{fmt.num(opt.optimal_interval.m_as('h'))} h"
    assert d.node(tree, "act2.fit")  # 2.45 TB of state does not fit one node's HBM: said


def test_ledger_entry_matches_schema(d):
    for ctx in ("gpus_8", "gpus_16k"):
        entry = d.node(d.render(BOTH, {"context": ctx}), "ledger")["entry"]
        assert validate_entry(entry, "vol2.ch07")["context"] == ctx
        assert entry["act2"]["unit"] == "%" and "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "cloud", "act2.model": "vgg16", "act2.interval": 99_999,
                           "act2.storage": "tape", "act2.mode": "maybe"})
    assert d.node(tree, "context")["value"] == "gpus_8"
    assert d.node(tree, "act2.model")["value"] == "llama3_8b"
    assert d.node(tree, "act2.storage")["value"] == "local_nvme"
    assert d.node(tree, "act2.interval")["value"] == 30
    assert d.node(tree, "act2.mode")["value"] == "sync"


def test_cases_module_agrees_with_the_engine():
    mtbf, ck, at, opt, extra = engine_design(8_192, Models.Llama3_70B, "Parallel_FS", 8, 1800)
    ex = cases.chapter_design(1800.0)
    assert ex.waste == pytest.approx(at.waste_fraction)
    assert ex.optimum_s == pytest.approx(opt.optimal_interval.m_as("s"))
    assert ex.restart_s == pytest.approx(extra.m_as("s"))
