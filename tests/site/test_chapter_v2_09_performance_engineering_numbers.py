"""The numbers in Chapter 25 (Volume II, performance engineering) are computed at build time with
the engine, through the cases module the chapter shares with Vol II Lab 09: they equal what the
cases compute, they follow the engine's data, and the chapter does not work out the cases the
lab's predictions ask about."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import lab_09_performance_engineering as lab
from labs.vol2 import performance_engineering_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/performance_engineering.qmd"
x = cases.times


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch09"), CHAPTER)


def test_chapter_states_the_worked_examples(chapter):
    assert "{python}" not in chapter
    a = cases.amdahl(cases.CHAPTER_SHARE, cases.CHAPTER_KERNEL_SPEEDUP)
    assert f"1 / (0.7 + 0.3/2) = {x(a.amdahl_speedup)} faster" in chapter
    assert f"against a ceiling of {x(a.amdahl_limit)}" in chapter
    assert "needs a share of 40% for the step to gain 1.25x" in chapter
    # the worked example's step, three ways, as the engine's DistributedModel computes it
    for ckpt in ("full", "selective", "none"):
        r = cases.chapter_step(ckpt)
        assert f"**{fmt.duration(r.step_time.m_as('s'))}**" in chapter
        assert fmt.si(r.memory_per_gpu.m_as("B"), "B") in chapter
    full = cases.chapter_step("full")
    assert f"The step reaches {fmt.percent(full.effective_mfu, 0)} of the GPUs' peak" in chapter
    # Little's law on the object store: one read in flight at 100 ms
    assert f"| 1 | {fmt.num(cases.fetch_rate('Object_Store', 'random', 1))} samples/s" in chapter
    fetch = 32 / cases.fetch_rate("Object_Store", "random", 1)
    assert f"that is {fmt.duration(fetch)} of waiting on a " \
        f"{fmt.duration(full.step_time.m_as('s'))} step" in chapter


def test_chapter_does_not_work_out_the_labs_predictions(chapter):
    """Lab 09 asks what a 3x kernel on 12% of a step gives (Act I) and which optimisation wins
    for a 70B job on 512 GPUs (Act II): the chapter works 2x on 30% and an 8B job instead."""
    truth1, _ = lab.act1_truth()
    assert x(truth1.amdahl_speedup) not in chapter and x(truth1.amdahl_limit) not in chapter
    assert "12%" not in chapter
    singles = cases.single_speedups("batch")
    for value in singles.values():
        assert x(value) not in chapter
    assert "512" not in chapter.split("## Lab 09")[0]


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Double the object store's latency in a copy of the engine: Little's-law rates halve."""
    def edit(engine):
        set_value(engine / "systems" / "data" / "storage.toml", "Object_Store", "latency",
                  "200 ms")
    changed = expand_real(tmp_path, CHAPTER, edit)
    assert "| 1 | 5 samples/s" in changed and "| 1 | 10 samples/s" not in changed
    assert "| 1 | 10 samples/s" in chapter
