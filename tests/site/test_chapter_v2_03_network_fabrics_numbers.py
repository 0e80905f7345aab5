"""Chapter 19's numbers are computed at build time with the engine, through the cases module it
shares with Vol II Lab 03 (labs_wasm/labs/vol2/network_fabrics_cases.py): they equal what the
cases compute, they follow the engine's data, and the chapter does not work out the cases
Lab 03's predictions ask about (a 4 KiB message on NVLink 4 or NDR with twice the bandwidth;
what 4:1 saves on the 1,024-GPU fabric)."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import lab_03_network_fabrics as lab03
from labs.vol2 import network_fabrics_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/network_fabrics.qmd"


@pytest.fixture(scope="module")
def chapter19(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch19"), CHAPTER)


def test_chapter19_states_the_worked_examples_numbers(chapter19):
    assert "{python}" not in chapter19
    # the alpha-beta table and the HDR -> NDR upgrade
    assert f"| InfiniBand HDR (200 Gb/s) | one port per GPU between nodes | 25 GB/s | 2.7 µs | " \
        f"{fmt.si(cases.half_bandwidth_size('InfiniBand_HDR'), 'B')} |" in chapter19
    small, large = cases.CHAPTER_MESSAGES
    hdr = cases.transfer("InfiniBand_HDR", small).time.m_as("s")
    ndr = cases.transfer("InfiniBand_NDR", small).time.m_as("s")
    assert f"= {fmt.num(hdr * 1e6)} mutext{{s}}" in chapter19
    assert f"NDR gives {fmt.duration(ndr)}: {fmt.ratio(hdr / ndr)} as fast" in chapter19
    hdr_l = cases.transfer("InfiniBand_HDR", large).time.m_as("s")
    ndr_l = cases.transfer("InfiniBand_NDR", large).time.m_as("s")
    assert f"{fmt.duration(hdr_l)} on HDR and {fmt.duration(ndr_l)} on NDR" in chapter19
    # the 8,192-GPU fabric at 1:1 and 2:1
    full = cases.fabric(cases.CHAPTER_GPUS, 64, 1.0)
    over = cases.fabric(cases.CHAPTER_GPUS, 64, cases.CHAPTER_RATIO)
    assert (full.switches, over.switches) == (640, 427)
    assert f"| switches in all | {full.switches:,} | {over.switches:,} |" in chapter19
    assert f"| network cost | {fmt.usd(full.cost.m_as('USD'))} | {fmt.usd(over.cost.m_as('USD'))} |" \
        in chapter19
    saving = cases.cost_saving(cases.CHAPTER_GPUS, 64, cases.CHAPTER_RATIO)
    assert f"saves {fmt.percent(saving, 0)} of the cost, not half" in chapter19
    assert "= 205 TB/s" in chapter19  # 8,192 x 50 GB/s / 2
    ring = cases.gradient_allreduce(cases.CHAPTER_GPUS, 1.0, "ring", cases.CHAPTER_MODEL)
    hier = cases.gradient_allreduce(cases.CHAPTER_GPUS, 2.0, "hierarchical", cases.CHAPTER_MODEL)
    assert f"| ring over every GPU | {fmt.duration(ring.time.m_as('s'))} |" in chapter19
    assert f"| {fmt.duration(hier.time.m_as('s'))} |" in chapter19
    # the radix table: Al-Fares et al.'s 48-port example
    assert "| 48 | 48 | 1,152 | 27,648 | 2,880 |" in chapter19


def test_chapter19_does_not_work_out_lab03s_predictions(chapter19):
    """Lab 03 asks a 4 KiB message's speed-up on NVLink 4 and NDR (Act I) and the share of
    the 1,024-GPU fabric's cost 4:1 saves (Act II): the chapter works HDR -> NDR at 64 KiB
    and 64 MiB, and 8,192 GPUs at 2:1."""
    for context in ("gpus_8", "gpus_1024"):
        t1, t2, s, _ = lab03.act1_truth(context)
        assert fmt.duration(t1) not in chapter19 and fmt.duration(t2) not in chapter19
        assert f"{fmt.percent(s - 1)} faster" not in chapter19
    saving, _ = lab03.act2_truth()
    assert fmt.percent(saving, 0) not in chapter19
    for o in (1.0, 4.0):
        assert fmt.usd(cases.fabric(1024, 64, o).cost.m_as("USD")) not in chapter19
    assert "4:1" not in chapter19   # the lab's ratio is not worked here


def test_chapter19_follows_the_engine_data(tmp_path, chapter19):
    """Double InfiniBand HDR's latency in (a copy of) the engine: its half-bandwidth size and
    the worked 64 KiB transfer change with it."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "systems/data/links.toml", "InfiniBand_HDR", "latency", "5.4 us"))
    half = fmt.si(cases.half_bandwidth_size("InfiniBand_HDR"), "B")
    assert f"| 2.7 µs | {half} |" in chapter19
    assert f"| 5.4 µs | 135 kB |" in changed
    small, _ = cases.CHAPTER_MESSAGES
    hdr = cases.transfer("InfiniBand_HDR", small).time.m_as("s")
    assert f"= {fmt.num(hdr * 1e6)} mutext{{s}}" not in changed
    assert f"= {fmt.num(5.4 + small / 25e9 * 1e6)} mutext{{s}}" in changed
