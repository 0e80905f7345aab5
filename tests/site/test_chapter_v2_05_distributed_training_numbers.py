"""Chapter 21's numbers are computed at build time with the engine, through the cases module it
shares with Vol II Lab 05 (labs_wasm/labs/vol2/distributed_training_cases.py): they equal what
the cases compute, they follow the engine's data, and the chapter does not work out the cases
Lab 05's predictions ask about (GPT-3 175B's replicated state on the H100; tensor parallelism 16
across two DGX H100 nodes)."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import distributed_training_cases as cases
from labs.vol2 import lab_05_distributed_training as lab05

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/distributed_training.qmd"


@pytest.fixture(scope="module")
def chapter21(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch21"), CHAPTER)


def gb(x):
    return fmt.si(x, "B")


def pct(x):
    return fmt.percent(x, 1)


def test_chapter21_states_the_worked_examples_numbers(chapter21):
    assert "{python}" not in chapter21
    # data parallelism alone: the replicated state, term by term
    z0 = cases.chapter_memory(0)
    assert (f"is {gb(z0.weights.m_as('B'))} + {gb(z0.gradients.m_as('B'))} + "
            f"{gb(z0.optimizer_state.m_as('B'))} + {gb(z0.activations.m_as('B'))} = "
            f"{gb(z0.total.m_as('B'))} per GPU") in chapter21
    # the ZeRO table, stage 3, and what selective recomputation would need
    z3 = cases.chapter_memory(3)
    assert f"| 3 | {gb(z3.weights.m_as('B'))} | {gb(z3.gradients.m_as('B'))} | " in chapter21
    sel = cases.chapter_memory(3, "selective")
    assert f"stage 3 needs {gb(sel.total.m_as('B'))} per GPU" in chapter21
    assert f"reaches {pct(cases.chapter_step(1, 1, 'full', 3).effective_mfu)} MFU" in chapter21
    # tensor parallelism: one exchange inside and across nodes
    inside = cases.chapter_allreduce(8, False).time.m_as("s")
    across = cases.chapter_allreduce(16, True).time.m_as("s")
    assert f"over NVLink 3, takes {fmt.duration(inside)}" in chapter21
    assert f"The same AllReduce takes {fmt.duration(across)}" in chapter21
    # the bubble table and the running layout's step, part by part
    assert f"| 8 | {pct(cases.bubble(8, 1))} | {pct(cases.bubble(8, 4))} |" in chapter21
    run = cases.chapter_step(8, 4)
    p = cases.parts(run)
    assert f"| tensor-parallel exchanges | {fmt.duration(p['tp_communication'])} |" in chapter21
    assert (f"so MFU = 40% × {fmt.duration(p['compute'])} / "
            f"{fmt.duration(run.step_time.m_as('s'))} = {pct(run.effective_mfu)}") in chapter21
    # the engine's search and the scaling table
    best = cases.chapter_best().best_config
    assert (f"picks tensor {best['tp']} × pipeline {best['pp']} × data {best['dp']}"
            in chapter21)
    big = cases.chapter_scale(512)
    assert (f"| 4,096 | {big.dp} | {big.microbatches} | {pct(big.bubble_fraction)} | "
            f"{fmt.duration(big.step_time.m_as('s'))} | {pct(big.effective_mfu)} |") in chapter21


def test_chapter21_does_not_work_out_lab05s_predictions(chapter21):
    """Lab 05 asks GPT-3 175B's per-GPU need under plain data parallelism on H100s (Act I) and
    the MFU of tensor 16 x pipeline 4 for GPT-3 on 256 H100s (Act II)."""
    truth, _ = lab05.act1_truth()
    assert gb(truth.total.m_as("B")) not in chapter21
    assert gb(truth.optimizer_state.m_as("B")) not in chapter21
    _, wide, _ = lab05.act2_truth()
    assert pct(wide.effective_mfu) not in chapter21
    assert fmt.duration(cases.parts(wide)["tp_communication"]) not in chapter21
    # the chapter's own example is another model on another machine
    assert "175B on 256 H100s" not in chapter21.split("## Lab 05")[0]
    assert "H100" not in chapter21.split("## Lab 05")[0]


def test_chapter21_follows_the_engine_data(tmp_path, chapter21):
    """Double InfiniBand HDR's bandwidth in (a copy of) the engine: the fabric's share of
    NVLink doubles in the chapter and the AllReduce across two nodes gets faster."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "systems/data/links.toml", "InfiniBand_HDR", "bandwidth", "400 Gb/s"))
    assert "25 GB/s per direction, 1/12 of it" in chapter21
    assert "50 GB/s per direction, 1/6 of it" in changed
    across = cases.chapter_allreduce(16, True).time.m_as("s")
    assert f"The same AllReduce takes {fmt.duration(across)}" in chapter21
    assert f"The same AllReduce takes {fmt.duration(across)}" not in changed
