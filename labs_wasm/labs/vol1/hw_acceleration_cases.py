"""The cases Chapter 11 (book/vol1/hw_acceleration.qmd) and Lab 11 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a ridge
point, an intensity or an MFU ceiling the chapter states and the lab shows come from the same
call and cannot differ. Physics is the engine's (RooflineModel, GemmModel, KVCacheModel,
AttentionMemoryModel, TransformerCountsModel, MemoryFootprintModel); this module fixes which
machine, model, kernel shape and phase a case means, and declares the few scenario constants
with their sources.

A transformer step is written as the matrix multiplies it runs (Kaplan et al. 2020, Table 1;
Vaswani et al. 2017): per layer the QKV projection, the attention scores Q K^T and the
weighted values P V for every sequence and key/value head, the output projection, the MLP's
up (and gate) and down projections; once per step the output projection to the vocabulary
(the language-model head). Each multiply is placed on the roofline by GemmModel (each operand
read once, the result written once); the step's time bound is the sum of its kernels' bounds
(kernels run one after another), and its MFU ceiling is the step's FLOP over that time at
peak. Attention is counted over the full s x s product (a causal kernel may skip the masked
half) and without fusion (the scores written once), as GemmModel counts any multiply.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Models, Q_
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (AttentionMemoryModel, GemmModel, KVCacheModel,
                                 MemoryFootprintModel, RooflineModel, TransformerCountsModel)

from labs.vol1 import introduction_cases as intro

# ---- machines: Chapter 1's Cloud and Edge (the Orin NX's GPU alone) -------------------------
MACHINES = {"cloud": intro.MACHINES["cloud"], "edge": intro.MACHINES["edge"]}
#: Both GPUs run transformer inference at FP16, the precision their datasheet peaks quote.
PRECISION = "fp16"

MODELS = {"gpt2": Models.Language.GPT2, "gpt2_xl": Models.Language.GPT2_XL,
          "llama3_8b": Models.Language.Llama3_8B, "bert": Models.Language.BERT_Base}
#: The models Lab 11's Act II offers (decoders with a released context length).
LAB_MODELS = ("gpt2", "gpt2_xl", "llama3_8b")
PHASES = ("prefill", "decode")

# ---- the chapter's worked kernels (the lab asks about other cases) --------------------------
#: BERT-Base's MLP up-projection (hidden 768 -> 3,072; Devlin et al. 2019), a batch of
#: sentences flattened to rows: one token, one 32-token sentence, a batch of 512 tokens.
CHAPTER_MLP = "bert"
CHAPTER_ROWS = (1, 32, 512)
#: The chapter's worked transformer step: GPT-2 (small) on the Orin NX's GPU, 16 conversations
#: at a 512-token context, prompt then generation.
CHAPTER_STEP = ("edge", "gpt2", 16, 512)

# ---- the lab's cases ----------------------------------------------------------------------
#: Act I: Llama 3 8B's MLP up-projection (hidden 4,096 -> FFN 14,336; Llama Team 2024,
#: Table 3) in a decode step with this many conversations in flight. ILLUSTRATIVE: a mid-sized
#: chat batch, chosen so the multiply sits near 93 FLOP/B, a third of the H100's ridge.
ACT1_MODEL = "llama3_8b"
ACT1_ROWS = 96
ACT1_CONTEXT = "cloud"
#: Act II's prediction: GPT-2 XL decoding 64 conversations at its full released context.
ACT2_CASE = ("cloud", "gpt2_xl", "decode", 64, 1024)
#: The platform team's utilisation target. ILLUSTRATIVE scenario choice: a round figure below
#: the 46.2% model FLOPs utilisation PaLM 540B reached in training on TPU v4 (Chowdhery et al.
#: 2022, "PaLM: Scaling Language Modeling with Pathways", Table 3), the paper that defined MFU.
MFU_TARGET = 0.40
#: PaLM's reported training MFU and hardware FLOPs utilisation (Chowdhery et al. 2022, Table 3).
PALM_MFU = 0.462
PALM_HFU = 0.578
#: The TPU v1's matrix unit (Jouppi et al. 2017, "In-Datacenter Performance Analysis of a
#: Tensor Processing Unit", ISCA): a 256 x 256 systolic array of 8-bit MACs at 700 MHz.
TPU1_ARRAY = 256
TPU1_CLOCK_HZ = 700e6


def machine(context: str):
    return MACHINES[context]


def peak(context: str) -> float:
    return MACHINES[context].compute.peak(PRECISION).m_as("FLOP/s")


def bandwidth(context: str) -> float:
    return MACHINES[context].memory.bandwidth.m_as("B/s")


@lru_cache(maxsize=8)
def ridge(context: str) -> float:
    """The ridge point, peak FP16 FLOP/s over memory bandwidth (RooflineModel), FLOP/B."""
    return roofline(context, 1.0).ridge_point.m_as("FLOP/B")


@lru_cache(maxsize=256)
def roofline(context: str, intensity: float):
    """The roofline at ``intensity`` FLOP/B on the context's machine (attainable, bound)."""
    return RooflineModel().solve(hardware=MACHINES[context], precision=PRECISION,
                                 arithmetic_intensity=Q_(intensity, "FLOP/B"))


@lru_cache(maxsize=4096)
def gemm(context: str, shape: tuple[int, int, int]):
    """One FP16 multiply C[M x N] = A[M x K] B[K x N] on the context's machine."""
    return GemmModel().solve(gemm_shape=shape, hardware=MACHINES[context], precision=PRECISION)


@lru_cache(maxsize=64)
def gemm_at(context: str, shape: tuple[int, int, int], precision: str):
    """The same multiply at another precision (its bytes and its peak change together)."""
    return GemmModel().solve(gemm_shape=shape, hardware=MACHINES[context], precision=precision)


def mlp_up_shape(model_key: str, rows: int) -> tuple[int, int, int]:
    """(M, N, K) of the model's MLP up-projection applied to ``rows`` tokens."""
    m = MODELS[model_key]
    return (rows, m.ffn_hidden, m.hidden_size)


def act1_kernel():
    return gemm(ACT1_CONTEXT, mlp_up_shape(ACT1_MODEL, ACT1_ROWS))


def rows_to_ridge(context: str, model_key: str) -> int | None:
    """The fewest rows at which the model's MLP up-projection reaches the machine's ridge
    (its intensity grows with the rows), or None if no number of rows does."""
    r = ridge(context)
    big = 1 << 24
    if gemm(context, mlp_up_shape(model_key, big)).arithmetic_intensity.m_as("FLOP/B") < r:
        return None
    lo, hi = 1, big
    while hi - lo > 1:
        mid = (lo + hi) // 2
        reached = gemm(context, mlp_up_shape(model_key, mid)).arithmetic_intensity.m_as("FLOP/B") >= r
        lo, hi = (lo, mid) if reached else (mid, hi)
    return hi


# ---- a transformer step as kernels ---------------------------------------------------------
#: Kernel names in the order a layer runs them, as a student reads them.
KERNEL_NAMES = {
    "qkv": "QKV projection", "scores": "attention scores QKᵀ", "values": "attention values PV",
    "out": "attention output projection", "up": "MLP up projection",
    "down": "MLP down projection", "head": "vocabulary head (logits)",
}
ATTENTION_KERNELS = ("scores", "values")


def kernel_shapes(model_key: str, phase: str, batch: int, seq_len: int
                  ) -> tuple[tuple[str, tuple[int, int, int], int, int], ...]:
    """(name, (M, N, K), launches per step, launches per layer) of one step.

    ``decode``: one new token for each of ``batch`` sequences whose context is ``seq_len``
    tokens (attention reads all of them). ``prefill``: the whole ``seq_len``-token prompt of
    each sequence at once. Grouped-query attention lets the g = heads / kv_heads query heads
    that share a key/value head multiply against it together (M = g rows per token)."""
    m = MODELS[model_key]
    d, h, kv, L = m.hidden_size, m.heads, m.kv_heads, m.layers
    hd, g = d // h, h // kv
    rows = batch if phase == "decode" else batch * seq_len
    q = 1 if phase == "decode" else seq_len          # query tokens per sequence
    up = m.ffn_hidden * (2 if m.gated else 1)        # SwiGLU: gate and up in one multiply
    per_head = batch * kv                            # one attention multiply per sequence and KV head
    return (
        ("qkv", (rows, d + 2 * hd * kv, d), L, 1),
        ("scores", (g * q, seq_len, hd), L * per_head, per_head),
        ("values", (g * q, hd, seq_len), L * per_head, per_head),
        ("out", (rows, d, d), L, 1),
        ("up", (rows, up, d), L, 1),
        ("down", (rows, d, m.ffn_hidden), L, 1),
        ("head", (batch, m.vocab_size, d), 1, 0),    # only each sequence's last token's logits
    )


@dataclass(frozen=True)
class Kernel:
    key: str
    shape: tuple[int, int, int]
    launches: int          # per step
    per_layer: int         # launches in one layer (0: once per step)
    result: object         # GemmResult

    @property
    def name(self) -> str:
        return KERNEL_NAMES[self.key]

    @property
    def intensity(self) -> float:
        return self.result.arithmetic_intensity.m_as("FLOP/B")

    @property
    def flops(self) -> float:
        return self.result.ops.m_as("FLOP") * self.launches

    @property
    def time(self) -> float:
        return self.result.total.m_as("s") * self.launches

    @property
    def attainable(self) -> float:
        return self.result.attainable_flops.m_as("FLOP/s")


@dataclass(frozen=True)
class Step:
    context: str
    model_key: str
    phase: str
    batch: int
    seq_len: int
    kernels: tuple
    fit: object            # MemoryFootprintResult: weights + KV cache + activations
    kv_bytes: float
    activation_bytes: float

    @property
    def flops(self) -> float:
        return sum(k.flops for k in self.kernels)

    @property
    def time(self) -> float:
        """The step's time bound: every kernel at its roofline, one after another."""
        return sum(k.time for k in self.kernels)

    @property
    def achieved(self) -> float:
        """FLOP/s the step reaches at best (its FLOP over its time bound)."""
        return self.flops / self.time

    @property
    def mfu_ceiling(self) -> float:
        """The highest model FLOPs utilisation the roofline allows this step."""
        return self.achieved / peak(self.context)

    @property
    def tokens(self) -> int:
        """Tokens one step processes: one per sequence in decode, whole prompts in prefill."""
        return self.batch if self.phase == "decode" else self.batch * self.seq_len

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.time

    @property
    def weight_bytes(self) -> float:
        return self.fit.weight_bytes.m_as("B")

    @property
    def memory_required(self) -> float:
        return self.fit.required.m_as("B")

    def time_share(self, key: str) -> float:
        return next(k.time for k in self.kernels if k.key == key) / self.time

    def attention_share(self) -> float:
        return sum(k.time for k in self.kernels if k.key in ATTENTION_KERNELS) / self.time


def activation_bytes(kernels) -> float:
    """One layer's live activations: every output of one layer's kernels held at once, plus
    the logits (an upper bound; a runtime frees most intermediates sooner)."""
    bpe = 2.0  # FP16
    total = 0.0
    for key, (m, n, _), _, per_layer in kernels:
        total += m * n * bpe * (per_layer if per_layer else 1)
    return total


@lru_cache(maxsize=4096)
def step(context: str, model_key: str, phase: str, batch: int, seq_len: int) -> Step:
    """One prefill or decode step of ``model_key`` for ``batch`` sequences of ``seq_len``
    tokens on the context's machine: its kernels on the roofline and its memory."""
    shapes = kernel_shapes(model_key, phase, batch, seq_len)
    kernels = tuple(Kernel(key, shape, n, per_layer, gemm(context, shape))
                    for key, shape, n, per_layer in shapes)
    kv = KVCacheModel().solve(seq_len=seq_len, model=MODELS[model_key], batch_size=batch,
                              precision=PRECISION).total.m_as("B")
    act = activation_bytes(shapes)
    fit = MemoryFootprintModel().solve(
        model=MODELS[model_key], hardware=MACHINES[context], precision=PRECISION,
        batch_size=batch, activation_bytes=Q_((kv + act) / batch, "B"))
    return Step(context, model_key, phase, batch, seq_len, kernels, fit, kv, act)


def mfu_constraint(s: Step, target: float) -> tuple:
    """The utilisation target as a rate: a violated constraint when the target's FLOP/s is
    above what the roofline allows the step (its FLOP over its time bound)."""
    want = target * peak(s.context)
    if want <= s.achieved:
        return ()
    return (Constraint("FLOP/s at the MFU target", Q_(want, "FLOP/s"),
                       Q_(s.achieved, "FLOP/s")),)


def violations(s: Step, target: float) -> tuple:
    """Every violated constraint: memory (weights + KV cache + activations), then MFU."""
    return tuple(s.fit.violations) + mfu_constraint(s, target)


def act2_truth() -> Step:
    return step(*ACT2_CASE)


# ---- cross-checks the chapter states --------------------------------------------------------
@lru_cache(maxsize=16)
def counts(model_key: str, seq_len: int):
    """Parameters and forward FLOP per token at context ``seq_len`` (Kaplan et al. 2020)."""
    return TransformerCountsModel().solve(model=MODELS[model_key], seq_len=seq_len)


@lru_cache(maxsize=64)
def prefill_scores(model_key: str, batch: int, seq_len: int):
    """One layer's standard-attention score matrices in prefill (AttentionMemoryModel)."""
    return AttentionMemoryModel().solve(model=MODELS[model_key], seq_len=seq_len,
                                        batch_size=batch, precision=PRECISION)


def kv_per_token(model_key: str) -> float:
    return KVCacheModel().solve(seq_len=1, model=MODELS[model_key],
                                precision=PRECISION).bytes_per_token.m_as("B")


def decode_attention_limit(model_key: str) -> float:
    """The intensity decode attention tends to as the context grows: g = heads / kv_heads
    query rows per byte pair of K or V at FP16 (2 g s hd FLOP over 2 s hd bytes)."""
    m = MODELS[model_key]
    return m.heads / m.kv_heads


def tpu1_peak_ops() -> float:
    """The TPU v1's peak: 256 x 256 MACs x 2 operations x 700 MHz (Jouppi et al. 2017)."""
    return TPU1_ARRAY * TPU1_ARRAY * 2 * TPU1_CLOCK_HZ


def log_span(lo: float, hi: float, n: int) -> list[float]:
    """``n`` points evenly spaced on a log axis from ``lo`` to ``hi``."""
    a, b = math.log10(lo), math.log10(hi)
    return [10 ** (a + (b - a) * i / (n - 1)) for i in range(n)]
