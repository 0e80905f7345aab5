"""Chapter 23 (Volume II, fault tolerance): its numbers are computed at build time through
fault_tolerance_cases.py, the module Lab 07 uses; they follow the engine's registry; and the
chapter does not work out the cases Lab 07's predictions ask about."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import fault_tolerance_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/fault_tolerance.qmd"


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch07"), CHAPTER)


def test_chapter_states_the_worked_example(chapter):
    ex = cases.chapter_design(1800.0)
    best = cases.chapter_design(ex.optimum_s)
    assert "{python}" not in chapter
    assert f"$S$ = {fmt.si(ex.size_b, 'B')}" in chapter
    assert f"$C = W$ = {fmt.duration(ex.stall_s)}" in chapter
    assert f"approx {fmt.num(ex.optimum_s)} text{{s}}" in chapter          # the tau* formula
    assert f"it is {fmt.num(ex.optimum_s / 60)} min" in chapter              # key takeaways
    assert f"{fmt.percent(best.waste, 1)} in all" in chapter
    assert f"lose {fmt.percent(ex.waste, 1)} of the run instead of {fmt.percent(best.waste, 1)}" \
        in chapter
    # the fleet table and the Llama 3 arithmetic
    l3 = cases.llama3_observed()
    assert f"every {fmt.num(l3.mtbf.m_as('hour'))} hours on average" in chapter
    f = cases.fleet(cases.CHAPTER_GPUS)
    assert f"| 8,192 | {fmt.num(f.fleet_mtbf.m_as('hour'))} h | {fmt.num(f.failures_per_day)} |" \
        in chapter


def test_chapter_does_not_work_out_lab07s_predictions(chapter):
    """Lab 07 asks the optimum for GPT-3 175B on 16,384 GPUs with a 2 TB/s-class store (Act I)
    and the least loss on one object-store prefix there (Act II): the chapter works Llama 3 70B
    on 8,192 GPUs instead."""
    a1 = cases.case(cases.ACT1, 1800.0)
    a1_best = cases.case(cases.ACT1, a1.optimum_s)
    for text in (f"{fmt.num(a1.optimum_s / 60)} min", f"{fmt.num(a1.optimum_s)} s",
                 fmt.percent(a1.waste, 1), fmt.percent(a1_best.waste, 1)):
        assert text not in chapter, text
    a2 = cases.case(cases.ACT2, 1800.0)
    assert fmt.percent(a2.best_waste, 1) not in chapter
    assert f"{fmt.num(a2.best_s / 60)} min" not in chapter
    assert "GPT-3 175B" not in chapter


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Double the parallel file system's write bandwidth in (a copy of) the engine: the worked
    example's checkpoint stall halves and its optimum interval shrinks by sqrt(2)."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "systems/data/storage.toml", "Parallel_FS", "write_bandwidth", "130 GB/s"))
    ex = cases.chapter_design(1800.0)
    stall = ex.stall_s / 2
    tau = (2 * stall * ex.mtbf_s) ** 0.5
    assert f"$C = W$ = {fmt.duration(ex.stall_s)}" in chapter
    assert f"$C = W$ = {fmt.duration(stall)}" in changed
    assert f"$C = W$ = {fmt.duration(ex.stall_s)}" not in changed
    assert f"approx {fmt.num(tau)} text{{s}}" in changed
