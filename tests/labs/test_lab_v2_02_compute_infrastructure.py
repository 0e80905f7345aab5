"""Vol II Lab 02 under CPython: predictions graded from the engine (recomputed here with direct
engine calls), feedback per option, both failure states (out of memory; tensor-parallel
all-reduces outlasting the compute) reached and left through the controls in both contexts,
the ledger entry, instrument numbers, stale values."""
import dataclasses

import pytest
from mlsysim import Models, Systems
from mlsysim.core.solver import AllReduceModel, DistributedModel

from labkit import fmt, validate_entry
from labs.vol2 import compute_infrastructure_cases as cases

DGX, PCIE = Systems.Nodes.DGX_H100, Systems.Nodes.PCIe_H100x8
L70, L8 = Models.Llama3_70B, Models.Llama3_8B
BOTH = {"act1.prediction": "C", "act2.prediction": "D"}
ACT1_BANDS = {"A": (0.0, 1.0), "B": (1.0, 2.5), "C": (2.5, 10.0), "D": (10.0, float("inf"))}
ACT2_BANDS = {"A": (0.0, 0.25), "B": (0.25, 1.0), "C": (1.0, 2.0), "D": (2.0, float("inf"))}


@pytest.fixture
def d(driver):
    return driver("vol2/02")


def band(x, bands):
    return next(k for k, (lo, hi) in bands.items() if lo <= x < hi)


def cluster(node, nodes=64):
    return dataclasses.replace(Systems.Clusters.Frontier_8K, node=node, nodes=nodes)


def engine_step(fleet, model, tp):
    r = DistributedModel().solve(model=model, fleet=fleet, tp=tp, zero_stage=1,
                                 checkpointing="full")
    comp = r.compute_time_per_step.m_as("s") + r.recompute_time_per_step.m_as("s")
    return r, r.tp_communication_time.m_as("s") / comp


def expected_act1():
    grads = f"{2 * L70.parameters} B"          # FP16 gradients: 2 bytes per parameter
    nv = AllReduceModel().solve(message_bytes=grads, devices=8, link="NVLink4")
    pc = AllReduceModel().solve(message_bytes=grads, devices=8, link="PCIe_Gen5_x16")
    return nv.time.m_as("s"), pc.time.m_as("s")


def test_act1_correct_option_comes_from_the_engine(d):
    nv, pc = expected_act1()
    # 2 x 7/8 x 141.2 GB over 63 GB/s per direction: about 3.9 s; NVLink 4 about 0.55 s.
    assert 3.5 < pc < 4.5 and 0.5 < nv < 0.6
    correct = band(pc, ACT1_BANDS)
    assert correct == "C"
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(pc)
        lo, hi = ACT1_BANDS[option]
        assert lo <= entry["act1"]["predicted_value"] <= hi


def test_act2_correct_option_comes_from_the_engine(d):
    _, ratio = engine_step(cluster(DGX), L70, 16)
    _, inside = engine_step(cluster(DGX), L70, 8)
    # Across InfiniBand the all-reduces outlast the compute several times; inside NVLink not.
    assert ratio > 2 and inside < 0.25
    correct = band(ratio, ACT2_BANDS)
    assert correct == "D"
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)


def test_reveals_state_the_engine_numbers(d):
    nv, pc = expected_act1()
    tree = d.render(BOTH)
    assert d.node(tree, "act1.overlay")["actual"] == \
        f"{fmt.duration(pc)} on the PCIe server ({fmt.duration(nv)} on the DGX H100)"
    r, _ = engine_step(cluster(DGX), L70, 16)
    comp = r.compute_time_per_step.m_as("s") + r.recompute_time_per_step.m_as("s")
    actual = d.node(tree, "act2.overlay")["actual"]
    assert fmt.duration(r.tp_communication_time.m_as("s")) in actual
    assert fmt.duration(comp) in actual
    for key in ("act1.overlay", "act2.overlay"):
        assert "ratio" not in d.node(tree, key)


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "overlay" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.cliff") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.tp_cliff") is None and d.node(tree, "act2.tp") is None


def test_act1_instruments_equal_the_engine(d):
    nv, pc = expected_act1()
    ib = AllReduceModel().solve(message_bytes=f"{2 * L70.parameters} B", devices=8,
                                link="InfiniBand_NDR").time.m_as("s")
    tree = d.render(BOTH)
    items = {i["label"]: i["value"] for i in d.node(tree, "act1.metrics")["items"]}
    assert items["DGX H100 (NVLink 4)"] == fmt.duration(nv)
    assert items["PCIe server (PCIe Gen5)"] == fmt.duration(pc)
    assert items["8 servers (InfiniBand NDR)"] == fmt.duration(ib)
    assert [row[-1] for row in d.node(tree, "act1.exchange")["table"]["rows"]] == \
        [fmt.duration(t) for t in (nv, pc, ib)]
    # the cliff: large messages approach each link's bandwidth, small ones pay latency
    cliff = d.node(tree, "act1.cliff")
    by_name = {t["name"]: t for t in cliff["figure"]["data"]}
    nvl = by_name[Systems.Links.NVLink4.name]
    assert nvl["y"][-1] == pytest.approx(450, rel=1e-3) and nvl["y"][0] < 5
    assert by_name[Systems.Links.PCIe_Gen5_x16.name]["y"][-1] == pytest.approx(63, rel=1e-3)


def test_failure_oom_single_node_reached_and_left(d):
    """Single node: Llama 3 70B does not fit one server at any degree; Llama 3 8B does."""
    for tp in ("1", "8"):
        values = {"context": "single_node", "act2.model": "llama3_70b", "act2.tp": tp}
        tree = d.render(BOTH, values)
        banner = d.node(tree, "act2.failure")
        r, _ = engine_step(DGX, L70, int(tp))
        [v] = r.violations
        assert banner["required"] == f"{v.name}: {fmt.quantity(v.required)}"
        assert banner["available"] == fmt.quantity(v.available) == "80 GB"
        assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    # leave: the context toggle to the cluster (at tp 8), or the smaller model
    out = d.render(BOTH, {"context": "multi_node", "act2.model": "llama3_70b", "act2.tp": "8"})
    assert d.node(out, "act2.failure") is None
    assert d.node(out, "ledger")["entry"]["constraint_hit"] is False
    assert d.node(d.render(BOTH, {"act2.model": "llama3_8b"}), "act2.failure") is None


def test_failure_communication_single_node_pcie(d):
    """Single node: Llama 3 8B at tensor parallel 8 on the PCIe server spends more time in
    all-reduces than in compute; on the DGX H100, or at degree 4, it does not."""
    values = {"context": "single_node", "act2.server": "pcie", "act2.tp": "8"}
    tree = d.render(BOTH, values)
    r, ratio = engine_step(PCIE, L8, 8)
    assert ratio > 1 and r.feasible
    banner = d.node(tree, "act2.failure")
    comp = r.compute_time_per_step + r.recompute_time_per_step
    assert banner["required"] == \
        f"tensor-parallel all-reduce time per step: {fmt.quantity(r.tp_communication_time)}"
    assert banner["available"] == fmt.quantity(comp)
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True and entry["act2"]["result"] == pytest.approx(ratio)
    assert d.node(d.render(BOTH, {**values, "act2.server": "nvlink"}), "act2.failure") is None
    assert d.node(d.render(BOTH, {**values, "act2.tp": "4"}), "act2.failure") is None


def test_failure_communication_multi_node_infiniband(d):
    """Multi-node: the same 70B that fits at 8 inside a DGX H100 crosses InfiniBand at 16."""
    values = {"context": "multi_node", "act2.model": "llama3_70b", "act2.tp": "16"}
    tree = d.render(BOTH, values)
    r, ratio = engine_step(cluster(DGX), L70, 16)
    assert ratio > 1 and r.feasible
    banner = d.node(tree, "act2.failure")
    assert banner["required"].endswith(fmt.quantity(r.tp_communication_time))
    assert "InfiniBand" in banner["text"]
    back = d.render(BOTH, {**values, "act2.tp": "8"})
    assert d.node(back, "act2.failure") is None
    # and the same controls give another verdict in the other context: 16 does not exist
    # in one server (the stale value falls back to 1), and 70B does not fit there
    single = d.render(BOTH, {**values, "context": "single_node"})
    assert d.node(single, "act2.tp")["value"] == "1"
    assert "capacity" in d.node(single, "act2.failure")["required"]


def test_multi_node_memory_floor(d):
    """On the cluster Llama 3 70B needs tensor parallel 8: at 4 each GPU's share overflows."""
    tree = d.render(BOTH, {"context": "multi_node", "act2.model": "llama3_70b", "act2.tp": "4"})
    r, _ = engine_step(cluster(DGX), L70, 4)
    [v] = r.violations
    assert d.node(tree, "act2.failure")["required"] == f"{v.name}: {fmt.quantity(v.required)}"


def test_act2_metrics_equal_the_engine(d):
    values = {"context": "multi_node", "act2.model": "llama3_70b", "act2.tp": "8",
              "act2.server": "pcie"}
    r, ratio = engine_step(cluster(PCIE), L70, 8)
    tree = d.render(BOTH, values)
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Memory per GPU"] == fmt.si(r.memory_per_gpu.m_as("B"), "B")
    assert items["Tensor-parallel all-reduces"] == fmt.duration(r.tp_communication_time.m_as("s"))
    assert items["All-reduce ÷ compute"] == fmt.percent(ratio, 0)
    assert items["Step time"] == fmt.duration(r.step_time.m_as("s"))
    assert ratio < 1 and d.node(tree, "act2.failure") is None  # the PCIe cluster just passes
    rows = d.node(tree, "act2.tp_cliff")["table"]["rows"]
    assert ["H100 PCIe server", "8", Systems.Links.PCIe_Gen5_x16.name,
            fmt.percent(ratio, 0)] in rows
    assert ["DGX H100", "16", Systems.Links.InfiniBand_NDR.name,
            fmt.percent(engine_step(cluster(DGX), L70, 16)[1], 0)] in rows


def test_cases_cluster_counts_whole_sequences():
    """The cluster's size gives every data-parallel rank whole sequences at every degree, so
    compute and tensor-parallel traffic count the same tokens."""
    for tp in cases.TP_DEGREES["multi_node"]:
        r = cases.step("multi_node", "llama3_70b", "nvlink", tp)
        assert r.dp * r.microbatches * L70.context_length == 4 * 1024 * 1024


def test_ledger_entry_matches_schema(d):
    for ctx in ("single_node", "multi_node"):
        entry = d.node(d.render(BOTH, {"context": ctx}), "ledger")["entry"]
        assert validate_entry(entry, "vol2.ch02")["context"] == ctx
        assert "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "cloud", "act2.model": "gpt3_175b", "act2.tp": "64",
                           "act2.server": "tpu"})
    assert d.node(tree, "context")["value"] == "single_node"
    assert d.node(tree, "act2.model")["value"] == "llama3_8b"
    assert d.node(tree, "act2.tp")["value"] == "1"
    assert d.node(tree, "act2.server")["value"] == "nvlink"
