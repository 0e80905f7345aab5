"""Chapter 18's numbers (Volume II, compute infrastructure) are computed at build time with the
engine, through the cases module it shares with Vol II Lab 02
(labs_wasm/labs/vol2/compute_infrastructure_cases.py): they equal what the cases compute, they
follow the engine's data, and the chapter does not work out the cases Lab 02's predictions ask
about (Llama 3 70B's gradient all-reduce on the PCIe server; Llama 3 70B at tensor parallel 16
across InfiniBand)."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import compute_infrastructure_cases as cases
from labs.vol2 import lab_02_compute_infrastructure as lab02

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/compute_infrastructure.qmd"


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch02"), CHAPTER)


def t(seconds: float) -> str:
    return fmt.duration(seconds)


def test_chapter_states_the_worked_examples_numbers(chapter):
    assert "{python}" not in chapter
    # the hierarchy: per GPU, per direction, from the registry
    assert "| HBM3 | a GPU to its own memory | 3.35 TB/s | | 1x |" in chapter
    assert f"| {cases.LINKS['nvlink'].name} | GPUs inside the NVLink domain | 450 GB/s | 500 ns |" \
        in chapter
    # the gradient exchange worked on Llama 3 8B, inside each server and across eight
    ex = {k: cases.exchange("llama3_8b", k) for k in cases.LINKS}
    assert f"its FP16 gradients are $M$ = {fmt.si(cases.gradient_bytes('llama3_8b'), 'B')}" \
        in chapter
    assert (f"| one DGX H100 | NVLink 4 | {t(ex['nvlink'].latency_term.m_as('s'))} | "
            f"{t(ex['nvlink'].bandwidth_term.m_as('s'))} | {t(ex['nvlink'].time.m_as('s'))} |") \
        in chapter
    assert f"| {t(ex['pcie'].time.m_as('s'))} |" in chapter
    assert f"| {t(ex['ib'].time.m_as('s'))} |" in chapter
    # the tensor-parallel table, GPT-3 175B on the 64-server cluster
    for server, degree, link in (("nvlink", 8, "NVLink 4"), ("pcie", 8, "PCIe Gen5"),
                                 ("nvlink", 16, "InfiniBand NDR")):
        r = cases.step("multi_node", "gpt3_175b", server, degree)
        assert f"| {link} | {fmt.percent(cases.comm_ratio(r), 1)} | " \
            f"{fmt.si(r.memory_per_gpu.m_as('B'), 'B')} |" in chapter
    # the half-bandwidth sizes and the rack's power
    assert f"{fmt.si(cases.half_bandwidth_size('nvlink'), 'B')} on NVLink 4" in chapter
    assert f"up to {fmt.num(cases.SERVERS_PER_RACK * cases.DGX_H100_SYSTEM_KW)} kW" in chapter


def test_chapter_does_not_work_out_lab02s_predictions(chapter):
    """Lab 02 asks how long Llama 3 70B's gradient all-reduce takes on the PCIe server (Act I)
    and how Llama 3 70B's tensor-parallel all-reduces at 16 across InfiniBand compare with its
    compute (Act II): the chapter works Llama 3 8B's exchange and GPT-3 175B's split."""
    nv, pc, _ = lab02.act1_truth()
    assert t(pc.time.m_as("s")) not in chapter
    assert t(nv.time.m_as("s")) not in chapter
    r, _ = lab02.act2_truth()
    assert t(cases.tp_time(r)) not in chapter and t(cases.compute_time(r)) not in chapter
    for digits in (0, 1):
        assert fmt.percent(cases.comm_ratio(r), digits) not in chapter
    assert fmt.ratio(cases.comm_ratio(r)) not in chapter


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Halve NVLink 4's bandwidth in (a copy of) the engine's link registry: the worked
    example's NVLink exchange time doubles."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "systems/data/links.toml", "NVLink4", "bandwidth", "225 GB/s"))
    before = cases.exchange("llama3_8b", "nvlink").bandwidth_term.m_as("s")
    row = "| one DGX H100 | NVLink 4 | "
    assert f"{row}7 µs | {t(before)} |" in chapter
    assert f"{row}7 µs | {t(2 * before)} |" in changed
    assert f"{row}7 µs | {t(before)} |" not in changed
