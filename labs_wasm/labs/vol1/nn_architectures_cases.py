"""The cases Chapter 6 (book/vol1/nn_architectures.qmd) and Lab 06 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so the score
matrix sizes, longest contexts and transformer counts they state come from the same calls.
Physics is the engine's (AttentionMemoryModel, TransformerCountsModel); this module fixes
which machine, model, precision and shape a case means.
"""
from __future__ import annotations

import math
from functools import lru_cache

from mlsysim import Hardware, Models
from mlsysim.core.solver import AttentionMemoryModel, TransformerCountsModel

# The Edge context computes on the Orin NX's GPU alone (its DLAs run only compiled inference
# graphs); the GPU shares the module's 16 GB of LPDDR5 with the CPU.
MACHINES = {"cloud": Hardware.Cloud.H100, "edge": Hardware.Edge.JetsonOrinNX_GPU}
#: Both GPUs run transformer inference at FP16 (their datasheet peaks are quoted in it).
PRECISION = "fp16"

MODELS = {"gpt2": Models.Language.GPT2, "gpt2_xl": Models.Language.GPT2_XL,
          "llama3_8b": Models.Language.Llama3_8B, "bert": Models.Language.BERT_Base}

# ---- the chapter's worked example (the lab asks about other cases) ------------------------
CHAPTER_MODEL = "gpt2"
CHAPTER_CONTEXTS = (1024, 2048)       # GPT-2's released context, then doubled

# ---- the lab's cases ----------------------------------------------------------------------
#: Act I: Llama 3 8B's released context (Llama Team 2024: 8,192) stretched four-fold.
ACT1_MODEL = "llama3_8b"
ACT1_CONTEXTS = (8192, 32768)
#: Act II: GPT-2 XL on a device, context lengths a summariser might need.
ACT2_MODEL = "gpt2_xl"
ACT2_OPTIONS = (4096, 8192, 16384, 32768)

#: Same-budget shapes for depth against width: (layers, width). Non-embedding parameters are
#: 12 L d^2 for a GPT-style block (4 d^2 attention + 8 d^2 MLP with a 4 d inner width), so
#: halving the width and quadrupling the depth keeps them equal. The middle shape is the
#: released model's (GPT-2: Radford et al. 2019; GPT-2 XL: its released config).
SHAPES = {"gpt2": ((3, 1536), (12, 768), (48, 384)),
          "gpt2_xl": ((12, 3200), (48, 1600), (192, 800))}


@lru_cache(maxsize=2048)
def attention(seq_len: int, model_key: str, context: str | None = None, heads: int | None = None,
              fused: bool = False, batch: int = 1, precision: str = PRECISION):
    """Weights plus one layer's attention matrices for inference at ``seq_len`` tokens
    (checked against the context's device memory when a context is given)."""
    return AttentionMemoryModel().solve(
        seq_len=seq_len, model=MODELS[model_key], heads=heads, batch_size=batch,
        precision=precision, fused=fused,
        hardware=MACHINES[context] if context else None)


def score_bytes(seq_len: int, model_key: str, heads: int | None = None,
                fused: bool = False) -> float:
    """Bytes of one layer's score matrices (or, fused, its softmax statistics)."""
    return attention(seq_len, model_key, None, heads, fused).score_bytes_per_layer.m_as("B")


def capacity(context: str) -> float:
    return MACHINES[context].memory.capacity.m_as("B")


def longest_context(context: str, model_key: str, heads: int | None = None,
                    fused: bool = False) -> int:
    """The longest context whose weights plus one layer's matrices fit the device, from the
    engine's own sizes: standard attention grows as s^2 (s = sqrt(free / (h b bytes))), fused
    as s (s = free / (h b 8 B)). 0 when the weights alone do not fit."""
    one = attention(1, model_key, None, heads, fused)
    free = capacity(context) - one.weight_bytes.m_as("B")
    if free <= 0:
        return 0
    per = one.score_bytes_per_layer.m_as("B")       # bytes at s = 1: h b x (bytes or 8 B)
    s = int(free / per) if fused else math.isqrt(int(free // per))
    while s > 0 and not attention(s, model_key, context, heads, fused).feasible:
        s -= 1                                      # guard the rounding at the boundary
    return s


def fitting_options(context: str, model_key: str, options=ACT2_OPTIONS,
                    heads: int | None = None, fused: bool = False) -> list[int]:
    return [s for s in options if attention(s, model_key, context, heads, fused).feasible]


@lru_cache(maxsize=512)
def counts(layers: int, width: int, heads: int, seq_len: int, vocab: int):
    """Parameters and forward FLOP per token of a GPT-style shape (4 d MLP, tied embedding)."""
    return TransformerCountsModel().solve(
        seq_len=seq_len, layers=layers, hidden_size=width, heads=heads, kv_heads=heads,
        vocab_size=vocab, ffn_hidden=4 * width, gated=False, tied_embeddings=True)


@lru_cache(maxsize=512)
def shape_scores(layers: int, heads: int, seq_len: int, fused: bool, training: bool):
    """Attention matrices of a shape: one layer live (inference) or all kept (training)."""
    return AttentionMemoryModel().solve(seq_len=seq_len, heads=heads, layers=layers,
                                        precision=PRECISION, fused=fused, training=training)


def shape_rows(model_key: str, seq_len: int, heads: int | None = None,
               fused: bool = False) -> list[dict]:
    """Depth against width at ``seq_len``: one dict per same-budget shape."""
    m = MODELS[model_key]
    h = heads or m.heads
    rows = []
    for layers, width in SHAPES[model_key]:
        c = counts(layers, width, h, seq_len, m.vocab_size)
        rows.append({
            "layers": layers, "width": width, "head_size": width // h,
            "parameters": c.parameters, "non_embedding": c.non_embedding_parameters,
            "flops_per_token": c.flops_per_token.m_as("FLOP"),
            "attention_share": c.attention_share,
            "inference_scores": shape_scores(layers, h, seq_len, fused, False)
            .attention_bytes.m_as("B"),
            "training_scores": shape_scores(layers, h, seq_len, fused, True)
            .attention_bytes.m_as("B"),
        })
    return rows
