"""The numbers in Chapter 10 are computed at build time with the engine, through the cases the
chapter shares with Lab 10 (labs_wasm/labs/vol1/model_compression_cases.py): they equal what the
lab computes, they follow the engine's data, and the chapter does not work out the cases the
lab's predictions ask about."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol1 import model_compression_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol1/model_compression.qmd"


@pytest.fixture(scope="module")
def chapter10(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch10"), CHAPTER)


def decode_row(d) -> str:
    verdict = "meets both" if d.feasible else ", ".join(v.name for v in d.violations)
    return (f"| {d.fmt.upper()} | {fmt.si(d.weights, 'B')} | {fmt.si(d.kv, 'B')} | "
            f"{fmt.si(d.total, 'B')} | {fmt.duration(d.time)} | {verdict} |")


def test_chapter10_states_the_worked_examples(chapter10):
    assert "{python}" not in chapter10
    # MobileNetV2, quantization-aware training to INT8 (torchvision's published point)
    q = cases.compress(**cases.CHAPTER_QUANT)
    assert (f"Its ImageNet top-1 accuracy is {fmt.percent(q.accuracy, 2)}, against "
            f"{fmt.percent(q.baseline_accuracy, 2)} for the FP32 model, a loss of "
            f"{fmt.num(q.accuracy_drop)} points") in chapter10
    assert f"shrink from {fmt.si(q.original_size.m_as('B'), 'B')} to " \
        f"{fmt.si(q.compressed_size.m_as('B'), 'B')}" in chapter10
    # the decoding tables: Llama 3 70B on the H100, GPT-2 XL on the Snapdragon 8 Gen 3
    for case in (cases.CHAPTER_CLOUD, cases.CHAPTER_PHONE):
        for f in cases.FORMATS:
            assert decode_row(cases.decode(case["context"], case["model"], f,
                                           case["tokens"])) in chapter10
    big = cases.decode("cloud", "llama3_70b", "int8", 2048)
    assert big.feasible and f"In INT8 it fits, and each token takes {fmt.duration(big.time)}" \
        in chapter10
    assert not cases.decode("cloud", "llama3_70b", "fp16", 2048).feasible
    # the largest model the Snapdragon decodes at the target, weights only
    for f, word in (("fp16", "FP16"), ("int8", "INT8"), ("int4", "INT4")):
        n = cases.largest_model("snapdragon", f, 0.0)
        assert f"{fmt.num(n / 1e9)} billion in {word}" in chapter10 or \
            f"{fmt.num(n / 1e9)} billion parameters in {word}" in chapter10


def test_chapter10_frontier_table_is_the_engines_points_without_the_labs(chapter10):
    front = cases.frontier("resnet50")
    for p in front.points:
        row = (f"| {cases.method_name(p)} | {fmt.si(p['size'].m_as('B'), 'B')} | "
               f"{fmt.percent(p['baseline_accuracy'], 2)} | {fmt.percent(p['accuracy'], 2)} |")
        lab_point = (p["method"], p["precision"]) == ("ptq", "int8")
        assert (row in chapter10) is not lab_point, row
    assert chapter10.count("recorded from memory") >= 3  # the estimates say so


def test_chapter10_does_not_work_out_lab10s_predictions(chapter10):
    """Lab 10 asks what post-training INT8 costs ResNet-50 (Act I) and which weight format puts
    Llama 3 8B on the A17 Pro phone (Act II): the chapter works neither."""
    r = cases.compress(**cases.ACT1)
    assert fmt.percent(r.accuracy, 2) not in chapter10
    assert f"{fmt.num(r.accuracy_drop)} points" not in chapter10
    assert f"−{fmt.num(r.accuracy_drop)} |" not in chapter10
    a = cases.ACT2
    for f in cases.FORMATS:
        d = cases.decode(a["context"], a["model"], f, a["tokens"])
        assert fmt.duration(d.time) not in chapter10, f
        assert fmt.si(d.total, "B") not in chapter10, f
    assert f"{fmt.num(cases.bits_needed(a['context'], a['model'], a['tokens']), 2)} bits" \
        not in chapter10
    i4 = cases.decode(a["context"], a["model"], "int4", a["tokens"])
    assert fmt.num(cases.largest_model(a["context"], "int4", i4.kv) / 1e9) not in chapter10
    assert "A17" not in chapter10.split("## Lab 10")[0]


def test_chapter10_follows_the_engine_data(tmp_path, chapter10):
    """Halve the H100's memory bandwidth in (a copy of) the engine: Llama 3 70B's INT8 time per
    token doubles."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/cloud.toml", "H100.memory", "bandwidth", "1.675 TB/s"))
    d = cases.decode("cloud", "llama3_70b", "int8", 2048)
    before, after = d.time, d.total / 1.675e12
    assert after == pytest.approx(2 * before, rel=1e-3)
    assert f"each token takes {fmt.duration(before)}" in chapter10
    assert f"each token takes {fmt.duration(after)}" in changed
    assert f"each token takes {fmt.duration(before)}" not in changed
