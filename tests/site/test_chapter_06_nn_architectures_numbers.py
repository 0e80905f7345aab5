"""Chapter 6's numbers are computed at build time with the engine, through the cases module it
shares with Lab 06 (labs_wasm/labs/vol1/nn_architectures_cases.py): they equal the engine's,
they follow the engine's data, and the chapter does not work out the lab's predictions."""
from __future__ import annotations

import math

import pytest
from mlsysim import Hardware, Models
from mlsysim.core.solver import AttentionMemoryModel

from labkit import fmt
from labs.vol1 import nn_architectures_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol1/nn_architectures.qmd"
GPT2 = Models.Language.GPT2


@pytest.fixture(scope="module")
def chapter6(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch6"), CHAPTER)


def scores(seq_len, model=GPT2, **kw):
    return AttentionMemoryModel().solve(seq_len=seq_len, model=model, precision="fp16", **kw)


def test_chapter6_states_the_worked_example(chapter6):
    assert "{python}" not in chapter6                            # every value was substituted
    a1, a2 = scores(1024), scores(2048)
    s1 = fmt.si(a1.score_bytes_per_layer.m_as("B"), "B")
    s2 = fmt.si(a2.score_bytes_per_layer.m_as("B"), "B")
    w = fmt.si(a1.weight_bytes.m_as("B"), "B")
    assert f"| one layer's score matrices | {s1} | {s2} | 4.0x |" in chapter6
    assert f"| weights (FP16) | {w} | {w} | none |" in chapter6
    assert f"approx {fmt.si(a1.score_bytes_per_layer.m_as('B'), 'B').split()[0]} text{{MB}}" \
        in chapter6                                              # the display formula
    assert (f"took one layer's matrices from {s1} to {s2}, while its weights stayed at {w}"
            in chapter6)


def test_chapter6_walls_equal_the_engines_boundary(chapter6):
    for context, hw in (("cloud", Hardware.Cloud.H100), ("edge", Hardware.Edge.JetsonOrinNX_GPU)):
        s = cases.longest_context(context, "gpt2")
        assert scores(s, hardware=hw).feasible and not scores(s + 1, hardware=hw).feasible
    walls = [fmt.num(cases.longest_context(c, "gpt2"), 6) for c in ("cloud", "edge")]
    assert (f"for GPT-2, {walls[0]} tokens on the H100 and {walls[1]} tokens on the Orin NX"
            in chapter6)


def test_chapter6_depth_width_table_is_the_labs_method(chapter6):
    rows = cases.shape_rows("gpt2", 1024)
    for row in rows:
        assert (f"| {fmt.si(row['flops_per_token'], 'FLOP')} | {fmt.percent(row['attention_share'])} "
                f"| {row['layers']} | {fmt.si(row['inference_scores'], 'B')} | "
                f"{fmt.si(row['training_scores'], 'B')} |") in chapter6
    resnet = Models.Vision.ResNet50
    per_param = resnet.flops_per_inference.m_as("FLOP") / resnet.parameters
    assert f"about {fmt.num(per_param)} FLOP per parameter" in chapter6


def test_chapter6_does_not_work_out_lab06s_predictions(chapter6):
    """Lab 06 asks how one layer's scores grow when Llama 3 8B goes from 8,192 to 32,768 tokens
    (Act I) and the longest of four contexts GPT-2 XL fits on the Orin NX (Act II): the chapter
    teaches the method on GPT-2 small and its own doubling."""
    llama = Models.Language.Llama3_8B
    for s in (8192, 32768):
        assert fmt.si(scores(s, llama).score_bytes_per_layer.m_as("B"), "B") not in chapter6
    assert "16x" not in chapter6 and "16.0x" not in chapter6 and "sixteen" not in chapter6
    assert "8,192" not in chapter6 and "GPT-2 XL" not in chapter6 and "Llama" not in chapter6
    for context in ("edge", "cloud"):
        assert fmt.num(cases.longest_context(context, "gpt2_xl"), 6) not in chapter6
    for s in (8192, 16384):
        total = scores(s, Models.Language.GPT2_XL).total.m_as("B")
        assert fmt.si(total, "B") not in chapter6


def test_chapter6_follows_the_engine_data(tmp_path, chapter6):
    """Double the Orin NX's memory in (a copy of) the engine's data: GPT-2's longest context on
    it follows the square root of the free memory."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/edge.toml", "JetsonOrinNX_GPU.memory", "capacity", "32 GB"))
    per = scores(1).score_bytes_per_layer.m_as("B")
    free = 32e9 - scores(1).weight_bytes.m_as("B")
    after = math.isqrt(int(free // per))
    before = cases.longest_context("edge", "gpt2")
    assert after > before
    assert f"{fmt.num(before, 6)} tokens on the Orin NX" in chapter6
    assert f"{fmt.num(after, 6)} tokens on the Orin NX" in changed
    assert f"{fmt.num(before, 6)} tokens on the Orin NX" not in changed
