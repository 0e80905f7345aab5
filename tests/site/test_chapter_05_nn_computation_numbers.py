"""The numbers in Chapter 5 are computed at build time with the engine, through the cases
module the chapter shares with Lab 05 (labs_wasm/labs/vol1/nn_computation_cases.py): they
equal what the lab computes, they follow the engine's data, and the chapter does not work
out the cases the lab's predictions ask about."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol1 import lab_05_nn_computation as lab05
from labs.vol1 import nn_computation_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol1/nn_computation.qmd"


@pytest.fixture(scope="module")
def chapter5(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch5"), CHAPTER)


def test_chapter5_states_the_worked_examples(chapter5):
    assert "{python}" not in chapter5
    # a layer as arithmetic: the stage-2 convolution and the classifier, counted from shapes
    conv = cases.layer("resnet50", "conv2_1 3x3")
    assert f"| {conv['macs']:,} | {conv['weights']:,} | {conv['macs'] // conv['weights']:,} |" \
        in chapter5
    total = sum(r["macs"] for r in cases.layers("resnet50"))
    assert f"{fmt.num(total / 1e9)} billion MACs per image" in chapter5
    # energy at FP32 (the chapter's case): Horowitz through the engine
    fetch, mac, ratio = cases.operand_vs_mac("fp32", "dram")
    assert f"**{fmt.num(ratio)} times**" in chapter5
    assert cases.pj(fetch) in chapter5 and cases.pj(mac) in chapter5
    fc = cases.classifier_energy("resnet50", "fp32", "dram", 1)
    assert f"which is {fmt.percent(fc.data_share)} of the layer's energy" in chapter5
    # activations of ResNet-50 at FP16: peak and stored, as the lab's instruments compute them
    inf = cases.activations("resnet50", 1, 224, "fp16", False)
    tr = cases.activations("resnet50", 1, 224, "fp16", True)
    assert f"{fmt.quantity(inf.peak)}, against {fmt.quantity(inf.weight_bytes)} of weights" \
        in chapter5
    assert f"the **stored** activations: {fmt.quantity(tr.stored)} per image" in chapter5
    for stage in cases.stages("resnet50", tr):
        assert f"| {fmt.si(stage['stored'], 'B')} | {fmt.si(stage['live'], 'B')} |" in chapter5
    # the same numbers the lab's memory ledger shows for this configuration
    tree = lab05.LAB.render({"answers": {"act1.prediction": "A", "act2.prediction": "A"},
                             "values": {"act2.model": "resnet50", "act2.batch": 1,
                                        "act2.resolution": 224}})
    metrics = next(n for n in _walk(tree["nodes"]) if n["key"] == "act2.metrics")
    stored = next(i for i in metrics["items"] if i["label"] == "Stored activations")
    assert stored["value"] == fmt.si(tr.stored.m_as("B"), "B")
    # scaling and budgets
    fit = cases.largest_batch("resnet50", "cloud", 224, "fp16", True)
    assert f"fits a batch of up to {fit:,} images at 224×224" in chapter5
    assert fmt.si(cases.budget("mobile"), "B") in chapter5


def _walk(nodes):
    for n in nodes:
        yield n
        yield from _walk(n.get("children", []))


def test_chapter5_does_not_work_out_lab05s_predictions(chapter5):
    """Lab 05 asks the INT8 DRAM-fetch-to-MAC ratio (Act I) and what MobileNetV2's fine-tuning
    run (batch 64, 448 px, FP16) needs on the phone (Act II): the chapter works FP32 and
    ResNet-50 instead."""
    _, _, ratio, _ = lab05.act1_truth()
    assert fmt.num(ratio) not in chapter5 and fmt.ratio(ratio) not in chapter5
    r, _ = lab05.act2_truth()
    for q in (r.required, r.stored):
        assert fmt.quantity(q) not in chapter5
    assert fmt.ratio((r.stored / r.weight_bytes).m_as("")) not in chapter5


def test_chapter5_follows_the_engine_data(tmp_path, chapter5):
    """Halve the H100's memory in (a copy of) the engine: the usable budget and the largest
    ResNet-50 training batch that fits it follow."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/cloud.toml", "H100.memory", "capacity", "40 GB"))
    before = cases.largest_batch("resnet50", "cloud", 224, "fp16", True)
    one = cases.activations("resnet50", 1, 224, "fp16", True)
    after = int((40e9 * cases.MEMORY_SHARE["cloud"] - one.weight_bytes.m_as("B"))
                // one.stored.m_as("B"))
    assert after < before
    assert f"fits a batch of up to {before:,} images" in chapter5
    assert f"fits a batch of up to {after:,} images" in changed
    assert f"fits a batch of up to {before:,} images" not in changed
    assert fmt.si(0.9 * 40e9, "B") in changed
