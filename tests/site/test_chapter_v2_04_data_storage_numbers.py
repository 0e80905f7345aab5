"""The Data Storage chapter's numbers are computed at build time with the engine, through the
cases module it shares with Vol II Lab 04 (labs_wasm/labs/vol2/data_storage_cases.py): they
equal what the cases compute, they follow the engine's data, and the chapter does not work out
the cases Lab 04's predictions ask about (one DGX H100 with two reads in flight per GPU; 16 DGX
H100 nodes on four appliances)."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import data_storage_cases as cases
from labs.vol2 import lab_04_data_storage as lab

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/data_storage.qmd"
A = "A100_80GB"


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch04"), CHAPTER)


def test_chapter_states_the_worked_examples_numbers(chapter):
    assert "{python}" not in chapter
    # Little's law on one DGX A100, one appliance, one reader per GPU
    one = cases.read("distributed_fs", "resnet50", 8, "files", 1, 1, A)
    assert one.bottleneck == "iops"
    lw = cases.limits(one, "resnet50")["iops"]
    assert f"= {fmt.tex(fmt.num(lw))} text{{reads/s}}" in chapter
    assert (f"so the node receives {fmt.num(one.achieved_throughput.m_as('1/s'))} images/s and "
            f"its GPUs are busy {fmt.percent(one.accelerator_utilization, 0)} of the time") in chapter
    need = cases.in_flight_needed("distributed_fs", "resnet50", A)
    assert f"so {need} per GPU keep it fed" in chapter
    # the metadata server and the research cluster
    assert f"saturated by $272,000 / {fmt.num(cases.per_gpu_rate('resnet50', A) * 8)} approx " \
        f"{fmt.num(cases.nodes_metadata_saturates('resnet50', A))}$ nodes" in chapter
    files = cases.read("distributed_fs", "resnet50", 256, "files", 4, 1, A)
    assert f"they are busy {fmt.percent(files.accelerator_utilization, 0)} of the time" in chapter
    n = cases.appliances_for_bandwidth("resnet50", 32, A)
    assert f"and {n} appliances feed all 32 nodes completely (100%)" in chapter
    # the hierarchy table: one drive against one H100's HBM
    gap = cases.hbm_gap("nvme")
    assert f"| One local NVMe drive | 13 GB/s | 2,500,000/s | 80 µs | {fmt.ratio(gap)} |" in chapter
    # the checkpoint of GPT-3 175B on four appliances
    ck = cases.checkpoint_of("GPT3_175B", "Parallel_FS", 4, 256, A)
    assert f"= {fmt.num(ck.write_time.m_as('s'))} text{{s}}" in chapter
    assert f"Its checkpoint is {fmt.si(175e9 * 14, 'B')}" in chapter
    ck_async = cases.checkpoint_of("GPT3_175B", "Parallel_FS", 4, 256, A, True)
    assert f"over its link, {fmt.duration(ck_async.checkpoint_time.m_as('s'))}" in chapter
    assert "8,192-token sequence" in chapter


def test_chapter_does_not_work_out_lab04s_predictions(chapter):
    """Lab 04 asks the utilisation of one DGX H100 with two reads in flight per GPU on one
    appliance (Act I) and which limit binds for 16 DGX H100 nodes on four appliances (Act II):
    the chapter works a DGX A100 and the 32-node research cluster instead."""
    _, u1, _ = lab.act1_truth()
    assert f"{fmt.percent(u1, 0)}" not in chapter
    truth, _ = lab.act2_truth()
    assert truth.bottleneck == "metadata"
    assert fmt.percent(truth.accelerator_utilization, 0) not in chapter
    assert "16 nodes" not in chapter and "16 DGX" not in chapter
    h100_x = cases.per_gpu_rate("resnet50")
    assert fmt.num(h100_x) not in chapter and fmt.num(h100_x * 8) not in chapter


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Double the parallel file system's read latency in (a copy of) the engine: Little's law
    halves the worked example's reads per second and raises the reads in flight it needs."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "systems/data/storage.toml", "Parallel_FS", "latency", "600 us"))
    before = cases.read("distributed_fs", "resnet50", 8, "files", 1, 1, A)
    u_before = before.accelerator_utilization
    u_after = 8 / 600e-6 / (cases.per_gpu_rate("resnet50", A) * 8)
    sentence = "and its GPUs are busy {} of the time, with bandwidth to spare"
    assert sentence.format(fmt.percent(u_before, 0)) in chapter
    assert sentence.format(fmt.percent(u_after, 0)) in changed
    assert sentence.format(fmt.percent(u_before, 0)) not in changed
    assert "At $W$ = 600 µs" in changed
