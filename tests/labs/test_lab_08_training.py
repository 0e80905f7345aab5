"""Lab 08 under CPython: predictions graded from the engine's training-memory model, feedback
per option, the out-of-memory failure state reached and left through the controls in both
contexts, metrics equal to engine numbers, the ledger entry, render time."""
import math

import pytest
from mlsysim import Hardware, Models, Systems
from mlsysim.core.solver import TrainingMemoryModel, TrainingTimeModel

from labkit import fmt, validate_entry
from labs.vol1 import training_cases as cases

H100, PHONE = Hardware.Cloud.H100, Hardware.Mobile.A17Pro
LLAMA, GPT2, GPT2_XL = Models.Language.Llama3_8B, Models.Language.GPT2, Models.Language.GPT2_XL
GPUS = Systems.Nodes.DGX_H100.accelerators
BOTH = {"act1.prediction": "C", "act2.prediction": "D"}


@pytest.fixture
def d(driver):
    return driver("vol1/08")


def state(r):
    return (r.weights + r.gradients + r.optimizer_state).m_as("B")


def expected_act1():
    """Llama 3 8B's model state under mixed-precision Adam, straight from the engine."""
    r = TrainingMemoryModel().solve(model=LLAMA, optimizer="adam_mixed", seq_len=2048)
    bpp = {"A": 2, "B": 4, "C": 16, "D": 64}
    truth = state(r)
    return truth, min(bpp, key=lambda k: abs(math.log(bpp[k] * LLAMA.parameters / truth)))


def expected_act2():
    r = TrainingMemoryModel().solve(model=LLAMA, optimizer="adam_mixed", seq_len=2048,
                                    batch_size=4, zero_stage=3, dp=GPUS, hardware=H100)
    terms = {"A": r.weights, "B": r.gradients, "C": r.optimizer_state, "D": r.activations}
    return r, max(terms, key=lambda k: terms[k].m_as("B"))


def test_act1_correct_option_comes_from_the_engine(d):
    truth, correct = expected_act1()
    assert correct == "C" and truth == pytest.approx(16 * LLAMA.parameters)  # 2+2+4+4+4
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(truth)
        assert entry["act1"]["predicted_value"] == pytest.approx(
            {"A": 2, "B": 4, "C": 16, "D": 64}[option] * LLAMA.parameters)


def test_act2_correct_option_comes_from_the_engine(d):
    r, correct = expected_act2()
    # ZeRO-3 leaves 2 GB of FP16 weights per GPU; 4 sequences of 2,048 tokens keep >100 GB
    assert correct == "D" and r.activations.m_as("GB") > 100 and not r.feasible
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)
    overlay = d.node(d.render(BOTH), "act2.overlay")
    assert fmt.si(r.activations.m_as("B"), "B") in overlay["actual"]
    assert "x" not in overlay["actual"].replace("Llama", "")  # a category: no ratio


def test_act1_feedback_states_the_engine_breakdown(d):
    truth, _ = expected_act1()
    for option in "ABCD":
        text = d.node(d.render({**BOTH, "act1.prediction": option}), "act1.overlay")["text"]
        assert fmt.si(truth, "B") in text


def test_act2_reflection_facts_hold_in_the_engine():
    """GPT-2 XL on the phone: plain SGD (8 B/parameter) alone exceeds the whole phone."""
    r = TrainingMemoryModel().solve(model=GPT2_XL, optimizer="sgd_plain", seq_len=256,
                                    checkpointing="full", hardware=PHONE)
    assert state(r) > PHONE.memory.capacity.m_as("B") and not r.feasible
    assert r.activations.m_as("B") < 0.05 * state(r)


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "overlay" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.ledger") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.ledger") is None and d.node(tree, "act2.batch") is None


def banner_rows(violations):
    return [{"name": v.name, "required": fmt.quantity(v.required),
             "available": fmt.quantity(v.available)} for v in violations]


def test_cloud_oom_reached_by_the_batch_and_left_by_checkpointing(d):
    base = d.render(BOTH)
    assert d.node(base, "act2.oom") is None  # defaults fit: Llama 3 8B, ZeRO-3, batch 1
    tree = d.render(BOTH, {"act2.batch": 3})
    banner = d.node(tree, "act2.oom")
    r = TrainingMemoryModel().solve(model=LLAMA, seq_len=2048, batch_size=3, zero_stage=3,
                                    dp=GPUS, hardware=H100)
    [v] = r.violations
    assert banner["required"] == f"{v.name}: {fmt.quantity(v.required)}" == "HBM3 capacity: 108 GB"
    assert banner["available"] == fmt.quantity(v.available) == "80 GB"
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    assert "at most 2 sequences fit" in banner["text"]
    back = d.render(BOTH, {"act2.batch": 3, "act2.checkpointing": "selective"})
    assert d.node(back, "act2.oom") is None
    assert d.node(back, "ledger")["entry"]["constraint_hit"] is False
    assert d.node(d.render(BOTH, {"act2.batch": 2}), "act2.oom") is None


def test_cloud_oom_without_zero(d):
    """Stage 0 keeps the whole 128 GB of model state on every GPU: no batch fits."""
    tree = d.render(BOTH, {"act2.zero": "0"})
    assert "so no batch fits" in d.node(tree, "act2.oom")["text"]
    assert d.node(d.render(BOTH, {"act2.zero": "1"}), "act2.oom") is None


def test_mobile_oom_has_the_app_budget_and_the_phone(d):
    assert d.node(d.render(BOTH, {"context": "mobile"}), "act2.oom") is None
    tree = d.render(BOTH, {"context": "mobile", "act2.batch": 16})
    banner = d.node(tree, "act2.oom")
    r = TrainingMemoryModel().solve(model=GPT2, seq_len=256, batch_size=16, hardware=PHONE)
    budget = cases.APP_SHARE * PHONE.memory.capacity.m_as("B")
    assert r.feasible and r.total.m_as("B") > budget  # fits the phone, not the app's share
    assert banner["required"] == f"app memory budget: {fmt.si(r.total.m_as('B'), 'B')}"
    assert banner["available"] == fmt.si(budget, "B")
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    left = d.render(BOTH, {"context": "mobile", "act2.batch": 16, "act2.checkpointing": "full"})
    assert d.node(left, "act2.oom") is None
    # GPT-2 XL overflows the phone itself and the app's share: both listed.
    xl = d.node(d.render(BOTH, {"context": "mobile", "act2.model": "gpt2_xl"}), "act2.oom")
    r = TrainingMemoryModel().solve(model=GPT2_XL, seq_len=256, hardware=PHONE)
    assert [c["name"] for c in xl["constraints"]] == ["LPDDR5 capacity", "app memory budget"]
    assert xl["constraints"][0] == banner_rows(r.violations)[0]


def test_same_controls_different_verdicts_in_the_two_contexts(d):
    values = {"act2.model": "gpt2_xl", "act2.seq": "256", "act2.batch": 1}
    assert d.node(d.render(BOTH, values), "act2.oom") is None
    assert d.node(d.render(BOTH, {**values, "context": "mobile"}), "act2.oom") is not None


def test_metrics_equal_engine_numbers(d):
    tree = d.render(BOTH, {"act2.batch": 2, "act2.checkpointing": "full"})
    items = {i["label"]: i for i in d.node(tree, "act2.metrics")["items"]}
    r = TrainingMemoryModel().solve(model=LLAMA, seq_len=2048, batch_size=2, zero_stage=3,
                                    dp=GPUS, hardware=H100, checkpointing="full")
    assert items["Memory per H100"]["value"] == fmt.si(r.total.m_as("B"), "B")
    assert items["Recomputation"]["value"] == f"+{fmt.percent(r.recompute_overhead, 1)}"
    per_token = 3 * LLAMA.flops_per_inference.m_as("FLOP") * (1 + r.recompute_overhead)
    t = TrainingTimeModel().solve(model=LLAMA, hardware=H100, steps=1, batch_size=2 * 2048,
                                  precision="fp16", flops_per_sample=f"{per_token} FLOP")
    assert items["Step time"]["value"] == fmt.duration(t.time_per_step.m_as("s"))
    # largest batch: the last one the engine says fits
    best = int(items["Largest batch that fits"]["value"])
    fit = [TrainingMemoryModel().solve(model=LLAMA, seq_len=2048, batch_size=b, zero_stage=3,
                                       dp=GPUS, hardware=H100, checkpointing="full").feasible
           for b in (best, best + 1)]
    assert fit == [True, False]
    entry = d.node(tree, "ledger")["entry"]
    assert entry["act2"]["result"] == pytest.approx(r.total.m_as("GB"))


def test_fp32_recipe_doubles_activations(d):
    mixed = cases.memory("cloud", "llama3_8b", 1, 2048, "adam_mixed", "none", 3)
    fp32 = cases.memory("cloud", "llama3_8b", 1, 2048, "adam_fp32", "none", 3)
    assert fp32.activations.m_as("B") == pytest.approx(2 * mixed.activations.m_as("B"))
    assert state(fp32) == pytest.approx(state(mixed))  # Adam: 16 B per parameter either way


def test_first_act_chart_table_equals_engine(d):
    truth, _ = expected_act1()
    fig = d.node(d.render(BOTH), "act1.ledger")
    rows = {r[0]: r for r in fig["table"]["rows"]}
    assert rows["Optimizer state"][2] == fmt.si(12 * LLAMA.parameters, "B")
    assert fmt.si(truth, "B") in fig["caption"] and "80 GB" in fig["caption"]
    mobile = d.node(d.render(BOTH, {"context": "mobile"}), "act1.ledger")
    assert f"app's share of the phone: {fmt.si(cases.app_budget(), 'B')}" in mobile["caption"]


def test_ledger_entry_matches_schema(d):
    for ctx in ("cloud", "mobile"):
        entry = d.node(d.render(BOTH, {"context": ctx}), "ledger")["entry"]
        assert validate_entry(entry, "vol1.ch08")["context"] == ctx
        assert "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "tiny", "act2.model": "vgg16", "act2.batch": 999,
                           "act2.zero": "7", "act2.seq": "3000"})
    assert d.node(tree, "context")["value"] == "cloud"
    assert d.node(tree, "act2.model")["value"] == "llama3_8b"
    assert d.node(tree, "act2.batch")["value"] == 1
    assert d.node(tree, "act2.zero")["value"] == "3"
    assert d.node(tree, "act2.seq")["value"] == "2048"
    # a sequence longer than GPT-2's context falls back to one it allows
    gpt2 = d.render(BOTH, {"act2.model": "gpt2", "act2.seq": "2048"})
    assert d.node(gpt2, "act2.seq")["value"] == "1024"
