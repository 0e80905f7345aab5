"""Lab 10 under CPython: predictions graded from the engine (recomputed here with direct engine
calls), feedback per option, the failure state reachable and left through the controls in both
contexts, banner numbers equal to the engine's, the ledger entry, stale values, render time."""

import pytest
from mlsysim import Hardware, Models, Q_
from mlsysim.core.solver import (CompressionFrontierModel, CompressionModel, IronLawModel,
                                 KVCacheModel)

from labkit import fmt, validate_entry
from labs.vol1 import model_compression_cases as cases
from labs.vol1 import phone

H100, A17 = Hardware.Cloud.H100, Hardware.Mobile.A17Pro
LLAMA8, LLAMA70, GPT2XL = (Models.Language.Llama3_8B, Models.Language.Llama3_70B,
                           Models.Language.GPT2_XL)
BOTH = {"act1.prediction": "A", "act2.prediction": "D"}
BYTES = {"fp16": 2.0, "int8": 1.0, "int4": 0.5}
SLA_S = 0.050


@pytest.fixture
def d(driver):
    return driver("vol1/10")


# ---- the engine, called directly -----------------------------------------------------------
def ptq_int8():
    return CompressionModel().solve(model=Models.Vision.ResNet50, precision="int8",
                                    quantization="ptq", baseline_precision="fp32")


def expected_act1():
    r = ptq_int8()
    drop = r.accuracy_drop
    bands = {"A": (0, 0.5), "B": (0.5, 2), "C": (2, 5), "D": (5, 1e9)}
    return drop, next(k for k, (lo, hi) in bands.items() if lo <= max(drop, 0) < hi)


def direct_decode(model, hw, fmt_, tokens):
    """(bytes, seconds per token, fits the memory limit, meets the time) without the cases."""
    w = model.parameters * BYTES[fmt_]
    kv = KVCacheModel().solve(model=model, seq_len=tokens, precision="fp16").total.m_as("B")
    step = IronLawModel().solve(hardware=hw, data_bytes=Q_(w + kv, "B"),
                                ops=Q_(2 * model.parameters, "FLOP"), precision="fp16",
                                overlap=True, overhead=Q_(0, "s"))
    limit = (phone.app_budget_bytes(hw) if hw is A17 else hw.memory.capacity.m_as("B"))
    t = step.total.m_as("s")
    return w + kv, t, w + kv <= limit, t <= SLA_S


def expected_act2():
    for option, f in zip("ABC", ("fp16", "int8", "int4")):
        _, _, fits, fast = direct_decode(LLAMA8, A17, f, 2048)
        if fits and fast:
            return option
    return "D"


# ---- predictions ---------------------------------------------------------------------------
def test_act1_correct_option_comes_from_the_published_point(d):
    drop, correct = expected_act1()
    # torchvision: 76.130 -> 75.920, post-training static INT8 (fbgemm)
    assert correct == "A" and drop == pytest.approx(0.21, abs=1e-6)
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(drop)


def test_act2_correct_option_comes_from_bytes_over_bandwidth(d):
    correct = expected_act2()
    total, t, fits, fast = direct_decode(LLAMA8, A17, "int4", 2048)
    # INT4: 4.01 GB of weights + 268 MB of cache > 3 GB, and 4.28 GB / 51.2 GB/s = 84 ms > 50 ms
    assert correct == "D" and not fits and not fast and t == pytest.approx(total / 51.2e9)
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)


def test_feedback_states_the_computed_answers(d):
    drop, _ = expected_act1()
    r = ptq_int8()
    for o in "ABCD":
        text = d.node(d.render({**BOTH, "act1.prediction": o}), "act1.overlay")["text"]
        assert f"{fmt.num(drop)} points lower" in text
        assert fmt.percent(r.accuracy, 2) in text and fmt.percent(r.baseline_accuracy, 2) in text
    total, t, _, _ = direct_decode(LLAMA8, A17, "int4", 2048)
    for o in "ABCD":
        text = d.node(d.render({**BOTH, "act2.prediction": o}), "act2.overlay")["text"]
        assert f"INT4 {fmt.si(total, 'B')} and {fmt.duration(t)} a token" in text


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "overlay" not in kinds
    tree = d.render({"act1.prediction": "B"})
    assert d.node(tree, "act1.frontier") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.space") is None and d.node(tree, "act2.model") is None


# ---- the frontier --------------------------------------------------------------------------
def test_frontier_table_equals_the_engines_published_points(d):
    f = CompressionFrontierModel().solve(model=Models.Vision.ResNet50, baseline_precision="fp32")
    node = d.node(d.render(BOTH), "act1.frontier")
    rows = node["table"]["rows"]
    assert len(rows) == len(f.points) + 1  # the FP32 model, then each published point
    assert rows[0][1] == fmt.si(Models.Vision.ResNet50.parameters * 4, "B") == "102 MB"
    for row, p in zip(rows[1:], f.points):
        assert row[1] == fmt.si(p["size"].m_as("B"), "B")
        assert row[3] == fmt.percent(p["accuracy"], 2)
    recalled = [r for r in rows if "from memory" in r[5]]
    assert {r[0] for r in recalled} == {"post-training INT4", "80% unstructured pruning",
                                        "90% unstructured pruning"}
    assert "from memory" in node["caption"]
    # the frontier: quantization-aware training at INT4 and INT8 beat every other point
    assert "quantization-aware INT4 and quantization-aware INT8" in node["caption"]


def test_act1_metrics_follow_the_context(d):
    r = ptq_int8()
    for ctx, hw in (("cloud", H100), ("mobile", A17)):
        items = {i["label"]: i for i in d.node(d.render(BOTH, {"context": ctx}),
                                               "act1.metrics")["items"]}
        assert items["Weights, INT8"]["value"] == fmt.si(r.compressed_size.m_as("B"), "B")
        label = next(k for k in items if k.startswith("Reading the weights"))
        bw = hw.memory.bandwidth.m_as("B/s")
        assert items[label]["value"] == (f"{fmt.duration(r.original_size.m_as('B') / bw)} → "
                                         f"{fmt.duration(r.compressed_size.m_as('B') / bw)}")


# ---- the failure state ---------------------------------------------------------------------
def banner_rows(violations):
    return [{"name": v.name, "required": fmt.quantity(v.required),
             "available": fmt.quantity(v.available)} for v in violations]


def test_failure_reached_on_the_phone_and_left_with_a_smaller_model(d):
    assert d.node(d.render(BOTH), "act2.fail") is None           # Cloud, Llama 3 8B FP16 runs
    tree = d.render(BOTH, {"context": "mobile"})                   # the default model on the phone
    banner = d.node(tree, "act2.fail")
    total, t, fits, fast = direct_decode(LLAMA8, A17, "fp16", 2048)
    assert not fits and not fast
    names = [c["name"] for c in banner["constraints"]]
    assert names == ["LPDDR5 capacity", "app memory budget", "time per output token"]
    rows = {c["name"]: c for c in banner["constraints"]}
    assert rows["app memory budget"]["required"] == fmt.si(total, "B")
    assert rows["app memory budget"]["available"] == fmt.si(phone.app_budget_bytes(A17), "B")
    assert rows["time per output token"]["required"] == fmt.duration(t)
    assert rows["time per output token"]["available"] == "50 ms"
    assert banner_rows(cases.decode("mobile", "llama3_8b", "fp16", 2048).violations) == \
        banner["constraints"]
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True
    assert entry["act2"]["result"] == pytest.approx(t * 1e3, rel=1e-3)
    # INT4 still fails on the phone; GPT-2 XL at INT8 leaves the failure
    assert d.node(d.render(BOTH, {"context": "mobile", "act2.format": "int4"}), "act2.fail")
    still = d.render(BOTH, {"context": "mobile", "act2.model": "gpt2_xl"})
    assert d.node(still, "act2.fail")                               # FP16: 3.43 GB, 67 ms
    out = d.render(BOTH, {"context": "mobile", "act2.model": "gpt2_xl", "act2.format": "int8"})
    assert d.node(out, "act2.fail") is None
    _, t_xl, fits_xl, fast_xl = direct_decode(GPT2XL, A17, "int8", 1024)
    assert fits_xl and fast_xl
    entry = d.node(out, "ledger")["entry"]
    assert entry["constraint_hit"] is False
    assert entry["act2"]["result"] == pytest.approx(t_xl * 1e3, rel=1e-3)


def test_failure_in_the_cloud_is_capacity_and_int8_leaves_it(d):
    tree = d.render(BOTH, {"act2.model": "llama3_70b"})
    banner = d.node(tree, "act2.fail")
    total, _, fits, fast = direct_decode(LLAMA70, H100, "fp16", 2048)
    assert not fits and fast
    assert banner["required"] == f"HBM3 capacity: {fmt.si(total, 'B')}"
    assert banner["available"] == "80 GB" and banner.get("constraints") is None
    assert d.node(d.render(BOTH, {"act2.model": "llama3_70b", "act2.format": "int8"}),
                  "act2.fail") is None


def test_same_controls_different_verdicts_in_the_two_contexts(d):
    values = {"act2.model": "llama3_8b", "act2.format": "int4"}
    assert d.node(d.render(BOTH, {**values, "context": "cloud"}), "act2.fail") is None
    assert d.node(d.render(BOTH, {**values, "context": "mobile"}), "act2.fail")


def test_act2_metrics_equal_engine(d):
    tree = d.render(BOTH, {"context": "mobile", "act2.format": "int4", "act2.tokens": "4096"})
    items = {i["label"]: i for i in d.node(tree, "act2.metrics")["items"]}
    total, t, _, _ = direct_decode(LLAMA8, A17, "int4", 4096)
    kv = KVCacheModel().solve(model=LLAMA8, seq_len=4096, precision="fp16").total.m_as("B")
    assert items["Weights"]["value"] == fmt.si(LLAMA8.parameters * 0.5, "B")
    assert items["KV cache"]["value"] == fmt.si(kv, "B") == "537 MB"
    assert items["Memory needed"]["value"] == fmt.si(total, "B")
    assert items["Time per token"]["value"] == fmt.duration(t)
    # the largest model at INT4: min(BW x 50 ms, 3 GB) - KV, over half a byte per weight
    largest = (min(51.2e9 * SLA_S, 3e9) - kv) / 0.5
    assert items["Largest model that meets both"]["value"] == \
        f"{fmt.num(largest / 1e9)} billion parameters"


def test_design_space_table_covers_every_model_and_format(d):
    rows = d.node(d.render(BOTH, {"context": "mobile"}), "act2.space")["table"]["rows"]
    assert len(rows) == len(cases.LANGUAGE) * len(cases.FORMATS)
    passing = {(r[0], r[1]) for r in rows if r[5] == "meets both"}
    assert ("GPT-2 XL", "INT8") in passing and ("Llama 3 8B", "INT4") not in passing


def test_ledger_entry_matches_schema(d):
    for ctx in ("cloud", "mobile"):
        entry = d.node(d.render(BOTH, {"context": ctx}), "ledger")["entry"]
        assert validate_entry(entry, "vol1.ch10")["context"] == ctx
        assert "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "tiny", "act2.model": "vgg16", "act2.format": "int2",
                           "act2.tokens": "3000"})
    assert d.node(tree, "context")["value"] == "cloud"
    assert d.node(tree, "act2.model")["value"] == "llama3_8b"
    assert d.node(tree, "act2.format")["value"] == "fp16"
    assert d.node(tree, "act2.tokens")["value"] == "2048"
    # GPT-2 XL's window is 1,024 tokens: a longer cache falls back to what the model allows
    tree = d.render(BOTH, {"act2.model": "gpt2_xl", "act2.tokens": "8192"})
    assert d.node(tree, "act2.tokens")["value"] == "1024"
