"""Chapter 8's numbers are computed at build time with the engine, through the cases module the
chapter shares with Lab 08 (labs_wasm/labs/vol1/training_cases.py): they equal what the lab's
cases give, they follow the engine's data, and the chapter does not work out the cases the
lab's predictions ask about."""
from __future__ import annotations

import re

import pytest

from labkit import fmt
from labs.vol1 import training_cases as cases
from labs.vol1 import lab_08_training as lab08

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol1/training.qmd"
X = cases.CHAPTER


@pytest.fixture(scope="module")
def chapter8(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch8"), CHAPTER)


def gb(x: float) -> str:
    return fmt.si(x, "B")


def states(text: str, value: str) -> bool:
    """``value`` appears as a whole number ("12 GB" is not inside "3.12 GB")."""
    return re.search(rf"(?<![\d.,]){re.escape(value)}", text) is not None


def worked(ck: str, zero: int = 0):
    return cases.memory("cloud", X["model"], X["batch"], X["seq_len"], X["optimizer"], ck, zero)


def test_chapter8_states_the_worked_example(chapter8):
    assert "{python}" not in chapter8
    r = worked("none")
    t = cases.terms(r)
    assert (f"| optimizer state (FP32 master, $m$, $v$) | 12 | {gb(t['optimizer_state'])} |"
            in chapter8)
    assert f"| model state | 16 | {gb(cases.state_bytes(r))} |" in chapter8
    assert f"the step needs {gb(r.total.m_as('B'))}: the job does not fit" in chapter8
    for ck in cases.CHECKPOINTING:
        row = worked(ck)
        best = cases.largest_batch("cloud", X["model"], X["seq_len"], X["optimizer"], ck, 0)
        assert (f"| {ck} | {gb(row.activations.m_as('B'))} | {gb(row.total.m_as('B'))} | "
                f"{'fits' if cases.fits('cloud', row) else 'does not fit'} |") in chapter8
        assert f"| {best} |" in chapter8
    full = cases.recompute(X["model"], X["seq_len"], "full")
    assert f"+{fmt.percent(full, 1)} FLOP per step" in chapter8


def test_chapter8_states_zero_and_time_and_the_phone(chapter8):
    for z in cases.ZERO_STAGES:
        r = worked("selective", z)
        assert f"| {z} | {gb(r.weights.m_as('B'))} | {gb(r.gradients.m_as('B'))} | " \
               f"{gb(r.optimizer_state.m_as('B'))} |" in chapter8
    _, clock = cases.compute_optimal_run(X["model"], cases.DEVICES["cloud"])
    assert f"the run takes about {fmt.num(clock.total_time.m_as('h'))} hours" in chapter8
    p = cases.PHONE_EXAMPLE
    r = cases.memory("mobile", p["model"], p["batch"], p["seq_len"], "adam_mixed", "none", 0)
    assert f"| mixed-precision Adam | {gb(cases.state_bytes(r))} |" in chapter8


def test_chapter8_does_not_work_out_lab08s_predictions(chapter8):
    """Lab 08 asks Llama 3 8B's model state (Act I) and which term fills a GPU under ZeRO-3 at
    4 x 2,048 tokens (Act II): the chapter works GPT-2 XL and BERT-Base instead."""
    state, _ = lab08.act1_truth()
    assert not states(chapter8, gb(state))
    assert "Llama" not in chapter8
    truth, _ = lab08.act2_truth()
    for term in cases.TERMS:
        assert not states(chapter8, gb(getattr(truth, term).m_as("B")))
    assert not states(chapter8, gb(truth.total.m_as("B")))


def test_states_reads_whole_numbers():
    assert states("needs 12 GB", "12 GB") and not states("needs 3.12 GB", "12 GB")


def test_chapter8_follows_the_engine_data(tmp_path, chapter8):
    """Halve the H100's memory in (a copy of) the engine's data: the worked example's largest
    batches follow, and selective recomputation no longer fits batch 8."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/cloud.toml", "H100.memory", "capacity", "40 GB"))
    row = worked("selective")
    assert row.total.m_as("B") > 40e9 and cases.fits("cloud", row)
    before = f"| selective | {gb(row.activations.m_as('B'))} | {gb(row.total.m_as('B'))} | fits |"
    after = f"| selective | {gb(row.activations.m_as('B'))} | {gb(row.total.m_as('B'))} | " \
            "does not fit |"
    assert before in chapter8 and after in changed and before not in changed
    assert "on the 40 GB card" in changed
