"""Chapter 13's numbers are computed at build time with the engine, through the cases module it
shares with Lab 13 (labs_wasm/labs/vol1/model_serving_cases.py): they equal what the cases
compute, they follow the engine's data, and the chapter does not work out the cases Lab 13's
predictions ask about (the H100 and the phone's P99 at 1x, the H100s needed at 10x)."""
from __future__ import annotations

import math

import pytest

from labkit import fmt
from labs.vol1 import lab_13_model_serving as lab13
from labs.vol1 import model_serving_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol1/model_serving.qmd"


@pytest.fixture(scope="module")
def chapter13(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch13"), CHAPTER)


def test_chapter13_states_the_worked_examples_numbers(chapter13):
    assert "{python}" not in chapter13
    s = cases.chapter_service_time()
    one = cases.distribution(cases.CHAPTER_RATE, s, 1)
    mean, p99 = one.mean_response.m_as("s"), one.quantiles[0.99].m_as("s")
    assert f"A dashboard showing a mean of {fmt.duration(mean)} hides a P99 of " \
        f"{fmt.duration(p99)}" in chapter13
    assert f"| P99 | {fmt.duration(p99)} | {fmt.num(math.log(100), 3)} |" in chapter13
    step = cases.chapter_step().total.m_as("s")
    assert f"{cases.REPLY_TOKENS} times {fmt.num(step * 1e3)} text{{ms}} ;=; " \
        f"{fmt.num(s * 1e3)} text{{ms}}" in chapter13
    # servers at 8x: the bare capacity misses, one more meets it
    need = cases.chapter_fewest_servers(8.0)
    cap = math.floor(8 * cases.CHAPTER_RATE * s) + 1
    assert need == cap + 1
    bare = cases.chapter_design(8.0, cap)
    assert f"{cap} A100s keep up, at {fmt.percent(bare.utilization, 0)} busy, but their P99 " \
        f"is {fmt.duration(bare.p99)}" in chapter13
    ok = cases.chapter_design(8.0, need)
    assert f"| {need} | {fmt.percent(ok.utilization, 0)} |" in chapter13
    # batching on one A100 at 8x: the window
    best = cases.chapter_design(8.0, 1, 8)
    assert best.feasible and f"batches of 8 give a P99 of {fmt.duration(best.p99)}" in chapter13
    # Little's law and the tail at scale
    little = cases.in_flight(cases.CHAPTER_RATE, mean)
    assert f"= {fmt.num(little)} requests are in the system" in chapter13
    assert f"= {fmt.percent(cases.fan_out(100).prob_request_slow, 0)}" in chapter13


def test_chapter13_does_not_work_out_lab13s_predictions(chapter13):
    """Lab 13 asks the P99 of its 1x service on the H100 and on the phone (Act I), and the
    H100s needed at 10x (Act II): the chapter works the A100 instead."""
    for context in ("cloud", "mobile"):
        p99, mean, _, _ = lab13.act1_truth(context)
        assert fmt.duration(p99) not in chapter13
        assert fmt.duration(mean) not in chapter13
    need, cap, _ = lab13.act2_truth()
    assert f"{need} H100" not in chapter13 and "H100s" not in chapter13
    assert cases.design("cloud", 10.0, cap).p99 > cases.SLA.m_as("s")
    assert fmt.duration(cases.design("cloud", 10.0, cap).p99) not in chapter13
    assert "200 ms" in chapter13   # the lab's objective is named, its answers are not


def test_chapter13_follows_the_engine_data(tmp_path, chapter13):
    """Double the A100's memory bandwidth in (a copy of) the engine: the decoding step, the
    service time and every latency of the worked example change with it."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/cloud.toml", "A100_80GB.memory", "bandwidth", "4.078 TB/s"))
    before = cases.chapter_step().total.m_as("s")
    assert f"One step takes {fmt.duration(before)}" in chapter13
    assert f"One step takes {fmt.duration(before)}" not in changed
    s = cases.chapter_service_time()
    p99 = cases.distribution(cases.CHAPTER_RATE, s, 1).quantiles[0.99].m_as("s")
    assert f"hides a P99 of {fmt.duration(p99)}" not in changed
    assert "4.08 TB/s of memory bandwidth" in changed
