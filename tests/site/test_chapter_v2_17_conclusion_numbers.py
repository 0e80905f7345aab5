"""Chapter 33 (Volume II's conclusion, the book's last): its numbers are computed at build time
through conclusion_cases.py, the module Lab 17 uses, and formatted by the lab's own functions;
they follow the engine's registry; and the chapter does not work out the cases Lab 17's
predictions ask about (Llama 3 70B on 512 and 1,024 nodes on the US grid)."""
from __future__ import annotations

import re

import pytest

from labkit import fmt
from labs.vol2 import conclusion_cases as cases
from labs.vol2 import lab_17_conclusion as lab17

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/conclusion.qmd"
X = cases.CHAPTER
X2 = cases.with_(X, nodes=2 * X.nodes)


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch17"), CHAPTER)


def row(c) -> str:
    return (f"| {cases.KINDS[c.kind].capitalize()} | {c.constraint.name} | "
            f"{lab17.show(c.constraint.required)} | {lab17.show(c.constraint.available)} | "
            f"{lab17.load_text(c.ratio)} | {'met' if c.met else 'violated'} |")


def test_chapter_states_the_worked_example(chapter):
    assert "{python}" not in chapter
    ex, ex2 = cases.of(X), cases.of(X2)
    for c in ex.checks + ex2.checks:
        assert row(c) in chapter, c.constraint.name
    assert not ex.feasible and ex2.feasible
    first = max(ex.checks, key=lambda c: c.ratio)
    assert first.kind == "schedule"
    assert (f"Its binding constraint is **{first.constraint.name}**: "
            f"{lab17.show(first.constraint.required)} against "
            f"{lab17.show(first.constraint.available)}") in chapter
    nxt = max(ex2.checks, key=lambda c: c.ratio)
    assert f"the binding constraint moves to **{nxt.constraint.name}**" in chapter
    change = ex2.carbon_t / ex.carbon_t - 1
    assert (f"changes by {fmt.percent(change, 1)}: {lab17.tonnes(ex.carbon_t)} before, "
            f"{lab17.tonnes(ex2.carbon_t)} after") in chapter
    assert f"The run now takes {lab17.days(ex2.wall_days)}" in chapter


def test_chapter_states_one_number_per_group_of_invariants(chapter):
    ex = cases.of(X)
    m = cases.MODELS[X.model]
    assert f"that is {fmt.si(6 * m.parameters * cases.TOKENS, 'FLOP')}" in chapter
    assert f"fail together every {fmt.num(ex.reliability.mtbf_s / 3600)} hours" in chapter
    assert f"here it is {fmt.duration(ex.reliability.optimum_s)}" in chapter
    assert f"utilisation is {fmt.percent(ex.train.effective_mfu, 0)}" in chapter
    assert (f"a factor of {fmt.num(cases.intensity('India') / cases.intensity('Norway'), 2)}"
            in chapter)


def test_chapter_states_the_levers_table(chapter):
    values = {"nodes": 4 * X.nodes, "interval": X.interval_min // 2,
              "replicas": 2 * X.replicas, "grid": "France"}
    for lever, value in values.items():
        kinds = cases.kinds_moved(lever, X2, value)
        assert (f"| {cases.LEVERS[lever][0]} | {len(kinds)} | "
                f"{', '.join(cases.KINDS[k] for k in kinds)} |") in chapter
    assert len(cases.kinds_moved("grid", X2, "France")) == 1


def test_chapter_does_not_work_out_lab17s_predictions(chapter):
    """Lab 17 asks which constraint binds Llama 3 70B on 512 nodes in the US (Act I) and what
    doubling to 1,024 nodes does to its carbon (Act II): the chapter works Llama 3 8B on 64 and
    128 nodes in Germany instead."""
    a, b = cases.of(cases.PROPOSAL), cases.of(cases.ACT2)
    for v in (a, b):
        for text in (lab17.tonnes(v.carbon_t), lab17.days(v.wall_days),
                     lab17.days(v.train_days)):
            assert text not in chapter, text
    assert "United States" not in chapter and "US grid" not in chapter
    assert not re.search(r"\b(512|1,024) nodes\b", chapter)


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Double Germany's grid intensity in (a copy of) the engine: the worked example's carbon
    doubles with it, and nothing else in its table moves."""
    ex = cases.of(X)
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "systems/data/grids.toml", "Germany", "carbon_intensity", "762 gCO2e/kWh"))
    assert lab17.tonnes(ex.carbon_t) in chapter
    assert lab17.tonnes(2 * ex.carbon_t) in changed
    assert f"{lab17.tonnes(ex.carbon_t)} before" not in changed
    t = next(c for c in ex.checks if c.kind == "schedule")
    assert row(t) in changed
