"""Volume II's Chapter 1 (book/vol2/introduction.qmd) computes its numbers at build time through
the cases it shares with Lab 01 (labs_wasm/labs/vol2/introduction_cases.py): it states the
worked examples' numbers, follows the engine's data, and does not work out the cases the lab's
predictions ask about."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import introduction_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/introduction.qmd"
GPT3, TOKENS, ETA = cases.CHAPTER_MODEL, cases.CHAPTER_TOKENS, cases.CHAPTER_ETA


def tex(text: str) -> str:
    """A number as the expanded chapter shows it in math (expand_real drops backslashes)."""
    return fmt.tex(text).replace("\\", "")


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch1"), CHAPTER)


def test_chapter_states_the_worked_examples(chapter):
    assert "{python}" not in chapter
    c = cases.compute(GPT3, TOKENS).training_flops.m_as("FLOP")
    assert f"= {tex(fmt.num(c))} text{{FLOP}}" in chapter              # C = 6ND
    hours = cases.ideal(GPT3, TOKENS, 1, ETA).hours
    assert f"approx {tex(fmt.num(hours))} text{{GPU-hours}}" in chapter
    for k in cases.CHAPTER_NODES:                                          # the sizing table
        row = cases.sizes(GPT3, ETA)[k]
        run = cases.days(GPT3, TOKENS, k, ETA)
        rent = cases.rent(k, run).total_cost.m_as("USD")
        assert (f"| {k:,} | {k * 8:,} | {row.dp:,} × {row.tp} × {row.pp} | ") in chapter
        assert (f"| {fmt.num(run)} | {fmt.percent(row.effective_mfu)} |") in chapter
        assert f"| ${fmt.num(rent / 1e6)} million |" in chapter
    for gpus in cases.CHAPTER_GPUS:                                        # A^N, four nines
        assert fmt.percent(cases.all_up(0.9999, gpus), 2 if gpus == 8 else 1) in chapter
    big = cases.reliability(cases.TEMPLATE.total_accelerators)
    assert f"8,192 GPUs every {fmt.duration(big.fleet_mtbf.m_as('s'))}" in chapter
    assert f"approx {fmt.percent(cases.break_even_utilization(4), 0)}" in chapter


def test_chapter_does_not_work_out_lab01s_predictions(chapter):
    """Lab 01 asks the share of time 1,000 GPUs at 99.9% are all up (Act I) and the fewest
    nodes for Llama 3 70B on 15T tokens in 60 days (Act II): the chapter works four nines on
    other sizes, and GPT-3 on 300B tokens."""
    share = cases.all_up(cases.ACT1_AVAILABILITY, cases.ACT1_GPUS)
    assert fmt.percent(share) not in chapter and fmt.percent(share, 0) not in chapter
    assert "Llama 3 70B" not in chapter and "70B" not in chapter
    need = cases.fewest_nodes(cases.ACT2_MODEL, cases.ACT2_TOKENS, cases.ACT2_ETA).best_config
    assert fmt.num(need["days"]) not in chapter
    half = cases.days(cases.ACT2_MODEL, cases.ACT2_TOKENS, need["nodes"] // 2, cases.ACT2_ETA)
    assert fmt.num(half) not in chapter
    hours = cases.ideal(cases.ACT2_MODEL, cases.ACT2_TOKENS, 1, cases.ACT2_ETA).hours
    assert fmt.num(hours / 1e6) not in chapter and tex(fmt.num(hours)) not in chapter
    # the lab's reflection asks the three-year break-even; the chapter works four years
    assert fmt.percent(cases.break_even_utilization(3), 0) not in chapter


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Halve the H100's dense FP16 peak in (a copy of) the engine: GPT-3's GPU-hours double."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/cloud.toml", "H100.compute.precision_flops", "fp16",
        "494.5 TFLOP/s"))
    hours = cases.ideal(GPT3, TOKENS, 1, ETA).hours
    assert f"approx {tex(fmt.num(hours))} text{{GPU-hours}}" in chapter
    assert f"approx {tex(fmt.num(2 * hours))} text{{GPU-hours}}" in changed
    assert f"approx {tex(fmt.num(hours))} text{{GPU-hours}}" not in changed
