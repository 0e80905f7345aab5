"""The numbers in Chapter 7 are computed at build time with the engine, through the case module
the chapter shares with Lab 07 (labs_wasm/labs/vol1/frameworks_cases.py): they equal what the
lab computes, they follow the engine's data, and the chapter does not work out the cases the
lab's predictions ask about."""
from __future__ import annotations

import math

import pytest

from labkit import fmt
from labs.vol1 import frameworks_cases as cases
from labs.vol1 import lab_07_frameworks as lab07

from chapterdriver import expand_real, set_value

FRAMEWORKS = "book/vol1/frameworks.qmd"


@pytest.fixture(scope="module")
def chapter7(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch7"), FRAMEWORKS)


def test_chapter7_states_the_worked_examples(chapter7):
    assert "{python}" not in chapter7                       # every value was substituted
    eager = cases.iron_law("edge", "resnet50", 1, "eager")
    fused = cases.iron_law("edge", "resnet50", 1, "fused")
    share = cases.dispatch("edge", "resnet50", 1, "eager").overhead_share
    assert f"The pass takes {fmt.duration(eager.total.m_as('s'))}, of which dispatch is " \
        f"{fmt.percent(share)}" in chapter7
    assert f"| total $T$ | {fmt.duration(eager.total.m_as('s'))} | " \
        f"{fmt.duration(fused.total.m_as('s'))} |" in chapter7
    # kernel counts from the registry, as in the lab's instruments
    for key, name in (("resnet50", "ResNet-50"), ("mobilenetv2", "MobileNetV2")):
        k = cases.kernels(key)
        assert f"| {name} | {k.eager_kernels} | {k.fused_kernels} | {k.launches_saved} |" \
            in chapter7
    # the batch where the work catches up with the launches (the lab's metric, same function)
    assert f"at a batch of {cases.crossover_batch('edge', 'resnet50')}," in chapter7
    # fusion of an element-wise chain on ResNet-50's largest activation
    fu = cases.fusion("edge", "resnet50", cases.CHAPTER_CHAIN)
    assert f"| {fmt.duration(fu.unfused_time.m_as('s'))} |" in chapter7
    assert f"| {fmt.ratio(fu.speedup)} faster |" in chapter7
    # the compile break-even
    be = cases.break_even("edge", "resnet50", cases.COMPILE_TIME_S, cases.CAMERA_RATE_HZ)
    assert be.break_even_requests == math.ceil(cases.COMPILE_TIME_S
                                               / be.saving_per_request.m_as("s"))
    assert f"{be.break_even_requests:,} images for ResNet-50" in chapter7
    assert f"= {fmt.tex(f'{be.break_even_requests:,}')} text{{ images}}" in chapter7


def test_chapter7_does_not_work_out_lab07s_predictions(chapter7):
    """Lab 07 asks the share of dispatch for MobileNetV2 at batch 1 on the H100 (Act I) and the
    compile break-even of MobileNetV2 on the Orin NX (Act II): the chapter works ResNet-50 on
    the Orin instead."""
    truth1, share, _ = lab07.act1_truth()
    for text in {fmt.percent(share), lab07.share_text(share),
                 fmt.duration(truth1.overhead_time.m_as("s")),
                 fmt.duration(truth1.compute_time.m_as("s"))}:
        assert text not in chapter7, text
    truth2, n, _ = lab07.act2_truth()
    for text in (f"{n:,}", fmt.num(n), fmt.tex(f"{n:,}"),
                 fmt.duration(truth2.break_even_time.m_as("s")),
                 fmt.duration(truth2.saving_per_request.m_as("s"))):
        assert text not in chapter7, text


def test_chapter7_follows_the_engine_data(tmp_path, chapter7):
    """Double the Orin NX's dispatch estimate and halve its memory bandwidth in (a copy of) the
    engine's data: the worked example's dispatch and data terms double, and the break-even
    halves (the saving per image is the launches removed times the dispatch cost)."""
    def edit(engine):
        edge = engine / "hardware/data/edge.toml"
        set_value(edge, "JetsonOrinNX_GPU", "dispatch_overhead", "20 us")
        set_value(edge, "JetsonOrinNX_GPU.memory", "bandwidth", "51.2 GB/s")

    changed = expand_real(tmp_path, FRAMEWORKS, edit)
    be = cases.break_even("edge", "resnet50", cases.COMPILE_TIME_S, cases.CAMERA_RATE_HZ)
    saved = cases.kernels("resnet50").launches_saved
    after = math.ceil(cases.COMPILE_TIME_S / (saved * 20e-6))
    assert f"{be.break_even_requests:,} images for ResNet-50" in chapter7
    assert f"{after:,} images for ResNet-50" in changed
    assert f"{be.break_even_requests:,} images for ResNet-50" not in changed
    eager = cases.iron_law("edge", "resnet50", 1, "eager")
    for term in ("t_overhead", "t_memory"):
        seconds = getattr(eager, term).m_as("s")
        row = {"t_overhead": "dispatch $k,d$", "t_memory": "data $D/BW$"}[term]
        assert f"| {row} | {fmt.duration(seconds)} |" in chapter7
        assert f"| {row} | {fmt.duration(2 * seconds)} |" in changed
