"""Chapter 16's numbers are computed at build time with the engine, through the cases module the
chapter shares with Lab 16 (labs_wasm/labs/vol1/conclusion_cases.py): they equal what the lab's
cases give, they follow the engine's data, and the chapter does not work out the cases the
lab's predictions ask about."""
from __future__ import annotations

import re

import pytest

from labkit import fmt
from labs.vol1 import conclusion_cases as cases
from labs.vol1 import lab_16_conclusion as lab16

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol1/conclusion.qmd"
X = cases.CHAPTER


@pytest.fixture(scope="module")
def chapter16(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch16"), CHAPTER)


def states(text: str, value: str) -> bool:
    """``value`` appears as a whole number ("1 ms" is not inside "61 ms")."""
    return re.search(rf"(?<![\d.,]){re.escape(value)}", text) is not None


def test_chapter16_states_the_worked_example(chapter16):
    assert "{python}" not in chapter16
    for c in cases.CONTEXTS:
        v = cases.of(X, c)
        verdict = "passes" if v.feasible else "fails"
        assert (f"| {fmt.duration(v.service_time)} | {fmt.num(v.capacity)} |" in chapter16), c
        assert f"{cases.KINDS[v.binding.kind]} (" in chapter16
        assert verdict in chapter16
        r = cases.REQUIREMENTS[c]
        assert f"| {fmt.num(r.rate)} | {fmt.duration(r.deadline)} |" in chapter16
    passed = cases.passes(X.model, X.precision, X.batch, X.execution)
    assert f"passes in {len(passed)} of the four contexts" in chapter16
    tiny = cases.of(X, "tiny")
    flash = next(k for k in tiny.checks if k.constraint.name == "flash capacity")
    assert (f"{fmt.quantity(flash.constraint.required)} of "
            f"{fmt.quantity(flash.constraint.available)} of flash ({fmt.ratio(flash.ratio)})"
            in chapter16)
    spotter = cases.verdict("tiny", "dscnn", "int8", 1, "graph")
    assert spotter.feasible and f"answers each window in {fmt.duration(spotter.p99)}" in chapter16


def test_chapter16_states_the_batching_table(chapter16):
    lam = cases.REQUIREMENTS["cloud"].rate
    for b in (1, 4, 16, 64):
        v = cases.verdict("cloud", X.model, X.precision, b, X.execution)
        fill = fmt.duration((b - 1) / lam) if b > 1 else "none"
        assert (f"| {b} | {fmt.duration(v.service_time)} | {fmt.duration(v.service_time / b)} | "
                f"{fmt.num(v.capacity)} | {fill} | {fmt.duration(v.p99)} |") in chapter16


def test_chapter16_does_not_work_out_lab16s_predictions(chapter16):
    """Lab 16 asks which constraint binds ResNet-50 (FP16, batch 1, eager) on the H100 (Act I)
    and in how many contexts MobileNetV2 at INT8, batch 8, compiled passes (Act II): the
    chapter works batch 1 in four contexts, and batching on the Cloud only."""
    v1, _ = lab16.act1_truth()
    assert not states(chapter16, fmt.num(v1.capacity))
    assert not states(chapter16, fmt.duration(v1.service_time))
    assert "ResNet-50" not in chapter16
    for c in ("edge", "mobile", "tiny"):
        v = cases.of(cases.ACT2, c)
        assert not states(chapter16, fmt.duration(v.p99)), c
    assert "batch 8" not in chapter16 and "| 8 |" not in chapter16


def test_states_reads_whole_numbers():
    assert states("needs 61 ms", "61 ms") and not states("needs 3.61 ms", "61 ms")


def test_chapter16_follows_the_engine_data(tmp_path, chapter16):
    """Raise the H100's per-launch dispatch cost tenfold in (a copy of) the engine's data: the
    chapter's launch cost and the Cloud's service time follow (one launch per batch)."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/cloud.toml", "H100", "dispatch_overhead", "50 us"))
    v = cases.of(X, "cloud")
    assert "5 µs per launch on the H100" in chapter16
    assert "50 µs per launch on the H100" in changed
    before = f"| Cloud | {fmt.duration(v.service_time)} |"
    after = f"| Cloud | {fmt.duration(v.service_time + 45e-6)} |"
    assert before in chapter16 and after in changed and before not in changed
