"""Lab 11 under CPython: both predictions graded from the engine (recomputed here with direct
RooflineModel / GemmModel / KVCacheModel / MemoryFootprintModel calls), feedback per option,
the two failure states (the MFU target above the roofline, out of memory on the Orin NX)
reached and left through the controls, instruments equal to the engine, the ledger entry,
stale values, render time."""

import pytest
from mlsysim import Hardware, Models, Q_
from mlsysim.core.solver import GemmModel, KVCacheModel, MemoryFootprintModel, RooflineModel

from labkit import fmt, validate_entry
from labs.vol1 import hw_acceleration_cases as cases

H100, ORIN = Hardware.Cloud.H100, Hardware.Edge.JetsonOrinNX_GPU
LLAMA, XL = Models.Language.Llama3_8B, Models.Language.GPT2_XL
BOTH = {"act1.prediction": "B", "act2.prediction": "D"}
BANDS = [(0.60, 1.01), (0.20, 0.60), (0.05, 0.20), (0.0, 0.05)]   # options A-D, both acts


@pytest.fixture
def d(driver):
    return driver("vol1/11")


def band(x):
    return "ABCD"[next(i for i, (lo, hi) in enumerate(BANDS) if lo <= x < hi)]


def act2_band(x):
    bands = [(0.40, 1.01), (0.15, 0.40), (0.05, 0.15), (0.0, 0.05)]
    return "ABCD"[next(i for i, (lo, hi) in enumerate(bands) if lo <= x < hi)]


def expected_act1():
    """Llama 3 8B's MLP up-projection, 96 rows, FP16, on the H100: intensity and the roof."""
    g = GemmModel().solve(gemm_shape=(96, LLAMA.ffn_hidden, LLAMA.hidden_size), hardware=H100,
                          precision="fp16")
    roof = RooflineModel().solve(hardware=H100, precision="fp16",
                                 arithmetic_intensity=g.arithmetic_intensity)
    assert roof.attainable_flops.m_as("FLOP/s") == pytest.approx(g.attainable_flops.m_as("FLOP/s"))
    return g, roof.mfu_ceiling, band(roof.mfu_ceiling)


def decode_step(hw, model, batch, seq):
    """One decode step of an MHA decoder, written out here from the registry's shapes:
    (FLOP, time at the roofs) summed over every kernel."""
    d, h, L, ff, V = model.hidden_size, model.heads, model.layers, model.ffn_hidden, model.vocab_size
    hd = d // h
    kernels = [((batch, 3 * d, d), L), ((batch, d, d), L), ((batch, ff, d), L),
               ((batch, d, ff), L), ((1, seq, hd), L * batch * h), ((1, hd, seq), L * batch * h),
               ((batch, V, d), 1)]
    flop = t = 0.0
    for shape, n in kernels:
        g = GemmModel().solve(gemm_shape=shape, hardware=hw, precision="fp16")
        flop += g.ops.m_as("FLOP") * n
        t += g.total.m_as("s") * n
    return flop, t


def expected_act2():
    flop, t = decode_step(H100, XL, 64, 1024)
    mfu = flop / t / H100.compute.peak("fp16").m_as("FLOP/s")
    return mfu, act2_band(mfu)


def test_act1_correct_option_comes_from_the_engine(d):
    g, ceiling, correct = expected_act1()
    # 93 FLOP/B against a ridge of 295: a third of the peak (the figure)
    assert 92 < g.arithmetic_intensity.m_as("FLOP/B") < 94 and correct == "B"
    assert ceiling == pytest.approx(g.arithmetic_intensity.m_as("FLOP/B") / H100.ridge_point.m_as("FLOP/B"))
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(ceiling)


def test_act2_correct_option_comes_from_the_engine(d):
    mfu, correct = expected_act2()
    assert mfu < 0.05 and correct == "D"
    assert cases.act2_truth().mfu_ceiling == pytest.approx(mfu)
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)


def test_feedback_states_the_computed_answers(d):
    g, ceiling, _ = expected_act1()
    mfu, _ = expected_act2()
    for o in "ABCD":
        t1 = d.node(d.render({**BOTH, "act1.prediction": o}), "act1.overlay")["text"]
        assert fmt.percent(ceiling) in t1 and f"{fmt.num(g.arithmetic_intensity.m_as('FLOP/B'))} FLOP/B" in t1
        t2 = d.node(d.render({**BOTH, "act2.prediction": o}), "act2.overlay")["text"]
        assert fmt.percent(mfu) in t2


def test_act1_reflection_rows_to_ridge_is_the_engines(d):
    """The rows at which the multiply reaches the ridge: the first M with I(M) >= R/BW."""
    ridge = H100.ridge_point.m_as("FLOP/B")
    ai = lambda m: GemmModel().solve(gemm_shape=(m, LLAMA.ffn_hidden, LLAMA.hidden_size),  # noqa: E731
                                     hardware=H100, precision="fp16").arithmetic_intensity.m_as("FLOP/B")
    need = cases.rows_to_ridge("cloud", "llama3_8b")
    assert ai(need) >= ridge > ai(need - 1)
    labels = {o["value"]: o["label"] for o in d.node(d.render(BOTH), "act1.reflection")["options"]}
    assert f"{need:,} rows" in labels["B"]


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "overlay" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.roofline") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.roofline") is None and d.node(tree, "act2.batch") is None


def test_mfu_failure_reached_by_decode_and_left_by_prefill_in_both_contexts(d):
    peak = H100.compute.peak("fp16").m_as("FLOP/s")
    assert d.node(d.render(BOTH), "act2.failure") is None          # Cloud, prefill: feasible
    tree = d.render(BOTH, {"act2.phase": "decode"})
    banner = d.node(tree, "act2.failure")
    flop, t = decode_step(H100, XL, 64, 1024)
    assert banner["required"] == f"FLOP/s at the MFU target: {fmt.quantity(Q_(0.4 * peak, 'FLOP/s'))}"
    assert banner["available"] == fmt.quantity(Q_(flop / t, "FLOP/s"))
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True
    assert entry["act2"]["result"] == pytest.approx(100 * flop / t / peak)
    back = d.render(BOTH, {"act2.phase": "prefill"})
    assert d.node(back, "act2.failure") is None
    assert d.node(back, "ledger")["entry"]["constraint_hit"] is False
    # a lower target leaves it too; on the Edge a small decode batch fails the same way
    assert d.node(d.render(BOTH, {"act2.phase": "decode", "act2.target": 0.03}), "act2.failure") is None
    edge = d.node(d.render(BOTH, {"context": "edge", "act2.phase": "decode", "act2.batch": 16}),
                  "act2.failure")
    orin_flop, orin_t = decode_step(ORIN, XL, 16, 1024)
    assert edge["available"] == fmt.quantity(Q_(orin_flop / orin_t, "FLOP/s"))
    assert d.node(d.render(BOTH, {"context": "edge", "act2.batch": 16}), "act2.failure") is None


def test_oom_on_the_orin_with_the_engines_numbers_and_left_by_fewer_conversations(d):
    tree = d.render(BOTH, {"context": "edge"})
    banner = d.node(tree, "act2.failure")
    kv = KVCacheModel().solve(seq_len=1024, model=XL, batch_size=64, precision="fp16").total.m_as("B")
    assert kv == pytest.approx(2 * XL.layers * XL.hidden_size * 2 * 1024 * 64)
    act = cases.step("edge", "gpt2_xl", "prefill", 64, 1024).activation_bytes
    fit = MemoryFootprintModel().solve(model=XL, hardware=ORIN, precision="fp16", batch_size=64,
                                       activation_bytes=Q_((kv + act) / 64, "B"))
    [v] = fit.violations
    assert v.name == "LPDDR5 capacity"
    assert banner["required"] == f"LPDDR5 capacity: {fmt.quantity(v.required)}"
    assert banner["available"] == fmt.quantity(v.available) == "16 GB"
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    # the same controls fit the H100, and 16 conversations fit the Orin
    assert d.node(d.render(BOTH, {"context": "cloud"}), "act2.failure") is None
    assert d.node(d.render(BOTH, {"context": "edge", "act2.batch": 16}), "act2.failure") is None


def test_activations_count_the_prefill_score_matrices(d):
    s = cases.step("cloud", "gpt2", "prefill", 8, 512)
    scores = cases.prefill_scores("gpt2", 8, 512).score_bytes_per_layer.m_as("B")
    assert scores == 8 * 12 * 512 * 512 * 2
    assert s.activation_bytes > scores


def test_step_flops_agree_with_the_transformer_counts():
    """A prefill step's weight multiplies are 2 x (non-embedding + vocabulary) parameters per
    token (TransformerCountsModel), the head counted for one token per sequence."""
    b, s = 4, 256
    st = cases.step("cloud", "llama3_8b", "prefill", b, s)
    counts = cases.counts("llama3_8b", s)
    weights = sum(k.flops for k in st.kernels if k.key not in ("scores", "values", "head"))
    assert weights == pytest.approx(2 * counts.non_embedding_parameters * b * s)


def test_metrics_equal_engine_numbers(d):
    g, ceiling, _ = expected_act1()
    items = {i["label"]: i["value"] for i in d.node(d.render(BOTH), "act1.metrics")["items"]}
    assert items["Arithmetic intensity"] == f"{fmt.num(g.arithmetic_intensity.m_as('FLOP/B'))} FLOP/B"
    assert items["Ridge point"] == f"{fmt.num(H100.ridge_point.m_as('FLOP/B'))} FLOP/B"
    assert items["Ceiling on MFU"] == fmt.percent(ceiling)
    flop, t = decode_step(H100, XL, 64, 1024)
    tree = d.render(BOTH, {"act2.phase": "decode"})
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Step time (at the roofs)"] == fmt.duration(t)
    assert items["MFU ceiling"] == fmt.percent(flop / t / H100.compute.peak("fp16").m_as("FLOP/s"))
    rows = d.node(tree, "act2.kernels")["rows"]
    assert [r[0] for r in rows] == list(cases.KERNEL_NAMES.values())
    att = next(r for r in rows if r[0] == "attention scores QKᵀ")
    one = GemmModel().solve(gemm_shape=(1, 1024, 64), hardware=H100, precision="fp16")
    assert att[3] == fmt.num(one.arithmetic_intensity.m_as("FLOP/B")) and att[5] == "memory-bound"
    assert att[2] == f"{XL.layers * 64 * XL.heads:,}"


def test_context_slider_follows_the_models_released_context(d):
    tree = d.render(BOTH, {"act2.model": "llama3_8b"})
    assert d.node(tree, "act2.context")["max"] == LLAMA.context_length == 8192
    tree = d.render(BOTH, {"act2.model": "gpt2", "act2.context": 4096})   # past GPT-2's 1,024
    assert d.node(tree, "act2.context")["value"] == 1024


def test_ledger_entry_matches_schema(d):
    for ctx in ("cloud", "edge"):
        for phase in ("prefill", "decode"):
            entry = d.node(d.render(BOTH, {"context": ctx, "act2.phase": phase}), "ledger")["entry"]
            assert validate_entry(entry, "vol1.ch11")["context"] == ctx
            assert entry["act2"]["unit"] == "%" and "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "tiny", "act2.model": "vgg16", "act2.batch": 999,
                           "act2.phase": "train", "act2.target": 3})
    assert d.node(tree, "context")["value"] == "cloud"
    assert d.node(tree, "act2.model")["value"] == "gpt2_xl"
    assert d.node(tree, "act2.phase")["value"] == "prefill"
    assert d.node(tree, "act2.batch")["value"] == 64
    assert d.node(tree, "act2.target")["value"] == pytest.approx(0.4)
