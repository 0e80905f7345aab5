"""Chapter 28's numbers are computed at build time with the engine, through the cases module it
shares with Vol II Lab 12 (labs_wasm/labs/vol2/ops_scale_cases.py): they equal what the cases
compute, they follow the engine's data, and the chapter does not work out the cases Lab 12's
predictions ask about (five services at 99% in series; the largest safe retry limit for sixteen
L4s at 150,000 calls per second losing 30% of responses)."""
from __future__ import annotations

import pytest
from mlsysim.core.solver import AvailabilityModel, RetryAmplificationModel
from mlsysim import Q_

from labkit import fmt
from labs.vol2 import lab_12_ops_scale as lab12
from labs.vol2 import ops_scale_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/ops_scale.qmd"


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch12"), CHAPTER)


def per_s(x, what="attempts"):
    return f"{fmt.num(x)} {what}/s"


def test_chapter_states_the_worked_examples_numbers(chapter):
    assert "{python}" not in chapter
    # error budgets
    assert "| 99.9% | 43.2 min |" in chapter and "| 99.99% | 4.32 min |" in chapter
    # seven services at 99.9%
    a7 = AvailabilityModel().solve(availabilities=[0.999] * 7).availability
    assert cases.chain(7, 0.999) == pytest.approx(a7)
    assert (f"The request is available 0.999^7 = {cases.pct_a(a7)}, down about "
            f"{cases.span(cases.downtime_min(a7))} a month") in chapter
    assert "For a 99.9% promise over seven services that is 99.99%, which leaves each team about 6.17 min" in chapter
    # the tail at scale over 20 shards
    assert f"= {fmt.percent(cases.fan_out(20).prob_request_slow, 1)}: one request in about" in chapter
    # the moderation tier: four H100s at 240,000 frames/s, half the responses lost, two retries
    c = cases.capacity("chapter", 4)
    assert f"4 GPUs have a capacity $C$ of {per_s(c, 'images')}" in chapter
    r = RetryAmplificationModel().solve(arrival_rate=Q_(240_000, "request/s"), retries=2,
                                        failure_probability=0.5,
                                        service_rate=Q_(cases.service_rate("chapter"), "request/s"),
                                        servers=4)
    assert not r.feasible
    settled = r.storm_load.m_as("1/s")
    assert (f"{per_s(settled)}, {fmt.num(settled / 240_000)} attempts per frame instead of 1.75, "
            f"with {fmt.percent(r.storm_failure_probability, 1)} of attempts failing") in chapter
    assert "So for this tier and this fault the largest safe retry limit is 1." in chapter
    assert cases.largest_safe_retries("chapter", 0.5) == 1
    # the defences table: one row per policy, from the engine through the cases module
    queued = cases.incident("bare_metal", "chapter", 0.5, 2, False, False, 4)
    assert "| 2 retries, excess queued | 4 | yes | 100.0% | 60 min | 139% |" in chapter
    assert queued.consumed == pytest.approx(60 / 43.2)
    kube = cases.incident("kubernetes", "chapter", 0.5, 2, False, False, 4)
    assert (f"| 2 retries, Kubernetes autoscaler | 12 | first 5 min | 100.0% then 12.5% | "
            f"{cases.span(kube.bad_min)} | {fmt.percent(kube.consumed, 0)} |") in chapter


def test_chapter_does_not_work_out_lab12s_predictions(chapter):
    """Act I asks the availability of five services at 99% (95.1%); Act II asks the largest
    safe retry limit on sixteen L4s (0). The chapter works seven services at 99.9% and four
    H100s."""
    a, _ = lab12.act1_truth()
    assert cases.pct_a(a) not in chapter and "0.99^5" not in chapter
    assert "99.98%" not in chapter                       # Act I's reflection
    safe, _ = lab12.act2_truth()
    assert safe == 0
    assert "largest safe retry limit is 0" not in chapter
    assert "150,000" not in chapter and "16 L4" not in chapter
    assert fmt.percent(cases.utilization("lab"), 1) not in chapter
    storm = cases.phase("lab", 0.3, 3, False, 16)
    assert per_s(storm.settled) not in chapter
    assert fmt.num(storm.per_request) + " attempts" not in chapter


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Double the H100's FP16 peak in (a copy of) the engine: the compute term of a ResNet-50
    batch halves, and the capacity the chapter states for its tier changes with it."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/cloud.toml", "H100.compute.precision_flops", "fp16",
        "1978 TFLOP/s"))
    step = cases.step("chapter")
    new_t = (step.t_memory.m_as("s") + step.t_compute.m_as("s") / 2
             + step.t_overhead.m_as("s"))
    before = f"so one GPU classifies {per_s(cases.service_rate('chapter'), 'images')}"
    assert before in chapter and before not in changed
    assert f"so one GPU classifies {per_s(32 / new_t, 'images')}" in changed
    assert f"a batch takes {fmt.duration(new_t)}" in changed
