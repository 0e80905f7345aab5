"""Chapter 24's numbers are computed at build time with the engine, through the cases module it
shares with Vol II Lab 08 (labs_wasm/labs/vol2/fleet_orchestration_cases.py): they equal what
the cases compute, they follow the engine's data, and the chapter does not work out the cases
Lab 08's predictions ask about (a DGX H100 node at 95% busy; FIFO's highest utilisation on
the 32-node research cluster with 2-hour allocations)."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import fleet_orchestration_cases as cases
from labs.vol2 import lab_08_fleet_orchestration as lab08

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/fleet_orchestration.qmd"
span = cases.span


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch08"), CHAPTER)


def test_chapter_states_the_worked_examples_numbers(chapter):
    assert "{python}" not in chapter
    s = cases.job_hours("DGX_A100")
    q = cases.node_queue(0.8, s)
    wait = q.mean_wait.m_as("h")
    assert f"A run takes $S$ = {span(s * 3600)}." in chapter
    assert f"a run waits 4 run lengths, {span(wait * 3600)}, on average" in chapter
    assert f"= {fmt.num(0.8 / s)} × {span(wait * 3600)} = {fmt.num(q.mean_queue_length)} runs" in chapter
    # pooling at 80%: sixteen nodes
    p16 = cases.node_queue(0.8, 1.0, 16)
    assert f"make only {fmt.percent(p16.prob_wait, 0)} of jobs wait" in chapter
    # the two classes on the 16-node partition at 90%, 1-hour allocations, 25% interactive
    fifo = cases.schedule("fifo", "chapter", 0.9, 0.25, 1.0)
    prio = cases.schedule("priority", "chapter", 0.9, 0.25, 1.0)
    assert f"| interactive | 22.5% | {span(fifo.waits[0])} | {span(prio.waits[0])} |" in chapter
    assert f"| training | 67.5% | {span(fifo.waits[1])} | {span(prio.waits[1])} |" in chapter
    assert not fifo.feasible and prio.feasible
    lim = cases.highest_utilization("fifo", "chapter", 0.25, 1.0)
    assert f"FIFO breaks the interactive promise at {fmt.percent(lim)}" in chapter
    # fragmentation on the research cluster: 224 free GPUs, no whole node
    free, nodes = cases.scattered_free_gpus("research", 32)
    assert (free, nodes) == (224, 0)
    assert f"they leave {free} GPUs, 87.5% of the cluster, free, and {nodes} whole nodes" in chapter
    price = cases.CLUSTERS["research"].node.hardware.unit_cost.m_as("USD")
    assert f"about {fmt.usd(price)} each, holds {fmt.usd(256 * price)} of GPUs" in chapter


def test_chapter_does_not_work_out_lab08s_predictions(chapter):
    """Act I asks the wait on a DGX H100 at 95% busy (19 job lengths); Act II asks FIFO's
    highest utilisation on the 32-node cluster with 2-hour allocations. The chapter works a
    DGX A100 at 80% and a 16-node partition."""
    ratio, wait_h, _ = lab08.act1_truth()
    assert f"{fmt.num(ratio)} run lengths" not in chapter
    assert f"{fmt.num(ratio)} job lengths" not in chapter
    assert span(wait_h * 3600) not in chapter
    assert span(cases.job_hours("DGX_H100") * 3600) not in chapter
    assert "| 95% |" not in chapter
    fifo, _, _ = lab08.act2_truth()
    assert fmt.percent(fifo) not in chapter and fmt.percent(fifo, 0) not in chapter
    assert "5 min" in chapter and "48 h" in chapter    # the lab's limits are named


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Double the A100's FP16 peak in (a copy of) the engine: the fine-tuning run halves, and
    every wait the chapter states in hours for it changes with it."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/cloud.toml", "A100_80GB.compute.precision_flops", "fp16",
        "624 TFLOP/s"))
    s = cases.job_hours("DGX_A100")
    before = f"A run takes $S$ = {span(s * 3600)}."
    assert before in chapter and before not in changed
    assert f"A run takes $S$ = {span(s / 2 * 3600)}." in changed
    assert "$R$ = 624 TFLOP/s" in changed
    wait = cases.node_queue(0.8, s).mean_wait.m_as("h")
    assert f"{span(wait * 3600)}, on average" not in changed
    assert f"{span(wait / 2 * 3600)}, on average" in changed
