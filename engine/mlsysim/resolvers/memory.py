"""Memory: does a model fit a device (inference), and the training memory ledger.

Training memory per device (Rajbhandari et al. 2020, "ZeRO", Sec. 3.1): with mixed-precision
Adam every parameter costs 2 B (fp16 weights) + 2 B (fp16 gradients) + 12 B (fp32 master
weights, momentum and variance) = 16 B. ZeRO stage 1 shards the 12 B optimizer state over the
data-parallel ranks, stage 2 also the gradients, stage 3 also the weights.
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult
from ..core.types import Quantity
from . import _common as c


class MemoryFootprintResult(CheckedResult):
    weight_bytes: Quantity
    activation_bytes: Quantity
    required: Quantity
    available: Quantity
    shortfall_ratio: float
    binding_memory: str
    precision: str
    checks: dict


def _memory_kind(mem) -> str:
    return getattr(mem, "kind", None) or "DRAM"


def capacity_checks(hardware, weights: float, activations: float) -> dict:
    """{memory: (required bytes, available bytes)} for inference on ``hardware``. A device with
    separate flash and SRAM (a microcontroller) runs its weights in place from flash and keeps
    activations in SRAM; any other device holds both in main memory."""
    mem = hardware.memory
    flash, sram = getattr(mem, "flash", None), getattr(mem, "sram", None)
    if flash is not None and sram is not None:
        return {"flash": (weights, flash.m_as(c.B)), "SRAM": (activations, sram.m_as(c.B))}
    return {_memory_kind(mem): (weights + activations, mem.capacity.m_as(c.B))}


def capacity_violations(checks: dict) -> list:
    """A "<memory> capacity" Constraint for each memory that overflows."""
    return [v for k, (n, h) in checks.items() for v in c.violation(f"{k} capacity", n, h, c.B)]


class MemoryFootprintModel(BaseModel):
    """Inference fit: weights at a precision + activations for a batch vs device memory.

    Devices with separate ``flash`` and ``sram`` (microcontrollers) are checked twice:
    weights must fit in flash (read-only, executed in place) and activations in SRAM.
    Other devices hold both in main memory (``memory.capacity``, named by ``memory.kind``,
    e.g. "HBM3"). ``shortfall_ratio`` = required / available of the binding memory (> 1 means
    it does not fit); ``required`` and ``available`` describe that binding memory; a memory
    that overflows is a violated constraint ("<memory> capacity").
    Activations: ``activation_bytes`` per sample if given, else the model's
    ``peak_activation_bytes`` (scaled from its default precision), else 0 (stated in checks).
    """

    requires = ("model", "hardware")
    produces = MemoryFootprintResult

    def solve(self, *, model, hardware, precision=None, batch_size=1,
              activation_bytes=None) -> MemoryFootprintResult:
        model = c.need_model(model)
        hardware = c.need_hardware(hardware)
        prec = c.precision_for(precision, hardware)
        bpe = c.precision_bytes(prec)
        batch = c.positive_int("batch_size", batch_size)
        weights = float(model.parameters) * bpe
        if activation_bytes is not None:
            per = c.qty("activation_bytes", activation_bytes, c.BYTES, c.B, allow_zero=True)
        elif getattr(model, "peak_activation_bytes", None) is not None:
            base = c.precision_bytes(model.default_precision, "model.default_precision")
            per = model.peak_activation_bytes.m_as(c.B) * bpe / base
        else:
            per = 0.0
        acts = per * batch
        checks = capacity_checks(hardware, weights, acts)
        binding = max(checks, key=lambda k: checks[k][0] / checks[k][1])
        need, have = checks[binding]
        violations = capacity_violations(checks)
        return MemoryFootprintResult(
            weight_bytes=c.q(weights, c.B), activation_bytes=c.q(acts, c.B),
            required=c.q(need, c.B), available=c.q(have, c.B),
            shortfall_ratio=need / have, binding_memory=binding, precision=prec,
            violations=violations,
            checks={k: {"required": c.q(n, c.B), "available": c.q(h, c.B), "fits": n <= h}
                    for k, (n, h) in checks.items()})


#: Bytes per parameter in mixed-precision Adam training (Rajbhandari et al. 2020, Sec. 3.1):
#: fp16 weights 2, fp16 gradients 2, fp32 master weights + momentum + variance 4 + 4 + 4.
MIXED_ADAM_BYTES = assume(
    "memory.MIXED_ADAM_BYTES", {"weights": 2.0, "gradients": 2.0, "optimizer": 12.0}, "paper",
    "Rajbhandari et al. 2020, ZeRO, Sec. 3.1", "https://arxiv.org/abs/1910.02054",
    "16 bytes per parameter in mixed-precision Adam")
#: Plain fp32 SGD with momentum: weights 4, gradients 4, momentum 4.
FP32_SGD_BYTES = assume(
    "memory.FP32_SGD_BYTES", {"weights": 4.0, "gradients": 4.0, "optimizer": 4.0},
    "convention", "fp32 weights, gradients and one momentum buffer (SGD with momentum)")
#: Full fp32 Adam: weights 4, gradients 4, first and second moments 4 + 4 (Kingma & Ba 2015
#: keep m and v per parameter).
FP32_ADAM_BYTES = assume(
    "memory.FP32_ADAM_BYTES", {"weights": 4.0, "gradients": 4.0, "optimizer": 8.0},
    "paper", "Kingma & Ba 2015, Adam: A Method for Stochastic Optimization, Algorithm 1",
    "https://arxiv.org/abs/1412.6980", "fp32 weights and gradients + m and v: 16 B/param")
#: Plain fp32 SGD without momentum: weights 4, gradients 4, no optimizer state.
PLAIN_SGD_BYTES = assume(
    "memory.PLAIN_SGD_BYTES", {"weights": 4.0, "gradients": 4.0, "optimizer": 0.0},
    "convention", "fp32 weights and gradients; w -= lr g keeps no state")
OPTIMIZERS = {"adam_mixed": MIXED_ADAM_BYTES, "adam_fp32": FP32_ADAM_BYTES,
              "sgd_fp32": FP32_SGD_BYTES, "sgd_plain": PLAIN_SGD_BYTES}
CHECKPOINTING = ("none", "selective", "full")

#: Training step = forward + backward, the backward costing twice the forward (Kaplan et
#: al. 2020, Sec. 2.1): full recomputation reruns the forward once more, adding 1/3 of the
#: step's FLOP (Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost", Sec. 3).
FULL_RECOMPUTE_OVERHEAD = assume(
    "memory.FULL_RECOMPUTE_OVERHEAD", 1.0 / 3.0, "paper",
    "Chen et al. 2016, Training Deep Nets with Sublinear Memory Cost (one extra forward)",
    "https://arxiv.org/abs/1604.06174", "extra forward F over a 3F step: +33 % FLOP")


def recompute_overhead(checkpointing: str, seq_len=None, hidden=None) -> float:
    """Extra FLOP of activation recomputation as a fraction of a training step's 3 F.

    Full: one more forward (1/3). Selective (Korthikanti et al. 2022, Sec. 5) recomputes only
    the attention core (Q K^T, softmax, dropout, scores x V): 4 b s^2 h FLOP of a layer's
    forward 24 b s h^2 + 4 b s^2 h (Narayanan et al. 2021, Sec. 5.1), i.e. a fraction
    x / (3 (1 + x)) with x = s / (6 h); it needs a transformer's ``seq_len`` and width."""
    if checkpointing == "full":
        return FULL_RECOMPUTE_OVERHEAD
    if checkpointing == "selective" and seq_len and hidden:
        x = seq_len / (6.0 * hidden)
        return x / (3.0 * (1.0 + x))
    return 0.0


def transformer_activation_bytes(seq_len, batch, hidden, heads, layers, tp=1,
                                 checkpointing="none") -> float:
    """Activation bytes stored for the backward pass (fp16), Korthikanti et al. 2022
    ("Reducing Activation Recomputation in Large Transformer Models", Sec. 4):
    per layer s b h (10 + 24/t + 5 a s / (h t)) with tensor parallel t (34 + 5as/h at t=1);
    selective recomputation drops the 5as/h attention term; full checkpointing keeps only
    each layer's input, 2 s b h."""
    sbh = seq_len * batch * hidden
    if checkpointing == "full":
        per = 2.0 * sbh
    elif checkpointing == "selective":
        per = sbh * (10 + 24 / tp)
    else:
        per = sbh * (10 + 24 / tp + 5 * heads * seq_len / (hidden * tp))
    return per * layers


class TrainingMemoryResult(CheckedResult):
    weights: Quantity
    gradients: Quantity
    optimizer_state: Quantity
    activations: Quantity
    total: Quantity
    bytes_per_parameter: float
    zero_stage: int
    activation_note: str
    recompute_overhead: float


class TrainingMemoryModel(BaseModel):
    """Training memory per device = weights + gradients + optimizer state + activations.

    ``optimizer``: "adam_mixed" (16 B per parameter: fp16 weights and gradients, fp32 master
    weights, m and v; ZeRO, Rajbhandari et al. 2020), "adam_fp32" (4 + 4 + 8 = 16 B),
    "sgd_fp32" (with momentum, 12 B), "sgd_plain" (no momentum, 8 B). ZeRO stage
    1 shards the optimizer state over ``dp`` data-parallel ranks, stage 2 also gradients,
    stage 3 also weights. Tensor (``tp``) and pipeline (``pp``) parallelism split all model
    states. Activations: transformer workloads with ``seq_len`` use Korthikanti et al. 2022
    (``checkpointing`` none, selective or full; a pipeline stage holds layers/pp layers for
    each micro-batch in flight: under 1F1B the first stage has min(pp, ``microbatches``) in
    flight, Narayanan et al. 2021, Sec. 2.2; Korthikanti Sec. 4.2.3); otherwise
    ``activation_bytes`` per sample, else the model's ``peak_activation_bytes`` per sample (a lower bound: training keeps every layer's
    activations, not only the peak). With ``hardware`` the total is checked against its
    memory (a "<memory> capacity" violation when it does not fit); without, nothing is.

    ``recompute_overhead``: the extra FLOP checkpointing costs, as a fraction of a training
    step without it (full: +1/3, one more forward; selective: the attention core only, see
    ``recompute_overhead()``). Checkpointing is modelled for transformer workloads given
    ``seq_len``; elsewhere activations and compute are unchanged (the note says so).
    """

    requires = ("model",)
    produces = TrainingMemoryResult

    def solve(self, *, model, batch_size=1, seq_len=None, optimizer="adam_mixed",
              checkpointing="none", zero_stage=0, dp=1, tp=1, pp=1, activation_bytes=None,
              hardware=None, microbatches=None) -> TrainingMemoryResult:
        model = c.need_model(model)
        table = OPTIMIZERS[c.choice("optimizer", optimizer, tuple(OPTIMIZERS))]
        ckpt = c.choice("checkpointing", checkpointing, CHECKPOINTING)
        stage = c.choice("zero_stage", zero_stage, (0, 1, 2, 3))
        b = c.positive_int("batch_size", batch_size)
        dp, tp, pp = (c.positive_int(n, v) for n, v in (("dp", dp), ("tp", tp), ("pp", pp)))
        n = float(model.parameters) / (tp * pp)
        w = n * table["weights"] / (dp if stage >= 3 else 1)
        g = n * table["gradients"] / (dp if stage >= 2 else 1)
        o = n * table["optimizer"] / (dp if stage >= 1 else 1)
        overhead = 0.0
        if activation_bytes is not None:
            a = c.qty("activation_bytes", activation_bytes, c.BYTES, c.B, allow_zero=True) * b
            note = "activation_bytes x batch_size"
        elif seq_len is not None and model.layers and model.hidden_size and model.heads:
            s = c.positive_int("seq_len", seq_len)
            layers = math.ceil(model.layers / pp)
            in_flight = pp if microbatches is None else \
                min(pp, c.positive_int("microbatches", microbatches))
            a = transformer_activation_bytes(s, b, model.hidden_size, model.heads,
                                             layers, tp, ckpt) * in_flight
            note = f"Korthikanti et al. 2022, checkpointing={ckpt}"
            if pp > 1:
                note += f"; 1F1B: the first stage holds {in_flight} micro-batches"
            overhead = recompute_overhead(ckpt, s, model.hidden_size)
        elif getattr(model, "peak_activation_bytes", None) is not None:
            a = model.peak_activation_bytes.m_as(c.B) * b
            note = "peak_activation_bytes x batch_size (lower bound)"
        else:
            a, note = 0.0, "no activation size known: activations omitted"
        if ckpt != "none" and "Korthikanti" not in note:
            note += f" (checkpointing={ckpt} not applied: modelled for transformers only)"
        total = w + g + o + a
        violations = []
        if hardware is not None:
            mem = c.need_hardware(hardware).memory
            violations = c.violation(f"{_memory_kind(mem)} capacity", total,
                                     mem.capacity.m_as(c.B), c.B)
        return TrainingMemoryResult(
            weights=c.q(w, c.B), gradients=c.q(g, c.B), optimizer_state=c.q(o, c.B),
            activations=c.q(a, c.B), total=c.q(total, c.B),
            bytes_per_parameter=sum(table.values()), zero_stage=stage,
            activation_note=note, recompute_overhead=overhead, violations=violations)
