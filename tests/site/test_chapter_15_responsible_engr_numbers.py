"""Chapter 15's numbers are computed at build time with the engine, through the cases module the
chapter shares with Lab 15 (labs_wasm/labs/vol1/responsible_engr_cases.py): they equal what the
cases give, they follow the engine's data, and the chapter does not work out the cases the lab's
predictions ask about."""
from __future__ import annotations

import re

import pytest

from labkit import fmt
from labs.vol1 import lab_15_responsible_engr as lab15
from labs.vol1 import responsible_engr_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol1/responsible_engr.qmd"
CH = "chapter"
T = cases.CHAPTER_THRESHOLD


@pytest.fixture(scope="module")
def chapter15(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch15"), CHAPTER)


def states(text: str, value: str) -> bool:
    """``value`` appears as a whole number ("2.9x" is not inside "12.9x")."""
    return re.search(rf"(?<![\d.,]){re.escape(value)}(?![\d])", text) is not None


def test_chapter15_states_the_worked_example(chapter15):
    assert "{python}" not in chapter15
    cm = cases.confusion(CH, T, T, cases.CHAPTER_APPLICANTS)
    c = cm["2"]
    assert (f"| group 2 | 3,000 | {c['tp'] + c['fn']:,} | {c['tp']:,} | {c['fn']:,} | "
            f"{c['fp']:,} | {c['tn']:,} |") in chapter15
    g = cases.report(CH, T, T, cases.CHAPTER_APPLICANTS).groups
    assert (f"| group 2 | {fmt.percent(g['2']['accuracy'])} | {fmt.percent(g['2']['tpr'])} | "
            f"{fmt.percent(g['2']['fnr'])} | {fmt.percent(g['2']['fpr'])} |") in chapter15
    shared = cases.sweep(CH, T, T)
    assert f"an impact ratio of {fmt.num(shared.impact_ratio, 2)}, well below four-fifths" \
        in chapter15
    eo = cases.sweep(CH, T, cases.matched_threshold(CH, T, "tpr"))
    assert abs(eo.tpr_gap) < 1e-6  # equal opportunity: the TPRs match
    assert f"opens the false-positive gap to {fmt.num(eo.fpr_gap * 100)} points" in chapter15
    bal = cases.sweep(CH, T, cases.balanced_threshold(CH, T))
    assert f"| {fmt.num(bal.equalized_odds_gap * 100)} | {fmt.num(bal.impact_ratio, 2)} | " \
           f"{fmt.percent(cases.accuracy(CH, bal))} |" in chapter15


def test_chapter15_states_the_audit(chapter15):
    gap = cases.CHAPTER_AUDIT_GAP
    n = cases.audit_group(gap, 0.5).examples_per_group
    labels = cases.audit_photos(gap, case=CH)
    total = cases.audit_total(gap, case=CH)
    assert f"The formula gives $n$ = {fmt.num(n, 5)} qualified applicants per group" in chapter15
    assert (f"takes {fmt.num(labels['2'], 5)}: {fmt.num(total, 5)} in all") in chapter15
    assert f"the audit costs {fmt.usd(total * cases.CHAPTER_LABEL_PRICE)}" in chapter15
    for g in (0.02, 0.10):
        row = (f"| {fmt.num(g * 100)} | {cases.audit_group(g, 0.5).examples_per_group:,} | "
               f"{cases.audit_total(g, case=CH):,} |")
        assert row in chapter15


def test_chapter15_does_not_work_out_lab15s_predictions(chapter15):
    """Lab 15 asks the server model's false-negative rates at the launch threshold (Act I) and
    the audit size for a 5-point gap with the skin-check app's base rates (Act II): the chapter
    works a resume screen and a 3-point audit instead."""
    rep = cases.launch_report().groups
    ratio, _ = lab15.act1_truth()
    for value in (fmt.percent(rep["B"]["fnr"]), fmt.percent(rep["A"]["fnr"]), fmt.ratio(ratio)):
        assert not states(chapter15, value), value
    total, _ = lab15.act2_truth()
    photos = cases.audit_photos(cases.AUDIT_GAP)
    for value in (total, photos["A"], photos["B"], cases.positives_needed(cases.AUDIT_GAP)):
        assert not states(chapter15, fmt.num(value, 5)), value
    assert "5-point" not in chapter15


def test_chapter15_states_the_registry_models(chapter15):
    before = cases.parameters("mobile")
    server = cases.parameters("cloud")
    assert f"MobileNetV2, has {fmt.num(before / 1e6)} million parameters" in chapter15
    assert f"{fmt.ratio(server / before)} fewer" in chapter15
    assert f"{fmt.si(cases.weight_bytes('mobile', 'int8'), 'B')} of weights at INT8" in chapter15


def test_chapter15_follows_the_engine_data(tmp_path, chapter15):
    """Give the phone 6 GB instead of 8 GB in (a copy of) the engine's registry: the app's
    illustrative share the on-device section compares the model with follows."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/mobile.toml", "A17Pro.memory", "capacity", "6 GB"))
    before = cases.app_budget()
    after = before * 6 / 8
    assert f"a small fraction of the {fmt.si(before, 'B')} this book takes" in chapter15
    assert f"a small fraction of the {fmt.si(after, 'B')} this book takes" in changed
    assert fmt.si(before, "B") != fmt.si(after, "B")
    assert f"a small fraction of the {fmt.si(before, 'B')} this book takes" not in changed
