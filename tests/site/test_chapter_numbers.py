"""The numbers in Chapters 1 and 9 are computed at build time with the engine, through the
case modules the chapters share with their labs (labs_wasm/labs/vol1/*_cases.py): they equal
what the lab shows, they follow the engine's data, and the chapter does not work out the cases
the lab's predictions ask about."""
from __future__ import annotations

import math

import pytest

from labkit import fmt
from labs.vol1 import introduction_cases as intro

from chapterdriver import expand_real, set_value

INTRO = "book/vol1/introduction.qmd"


@pytest.fixture(scope="module")
def chapter1(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch1"), INTRO)


def us(seconds: float) -> str:
    return fmt.num(seconds * 1e6)


def test_chapter1_states_the_labs_numbers(chapter1):
    r = intro.iron_law("edge", "resnet50", 1, "eager")
    t = intro.term_times(r)
    assert f"approx {us(t['memory'])} mu" in chapter1           # the D/BW formula
    assert "{python}" not in chapter1                            # every value was substituted
    assert (f"data term is {us(t['memory'])} µs, its compute term {us(t['compute'])} µs and "
            f"eager dispatch overhead {us(t['overhead'])} µs") in chapter1
    assert fmt.num(r.arithmetic_intensity.m_as("FLOP/B")) in chapter1
    fit = intro.footprint("tiny", "mobilenetv2")
    assert not fit.feasible
    assert f"needs {fmt.ratio(fit.violation('flash capacity').ratio)} the microcontroller's flash" \
        in chapter1
    for axis in intro.AXES:
        assert fmt.ratio(intro.gap(axis, "cloud", "edge")) in chapter1


def test_chapter1_does_not_work_out_lab01s_predictions(chapter1):
    """Lab 01 asks the Cloud/TinyML compute gap (Act I) and which term binds for ResNet-50 at
    batch 1 on the H100, eager (Act II): the chapter teaches the method on other cases."""
    gap = intro.gap("compute", "cloud", "tiny")
    assert fmt.num(gap) not in chapter1 and fmt.ratio(gap) not in chapter1
    assert "million times" not in chapter1
    cloud = intro.term_times(intro.iron_law("cloud", "resnet50", 1, "eager"))
    for seconds in cloud.values():
        assert f"{us(seconds)} µs" not in chapter1 and f"{us(seconds)}\\ \\mu" not in chapter1


def test_chapter1_follows_the_engine_data(tmp_path, chapter1):
    """Change the Jetson Orin NX's memory bandwidth in (a copy of) the engine's data: the
    worked example's data term follows."""
    changed = expand_real(tmp_path, INTRO, lambda engine: set_value(
        engine / "hardware/data/edge.toml", "JetsonOrinNX_GPU.memory", "bandwidth", "51.2 GB/s"))
    r = intro.iron_law("edge", "resnet50", 1, "eager")
    before = r.data_bytes.m_as("B") / intro.MACHINES["edge"].memory.bandwidth.m_as("B/s")
    after = r.data_bytes.m_as("B") / 51.2e9
    assert math.isclose(after, 2 * before, rel_tol=1e-2)
    assert f"data term is {us(after)} µs" in changed
    assert f"data term is {us(before)} µs" in chapter1
    assert f"data term is {us(before)} µs" not in changed


# ---- Chapter 9 ----------------------------------------------------------------------------
from labs.vol1 import data_selection_cases as ds  # noqa: E402

SELECTION = "book/vol1/data_selection.qmd"


@pytest.fixture(scope="module")
def chapter9(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch9"), SELECTION)


def test_chapter9_states_the_engines_plan_and_training_time(chapter9):
    run = ds.training("cloud", 100_000, 90, 0.4)
    assert f"approx {fmt.num(run.total_time.m_as('s'))}$ s" in chapter9
    for row, (strategy, labels, cost, acc) in ds.plan().items():
        assert f"| {row} |" in chapter9 and f"| {labels:,} | ${fmt.usd(cost)[1:]} | " \
            f"{fmt.percent(acc)} |" in chapter9
    assert "{python}" not in chapter9


def test_chapter9_does_not_work_out_lab09s_predictions(chapter9):
    """Lab 09 asks the curriculum's speed-up with a limited budget (Act I) and the best strategy
    at 20,000 crowd labels (Act II): the chapter works neither."""
    limited = ds.curriculum(0.80, "limited_budget").speedup_by_strategy["curriculum"]
    assert fmt.ratio(limited) not in chapter9
    at_20k = ds.annotation(20_000 * ds.CROWD_PRICE, ds.CROWD_PRICE, "random").accuracy_by_strategy
    assert not any(fmt.percent(a) in chapter9 for a in at_20k.values())


def test_chapter9_follows_the_engine_data(tmp_path, chapter9):
    """Halve the H100's dense FP16 peak in (a copy of) the engine: the training time doubles."""
    changed = expand_real(tmp_path, SELECTION, lambda engine: set_value(
        engine / "hardware/data/cloud.toml", "H100.compute.precision_flops", "fp16",
        "494.5 TFLOP/s"))
    seconds = ds.training("cloud", 100_000, 90, 0.4).total_time.m_as("s")
    assert f"approx {fmt.num(seconds)}$ s" in chapter9
    assert f"approx {fmt.num(2 * seconds)}$ s" in changed
