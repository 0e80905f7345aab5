"""Chapter 31 (Volume II, sustainable AI): its numbers are computed at build time through
sustainable_ai_cases.py, the module Lab 15 uses; they follow the engine's registry; and the
chapter does not work out the cases Lab 15's predictions ask about."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import sustainable_ai_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/sustainable_ai.qmd"


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch15"), CHAPTER)


def test_chapter_states_the_worked_example(chapter):
    assert "{python}" not in chapter
    run = cases.chapter_time()
    fr = cases.chapter_run("France")
    pl = cases.chapter_run("Poland")
    emb = cases.chapter_embodied().amortized.m_as("kgCO2e")
    assert f"need {fmt.num(run.hours / 24)} days" in chapter
    assert f"the facility draws {fmt.num(fr.facility_energy.m_as('kWh') / 1e6)} GWh" in chapter
    assert f"| France | 56 | {fmt.num(fr.carbon.m_as('kgCO2e') / 1000)} t |" in chapter
    assert (f"emits {fmt.num(pl.carbon.m_as('kgCO2e') / 1000)} t in Poland and "
            f"{fmt.num(fr.carbon.m_as('kgCO2e') / 1000)} t in France") in chapter
    assert f"approx {fmt.num(emb / 1000)} text{{t}}" in chapter
    # BLOOM's embodied carbon recomputed from the paper's figures lands on the paper's 11.2 t
    assert f"come to {fmt.num(cases.bloom_embodied().amortized.m_as('kgCO2e') / 1000)} t" in chapter
    # the Jevons table: the A100-to-H100 gain at unit elasticity is the break-even
    assert f"| 1 | {fmt.ratio(cases.generation_gain())} | 1.0x of before | 100% |" in chapter
    # the time-shifting example on the solar-shaped grid
    late = cases.sched(cases.SCHED_GRID, "solar", cases.SCHED_RELEASE, 24)
    assert f"the best start is {cases.clock(late.best_start_hour)}" in chapter
    assert f"{fmt.percent(late.saving, 0)} less" in chapter


def test_chapter_does_not_work_out_lab15s_predictions(chapter):
    """Lab 15 asks the total energy after FP8 serving meets tripled demand (Act I) and the
    share the best hour saves for the nightly job on India's coal grid (Act II): the chapter
    works the A100-to-H100 gain, and time-shifting on a solar-shaped grid, instead."""
    j = cases.act1_jevons()
    assert fmt.ratio(j.energy_multiplier) not in chapter
    year = cases.serving_year("coal_grid").facility_energy.m_as("kWh")
    assert f"{fmt.num(year / 1000)} MWh" not in chapter
    d = cases.act2_case()
    assert fmt.percent(d.saving, 1) not in chapter
    assert fmt.percent(d.saving, 0) not in chapter
    assert f"{fmt.num(d.total_kg)} kg" not in chapter
    assert "FP8" not in chapter and "Llama 3 8B" not in chapter


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Change France's grid intensity in (a copy of) the engine: the run's carbon there
    follows it."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "systems/data/grids.toml", "France", "carbon_intensity", "112 gCO2e/kWh"))
    before = cases.chapter_run("France").carbon.m_as("kgCO2e") / 1000
    assert f"| France | 56 | {fmt.num(before)} t |" in chapter
    assert f"| France | 112 | {fmt.num(2 * before)} t |" in changed
    assert f"| France | 56 |" not in changed
