"""Vol II Lab 04 under CPython: predictions graded from the engine (recomputed here with direct
engine calls), feedback per option, the metadata and checkpoint failure states reachable and
left through the controls in both contexts, the ledger entry, numbers, stale values."""
import math

import pytest
from mlsysim import Models, Q_, Systems
from mlsysim.core.solver import CheckpointModel, StorageIOModel, TrainingTimeModel

from labkit import fmt, validate_entry
from labs.vol2 import data_storage_cases as cases

PFS, NVME = Systems.Storage.Parallel_FS, Systems.Storage.Local_NVMe
H100 = Systems.Nodes.DGX_H100.hardware
BOTH = {"act1.prediction": "C", "act2.prediction": "C"}
JPEG = Q_(147_897_477_120 / 1_281_167, "B")


@pytest.fixture
def d(driver):
    return driver("vol2/04")


def gpu_images_per_s() -> float:
    r = TrainingTimeModel().solve(model=Models.Vision.ResNet50, hardware=H100, steps=1,
                                  batch_size=256)
    return 256 / r.time_per_step.m_as("s")


def engine_read(storage, gpus, pattern, in_flight, units):
    return StorageIOModel().solve(target_throughput=Q_(gpu_images_per_s(), "1/s"),
                                  bytes_per_sample=JPEG, storage=storage, storage_units=units,
                                  devices=gpus, access_pattern=pattern, in_system=in_flight)


def test_act1_correct_option_comes_from_the_engine(d):
    """One DGX H100, one Lustre appliance, one file per image, 2 reads in flight per GPU: the
    reads in flight over the latency bind (Little's law), far below the bandwidth."""
    r = engine_read(PFS, 8, "small_files", 16, 1)
    u = r.accelerator_utilization
    assert r.bottleneck == "iops" and u == pytest.approx(16 / 300e-6 / (8 * gpu_images_per_s()))
    assert PFS.read_bandwidth.m_as("B/s") / JPEG.m_as("B") > 5 * 8 * gpu_images_per_s()
    bands = {"A": (0.9, 1.01), "B": (0.6, 0.9), "C": (0.25, 0.6), "D": (0.0, 0.25)}
    correct = next(k for k, (lo, hi) in bands.items() if lo <= u < hi)
    assert correct == "C"
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(u)


def test_act2_correct_option_comes_from_the_engine(d):
    """16 DGX H100 nodes, four appliances, one file per image, 8 in flight: the one metadata
    server binds."""
    r = engine_read(PFS, 128, "small_files", 128 * 8, 4)
    assert r.bottleneck == "metadata" and not r.feasible
    assert {v.name for v in r.violations} == {"metadata rate"}
    correct = {"bandwidth": "A", "iops": "B", "metadata": "C", "none": "D"}[r.bottleneck]
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)


def test_every_option_states_the_computed_answer(d):
    u = engine_read(PFS, 8, "small_files", 16, 1).accelerator_utilization
    for option in "ABCD":
        text = d.node(d.render({**BOTH, "act1.prediction": option}), "act1.overlay")["text"]
        assert f"**{fmt.percent(u, 0)}**" in text
    r = engine_read(PFS, 128, "small_files", 128 * 8, 4)
    for option in "ABCD":
        text = d.node(d.render({**BOTH, "act2.prediction": option}), "act2.overlay")["text"]
        assert f"**{fmt.percent(r.accelerator_utilization, 0)}**" in text


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.limits") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.limits") is None


def test_act1_instruments_equal_the_engine_in_both_contexts(d):
    pfs = engine_read(PFS, 8, "small_files", 16, 1)
    nvme = engine_read(NVME, 8, "small_files", 16, 8)
    for ctx, r in (("distributed_fs", pfs), ("nvme", nvme)):
        tree = d.render(BOTH, {"context": ctx})
        items = {i["label"]: i["value"] for i in d.node(tree, "act1.metrics")["items"]}
        assert items["GPU utilisation"] == fmt.percent(r.accelerator_utilization, 0)
    assert nvme.feasible and not pfs.feasible   # the same loader: fed on NVMe, starved on Lustre
    need = math.ceil(gpu_images_per_s() * PFS.latency.m_as("s"))
    tree = d.render(BOTH, {"context": "distributed_fs", "act1.inflight": need})
    items = {i["label"]: i["value"] for i in d.node(tree, "act1.metrics")["items"]}
    assert items["GPU utilisation"] == "100%"
    assert items["Reads in flight needed per GPU"] == f"{need} reads"


def test_metadata_failure_reached_and_left_through_the_controls(d):
    # NVMe (the first context) at the defaults: fed, no banner.
    tree = d.render(BOTH)
    assert d.node(tree, "context")["value"] == "nvme"
    assert d.node(tree, "act2.failure") is None
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is False
    # Reach: the shared file system.
    tree = d.render(BOTH, {"context": "distributed_fs"})
    banner = d.node(tree, "act2.failure")
    r = engine_read(PFS, 128, "small_files", 128 * 8, 4)
    v = r.violation("metadata rate")
    assert banner["required"] == f"metadata rate: {fmt.num(v.required.m_as('1/s'))} operations/s"
    assert banner["available"] == f"{fmt.num(v.available.m_as('1/s'))} operations/s"
    assert v.available.m_as("1/s") == PFS.metadata_rate.m_as("1/s")
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    # Leave: pack the images into shards, or go back to local NVMe.
    for values in ({"context": "distributed_fs", "act2.layout": "shards"},
                   {"context": "distributed_fs", "act2.layout": "records"}, {"context": "nvme"}):
        tree = d.render(BOTH, values)
        assert d.node(tree, "act2.failure") is None, values
        assert d.node(tree, "ledger")["entry"]["constraint_hit"] is False


def test_failures_in_the_nvme_context(d):
    # One drive per node: its bandwidth is below one node's demand.
    tree = d.render(BOTH, {"act2.drives": 1})
    banner = d.node(tree, "act2.failure")
    r = engine_read(NVME, 8, "small_files", 64, 1)
    v = r.violation("storage bandwidth")
    assert banner["required"] == f"storage bandwidth: {fmt.quantity(v.required)}"
    assert banner["available"] == fmt.quantity(v.available) == "13 GB/s"
    # One read in flight per GPU: 8 reads at 80 us are too few.
    tree = d.render(BOTH, {"act2.inflight": 1})
    assert d.node(tree, "act2.failure")["required"].startswith("storage IOPS")


def test_checkpoint_stall_reached_and_left(d):
    """Llama 3 70B's checkpoint (70.6 B parameters x 14 B) written synchronously to one
    appliance stalls training beyond the allowed 9 s; asynchronous writes leave it."""
    values = {"context": "distributed_fs", "act2.workload": "llama70b",
              "act2.appliances": 1}
    tree = d.render(BOTH, values)
    banner = d.node(tree, "act2.failure")
    ck = CheckpointModel().solve(model=Models.Llama3_70B, storage=PFS, storage_units=1,
                                 devices=128, bandwidth=Systems.Links.PCIe_Gen5_x16.bandwidth,
                                 max_stall="9 s")
    v = ck.violation("checkpoint stall")
    assert v is not None and banner["title"].startswith("Checkpoint stall")
    assert banner["required"] == f"checkpoint stall: {fmt.duration(v.required.m_as('s'))}"
    assert banner["available"] == "9 s"
    assert cases.MAX_STALL.m_as("s") == pytest.approx(9)
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Checkpoint size"] == fmt.si(70.6e9 * 14, "B")
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    for leave in ({"act2.checkpoint": "async"}, {"act2.appliances": 2}):
        assert d.node(d.render(BOTH, {**values, **leave}), "act2.failure") is None, leave
    # NVMe: one drive per node on 16 nodes also stalls (6.6 GB/s x 16 for 988 GB).
    tree = d.render(BOTH, {"act2.workload": "llama70b", "act2.drives": 1})
    assert d.node(tree, "act2.failure")["title"].startswith("Checkpoint stall")
    assert d.node(d.render(BOTH, {"act2.workload": "llama70b"}), "act2.failure") is None


def test_fleet_table_follows_the_engine(d):
    tree = d.render(BOTH, {"context": "distributed_fs", "act2.layout": "shards"})
    rows = d.node(tree, "act2.fleets")["rows"]
    for row, nodes in zip(rows, (16, 128, 1024)):
        r = engine_read(PFS, 8 * nodes, "sequential", 8 * nodes * 8, 4)
        u = r.accelerator_utilization
        assert row[1] == fmt.percent(u, 1 if u < 0.1 else 0)
    assert rows[0][2].startswith("none") and rows[2][2] == "bandwidth"


def test_ledger_entry_matches_schema(d):
    for ctx in ("nvme", "distributed_fs"):
        entry = d.node(d.render(BOTH, {"context": ctx}), "ledger")["entry"]
        assert validate_entry(entry, "vol2.ch04")["context"] == ctx
        assert "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "cloud", "act2.nodes": "7", "act2.inflight": 999,
                           "act2.layout": "tape", "act2.drives": 40})
    assert d.node(tree, "context")["value"] == "nvme"
    assert d.node(tree, "act2.nodes")["value"] == "16"
    assert d.node(tree, "act2.inflight")["value"] == 8
    assert d.node(tree, "act2.layout")["value"] == "files"
    assert d.node(tree, "act2.drives")["value"] == 8
