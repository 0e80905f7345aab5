"""Vol II Lab 05 under CPython: predictions graded from the engine (GPT-3's replicated training
state; tensor parallelism across the node boundary), the instruments equal to
TrainingMemoryModel's, DistributedModel's and ParallelismModel's numbers, the failure state (out
of memory, MFU under the target) reached and left through the controls in both contexts,
ledger, stale values."""
import pytest
from mlsysim import Hardware, Models, Systems
from mlsysim.core.solver import DistributedModel, ParallelismModel, TrainingMemoryModel
from mlsysim.systems.types import Cluster

from labkit import fmt, validate_entry
from labs.vol2 import distributed_training_cases as cases

BOTH = {"act1.prediction": "D", "act2.prediction": "C"}
T = Systems.Frontier_8K
FLEET = Cluster(name="32 DGX H100", node=T.node, nodes=32, fabric=T.fabric)
H100 = Hardware.Cloud.H100
TOKENS = 4 * 2 ** 20                  # the engine's default global batch
GPT3 = (Models.GPT3_175B, 2048)       # model, sequence length (its context)
LLAMA8 = (Models.Llama3_8B, 8192)


@pytest.fixture
def d(driver):
    return driver("vol2/05")


def pct(x):
    return f"{x * 100:.1f}%"


def run(job, tp, pp, b=1, zero=1, ckpt="selective"):
    """A layout's step straight from the engine (not through the cases module)."""
    model, s = job
    dp = 256 // (tp * pp)
    m = TOKENS // s // dp // b
    return DistributedModel().solve(model=model, fleet=FLEET, tp=tp, pp=pp, seq_len=s,
                                    global_batch_tokens=TOKENS, microbatches=m,
                                    micro_batch_size=b, zero_stage=zero, checkpointing=ckpt)


def items(tree, d, key):
    return {i["label"]: i for i in d.node(tree, key)["items"]}


# ---- Act I -------------------------------------------------------------------------------------
def test_act1_correct_option_is_the_replicated_state(d):
    r = TrainingMemoryModel().solve(model=Models.GPT3_175B, batch_size=1, seq_len=2048,
                                    zero_stage=0, dp=256, checkpointing="full", hardware=H100)
    need = r.total.m_as("B")
    assert need == pytest.approx(16 * 175e9 + r.activations.m_as("B"))
    assert need > 2e12 and not r.feasible      # "terabytes per GPU": band D
    for option in "ABCD":
        tree = d.render({**BOTH, "act1.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == "D")
        assert entry["act1"]["actual_value"] == pytest.approx(need)
    overlay = d.node(d.render(BOTH), "act1.overlay")
    assert overlay["mode"] == "choice" and overlay["actual"].startswith(fmt.si(need, "B"))


@pytest.mark.parametrize("zero, dp", [(0, 256), (1, 64), (3, 256), (3, 1024), (2, 8)])
def test_act1_instruments_follow_the_controls(d, zero, dp):
    tree = d.render(BOTH, {"act1.zero": str(zero), "act1.dp": dp})
    r = TrainingMemoryModel().solve(model=Models.GPT3_175B, batch_size=1, seq_len=2048,
                                    zero_stage=zero, dp=dp, checkpointing="full", hardware=H100)
    got = items(tree, d, "act1.metrics")
    assert got["Per GPU, your setting"]["value"] == fmt.si(r.total.m_as("B"), "B")
    assert got["Per GPU, your setting"]["note"] == ("fits" if r.feasible else
                                                    "does not fit in 80 GB")
    assert fmt.si(r.total.m_as("B"), "B") in d.node(tree, "act1.memory")["caption"]


def test_act1_reflection_states_why_zero3_is_not_enough(d):
    """Selective recomputation does not fit under ZeRO-3 (the activations are not sharded);
    full recomputation fits and costs MFU."""
    sel = TrainingMemoryModel().solve(model=Models.GPT3_175B, batch_size=1, seq_len=2048,
                                      zero_stage=3, dp=256, checkpointing="selective",
                                      hardware=H100)
    assert not sel.feasible
    z3 = run(GPT3, 1, 1, zero=3, ckpt="full")
    assert z3.feasible and z3.effective_mfu < cases.MFU_TARGET
    fb = d.node(d.render(BOTH, {"act1.reflection": "B"}), "act1.reflection.feedback")
    assert fb["tone"] == "success"
    assert fmt.si(sel.total.m_as("B"), "B") in fb["text"] and pct(z3.effective_mfu) in fb["text"]


# ---- Act II prediction ---------------------------------------------------------------------------
def test_act2_correct_option_is_the_band_of_the_wide_layout(d):
    base, wide = run(GPT3, 8, 8), run(GPT3, 16, 4)
    assert base.feasible and wide.feasible
    assert base.effective_mfu > cases.MFU_TARGET
    # tensor parallelism over InfiniBand: its exchanges dominate the step
    assert wide.tp_communication_time > 10 * base.tp_communication_time
    bands = {"A": (0.30, 1.01), "B": (0.20, 0.30), "C": (0.10, 0.20), "D": (0.0, 0.10)}
    correct = next(k for k, (lo, hi) in bands.items() if lo <= wide.effective_mfu < hi)
    assert correct == "C"
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)
    overlay = d.node(d.render(BOTH), "act2.overlay")
    assert overlay["actual"].startswith(pct(wide.effective_mfu))
    assert pct(base.effective_mfu) in d.node(d.render(BOTH), "act2.prediction")["label"]


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    tree = d.render({"act1.prediction": "B"})
    assert d.node(tree, "act1.memory") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.step") is None and d.node(tree, "act2.tp") is None


# ---- Act II instruments --------------------------------------------------------------------------
@pytest.mark.parametrize("context, job, layout", [
    ("data_parallel", LLAMA8, {}),
    ("parallel_3d", GPT3, {"act2.tp": "8", "act2.pp": "8"}),
    ("parallel_3d", GPT3, {"act2.tp": "4", "act2.pp": "4", "act2.micro": "2",
                           "act2.zero": "3", "act2.ckpt": "none"}),
])
def test_act2_instruments_equal_the_engine(d, context, job, layout):
    values = {"context": context, **layout}
    tp, pp = int(layout.get("act2.tp", 1)), int(layout.get("act2.pp", 1))
    b, zero = int(layout.get("act2.micro", 1)), int(layout.get("act2.zero", 1))
    ckpt = layout.get("act2.ckpt", "selective")
    r = run(job, tp, pp, b, zero, ckpt)
    tree = d.render(BOTH, values)
    got = items(tree, d, "act2.metrics")
    assert got["Data-parallel replicas"]["value"] == str(r.dp)
    assert got["Micro-batches per step"]["value"] == f"{r.microbatches:,}"
    assert got["Pipeline bubble"]["value"] == pct((pp - 1) / (r.microbatches + pp - 1))
    assert got["Memory per GPU"]["value"] == fmt.si(r.memory_per_gpu.m_as("B"), "B")
    assert got["Step time"]["value"] == fmt.duration(r.step_time.m_as("s"))
    mfu_label = "MFU" if r.feasible else "MFU, if it fitted"
    assert got[mfu_label]["value"] == pct(r.effective_mfu)
    rows = {row[0]: row[1] for row in d.node(tree, "act2.step")["table"]["rows"]}
    assert rows["Arithmetic (forward and backward)"] == fmt.duration(
        r.compute_time_per_step.m_as("s"))
    assert rows["Pipeline bubble"] == fmt.duration(r.bubble_time_per_step.m_as("s"))
    assert rows["Tensor-parallel exchanges"] == fmt.duration(r.tp_communication_time.m_as("s"))
    vol = ParallelismModel().solve(model=job[0], dp=r.dp, tp=tp, pp=pp,
                                   microbatches=r.microbatches, micro_batch_size=b,
                                   seq_len=job[1], zero_stage=zero, checkpointing=ckpt)
    traffic = {row[0].split(" with")[0]: row for row in d.node(tree, "act2.traffic")["rows"]}
    assert traffic["Tensor parallel"][3] == fmt.si(vol.tp_bytes_per_gpu.m_as("B"), "B")
    assert traffic["Pipeline"][3] == fmt.si(vol.pp_bytes_per_gpu.m_as("B"), "B")
    assert traffic["Data parallel"][3] == fmt.si(
        vol.dp_bytes_per_gpu.m_as("B") + vol.zero_bytes_per_gpu.m_as("B"), "B")


def test_tensor_parallelism_across_nodes_runs_on_the_fabric(d):
    tree = d.render(BOTH, {"context": "parallel_3d", "act2.tp": "16", "act2.pp": "4"})
    rows = {row[0]: row for row in d.node(tree, "act2.traffic")["rows"]}
    assert rows["Tensor parallel"][2] == "InfiniBand NDR"
    inside = d.render(BOTH, {"context": "parallel_3d", "act2.tp": "8", "act2.pp": "8"})
    rows = {row[0]: row for row in d.node(inside, "act2.traffic")["rows"]}
    assert rows["Tensor parallel"][2] == "NVLink 4" and rows["Pipeline"][2] == "InfiniBand NDR"


# ---- the failure state ---------------------------------------------------------------------------
def test_out_of_memory_reached_and_left_in_the_data_parallel_context(d):
    """Llama 3 8B with plain data parallelism (no ZeRO) needs more than an H100 holds; ZeRO-1
    fits and meets the target (the lab's defaults)."""
    r = run(LLAMA8, 1, 1, zero=0)
    [v] = r.violations
    tree = d.render(BOTH, {"act2.zero": "0"})
    banner = d.node(tree, "act2.failure")
    assert banner["required"] == f"{v.name}: {fmt.quantity(v.required)}"
    assert banner["available"] == fmt.quantity(v.available) == "80 GB"
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    left = d.render(BOTH, {"act2.zero": "1"})
    assert d.node(left, "act2.failure") is None and d.node(left, "act2.ok")
    assert d.node(left, "ledger")["entry"]["constraint_hit"] is False
    ok = run(LLAMA8, 1, 1)
    assert ok.feasible and ok.effective_mfu >= cases.MFU_TARGET


@pytest.mark.parametrize("values, worst", [
    ({"act2.ckpt": "full"}, "recomputed activations"),
    ({"act2.tp": "8"}, "tensor-parallel exchanges"),
    ({"act2.pp": "2"}, "pipeline bubble"),
])
def test_mfu_under_target_in_the_data_parallel_context(d, values, worst):
    """Everything fits, but each of these costs the 8B job its MFU."""
    tp, pp = int(values.get("act2.tp", 1)), int(values.get("act2.pp", 1))
    r = run(LLAMA8, tp, pp, ckpt=values.get("act2.ckpt", "selective"))
    assert r.feasible and r.effective_mfu < cases.MFU_TARGET
    banner = d.node(d.render(BOTH, values), "act2.failure")
    assert banner["required"] == "MFU: 30.0%" and banner["available"] == pct(r.effective_mfu)
    assert f"the {worst}" in banner["text"]


def test_failure_in_the_3d_context_and_out_of_it(d):
    """GPT-3 with the defaults (no model split) does not fit; tensor 8 x pipeline 8 fits and
    meets the target; ZeRO-3 with full recomputation fits and misses it."""
    oom = run(GPT3, 1, 1)
    tree = d.render(BOTH, {"context": "parallel_3d"})
    banner = d.node(tree, "act2.failure")
    assert banner["required"] == f"HBM3 capacity: {fmt.quantity(oom.violations[0].required)}"
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    left = d.render(BOTH, {"context": "parallel_3d", "act2.tp": "8", "act2.pp": "8"})
    assert d.node(left, "act2.failure") is None
    assert d.node(left, "ledger")["entry"]["constraint_hit"] is False
    sharded = run(GPT3, 1, 1, zero=3, ckpt="full")
    assert sharded.feasible and sharded.effective_mfu < cases.MFU_TARGET
    banner = d.node(d.render(BOTH, {"context": "parallel_3d", "act2.zero": "3",
                                    "act2.ckpt": "full"}), "act2.failure")
    assert banner["available"] == pct(sharded.effective_mfu)
    # bigger micro-batches: 1F1B keeps p of them in flight on the first stage
    big = run(GPT3, 8, 8, b=8)
    assert not big.feasible
    assert d.node(d.render(BOTH, {"context": "parallel_3d", "act2.tp": "8", "act2.pp": "8",
                                  "act2.micro": "8"}), "act2.failure")


def test_same_controls_different_verdicts_across_contexts(d):
    dp = d.render(BOTH, {})
    three = d.render(BOTH, {"context": "parallel_3d"})
    assert d.node(dp, "act2.failure") is None and d.node(three, "act2.failure")
    dp = d.render(BOTH, {"act2.tp": "8", "act2.pp": "8"})
    three = d.render(BOTH, {"context": "parallel_3d", "act2.tp": "8", "act2.pp": "8"})
    assert d.node(dp, "act2.failure") and d.node(three, "act2.failure") is None


def test_best_layout_is_the_engines_search():
    best = cases.best_layout("parallel_3d")
    rows = [r for r in best.table if r["fits"]]
    fastest = min(rows, key=lambda r: r["step_time_s"])
    assert best.best_config == {k: fastest[k] for k in ("dp", "tp", "pp")}
    assert fastest["tp"] <= 8 and fastest["effective_mfu"] >= cases.MFU_TARGET


# ---- ledger, stale values, words -----------------------------------------------------------------
def test_ledger_entry_matches_schema(d):
    for ctx in ("data_parallel", "parallel_3d"):
        tree = d.render(BOTH, {"context": ctx, "act2.tp": "8", "act2.pp": "8"})
        entry = d.node(tree, "ledger")["entry"]
        assert validate_entry(entry, "vol2.ch05")["context"] == ctx
        assert entry["act2"]["unit"] == "% MFU"
        job = GPT3 if ctx == "parallel_3d" else LLAMA8
        assert entry["act2"]["result"] == pytest.approx(run(job, 8, 8).effective_mfu * 100,
                                                        abs=0.01)


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "cloud", "act2.tp": "3", "act2.pp": "x",
                           "act2.zero": 7, "act2.ckpt": "sometimes", "act2.micro": "64",
                           "act1.dp": -5, "act1.zero": "9"})
    assert d.node(tree, "context")["value"] == "data_parallel"
    for key, value in (("act2.tp", "1"), ("act2.pp", "1"), ("act2.zero", "1"),
                       ("act2.ckpt", "selective"), ("act2.micro", "1"), ("act1.zero", "0")):
        assert d.node(tree, key)["value"] == value
    assert d.node(tree, "act1.dp")["value"] == 256
    # a micro-batch size valid for one layout and not for another falls back to 1
    tree = d.render(BOTH, {"act2.micro": "4"})    # 2 sequences per replica here
    assert d.node(tree, "act2.micro")["value"] == "1"


def test_no_internal_names_on_screen(d):
    tree = d.render({**BOTH}, {"act1.reflection": "B", "act2.reflection": "B",
                               "act2.zero": "0", "context": "parallel_3d"})
    shown = " ".join(str(n.get(k, "")) for n in d.nodes(tree) if n["kind"] != "ledger"
                     for k in ("text", "caption", "label", "items", "required", "available",
                               "rows"))
    for name in ("DistributedModel", "step_breakdown", "vol2.ch05", "tp_communication",
                 "parallel_3d", "data_parallel", "act2.", "None", "nan", "Frontier"):
        assert name not in shown
