"""Chapter 32's numbers are computed at build time with the engine, through the cases module it
shares with Vol II Lab 16 (labs_wasm/labs/vol2/responsible_ai_cases.py): they equal what the
cases compute, they follow the engine's data, and the chapter does not work out the cases Lab
16's predictions ask about (the lab platform's base rates of 20% and 40%; its equity rule's
price at a million posts a day)."""
from __future__ import annotations

import pytest
from mlsysim.core.solver import ChouldechovaModel

from labkit import fmt
from labs.vol2 import lab_16_responsible_ai as lab16
from labs.vol2 import responsible_ai_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/responsible_ai.qmd"


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch32"), CHAPTER)


def test_chapter_states_the_identity_example(chapter):
    assert "{python}" not in chapter
    m = ChouldechovaModel()
    f1 = m.solve(base_rate=0.2, ppv=0.75, fnr=0.3).fpr
    f2 = m.solve(base_rate=0.55, ppv=0.75, fnr=0.3).fpr
    assert (cases.CHAPTER_BASE_RATE, cases.CHAPTER_PPV, cases.CHAPTER_FNR) == (
        {"1": 0.2, "2": 0.55}, 0.75, 0.3)
    assert (f"returns a false-positive rate of {fmt.percent(f1)} for language 1 and "
            f"{fmt.percent(f2)} for language 2: legitimate posts in language 2 are removed "
            f"{fmt.num(f2 / f1)} times as often") in chapter
    assert f"| 75% | {fmt.percent(f1)} | {fmt.percent(f2)} | {fmt.num(f2 / f1)} |" in chapter
    need = cases.ppv_for_fpr(0.55, f1, 0.3)
    assert m.solve(base_rate=0.55, ppv=need, fnr=0.3).fpr == pytest.approx(f1)
    assert f"its removal precision has to rise to {fmt.percent(need)}" in chapter


def test_chapter_states_the_platform_example(chapter):
    acc, eq = cases.best_design("chapter", "accuracy"), cases.best_design("chapter", "equity")
    extra, share = cases.equity_cost("chapter")
    assert (acc.criterion, eq.criterion) == ("ppv", "fnr")
    assert f"{round(acc.errors):,} wrong decisions a day" in chapter
    assert f"Equal error rates cost {round(extra):,} more wrong decisions a day, {fmt.percent(share)} more" in chapter
    assert cases.meets_both("chapter") == ()
    assert "none meet both organisations' rules" in chapter
    a, e = acc.per_day["2"], eq.per_day["2"]
    assert f"| language 2 | {round(a['fp']):,} | {round(e['fp']):,} | {round(a['fn']):,} | {round(e['fn']):,} |" in chapter
    aud = cases.audit(0.03, 0.2)
    assert f"asks for {aud.examples_per_group:,} violating posts per language: {aud.labelled_per_group:,} labelled" in chapter


def test_chapter_does_not_work_out_lab16s_predictions(chapter):
    """Act I asks the FPR ratio at base rates 20% and 40% (2.7x); Act II the equity rule's
    extra wrong decisions a day on the lab's platform. The chapter works 20% and 55% and its
    own platform."""
    _, ratio, _ = lab16.act1_truth()
    fprs = cases.fpr_pair("lab", cases.ACT1_PPV, cases.ACT1_FNR)
    assert fmt.ratio(ratio) not in chapter and fmt.num(ratio) not in chapter
    assert fmt.percent(fprs["B"]) not in chapter
    acc, eq, extra, share, _ = lab16.act2_truth()
    for text in (f"{round(extra):,}", fmt.percent(share), f"{round(acc.errors):,}",
                 f"{round(eq.errors):,}"):
        assert text not in chapter, text
    # the lab's rules are the chapter's: named, not its answers
    assert "3 points" in chapter and "70%" in chapter


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Double the H100's FP16 peak in (a copy of) the engine's registry: the GPU-hours it takes
    to score the platform's posts halve."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/cloud.toml", "H100.compute.precision_flops", "fp16",
        "1978 TFLOP/s"))
    hours = cases.gpu_hours_per_day(cases.CHAPTER_POSTS_PER_DAY)
    before = f"takes about {fmt.num(hours)} H100-hours a day"
    assert before in chapter and before not in changed
    assert f"takes about {fmt.num(hours / 2)} H100-hours a day" in changed
    assert "GPU's 1.98 PFLOP/s peak" in changed
