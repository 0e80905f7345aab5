"""Vol II Lab 10 under CPython: predictions graded from direct engine calls (KVCacheModel,
BatchingCapacityModel, PrefillDecodeModel, TTFTModel, MMcQueueModel), the KV-cache instrument
equal to the engine, the failure states (P99 TTFT over 200 ms, a load the node cannot carry,
weights that do not fit) reached and left through the controls in both contexts, the contexts
changing the verdict, ledger, stale values."""
import math

import pytest
from mlsysim import Hardware, Models, Q_, Systems
from mlsysim.core.solver import (BatchingCapacityModel, KVCacheModel, MMcQueueModel,
                                 PrefillDecodeModel, TTFTModel)

from labkit import fmt, validate_entry
from labs.vol2 import inference_cases as cases

BOTH = {"act1.prediction": "C", "act2.prediction": "C"}
M70 = Models.Llama3_70B
H100 = Hardware.Cloud.H100
LINK = Systems.DGX_H100.intra_node
MFU = 0.40            # the engine's default MFU (scaling.DEFAULT_MFU), as the lab states
RATE = {"latency": 2.0, "throughput": 12.0}
REPLY, REPLY_MAX = 256, 1024


@pytest.fixture
def d(driver):
    return driver("vol2/10")


# ---- direct engine calls (not through the cases module) ---------------------------------------
def users(context, tp):
    return BatchingCapacityModel().solve(model=M70, hardware=H100, max_seq_len=context,
                                         mean_seq_len=context, precision="fp16",
                                         tp=tp).continuous_sequences


def pd(prompt, out, batch, tp):
    return PrefillDecodeModel().solve(model=M70, hardware=H100, prompt_tokens=prompt,
                                      output_tokens=out, batch_size=batch, tp=tp,
                                      precision="fp16", mfu=MFU, link=LINK)


def continuous_ttft(rate, tp, prompt=1024):
    """The lab's continuous-batching P99 TTFT, composed here from the engine's resolvers."""
    r = 8 // tp
    lam = rate / r
    k = BatchingCapacityModel().solve(model=M70, hardware=H100, max_seq_len=prompt + REPLY_MAX,
                                      mean_seq_len=prompt + REPLY / 2, precision="fp16",
                                      tp=tp).continuous_sequences
    pre = pd(prompt, 1, 1, tp).prefill_time.m_as("s")

    def step(n):
        return pd(prompt, REPLY // 2, max(1, math.ceil(n)), tp).decode_time_per_token.m_as("s")

    if rate >= k / (REPLY * step(k) + k * pre) * r:
        return math.inf
    rho, n = lam * pre, 1.0
    for _ in range(50):
        n = lam * REPLY * step(n) / (1 - rho)
    slot = MMcQueueModel().solve(arrival_rate=Q_(rate, "1/s"),
                                 service_rate=Q_((1 - rho) / (REPLY * step(n)), "1/s"),
                                 servers=k * r).wait_percentile.m_as("s")
    first = TTFTModel().solve(model=M70, hardware=H100, prompt_tokens=prompt,
                              arrival_rate=Q_(rate, "1/s"), servers=r, tp=tp, precision="fp16",
                              mfu=MFU, link=LINK).ttft_percentile.m_as("s")
    return slot + first + step(n)


def static(rate, tp, prompt=1024):
    """(P99 TTFT, capacity) of static batching, composed from PrefillDecodeModel."""
    r = 8 // tp
    lam = rate / r
    k = BatchingCapacityModel().solve(model=M70, hardware=H100, max_seq_len=prompt + REPLY_MAX,
                                      mean_seq_len=prompt + REPLY / 2, precision="fp16",
                                      tp=tp).static_sequences
    cap = k / pd(prompt, REPLY_MAX, k, tp).total_time.m_as("s") * r
    if rate >= cap:
        return math.inf, cap
    n = 1.0
    for _ in range(50):
        n = min(k, max(1.0, lam * pd(prompt, REPLY_MAX, math.ceil(n), tp).total_time.m_as("s")))
    b = pd(prompt, REPLY_MAX, math.ceil(n), tp)
    s = b.total_time.m_as("s")
    busy = min(1.0, lam * s / n)
    return s * (1 - 0.01 / busy) + b.prefill_time.m_as("s"), cap


# ---- Act I ------------------------------------------------------------------------------------
def test_act1_kv_cache_and_users_from_the_engine(d):
    kv = KVCacheModel().solve(seq_len=1, model=M70, precision="fp16")
    assert kv.bytes_per_token.m_as("B") == 2 * 80 * 8 * 128 * 2 == 327_680   # ~320 KiB
    by_hand = math.floor((80e9 * 0.9 - 141.2e9 / 8) / (327_680 * 4096 / 8))
    assert users(4096, 8) == by_hand == 323
    correct = next(k for k, (lo, hi) in {"A": (0, 50), "B": (50, 150), "C": (150, 600),
                                         "D": (600, math.inf)}.items() if lo <= by_hand < hi)
    assert correct == "C"
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == 323
    overlay = d.node(d.render(BOTH), "act1.overlay")
    assert overlay["mode"] == "choice" and overlay["actual"].startswith("323 users")


def test_act1_option_a_names_the_multi_head_count(d):
    mha = KVCacheModel().solve(seq_len=1, model=M70, precision="fp16", kv_heads=64)
    budget = 80e9 * 0.9 - 141.2e9 / 8
    n = int(budget // (mha.bytes_per_token.m_as("B") * 4096 / 8))
    text = d.node(d.render({**BOTH, "act1.prediction": "A"}), "act1.overlay")["text"]
    assert f"({n} users)" in text and n < 50


def test_act1_reflection_doubling_the_context_halves_users(d):
    tree = d.render(BOTH, {"act1.reflection": "A"})
    fb = d.node(tree, "act1.reflection.feedback")
    assert fb["tone"] == "success" and f"{users(8192, 8)} users" in fb["text"]
    assert users(8192, 8) == 161


@pytest.mark.parametrize("context, tp", [(4096, 8), (8192, 4), (1024, 2)])
def test_kv_instrument_equals_the_engine(d, context, tp):
    tree = d.render(BOTH, {"act1.context": context, "act1.tp": str(tp), "act1.users": 50})
    items = {i["label"]: i["value"] for i in d.node(tree, "act1.metrics")["items"]}
    assert items["Users that fit"] == fmt.num(users(context, tp), 6)
    assert items["Weights per GPU"] == fmt.si(141.2e9 / tp, "B")
    per_user = 327_680 * context * math.ceil(8 / tp) / 8
    assert items["Cache per user, per GPU"] == fmt.si(per_user, "B")
    assert items["Your users use"] == fmt.si(141.2e9 / tp + 50 * per_user, "B")


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    tree = d.render({"act1.prediction": "B"})
    assert d.node(tree, "act1.kv") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.layouts") is None and d.node(tree, "act2.policy") is None


# ---- Act II -----------------------------------------------------------------------------------
def test_act2_correct_layout_is_the_lowest_ttft_from_the_engine(d):
    fit1 = BatchingCapacityModel().solve(model=M70, hardware=H100, max_seq_len=2048,
                                         mean_seq_len=1152, precision="fp16", tp=1)
    assert not fit1.feasible            # tensor parallel 1: the weights do not fit
    ttft = {tp: continuous_ttft(2.0, tp) for tp in (2, 4, 8)}
    best = min(ttft, key=ttft.get)
    correct = {1: "A", 2: "B", 4: "C", 8: "D"}[best]
    assert correct == "C" and ttft[4] < 0.2 < min(ttft[2], ttft[8])
    for tp in (2, 4, 8):
        assert cases.serve("latency", "continuous", tp, 1024).ttft == pytest.approx(ttft[tp])
    for option in "ABCD":
        tree = d.render({**BOTH, "act2.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)
    overlay = d.node(d.render(BOTH), "act2.overlay")
    assert overlay["actual"].startswith(f"Tensor parallel 4: {fmt.duration(ttft[4])}")


def test_act2_reflection_static_loses_steps_not_slots():
    """The reflection's claim: static batching misses 12 requests/s at every layout although
    it has hundreds of slots at TP 4 and 8; with no reply longer than the mean it would not."""
    for tp in (2, 4, 8):
        _, cap = static(12.0, tp)
        assert cap < 12.0
    assert cases.serve("throughput", "static", 4, 1024).slots > 100
    no_waste = BatchingCapacityModel().solve(model=M70, hardware=H100, max_seq_len=1280,
                                             mean_seq_len=1152, precision="fp16", tp=4)
    k = no_waste.static_sequences
    assert k / pd(1024, REPLY, k, 4).total_time.m_as("s") * 2 > 12.0


def test_failure_ttft_reached_by_static_and_left_by_continuous(d):
    tree = d.render(BOTH, {"act2.policy": "static"})
    banner = d.node(tree, "act2.failure")
    t, _ = static(2.0, 4)
    assert t > 1.0
    assert banner["required"] == f"TTFT P99: {fmt.duration(t)}"
    assert banner["available"] == "200 ms"
    assert "Switch to continuous batching" in banner["text"]
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    left = d.render(BOTH, {"act2.policy": "continuous"})
    assert d.node(left, "act2.failure") is None and d.node(left, "act2.ok")
    entry = d.node(left, "ledger")["entry"]
    assert entry["constraint_hit"] is False
    assert entry["act2"]["result"] == pytest.approx(continuous_ttft(2.0, 4) * 1e3)


def test_failure_ttft_reached_by_longer_prompts_and_tp8(d):
    for values in ({"act2.prompt": 2048}, {"act2.tp": "8"}):
        banner = d.node(d.render(BOTH, values), "act2.failure")
        assert banner and banner["required"].startswith("TTFT P99: ")
    t = continuous_ttft(2.0, 8)
    assert d.node(d.render(BOTH, {"act2.tp": "8"}), "act2.failure")["required"] == \
        f"TTFT P99: {fmt.duration(t)}"


def test_failure_capacity_in_the_throughput_context(d):
    tree = d.render(BOTH, {"context": "throughput", "act2.policy": "static"})
    banner = d.node(tree, "act2.failure")
    _, cap = static(12.0, 4)
    assert banner["required"] == "serving capacity: 12 requests/s"
    assert banner["available"] == fmt.quantity(Q_(cap, "request/s"))
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    left = d.render(BOTH, {"context": "throughput", "act2.policy": "continuous"})
    assert d.node(left, "act2.failure") is None
    assert d.node(left, "ledger")["entry"]["act2"]["unit"] == "request/s"


@pytest.mark.parametrize("context", ["latency", "throughput"])
def test_failure_out_of_memory_at_tensor_parallel_1(d, context):
    tree = d.render(BOTH, {"context": context, "act2.tp": "1"})
    banner = d.node(tree, "act2.failure")
    v = BatchingCapacityModel().solve(model=M70, hardware=H100, max_seq_len=2048,
                                      mean_seq_len=1152, precision="fp16", tp=1).violations[0]
    assert banner["title"].startswith("Out of memory")
    assert banner["required"] == f"{v.name}: {fmt.quantity(v.required)}"
    assert banner["available"] == fmt.quantity(v.available)
    assert d.node(d.render(BOTH, {"context": context, "act2.tp": "4"}), "act2.failure") is None


def test_same_controls_different_verdicts(d):
    """Continuous batching on one copy of eight GPUs misses the interactive objective but
    carries the overnight load; static batching fails both, for different reasons."""
    values = {"act2.tp": "8"}
    lat = d.node(d.render(BOTH, {**values, "context": "latency"}), "act2.failure")
    thr = d.node(d.render(BOTH, {**values, "context": "throughput"}), "act2.failure")
    assert lat["required"].startswith("TTFT P99") and thr is None
    assert continuous_ttft(12.0, 8) < math.inf
    s_lat = d.node(d.render(BOTH, {"act2.policy": "static"}), "act2.failure")
    s_thr = d.node(d.render(BOTH, {"act2.policy": "static", "context": "throughput"}),
                   "act2.failure")
    assert s_lat["required"].startswith("TTFT") and s_thr["required"].startswith("serving")


def test_layout_table_and_metrics_equal_the_engine(d):
    tree = d.render(BOTH, {"act2.prompt": 1536})
    rows = {row[0]: row for row in d.node(tree, "act2.layouts")["rows"]}
    for tp in (4, 8):
        row = rows[f"{8 // tp} cop{'ies' if tp < 8 else 'y'} at tensor parallel {tp}"]
        assert row[2] == fmt.duration(pd(1536, 1, 1, tp).prefill_time.m_as("s"))
        assert row[5] == fmt.duration(continuous_ttft(2.0, tp, 1536))
    assert rows["8 copies at tensor parallel 1"][-1] == "out of memory"
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["P99 time to first token"] == fmt.duration(continuous_ttft(2.0, 4, 1536))


def test_ledger_entry_matches_schema(d):
    for ctx in ("latency", "throughput"):
        for values in ({}, {"act2.tp": "1"}, {"act2.policy": "static"}):
            entry = d.node(d.render(BOTH, {"context": ctx, **values}), "ledger")["entry"]
            assert validate_entry(entry, "vol2.ch10")["context"] == ctx
            assert "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "cloud", "act2.policy": "dynamic", "act2.tp": "3",
                           "act2.prompt": "long", "act1.tp": "16", "act1.context": -5})
    assert d.node(tree, "context")["value"] == "latency"
    assert d.node(tree, "act2.policy")["value"] == "continuous"
    assert d.node(tree, "act2.tp")["value"] == "4"
    assert d.node(tree, "act2.prompt")["value"] == 1024
    assert d.node(tree, "act1.tp")["value"] == "8"


def test_no_internal_names_on_screen(d):
    tree = d.render({**BOTH, "act1.reflection": "B", "act2.reflection": "C"},
                    {"act2.policy": "static"})
    shown = " ".join(str(n.get(k, "")) for n in d.nodes(tree) if n["kind"] != "ledger"
                     for k in ("text", "caption", "label", "items", "required", "available"))
    for name in ("BatchingCapacityModel", "TTFTModel", "vol2.ch10", "act2.", "None", "nan",
                 "inf ", "kv_heads"):
        assert name not in shown

