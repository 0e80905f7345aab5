"""Chapter 11's numbers are computed at build time with the engine, through the cases module it
shares with Lab 11 (labs_wasm/labs/vol1/hw_acceleration_cases.py): they equal what the cases
compute, they follow the engine's data, and the chapter does not work out the cases Lab 11's
predictions ask about (Llama 3 8B's 96-row multiply on the H100; GPT-2 XL's decode step on the
H100)."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol1 import hw_acceleration_cases as cases
from labs.vol1 import lab_11_hw_acceleration as lab11

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol1/hw_acceleration.qmd"


@pytest.fixture(scope="module")
def chapter11(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch11"), CHAPTER)


def test_chapter11_states_the_worked_examples_numbers(chapter11):
    assert "{python}" not in chapter11
    # the two machines' ridge points, in the table and in prose
    assert f"| {cases.MACHINES['cloud'].name} | 989 TFLOP/s | 3.35 TB/s | " \
        f"{fmt.num(cases.ridge('cloud'))} | 80 GB | 700 W |" in chapter11
    assert f"the Orin NX's GPU needs {fmt.num(cases.ridge('edge'))} FLOP/B" in chapter11
    # BERT-Base's MLP by batch: the 512-row multiply, and the rows to each ridge
    g = cases.gemm("cloud", cases.mlp_up_shape("bert", 512))
    assert f"At 512 rows the multiply reaches {fmt.num(g.arithmetic_intensity.m_as('FLOP/B'))} " \
        "FLOP/B" in chapter11
    assert f"which reaches {fmt.percent(g.mfu_ceiling)} of its peak" in chapter11
    assert f"gives {cases.rows_to_ridge('edge', 'bert'):,} rows on the Orin NX and " \
        f"{cases.rows_to_ridge('cloud', 'bert'):,} on the H100" in chapter11
    # the worked transformer step: GPT-2 on the Orin NX, 16 conversations at 512 tokens
    pre = cases.step("edge", "gpt2", "prefill", 16, 512)
    dec = cases.step("edge", "gpt2", "decode", 16, 512)
    assert f"prefill's ceiling is {fmt.percent(pre.mfu_ceiling)} of the Orin's peak" in chapter11
    assert f"decode's is {fmt.percent(dec.mfu_ceiling)}, at most " \
        f"{fmt.num(dec.tokens_per_second)} generated tokens per second" in chapter11
    scores = next(k for k in dec.kernels if k.key == "scores")
    assert f"| attention scores QKᵀ | " in chapter11 and \
        f"| {fmt.num(scores.intensity)} | memory | {fmt.percent(scores.time / dec.time)} |" in chapter11
    # the TPU v1's peak from its array and clock
    assert f"{fmt.si(cases.tpu1_peak_ops(), 'OP/s')}" in chapter11


def test_chapter11_does_not_work_out_lab11s_predictions(chapter11):
    """Lab 11 asks the fraction of the H100's peak a 96-row Llama 3 8B multiply can reach
    (Act I) and GPT-2 XL's decode MFU ceiling on the H100 (Act II)."""
    g, _ = lab11.act1_truth()
    assert fmt.percent(g.mfu_ceiling) not in chapter11
    assert f"{fmt.num(g.arithmetic_intensity.m_as('FLOP/B'))} FLOP/B" not in chapter11
    assert f"{cases.rows_to_ridge('cloud', 'llama3_8b'):,} rows" not in chapter11
    s, _ = lab11.act2_truth()
    assert fmt.percent(s.mfu_ceiling) not in chapter11
    assert fmt.si(s.achieved, "FLOP/s") not in chapter11
    # the chapter's own decode example is another model on another machine
    assert "GPT-2 XL" not in chapter11


def test_chapter11_follows_the_engine_data(tmp_path, chapter11):
    """Double the Orin NX's memory bandwidth in (a copy of) the engine: its ridge point halves in
    the chapter, and the worked decode step's MFU ceiling rises with it."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/edge.toml", "JetsonOrinNX_GPU.memory", "bandwidth", "204.8 GB/s"))
    before = cases.ridge("edge")
    assert f"the Orin NX's GPU needs {fmt.num(before)} FLOP/B" in chapter11
    assert f"the Orin NX's GPU needs {fmt.num(before / 2)} FLOP/B" in changed
    dec = cases.step("edge", "gpt2", "decode", 16, 512)
    assert f"decode's is {fmt.percent(dec.mfu_ceiling)}," in chapter11
    assert f"decode's is {fmt.percent(dec.mfu_ceiling)}," not in changed
