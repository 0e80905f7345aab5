"""The cases Chapter 8 (book/vol1/training.qmd) and Lab 08 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a number
the chapter states and the lab shows come from the same engine call and cannot differ.
Physics is the engine's (TrainingMemoryModel: weights + gradients + optimizer state +
activations; the Korthikanti et al. 2022 activation model; Chen et al. 2016 recomputation;
C = 6ND); this module only fixes which machine, model, sequence and optimizer a case means,
and adds the phone's app budget, the one constraint the engine has no entry for.
"""
from __future__ import annotations

from functools import lru_cache

from mlsysim import Hardware, Models, Q_, Systems
from mlsysim.core.constants import bytes_per_element
from mlsysim.core.results import Constraint
from mlsysim.core.solver import TrainingComputeModel, TrainingMemoryModel, TrainingTimeModel
from mlsysim.resolvers.memory import recompute_overhead, transformer_activation_bytes
from mlsysim.resolvers.scaling import CHINCHILLA_TOKENS_PER_PARAM, DEFAULT_MFU

from labs.vol1 import phone

# ---- the machines ---------------------------------------------------------------------------
#: Cloud trains on one DGX H100 node: 8 H100 SXM GPUs of 80 GB each (the registry's node);
#: its GPUs are the data-parallel ranks ZeRO shards over. Mobile is one A17 Pro phone (8 GB).
NODE = Systems.Nodes.DGX_H100
MACHINES = {"cloud": NODE.hardware, "mobile": Hardware.Mobile.A17Pro}
DEVICES = {"cloud": NODE.accelerators, "mobile": 1}
#: The share of the phone's memory one app may use: ILLUSTRATIVE, one value for the book
#: (labs/vol1/phone.py, where its source is).
APP_SHARE = phone.APP_MEMORY_FRACTION

# ---- the models -----------------------------------------------------------------------------
MODELS = {"bert_base": Models.Language.BERT_Base, "gpt2": Models.Language.GPT2,
          "gpt2_xl": Models.Language.GPT2_XL, "llama3_8b": Models.Language.Llama3_8B}

# ---- optimizers and precision ---------------------------------------------------------------
#: The engine's optimizer tables (bytes of weights, gradients and optimizer state per
#: parameter, resolvers/memory.py) with the precision their activations are stored at: mixed
#: precision keeps activations in FP16 (Micikevicius et al. 2018, ICLR, Sec. 3); the FP32
#: recipes keep them in FP32, twice the bytes.
ACTIVATION_PRECISION = {"adam_mixed": "fp16", "adam_fp32": "fp32", "sgd_fp32": "fp32",
                        "sgd_plain": "fp32"}
#: The precision each recipe's arithmetic runs at (its peak FLOP/s on the GPU).
COMPUTE_PRECISION = ACTIVATION_PRECISION
OPTIMIZERS = tuple(ACTIVATION_PRECISION)
CHECKPOINTING = ("none", "selective", "full")
ZERO_STAGES = (0, 1, 2, 3)

# ---- sequence lengths -----------------------------------------------------------------------
SEQ_CHOICES = (256, 512, 1024, 2048, 4096, 8192)
#: Tokens per training sequence. ILLUSTRATIVE scenario choices: 2,048 tokens for fine-tuning
#: Llama 3 8B in the datacenter (a quarter of its 8,192-token context); 256 tokens for a
#: phone learning from short texts (a message thread).
DEFAULT_SEQ = {"cloud": 2048, "mobile": 256}

# ---- the lab's questions (the chapter works other cases) ------------------------------------
#: Act I: the model state of Llama 3 8B under mixed-precision Adam, one GPU, no sharding.
ACT1 = {"model": "llama3_8b", "batch": 1, "seq_len": 2048, "optimizer": "adam_mixed",
        "checkpointing": "none", "zero_stage": 0}
#: Act II: the same model fine-tuned on the whole node with ZeRO-3, 4 sequences per GPU.
ACT2 = {"model": "llama3_8b", "batch": 4, "seq_len": 2048, "optimizer": "adam_mixed",
        "checkpointing": "none", "zero_stage": 3}

# ---- the chapter's worked example -----------------------------------------------------------
#: GPT-2 XL (1.56 B parameters) on one H100, 8 sequences of its full 1,024-token context.
CHAPTER = {"model": "gpt2_xl", "batch": 8, "seq_len": 1024, "optimizer": "adam_mixed"}

#: The chapter's phone example: BERT-Base fine-tuned on 16 sequences of 128 tokens (a short
#: text classification task; BERT's fine-tuning batches were 16 or 32, Devlin et al. 2019,
#: Sec. 4 / Appendix A.3).
PHONE_EXAMPLE = {"model": "bert_base", "batch": 16, "seq_len": 128, "optimizer": "adam_mixed"}

TERMS = ("weights", "gradients", "optimizer_state", "activations")
TERM_NAMES = {"weights": "Weights", "gradients": "Gradients",
              "optimizer_state": "Optimizer state", "activations": "Activations"}


@lru_cache(maxsize=4096)
def memory(context: str, model: str, batch: int, seq_len: int, optimizer: str = "adam_mixed",
           checkpointing: str = "none", zero_stage: int = 0):
    """Training memory per device on the context's machine (the engine's result; its
    ``violations`` hold the device-capacity check). FP16 activations come from the engine's
    transformer model directly; FP32 recipes store the same activations at 4 B per value."""
    m = MODELS[model]
    args = dict(model=m, batch_size=batch, optimizer=optimizer, zero_stage=zero_stage,
                dp=DEVICES[context], hardware=MACHINES[context])
    if ACTIVATION_PRECISION[optimizer] == "fp16":
        return TrainingMemoryModel().solve(seq_len=seq_len, checkpointing=checkpointing, **args)
    scale = (bytes_per_element(ACTIVATION_PRECISION[optimizer]) /
             bytes_per_element("fp16")).m_as("")
    per_sample = transformer_activation_bytes(seq_len, 1, m.hidden_size, m.heads, m.layers,
                                              1, checkpointing) * scale
    return TrainingMemoryModel().solve(activation_bytes=Q_(per_sample, "B"), **args)


def recompute(model: str, seq_len: int, checkpointing: str) -> float:
    """Extra FLOP checkpointing costs, as a fraction of a training step (engine)."""
    return recompute_overhead(checkpointing, seq_len, MODELS[model].hidden_size)


def state_bytes(r) -> float:
    """Weights + gradients + optimizer state of a result, in bytes (no activations)."""
    return sum(getattr(r, t).m_as("B") for t in TERMS[:3])


def terms(r) -> dict[str, float]:
    """The four terms of a result, in bytes."""
    return {t: getattr(r, t).m_as("B") for t in TERMS}


def largest_term(r) -> str:
    t = terms(r)
    return max(t, key=t.get)


def app_budget() -> float:
    """Bytes one app may use on the phone (illustrative share of its memory)."""
    return phone.app_budget_bytes(MACHINES["mobile"])


def available(context: str) -> float:
    """Bytes a training job may use on one device of the context."""
    if context == "mobile":
        return app_budget()
    return MACHINES[context].memory.capacity.m_as("B")


def violations(context: str, r) -> tuple:
    """Every violated memory constraint: the engine's device capacity, and on the phone the
    app's budget (composed here: the engine has no app limit)."""
    out = list(r.violations)
    if context == "mobile" and r.total.m_as("B") > app_budget():
        out.append(Constraint("app memory budget", r.total.to("GB"),
                              Q_(app_budget(), "B").to("GB")))
    return tuple(out)


def fits(context: str, r) -> bool:
    return not violations(context, r)


@lru_cache(maxsize=1024)
def largest_batch(context: str, model: str, seq_len: int, optimizer: str, checkpointing: str,
                  zero_stage: int, limit: int = 4096) -> int:
    """The largest per-device batch that fits (0 when not even one sequence does). Memory is
    linear in the batch, so the bound is solved from batch 1, then checked with the engine."""
    one = memory(context, model, 1, seq_len, optimizer, checkpointing, zero_stage)
    per = one.activations.m_as("B")
    room = available(context) - state_bytes(one)
    if room < per:
        return 0
    b = min(limit, int(room // per))
    while b > 1 and not fits(context, memory(context, model, b, seq_len, optimizer,
                                             checkpointing, zero_stage)):
        b -= 1
    return b


@lru_cache(maxsize=1024)
def step_time(model: str, batch: int, seq_len: int, optimizer: str, checkpointing: str):
    """One training step on one H100 for ``batch`` sequences (every GPU of the node runs its
    own batch in parallel, so this is the node's step time): 3 x forward FLOP per token
    (6ND) plus the recomputation, at the recipe's precision and the engine's default MFU."""
    m = MODELS[model]
    per_token = 3.0 * m.flops_per_inference.m_as("FLOP") * (1.0 + recompute(model, seq_len,
                                                                             checkpointing))
    return TrainingTimeModel().solve(model=m, hardware=MACHINES["cloud"], steps=1,
                                     batch_size=batch * seq_len,
                                     precision=COMPUTE_PRECISION[optimizer],
                                     flops_per_sample=Q_(per_token, "FLOP"))


@lru_cache(maxsize=16)
def compute_optimal_run(model: str, devices: int):
    """C = 6ND for ``model`` on D = 20 tokens per parameter (Hoffmann et al. 2022), and the
    wall-clock on ``devices`` H100s at the engine's default MFU: (compute, time) results."""
    m = MODELS[model]
    tokens = CHINCHILLA_TOKENS_PER_PARAM * m.parameters
    compute = TrainingComputeModel().solve(model=m, tokens=tokens)
    time = TrainingTimeModel().solve(model=m, hardware=MACHINES["cloud"], steps=1,
                                     batch_size=tokens, devices=devices,
                                     flops_per_sample=Q_(6.0 * m.parameters, "FLOP"))
    return compute, time


def mfu() -> float:
    return DEFAULT_MFU


def tokens_per_parameter() -> float:
    return CHINCHILLA_TOKENS_PER_PARAM


def seq_choices(model: str) -> tuple[int, ...]:
    """The sequence lengths the model's context window allows."""
    return tuple(s for s in SEQ_CHOICES if s <= MODELS[model].context_length)


def default_seq(context: str, model: str) -> int:
    allowed = seq_choices(model)
    return max(s for s in allowed if s <= DEFAULT_SEQ[context]) if \
        min(allowed) <= DEFAULT_SEQ[context] else min(allowed)

