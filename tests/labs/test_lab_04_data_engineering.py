"""Lab 04 under CPython: predictions graded from the engine, feedback per option, the
deadline and egress-budget failure states reachable and reversible in both contexts, the
ledger entry, numbers, render time."""
import math

import pytest
from mlsysim import Hardware, Models, Q_, Systems
from mlsysim.core.solver import (DataGravityModel, DataPipelineModel, StorageIOModel,
                                 TrainingTimeModel)

from labkit import fmt, validate_entry
from labs.vol1 import data_engineering_cases as cases
from labs.vol1 import lab_04_data_engineering as lab04

H100, ORIN = Hardware.Cloud.H100, Hardware.Edge.JetsonOrinNX_GPU
BOTH = {"act1.prediction": "C", "act2.prediction": "C"}
LEVELS = {"A": 1.0, "B": 0.6, "C": 0.25, "D": 0.05}


@pytest.fixture
def d(driver):
    return driver("vol1/04")


def engine_gpu_rate(hw) -> float:
    r = TrainingTimeModel().solve(model=Models.Vision.ResNet50, hardware=hw, steps=1,
                                  batch_size=256)
    return 256 / r.time_per_step.m_as("s")


def engine_pipeline(context, cores, pattern="sequential"):
    """The input pipeline recomputed with direct engine calls (constants from the cases)."""
    hw = {"cloud": H100, "edge": ORIN}[context]
    storage = {"cloud": Systems.Storage.Object_Store, "edge": Systems.Storage.Local_NVMe}[context]
    read = StorageIOModel().solve(target_throughput="1e12 1/s", bytes_per_sample=cases.JPEG_BYTES,
                                  storage=storage, access_pattern=pattern).achieved_throughput
    per_core = 1 / sum(cases.CPU_SECONDS[context].values())
    stages = {"read": read, "cpu": Q_(cores * per_core, "1/s")}
    if context == "cloud":
        stages["copy"] = Systems.Links.PCIe_Gen5_x16.bandwidth / Q_(224 * 224 * 3, "B")
    return DataPipelineModel().solve(stages=stages,
                                     target_throughput=Q_(engine_gpu_rate(hw), "1/s"))


def engine_gravity(data_bytes, link, deadline, egress=None, budget=None):
    kwargs = {"deadline": deadline}
    if egress is not None:
        kwargs.update(egress_price=egress, budget=budget)
    return DataGravityModel().solve(data_bytes=data_bytes, link=link, **kwargs)


def test_act1_correct_option_comes_from_the_engine(d):
    p = engine_pipeline("cloud", 14)
    u = p.accelerator_utilization
    correct = min(LEVELS, key=lambda k: abs(math.log(LEVELS[k] / u)))
    # 14 cores x 250 images/s against ~16,000 images/s for the H100 at 40% MFU: the CPU binds.
    assert p.bottleneck == "cpu" and correct == "C" and 0.15 < u < 0.3
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(u)
        assert entry["act1"]["predicted_value"] == LEVELS[option]


def test_act2_correct_option_comes_from_data_gravity(d):
    r = engine_gravity("50 TB", "Ethernet_100G", "2 day", "AWS_Internet", "2000 USD")
    # 50 TB at 12.5 GB/s: 4,000 s; AWS bands: 10 TB x $0.09 + 40 TB x $0.085 = $4,300.
    assert r.time.m_as("s") == pytest.approx(4000)
    assert r.egress_cost.m_as("USD") == pytest.approx(4300)
    assert {v.name for v in r.violations} == {"egress cost"}
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == "C")


def test_feedback_states_the_computed_answers(d):
    u = engine_pipeline("cloud", 14).accelerator_utilization
    r = engine_gravity("50 TB", "Ethernet_100G", "2 day", "AWS_Internet", "2000 USD")
    for o in "ABCD":
        tree = d.render({"act1.prediction": o, "act2.prediction": o})
        assert f"**{fmt.percent(u, 0)}**" in d.node(tree, "act1.overlay")["text"]
        text2 = d.node(tree, "act2.overlay")["text"]
        assert fmt.usd(r.egress_cost.m_as("USD")) in text2
        assert fmt.duration(r.time.m_as("s")) in text2


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    assert d.node(tree, "act1.cores") is None
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.pipeline") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.time") is None and d.node(tree, "act2.failure") is None


def test_cloud_egress_budget_failure_reached_and_left(d):
    """Cloud defaults copy all 50 TB: the budget breaks, with the engine's numbers; sending
    45% of it, or moving the compute to the data, clears it."""
    r = engine_gravity("50 TB", "Ethernet_100G", "2 day", "AWS_Internet", "2000 USD")
    tree = d.render(BOTH, {"context": "cloud"})
    banner = d.node(tree, "act2.failure")
    [v] = r.violations
    assert banner["required"] == f"egress cost: {fmt.usd(v.required.m_as('USD'))}" == \
        "egress cost: $4,300"
    assert banner["available"] == fmt.usd(v.available.m_as("USD")) == "$2,000"
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True
    assert entry["act2"]["result"] == pytest.approx(r.time.m_as("hour"))
    for leave in ({"act2.keep": 0.45}, {"act2.plan": "compute"}):
        back = d.render(BOTH, {"context": "cloud", **leave})
        assert d.node(back, "act2.failure") is None
        assert d.node(back, "ledger")["entry"]["constraint_hit"] is False
    # The budget buys at most 45% (22.5 TB: $1,962.50); 50% (25 TB) is over.
    over = engine_gravity("25 TB", "Ethernet_100G", "2 day", "AWS_Internet", "2000 USD")
    assert over.egress_cost.m_as("USD") == pytest.approx(2175)
    assert d.node(d.render(BOTH, {"act2.keep": 0.5}), "act2.failure")
    # A faster link does not help the bill.
    assert d.node(d.render(BOTH, {"act2.link": "Ethernet_400G"}), "act2.failure")


def test_edge_deadline_failure_reached_and_left(d):
    """The same controls at the edge: 50 TB over the depot's broadband uplink takes months
    against a 7-day deadline; 5% of it, or the compute moved, gets in."""
    r = engine_gravity("50 TB", "WiFi", "7 day")
    tree = d.render(BOTH, {"context": "edge"})
    banner = d.node(tree, "act2.failure")
    [v] = r.violations
    assert v.name == "transfer time" and r.egress_cost is None
    assert banner["required"] == f"transfer time: {fmt.num(v.required.m_as('day'))} days"
    assert banner["available"] == f"{fmt.num(v.available.m_as('day'))} days" == "7 days"
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    # 20% passes in the Cloud (10 TB: $900) but misses at the edge: the contexts differ.
    assert d.node(d.render(BOTH, {"act2.keep": 0.2}), "act2.failure") is None
    assert d.node(d.render(BOTH, {"context": "edge", "act2.keep": 0.2}), "act2.failure")
    for leave in ({"act2.keep": 0.05}, {"act2.plan": "compute"}):
        back = d.render(BOTH, {"context": "edge", **leave})
        assert d.node(back, "act2.failure") is None
    # Over 5G even 5% misses the week.
    assert d.node(d.render(BOTH, {"context": "edge", "act2.link": "FiveG", "act2.keep": 0.05}),
                  "act2.failure")


def test_pipeline_metrics_equal_engine(d):
    for context, hw in (("cloud", H100), ("edge", ORIN)):
        for cores, layout, pattern in ((cases.CORES[context], "shards", "sequential"),
                                       (cases.MAX_CORES[context], "files", "small_files")):
            p = engine_pipeline(context, cores, pattern)
            tree = d.render(BOTH, {"context": context, "act1.cores": cores, "act1.layout": layout})
            items = {i["label"]: i["value"] for i in d.node(tree, "act1.metrics")["items"]}
            assert items["Pipeline delivers"] == f"{fmt.num(p.throughput.m_as('1/s'))} images/s"
            assert items["GPU could train"] == f"{fmt.num(engine_gpu_rate(hw))} images/s"
            assert items["GPU utilisation"] == fmt.percent(p.accelerator_utilization, 0)
    # One file per image from the object store: its request rate binds before 112 cores do.
    tree = d.render(BOTH, {"act1.cores": 112, "act1.layout": "files"})
    rows = d.node(tree, "act1.pipeline")["table"]["rows"]
    assert ["Read from storage", "2,750 images/s", "yes"] in rows
    # The Orin's GPU is the slowest stage with its 8 cores.
    rows = d.node(d.render(BOTH, {"context": "edge"}), "act1.pipeline")["table"]["rows"]
    assert rows[-1] == ["GPU training", f"{fmt.num(engine_gpu_rate(ORIN))} images/s", "yes"]


def test_gravity_metrics_equal_engine(d):
    r = engine_gravity("20 TB", "Ethernet_100G", "2 day", "AWS_Internet", "2000 USD")
    tree = d.render(BOTH, {"act2.keep": 0.4})
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Egress cost"] == fmt.usd(r.egress_cost.m_as("USD")) == "$1,750"
    assert items["Transfer time"] == fmt.duration(r.time.m_as("s"))
    assert items["Bytes crossing the link"] == "20 TB"
    weights = Models.Vision.ResNet50.size_in_bytes("fp32")
    r = engine_gravity(weights, "Ethernet_100G", "2 day", "AWS_Internet", "2000 USD")
    tree = d.render(BOTH, {"act2.plan": "compute"})
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Egress cost"] == fmt.usd(r.egress_cost.m_as("USD"))


def test_ledger_entry_matches_schema(d):
    for ctx in ("cloud", "edge"):
        for plan in ("data", "compute"):
            entry = d.node(d.render(BOTH, {"context": ctx, "act2.plan": plan}), "ledger")["entry"]
            assert validate_entry(entry, "vol1.ch04")["context"] == ctx
            assert "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "tiny", "act1.cores": 500, "act1.layout": "tape",
                           "act2.link": "LTE", "act2.keep": 3, "act2.plan": "both"})
    assert d.node(tree, "context")["value"] == "cloud"
    assert d.node(tree, "act1.cores")["value"] == cases.CORES["cloud"]
    assert d.node(tree, "act1.layout")["value"] == "shards"
    assert d.node(tree, "act2.link")["value"] == "Ethernet_100G"  # LTE is an edge link
    assert d.node(tree, "act2.keep")["value"] == 1.0
    assert d.node(tree, "act2.plan")["value"] == "data"
    # 14 cores are more than the Orin has: switching context falls back to its 8.
    tree = d.render(BOTH, {"context": "edge", "act1.cores": 14})
    assert d.node(tree, "act1.cores")["value"] == 8


def test_lab_module_uses_the_shared_cases():
    assert lab04.cases is cases and lab04.pipeline is cases.pipeline
