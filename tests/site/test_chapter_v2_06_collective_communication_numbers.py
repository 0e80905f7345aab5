"""Chapter 22's numbers are computed at build time with the engine, through the cases module it
shares with Vol II Lab 06 (labs_wasm/labs/vol2/collective_communication_cases.py): they equal
what the cases compute, they follow the engine's data, and the chapter does not work out the
cases Lab 06's predictions ask about (one parameter server against the ring on 128 GPUs, and
the ring/tree crossover on 128 GPUs): it works GPT-2 XL on 32 GPUs instead."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import collective_communication_cases as cases
from labs.vol2 import lab_06_collective_communication as lab06

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/collective_communication.qmd"
X, N = cases.CHAPTER_MODEL, cases.CHAPTER_NODES


@pytest.fixture(scope="module")
def chapter22(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch22"), CHAPTER)


def test_chapter22_states_the_worked_examples_numbers(chapter22):
    assert "{python}" not in chapter22
    g = cases.gradient_bytes(X)
    assert f"so a {fmt.si(g, 'B')} gradient in bf16" in chapter22
    ps = cases.seconds("parameter_server", g, N)
    ring = cases.allreduce("ring", g, N)
    assert f"the server takes **{fmt.duration(ps)}** per step" in chapter22
    assert f"the ring takes **{fmt.duration(ring.time.m_as('s'))}**" in chapter22
    ratio = cases.server_over_ring(N, X)
    assert 31 < ratio < 32    # about p = 32
    assert f"the ring is **{fmt.ratio(ratio)}** faster" in chapter22
    rs, ag = cases.halves(g, N)
    assert rs.time.m_as("s") + ag.time.m_as("s") == pytest.approx(ring.time.m_as("s"))
    assert f"the reduce-scatter takes {fmt.duration(rs.time.m_as('s'))}" in chapter22
    # the crossover, by the closed form the chapter derives: p (p - 1 - ceil(log2 p)) alpha beta
    alpha, beta, _ = cases.link_of(N)
    m = cases.crossover(N)
    assert m == pytest.approx(32 * (31 - 5) * alpha * beta)
    assert f"The crossover is at $M^{{*}}$ = **{fmt.si(m, 'B')}**" in chapter22
    for nodes in (1, 2, 8):
        assert f"| {fmt.si(cases.crossover(nodes), 'B')} |" in chapter22
    hier = cases.seconds("hierarchical", g, N)
    assert f"hierarchical AllReduce takes **{fmt.duration(hier)}**" in chapter22
    assert f"its bus bandwidth {fmt.si(ring.bus_bandwidth.m_as('B/s'), 'B/s')}" in chapter22
    # buckets against half the compute: the ring over budget at 64 KiB, the tree within
    r64, t64 = cases.step("ring", "64k", N, cases.CHAPTER_SEQUENCES, X), \
        cases.step("tree", "64k", N, cases.CHAPTER_SEQUENCES, X)
    assert not r64.feasible and t64.feasible
    assert f"the budget is {fmt.duration(r64.budget)}" in chapter22
    assert f"| 64 KiB | {r64.buckets:,} | {fmt.duration(r64.latency)} | " \
        f"{fmt.duration(r64.total)} (over) |" in chapter22
    assert "stays within it" in chapter22
    assert f"one exchange takes {fmt.duration(cases.all_to_all_seconds(8192 * 4096 * 2, N))}" \
        in chapter22


def test_chapter22_does_not_work_out_lab06s_predictions(chapter22):
    """Lab 06 asks the server/ring ratio on 128 GPUs (Act I) and the ring/tree crossover on
    128 GPUs (Act II): neither answer, nor the Act I times, appears in the chapter."""
    ps, ring, ratio, _ = lab06.act1_truth()
    assert fmt.ratio(ratio) not in chapter22
    assert fmt.duration(ps) not in chapter22 and fmt.duration(ring) not in chapter22
    m, _ = lab06.act2_truth()
    assert fmt.si(m, "B") not in chapter22
    assert "128 GPUs" not in chapter22 and "| 128 |" not in chapter22
    # the chapter's own answers fall in other bands than the lab's
    assert lab06.ACT2_BANDS[lab06.act2_truth()[1]][0] > cases.crossover(N)


def test_chapter22_follows_the_engine_data(tmp_path, chapter22):
    """Double the NDR port's latency in (a copy of) the engine: the half-bandwidth size, the
    ring's latency terms and the crossover of the worked example change with it."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "systems/data/links.toml", "InfiniBand_NDR", "latency", "5.4 us"))
    m = cases.crossover(N)
    assert f"**{fmt.si(m, 'B')}**" in chapter22
    assert f"**{fmt.si(2 * m, 'B')}**" in changed and f"**{fmt.si(m, 'B')}**" not in changed
    alpha, beta, _ = cases.link_of(N)
    assert f"(" + fmt.si(2 * alpha * beta, "B") + " on NDR)" in changed
    assert "5.4 µs for a network hop" in changed
