"""Lab 06 under CPython: predictions graded from the engine, feedback per option, the
out-of-memory failure state reachable and reversible in both contexts, the depth-vs-width
table, the ledger entry, numbers, render time."""
import math

import pytest
from mlsysim import Hardware, Models
from mlsysim.core.solver import AttentionMemoryModel, TransformerCountsModel

from labkit import fmt, validate_entry
from labs.vol1 import nn_architectures_cases as cases

H100, ORIN = Hardware.Cloud.H100, Hardware.Edge.JetsonOrinNX_GPU
LLAMA, XL = Models.Language.Llama3_8B, Models.Language.GPT2_XL
BOTH = {"act1.prediction": "C", "act2.prediction": "B"}
FACTORS = {"A": 4, "B": 8, "C": 16, "D": 64}
CONTEXTS = {"A": 4096, "B": 8192, "C": 16384, "D": 32768}


@pytest.fixture
def d(driver):
    return driver("vol1/06")


def scores(seq_len, model=LLAMA, **kw):
    return AttentionMemoryModel().solve(seq_len=seq_len, model=model, precision="fp16", **kw)


def expected_act1():
    ratio = (scores(32768).score_bytes_per_layer / scores(8192).score_bytes_per_layer).m_as("")
    return ratio, min(FACTORS, key=lambda k: abs(math.log(FACTORS[k] / ratio)))


def expected_act2():
    fits = {k: scores(s, XL, hardware=ORIN).feasible for k, s in CONTEXTS.items()}
    return max((k for k in fits if fits[k]), key=CONTEXTS.get), fits


def test_act1_correct_option_comes_from_the_engine(d):
    ratio, correct = expected_act1()
    assert correct == "C" and ratio == pytest.approx(16)  # (32768 / 8192)^2: quadratic in s
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(ratio)
        assert entry["act1"]["predicted_value"] == FACTORS[option]


def test_act2_correct_option_comes_from_the_engine(d):
    correct, fits = expected_act2()
    # GPT-2 XL at FP16: 3.1 GB of weights + 25 heads x s^2 x 2 B; 16,384 overflows 16 GB.
    assert fits == {"A": True, "B": True, "C": False, "D": False} and correct == "B"
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)


def test_prediction_feedback_states_the_computed_answer(d):
    ratio, _ = expected_act1()
    for o in "ABCD":
        text = d.node(d.render({**BOTH, "act1.prediction": o}), "act1.overlay")["text"]
        assert f"**{fmt.num(ratio)}x**" in text
        assert fmt.si(scores(32768).score_bytes_per_layer.m_as("B"), "B") in text
    wall = cases.longest_context("edge", "gpt2_xl")
    for o in "ABCD":
        text = d.node(d.render({**BOTH, "act2.prediction": o}), "act2.overlay")["text"]
        assert f"The wall is at {fmt.num(wall, 6)} tokens" in text
        total = scores(CONTEXTS[o], XL, hardware=ORIN).total.m_as("B")
        assert fmt.si(total, "B") in text


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    assert "overlay" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.growth") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.memory") is None and d.node(tree, "act2.seq_len") is None


@pytest.mark.parametrize("context, hw, seq_len, back", [
    ("edge", ORIN, 16384, 15360), ("cloud", H100, 40960, 38912)])
def test_oom_banner_reachable_and_reversible(d, context, hw, seq_len, back):
    ok = d.render(BOTH, {"context": context, "act2.seq_len": back})
    assert d.node(ok, "act2.oom") is None
    tree = d.render(BOTH, {"context": context, "act2.seq_len": seq_len})
    banner = d.node(tree, "act2.oom")
    r = scores(seq_len, XL, hardware=hw)
    assert not r.feasible
    [v] = r.violations
    assert v.name == f"{hw.memory.kind} capacity"
    assert banner["required"] == f"{v.name}: {fmt.quantity(v.required)}"
    assert banner["available"] == fmt.quantity(v.available)
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True
    assert entry["act2"]["result"] == pytest.approx(r.total.m_as("GB"))
    # Out again: fused attention, fewer heads, or (on the Orin) the datacenter GPU.
    fused = d.render(BOTH, {"context": context, "act2.seq_len": seq_len,
                            "act2.attention": "fused"})
    assert d.node(fused, "act2.oom") is None
    assert d.node(fused, "ledger")["entry"]["constraint_hit"] is False
    fewer = d.render(BOTH, {"context": context, "act2.seq_len": seq_len, "act2.heads": "8"})
    assert d.node(fewer, "act2.oom") is None
    assert scores(seq_len, XL, heads=8, hardware=hw).feasible


def test_same_controls_different_verdicts_in_the_two_contexts(d):
    values = {"act2.seq_len": 16384}
    assert d.node(d.render(BOTH, {**values, "context": "edge"}), "act2.oom")
    assert d.node(d.render(BOTH, {**values, "context": "cloud"}), "act2.oom") is None


def test_longest_context_is_the_engines_boundary():
    for context, hw in (("edge", ORIN), ("cloud", H100)):
        for heads in (None, 8, 50):
            s = cases.longest_context(context, "gpt2_xl", heads)
            assert scores(s, XL, heads=heads, hardware=hw).feasible
            assert not scores(s + 1, XL, heads=heads, hardware=hw).feasible
    s = cases.longest_context("edge", "gpt2_xl", fused=True)
    assert scores(s, XL, fused=True, hardware=ORIN).feasible
    assert not scores(s + 1, XL, fused=True, hardware=ORIN).feasible
    assert cases.longest_context("edge", "llama3_8b") == 0   # its FP16 weights alone overflow


def test_metrics_equal_engine_numbers(d):
    tree = d.render(BOTH, {"context": "edge", "act2.seq_len": 12288, "act2.heads": "32"})
    r = scores(12288, XL, heads=32, hardware=ORIN)
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Weights"] == fmt.si(r.weight_bytes.m_as("B"), "B")
    assert items["Attention matrices"] == fmt.si(r.score_bytes_per_layer.m_as("B"), "B")
    assert items["Total against memory"] == (f"{fmt.si(r.total.m_as('B'), 'B')} / "
                                             f"{fmt.si(ORIN.memory.capacity.m_as('B'), 'B')}")
    s_max = cases.longest_context("edge", "gpt2_xl", 32)
    assert items["Longest context that fits"] == f"{fmt.num(s_max, 6)} tokens"
    act1 = {i["label"]: i["value"] for i in d.node(tree, "act1.metrics")["items"]}
    assert act1["Scores at 32,768 tokens"] == fmt.si(scores(32768).score_bytes_per_layer.m_as("B"), "B")


def test_depth_width_table_equals_engine(d):
    tree = d.render(BOTH, {"act2.seq_len": 8192, "act2.heads": "16"})
    rows = d.node(tree, "act2.shapes")["rows"]
    assert len(rows) == 3
    for row, (layers, width) in zip(rows, ((12, 3200), (48, 1600), (192, 800))):
        c = TransformerCountsModel().solve(seq_len=8192, layers=layers, hidden_size=width,
                                           heads=16, vocab_size=XL.vocab_size,
                                           ffn_hidden=4 * width)
        train = AttentionMemoryModel().solve(seq_len=8192, heads=16, layers=layers,
                                             precision="fp16", training=True)
        infer = AttentionMemoryModel().solve(seq_len=8192, heads=16, layers=layers,
                                             precision="fp16")
        assert row[2] == fmt.si(c.flops_per_token.m_as("FLOP"), "FLOP")
        assert row[3] == fmt.percent(c.attention_share)
        assert row[5] == fmt.si(infer.attention_bytes.m_as("B"), "B")
        assert row[6] == fmt.si(train.attention_bytes.m_as("B"), "B")
    assert rows[1][0].endswith("(released)")
    assert len({r[5] for r in rows}) == 1 and len({r[6] for r in rows}) == 3


def test_ledger_entry_matches_schema(d):
    for ctx in ("cloud", "edge"):
        entry = d.node(d.render(BOTH, {"context": ctx}), "ledger")["entry"]
        assert validate_entry(entry, "vol1.ch06")["context"] == ctx
        assert entry["act2"]["unit"] == "GB"


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "tiny", "act2.seq_len": 999_999, "act2.heads": "7",
                           "act2.attention": "sparse"})
    assert d.node(tree, "context")["value"] == "cloud"
    assert d.node(tree, "act2.seq_len")["value"] == 4096
    assert d.node(tree, "act2.heads")["value"] == str(XL.heads)
    assert d.node(tree, "act2.attention")["value"] == "standard"
