"""Attention-matrix memory: standard attention materialises the s x s scores, fused
(FlashAttention) attention never does.

Standard attention computes S = Q K^T (b x heads x s x s per layer), P = softmax(S), then
P V: the score matrix is written to device memory and read back, so its size grows with the
square of the context (doubling s quadruples it). FlashAttention (Dao et al. 2022, "Fast and
Memory-Efficient Exact Attention with IO-Awareness", Sec. 3) computes the same result tile by
tile in on-chip SRAM and keeps only the softmax statistics (a max and a sum per query row, 2
fp32 values per row), so its extra memory is linear in s.

Inference runs one layer at a time, so one layer's scores are live at once; training keeps
every layer's attention probabilities for the backward pass (Korthikanti et al. 2022, Sec.
4.1: the 2 a s^2 b-byte softmax output per layer, plus dropout mask and output).
"""
from __future__ import annotations

from ..core._base import BaseModel
from ..core.assumptions import assume
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult
from ..core.types import Quantity
from . import _common as c

#: FlashAttention keeps, per query row and head, the running max and the softmax
#: normaliser (Dao et al. 2022, Algorithm 1: m and l), in fp32.
FLASH_STATS_BYTES_PER_ROW = assume(
    "attention.FLASH_STATS_BYTES_PER_ROW", 8.0, "paper",
    "Dao et al. 2022, FlashAttention, Algorithm 1 (statistics m and l per row)",
    "https://arxiv.org/abs/2205.14135", "two fp32 values per query row and head")


class AttentionMemoryResult(CheckedResult):
    score_bytes_per_layer: Quantity
    attention_bytes: Quantity
    weight_bytes: Quantity
    total: Quantity
    layers_held: int
    fused: bool
    precision: str


class AttentionMemoryModel(BaseModel):
    """Memory of the attention score matrices for ``batch_size`` sequences of ``seq_len``
    tokens with ``heads`` heads (default: the model's).

    Standard (``fused`` False): b x heads x s^2 x bytes/element per layer. Fused
    (FlashAttention): b x heads x s x 8 B of softmax statistics per layer instead.
    ``training`` False (inference): one layer's matrices are live; True: every one of
    ``layers`` is kept for the backward pass. ``total`` adds the model's weights at the
    precision when a model is given; with ``hardware`` it is checked against the device's
    memory (a "<memory> capacity" violation when it does not fit)."""

    requires = ("seq_len",)
    produces = AttentionMemoryResult

    def solve(self, *, seq_len, model=None, heads=None, layers=None, batch_size=1,
              precision=None, fused=False, training=False, hardware=None
              ) -> AttentionMemoryResult:
        model = None if model is None else c.need_model(model)
        hardware = None if hardware is None else c.need_hardware(hardware)
        s = c.positive_int("seq_len", seq_len)
        b = c.positive_int("batch_size", batch_size)
        h = c.positive_int("heads", heads if heads is not None else
                           getattr(model, "heads", None))
        if not isinstance(fused, bool) or not isinstance(training, bool):
            bad = "fused" if not isinstance(fused, bool) else "training"
            raise InvalidInputError(bad, "True or False", fused if bad == "fused" else training)
        n_layers = layers if layers is not None else getattr(model, "layers", None)
        L = c.positive_int("layers", n_layers) if training else 1
        prec = c.precision_for(precision, hardware, model)
        bpe = c.precision_bytes(prec)
        per_layer = b * h * s * FLASH_STATS_BYTES_PER_ROW if fused else b * h * s * s * bpe
        att = per_layer * L
        weights = c.bytes_of(model, prec) if model is not None else 0.0
        total = att + weights
        violations = []
        if hardware is not None:
            mem = hardware.memory
            violations = c.violation(f"{mem.kind or 'DRAM'} capacity", total,
                                     mem.capacity.m_as(c.B), c.B)
        return AttentionMemoryResult(
            score_bytes_per_layer=c.q(per_layer, c.B), attention_bytes=c.q(att, c.B),
            weight_bytes=c.q(weights, c.B), total=c.q(total, c.B), layers_held=L,
            fused=fused, precision=prec, violations=violations)
