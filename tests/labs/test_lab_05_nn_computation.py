"""Lab 05 under CPython: predictions graded from the engine (Horowitz energies, per-layer
activation bytes), feedback per option, the out-of-memory failure state reached and left
through the controls in both contexts, the memory ledger and comparator numbers, the ledger
entry, render time."""
import math

import pytest
from mlsysim import Hardware, Models, Q_
from mlsysim.core.solver import ActivationMemoryModel, KernelEnergyModel

from labkit import fmt, validate_entry
from labs.vol1 import lab_05_nn_computation as lab05
from labs.vol1 import nn_computation_cases as cases

H100, A17 = Hardware.Cloud.H100, Hardware.Mobile.A17Pro
BOTH = {"act1.prediction": "D", "act2.prediction": "D"}
PHONE_BUDGET = 8e9 * 0.375          # the illustrative app share of the A17 Pro's 8 GB
GPU_BUDGET = 80e9 * 0.9             # the engine's usable share of the H100's 80 GB


@pytest.fixture
def d(driver):
    return driver("vol1/05")


def fine_tune(model=Models.Vision.MobileNetV2, batch=64, resolution=448, precision="fp16",
              training=True, hardware=A17, fraction=0.375):
    return ActivationMemoryModel().solve(model=model, batch_size=batch, resolution=resolution,
                                         precision=precision, training=training,
                                         hardware=hardware, memory_fraction=fraction)


def expected_act1():
    r = KernelEnergyModel().solve(ops=Q_(1, "MAC"), data_bytes=Q_(1, "B"), precision="int8",
                                  memory_level="dram")
    ratio = r.data_energy / r.arithmetic_energy
    exps = {"A": 0, "B": 1, "C": 2, "D": 3}
    return ratio.m_as(""), min(exps, key=lambda k: abs(exps[k] - math.log10(ratio.m_as(""))))


def test_budgets_are_the_stated_shares_of_the_registry_memories():
    assert cases.budget("mobile") == pytest.approx(A17.memory.capacity.m_as("B") * 0.375)
    assert cases.budget("mobile") == pytest.approx(PHONE_BUDGET)
    assert cases.budget("cloud") == pytest.approx(GPU_BUDGET)


def test_act1_correct_option_comes_from_horowitz_via_the_engine(d):
    ratio, correct = expected_act1()
    # 1.3 nJ per 64-bit DRAM access / 8 = 162.5 pJ a byte; INT8 MAC = 0.03 + 0.2 pJ.
    assert ratio == pytest.approx(162.5 / 0.23) and correct == "D"
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(ratio)
        assert entry["act1"]["predicted_value"] == 10.0 ** {"A": 0, "B": 1, "C": 2, "D": 3}[option]


def test_act2_correct_option_comes_from_activation_memory(d):
    r = fine_tune()
    need = r.required.m_as("B")
    assert need == pytest.approx(r.weight_bytes.m_as("B") + r.stored.m_as("B"))
    assert need > PHONE_BUDGET and not r.feasible          # band D: more than the budget
    assert lab05.act2_truth()[1] == "D"
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == "D")
    # the band edges follow the engine: inference of the same run is band B
    assert lab05.band(fine_tune(training=False).required.m_as("B")) == "B"


def test_feedback_states_the_computed_answer(d):
    ratio, _ = expected_act1()
    r = fine_tune()
    for option in "ABCD":
        t1 = d.node(d.render({**BOTH, "act1.prediction": option}), "act1.overlay")["text"]
        assert f"**{fmt.num(ratio)}x**" in t1
        t2 = d.node(d.render({**BOTH, "act2.prediction": option}), "act2.overlay")["text"]
        assert f"**{fmt.quantity(r.required)}**" in t2


def test_act2_reflection_numbers_are_the_engines(d):
    half_res = fine_tune(resolution=224).stored.m_as("B")
    half_batch = fine_tune(batch=32).stored.m_as("B")
    assert half_res == pytest.approx(half_batch / 2, rel=1e-3)   # a quarter against a half
    # (the pooled 1x1 layers do not shrink with the resolution: 0.03% here)
    fb = d.node(d.render(BOTH, {"act2.reflection": "B"}), "act2.reflection.feedback")["text"]
    assert fmt.si(half_res, "B") in fb and fmt.si(half_batch, "B") in fb


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "overlay" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.hierarchy") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.ledger") is None and d.node(tree, "act2.oom") is None


def banner_rows(r):
    worst = max(r.violations, key=lambda v: v.ratio)
    return (f"{worst.name}: {fmt.quantity(worst.required)}", fmt.quantity(worst.available))


def test_phone_failure_reached_and_left_through_the_controls(d):
    # Cloud (the first context) with the product team's run: it fits the H100.
    assert d.node(d.render(BOTH), "act2.oom") is None
    # reach: switch to the phone
    tree = d.render(BOTH, {"context": "mobile"})
    banner = d.node(tree, "act2.oom")
    r = fine_tune()
    assert banner and (banner["required"], banner["available"]) == banner_rows(r)
    assert banner["available"] == "3 GB"
    assert "batch 56 is the largest that fits" in banner["text"]
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True
    assert entry["act2"]["result"] == pytest.approx(r.required.m_as("MB"))
    # leave: the largest batch the banner names fits, one more does not
    assert fine_tune(batch=56).feasible and not fine_tune(batch=57).feasible
    for leave in ({"act2.batch": 56}, {"act2.resolution": 224}, {"act2.precision": "int8"},
                  {"act2.mode": "inference"}):
        back = d.render(BOTH, {"context": "mobile", **leave})
        assert d.node(back, "act2.oom") is None, leave
        assert d.node(back, "ledger")["entry"]["constraint_hit"] is False
    assert d.node(d.render(BOTH, {"context": "cloud"}), "act2.oom") is None


def test_cloud_failure_reached_and_left_through_the_controls(d):
    reach = {"context": "cloud", "act2.model": "resnet50", "act2.batch": 256,
             "act2.resolution": 896}
    tree = d.render(BOTH, reach)
    r = fine_tune(model=Models.Vision.ResNet50, batch=256, resolution=896, hardware=H100,
                  fraction=0.9)
    assert not r.feasible and r.required.m_as("B") > GPU_BUDGET
    banner = d.node(tree, "act2.oom")
    assert (banner["required"], banner["available"]) == banner_rows(r)
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    assert d.node(d.render(BOTH, {**reach, "act2.resolution": 448}), "act2.oom") is None


def test_same_design_different_verdict_in_the_two_contexts(d):
    design = {"act2.batch": 128, "act2.resolution": 320}
    assert d.node(d.render(BOTH, {"context": "cloud", **design}), "act2.oom") is None
    assert d.node(d.render(BOTH, {"context": "mobile", **design}), "act2.oom") is not None


def test_memory_ledger_and_metrics_equal_the_engine(d):
    tree = d.render(BOTH, {"context": "mobile", "act2.batch": 32})
    r = fine_tune(batch=32)
    items = {i["label"]: i for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Weights"]["value"] == fmt.quantity(r.weight_bytes)
    assert items["Stored activations"]["value"] == fmt.si(r.stored.m_as("B"), "B")
    assert items["Needed"]["value"] == fmt.quantity(r.required)
    assert items["Budget"]["value"] == fmt.si(PHONE_BUDGET, "B")
    rows = d.node(tree, "act2.ledger")["table"]["rows"]
    assert rows[0] == ["weights", "all", fmt.si(r.weight_bytes.m_as("B"), "B")]
    # the stages add up to every layer's output
    stored = cases.stages("mobilenetv2", r)
    assert sum(g["stored"] for g in stored) == pytest.approx(r.stored.m_as("B"))
    assert sum(g["layers"] for g in stored) == len(r.layers)
    assert [row[2] for row in rows[1:]] == [fmt.si(g["stored"], "B") for g in stored]
    # inference: the peak live set, at the engine's peak layer
    inf = d.render(BOTH, {"context": "mobile", "act2.mode": "inference"})
    items = {i["label"]: i for i in d.node(inf, "act2.metrics")["items"]}
    peak = fine_tune(training=False)
    assert items["Peak live activations"]["value"] == fmt.si(peak.peak.m_as("B"), "B")
    assert peak.peak_layer in items["Peak live activations"]["note"]


def test_comparator_follows_batch_times_resolution_squared(d):
    tree = d.render(BOTH, {"act2.batch": 16, "act2.resolution": 448, "act2.ref_batch": 64,
                           "act2.ref_resolution": 224})
    fig = d.node(tree, "act2.compare")
    a, b = fine_tune(batch=64, resolution=224), fine_tune(batch=16, resolution=448)
    assert a.stored.m_as("B") == pytest.approx(b.stored.m_as("B"), rel=1e-3)  # 64 x 224² = 16 x 448²
    assert "B is 1.0x A" in fig["caption"]
    assert len(fig["table"]["rows"]) == len(cases.stages("mobilenetv2", a))


def test_act1_instruments_equal_the_engine(d):
    tree = d.render(BOTH, {"context": "mobile", "act1.batch": 64})
    fc = cases.classifier("mobilenetv2")
    assert (fc["cin"], fc["cout"]) == (1280, 1000)    # Sandler et al. 2018, Table 2
    r = KernelEnergyModel().solve(ops=Q_(2 * 1280 * 1000 * 64, "FLOP"),
                                  data_bytes=Q_(1281000, "B"), precision="int8",
                                  memory_level="dram")
    items = {i["label"]: i["value"] for i in d.node(tree, "act1.metrics")["items"]}
    assert items["Share spent moving data"] == fmt.percent(r.data_share)
    assert items["Arithmetic"] == lab05.energy_text(r.arithmetic_energy.m_as("J"))
    rows = d.node(tree, "act1.hierarchy")["table"]["rows"]
    assert rows[-1][0] == "DRAM" and rows[-1][3] == fmt.ratio(expected_act1()[0])
    assert d.node(d.render(BOTH), "act1.precision")["value"] == "fp16"   # the H100's default


def test_layer_counts_reproduce_the_registry():
    rn = cases.layers("resnet50")
    assert sum(r["macs"] for r in rn) * 2 == pytest.approx(
        Models.Vision.ResNet50.flops_per_inference.m_as("FLOP"), rel=0.01)
    mb = cases.layers("mobilenetv2")
    assert sum(r["macs"] for r in mb) * 2 == pytest.approx(
        Models.Vision.MobileNetV2.flops_per_inference.m_as("FLOP"), rel=0.01)
    conv = cases.layer("resnet50", "conv2_1 3x3")
    assert conv["macs"] == 56 * 56 * 64 * 64 * 9 and conv["weights"] == 64 * 64 * 9


def test_ledger_entry_matches_schema(d):
    for ctx in ("cloud", "mobile"):
        entry = d.node(d.render(BOTH, {"context": ctx}), "ledger")["entry"]
        assert validate_entry(entry, "vol1.ch05")["context"] == ctx
        assert entry["act2"]["unit"] == "MB" and "MobileNetV2" in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "tiny", "act2.model": "vgg16", "act2.batch": 999,
                           "act2.resolution": 5000, "act1.memory": "hbm"})
    assert d.node(tree, "context")["value"] == "cloud"
    assert d.node(tree, "act2.model")["value"] == "mobilenetv2"
    assert d.node(tree, "act2.batch")["value"] == 64
    assert d.node(tree, "act2.resolution")["value"] == 448
    assert d.node(tree, "act1.memory")["value"] == "dram"
