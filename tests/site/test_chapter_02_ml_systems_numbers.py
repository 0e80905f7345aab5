"""Chapter 2's numbers are computed at build time with the engine, through the cases module it
shares with Lab 02 (labs_wasm/labs/vol1/ml_systems_cases.py): they equal what the cases
compute, they follow the engine's data, and the chapter does not work out the cases Lab 02's
predictions ask about (the A100-to-H100 upgrade, the factory's farthest datacenter)."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol1 import introduction_cases as intro
from labs.vol1 import lab_02_ml_systems as lab02
from labs.vol1 import ml_systems_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol1/ml_systems.qmd"


@pytest.fixture(scope="module")
def chapter2(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch2"), CHAPTER)


def test_chapter2_states_the_worked_examples_numbers(chapter2):
    assert "{python}" not in chapter2
    # the upgrade the chapter works: H100 to H200, a memory-bound and a compute-bound kernel
    gemv = cases.speedup("h100", "h200", cases.CHAPTER_GEMV)
    gemm = cases.speedup("h100", "h200", cases.CHAPTER_GEMM)
    assert f"speeds up by exactly the bandwidth ratio, {fmt.ratio(gemv)}" in chapter2
    assert f"speeds up by the compute ratio, {fmt.ratio(gemm)}" in chapter2
    # the photo search's waterfall over 5G, and its farthest datacenter
    w = cases.photo_in_cloud()
    assert f"The total is {fmt.duration(w.total.m_as('s'))}, over the budget by " \
        f"{fmt.duration((w.total - cases.PHONE_SLA).m_as('s'))}" in chapter2
    seg = w.segments
    assert f"| data movement | 151 kB over the 5G uplink | " \
        f"{fmt.duration(seg['data movement'].m_as('s'))} |" in chapter2
    near = cases.photo_in_cloud(0.0).total.m_as("s")
    far = cases.farthest(near, cases.PHONE_SLA.m_as("s"))
    assert f"approx {fmt.num(far)}$ km" in chapter2
    # the spectrum table: Chapter 1's Iron Law calls for MobileNetV2
    edge = intro.iron_law("edge", "mobilenetv2", 1, "eager")
    assert f"| Edge · {intro.MACHINES['edge'].name} | FP16 | " \
        f"{fmt.duration(edge.t_memory.m_as('s'))} | {fmt.duration(edge.t_compute.m_as('s'))} |" \
        in chapter2
    # the fibre floor
    assert f"| 1,000 km | {fmt.duration(cases.propagation(1000.0).one_way.m_as('s'))} | " \
        f"{fmt.duration(cases.propagation(1000.0).round_trip.m_as('s'))} |" in chapter2


def test_chapter2_does_not_work_out_lab02s_predictions(chapter2):
    """Lab 02 asks the A100 (SXM4 80 GB) to H100 speed-up of a 5 FLOP/B multiply (Act I) and
    the farthest datacenter for its factory loop (Act II): the chapter works other cases."""
    s, _ = lab02.act1_truth()
    assert fmt.ratio(s) not in chapter2 and fmt.num(s) not in chapter2
    ratios = cases.spec_ratio("a100", "h100")
    assert fmt.ratio(ratios["bandwidth"]) not in chapter2
    d, _ = lab02.act2_truth()
    assert f"{fmt.num(d)} km" not in chapter2 and f"{fmt.num(d)}$ km" not in chapter2
    assert "10 ms" in chapter2  # the lab's deadline is named, its radius is not computed


def test_chapter2_follows_the_engine_data(tmp_path, chapter2):
    """Double the H200's memory bandwidth in (a copy of) the engine: the memory-bound kernel's
    speed-up in the worked upgrade doubles with it, and the compute-bound one stays."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/cloud.toml", "H200.memory", "bandwidth", "9.6 TB/s"))
    before = cases.speedup("h100", "h200", cases.CHAPTER_GEMV)
    after = before * 2
    assert f"bandwidth ratio, {fmt.ratio(before)}" in chapter2
    assert f"bandwidth ratio, {fmt.ratio(after)}" in changed
    assert f"bandwidth ratio, {fmt.ratio(before)}" not in changed
    assert "| NVIDIA H200 SXM 141GB | 2024 | 989 TFLOP/s | 9.6 TB/s |" in changed
