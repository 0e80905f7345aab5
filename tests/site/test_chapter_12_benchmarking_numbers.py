"""The numbers in Chapter 12 are computed at build time with the engine, through the case module
the chapter shares with Lab 12 (labs_wasm/labs/vol1/benchmarking_cases.py): they equal what the
lab computes, they follow the engine's data, and the chapter does not work out the cases the
lab's predictions ask about."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol1 import benchmarking_cases as cases
from labs.vol1 import lab_12_benchmarking as lab12

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol1/benchmarking.qmd"
x = cases.times


@pytest.fixture(scope="module")
def chapter12(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch12"), CHAPTER)


def test_chapter12_states_the_worked_examples(chapter12):
    assert "{python}" not in chapter12                       # every value was substituted
    # the reference estimate and the eager launches (Iron Law on the Orin NX)
    ref = cases.iron_law("edge", "resnet50", 1, "fp16")
    assert f"a total of {fmt.duration(ref.total.m_as('s'))}" in chapter12
    eager = cases.eager_iron_law("edge", "resnet50", 1, "fp16")
    assert f"takes {fmt.duration(eager.total.m_as('s'))} instead of the compiled " \
        f"{fmt.duration(ref.total.m_as('s'))}" in chapter12
    # the validity table: every cell is the engine's throughput and ratio, as the lab shows it
    for ctx in ("cloud", "edge"):
        for b in (1, 8, 32, 256):
            for p in cases.PRECISIONS:
                v = cases.validity(ctx, "resnet50", b, p)
                assert f"{fmt.num(v.benchmark_throughput.m_as('1/s'))} " \
                    f"({x(v.throughput_ratio)})" in chapter12
    off = cases.validity("cloud", "resnet50", 256, "int8")
    assert f"The benchmark reports {x(cases.validity('cloud', 'resnet50', 256, 'fp16').throughput_ratio)} " \
        f"production's throughput in FP16 and {x(off.throughput_ratio)} in INT8" in chapter12
    assert off.benchmark_binding == "compute" and off.production_binding == "memory"
    # the measurement: Student-t interval and the speed-up interval (the lab's functions)
    s = cases.CHAPTER_STATS
    s16 = cases.stats(s["context"], s["model"], 1, "fp16", 3, 10, 0.95)
    assert f"the 95% interval runs from {fmt.duration(s16.ci_low)} to " \
        f"{fmt.duration(s16.ci_high)}" in chapter12
    r = cases.claim("edge", "resnet50", 1, 3, 10, 0.95, 2.0)
    assert f"a measured speed-up of {x(r.speedup)}, with a 95% interval from {x(r.ci_low)} " \
        f"to {x(r.ci_high)}" in chapter12
    raw = cases.claim("edge", "resnet50", 1, 0, 10, 0.95, 2.0)
    assert raw.ci_low < 1 < raw.ci_high and f"from {x(raw.ci_low)} to {x(raw.ci_high)}" in chapter12
    assert f"| $t_{{0.975,,n-1}}$ | {fmt.num(cases.t_value(0.95, 3), 3)} |" in chapter12
    # Amdahl and Gustafson on the chapter's own cases
    job = cases.amdahl(cases.CHAPTER_SERIAL, cases.CHAPTER_DEVICES)
    assert f"{x(job.amdahl_speedup)} on {cases.CHAPTER_DEVICES} GPUs" in chapter12
    assert f"One GPU would need {x(job.gustafson_speedup)} as long" in chapter12
    pipe = cases.amdahl(1 - cases.CHAPTER_PIPELINE_SHARE, cases.CHAPTER_PIPELINE_SPEEDUP)
    assert f"{x(pipe.amdahl_speedup)} faster, against a ceiling of {x(pipe.amdahl_limit)}" \
        in chapter12


def test_chapter12_does_not_work_out_lab12s_predictions(chapter12):
    """Lab 12 asks Amdahl's speed-up for 64 GPUs at 15% serial (Act I) and how far MobileNetV2's
    batch-256 INT8 headline is from one-image FP16 serving on the H100 (Act II): the chapter
    works 8 GPUs at 5% and ResNet-50 instead."""
    truth1, _ = lab12.act1_truth()
    for value in (truth1.amdahl_speedup, truth1.amdahl_limit, truth1.gustafson_speedup):
        assert x(value) not in chapter12 and fmt.ratio(value) not in chapter12
    truth2, _ = lab12.act2_truth()
    assert x(truth2.throughput_ratio) not in chapter12
    assert fmt.ratio(truth2.throughput_ratio) not in chapter12
    assert "MobileNetV2" not in chapter12
    assert "64 GPUs" not in chapter12 and "15%" not in chapter12


def test_chapter12_follows_the_engine_data(tmp_path, chapter12):
    """Halve the Orin NX GPU's FP16 peak in (a copy of) the engine: the reference estimate and
    the validity table's Orin cells change."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/edge.toml", "JetsonOrinNX_GPU.compute.precision_flops", "fp16",
        "7.52 TFLOP/s"))
    ref = cases.iron_law("edge", "resnet50", 1, "fp16")
    before = ref.total.m_as("s")
    after = before + ref.t_compute.m_as("s")          # the arithmetic term doubles
    assert f"a total of {fmt.duration(before)}" in chapter12
    assert f"a total of {fmt.duration(after)}" in changed
    assert f"a total of {fmt.duration(before)}" not in changed
