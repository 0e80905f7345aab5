"""Transformers: parameter and FLOP counts, KV cache, prefill vs decode, batching capacity.

Counts follow Kaplan et al. 2020 (Table 1): per layer 4 d^2 attention weights (with grouped
query attention the K and V projections shrink to d x d_kv each) and 2 d d_ff MLP weights
(3 for gated MLPs such as SwiGLU); forward FLOP per token = 2 N + 2 L n_ctx d (the last term
is attention over the context: the n^2 term summed over a sequence).
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
from ..core.types import Quantity
from . import _common as c
from .communication import ring_allreduce


def _shape(model, layers, hidden_size, heads, kv_heads):
    if model is not None:
        layers = layers or model.layers
        hidden_size = hidden_size or model.hidden_size
        heads = heads or model.heads
        kv_heads = kv_heads or model.kv_heads
    L = c.positive_int("layers", layers)
    d = c.positive_int("hidden_size", hidden_size)
    h = c.positive_int("heads", heads)
    kv = c.positive_int("kv_heads", kv_heads if kv_heads is not None else h)
    if h % kv or d % h:
        raise InvalidInputError("kv_heads", f"a divisor of heads={h} (and heads dividing "
                                f"hidden_size={d})", kv_heads)
    return L, d, h, kv


class TransformerCountsResult(SolverResult):
    parameters: float
    non_embedding_parameters: float
    attention_parameters: float
    mlp_parameters: float
    embedding_parameters: float
    flops_per_token: Quantity
    attention_flops_per_token: Quantity
    attention_share: float
    sequence_flops: Quantity


class TransformerCountsModel(BaseModel):
    """Parameters and forward FLOP/token of a decoder-only transformer at context ``seq_len``
    (Kaplan et al. 2020). Shape inputs left out come from ``model`` (the registry records
    ``ffn_hidden``, ``gated`` and ``tied_embeddings`` from each model's paper or released
    config); without a model, ``ffn_hidden`` = 4 d, ``gated`` False (two MLP matrices; True:
    SwiGLU's three) and ``tied_embeddings`` True (the vocabulary table counted once).
    Biases, norms and learned position tables are not counted."""

    requires = ("seq_len",)
    produces = TransformerCountsResult

    def solve(self, *, seq_len, model=None, layers=None, hidden_size=None, heads=None,
              kv_heads=None, vocab_size=None, ffn_hidden=None, gated=None,
              tied_embeddings=None) -> TransformerCountsResult:
        model = None if model is None else c.need_model(model)
        L, d, h, kv = _shape(model, layers, hidden_size, heads, kv_heads)
        n_ctx = c.positive_int("seq_len", seq_len)
        if model is not None:
            vocab_size = vocab_size if vocab_size is not None else model.vocab_size
            ffn_hidden = ffn_hidden if ffn_hidden is not None else model.ffn_hidden
            gated = gated if gated is not None else model.gated
            tied_embeddings = tied_embeddings if tied_embeddings is not None else \
                model.tied_embeddings
        gated = bool(c.choice("gated", gated, (None, True, False)))
        tied_embeddings = c.choice("tied_embeddings", tied_embeddings, (None, True, False)) \
            is not False
        V = c.positive_int("vocab_size", vocab_size) if vocab_size is not None else 0
        ff = c.positive_int("ffn_hidden", ffn_hidden) if ffn_hidden is not None else 4 * d
        d_kv = d // h * kv
        attn = L * (2 * d * d + 2 * d * d_kv)
        mlp = L * (3 if gated else 2) * d * ff
        emb = V * d * (1 if tied_embeddings else 2)
        non_emb = attn + mlp
        att_flops = 2.0 * L * n_ctx * d
        per_token = 2.0 * non_emb + att_flops
        return TransformerCountsResult(
            parameters=float(non_emb + emb), non_embedding_parameters=float(non_emb),
            attention_parameters=float(attn), mlp_parameters=float(mlp),
            embedding_parameters=float(emb), flops_per_token=c.q(per_token, c.FLOP),
            attention_flops_per_token=c.q(att_flops, c.FLOP),
            attention_share=att_flops / per_token,
            sequence_flops=c.q(per_token * n_ctx, c.FLOP))


class KVCacheResult(SolverResult):
    bytes_per_token: Quantity
    bytes_per_sequence: Quantity
    total: Quantity
    gqa_saving: float


class KVCacheModel(BaseModel):
    """KV cache = 2 (K and V) x layers x kv_heads x head_dim x tokens x batch x bytes/element.
    ``gqa_saving`` = heads / kv_heads (the factor grouped-query attention saves vs MHA).
    Precision: the precision rule (no device here: the model's default)."""

    requires = ("seq_len",)
    produces = KVCacheResult

    def solve(self, *, seq_len, model=None, batch_size=1, precision=None, layers=None,
              hidden_size=None, heads=None, kv_heads=None) -> KVCacheResult:
        model = None if model is None else c.need_model(model)
        L, d, h, kv = _shape(model, layers, hidden_size, heads, kv_heads)
        n = c.positive_int("seq_len", seq_len)
        b = c.positive_int("batch_size", batch_size)
        bpe = c.precision_bytes(c.precision_for(precision, model=model))
        per_tok = 2.0 * L * kv * (d // h) * bpe
        return KVCacheResult(bytes_per_token=c.q(per_tok, c.B),
                             bytes_per_sequence=c.q(per_tok * n, c.B),
                             total=c.q(per_tok * n * b, c.B), gqa_saving=h / kv)


class PrefillDecodeResult(CheckedResult):
    prefill_time: Quantity
    decode_time_per_token: Quantity
    prefill_communication: Quantity
    decode_communication_per_token: Quantity
    total_time: Quantity
    prefill_binding: str
    decode_binding: str
    decode_tokens_per_second: Quantity
    kv_cache_bytes: Quantity
    memory_per_device: Quantity
    precision: str


class PrefillDecodeModel(BaseModel):
    """Time to first token (prefill) and per output token (decode), roofline-style with
    overlap: each phase takes max(bytes / BW, FLOP / (peak x eta)).

    Prefill reads the weights once and computes 2N FLOP per prompt token per sequence
    (compute-bound); each decode step reads the weights plus the KV cache and computes 2N
    FLOP per sequence (memory-bound at small batch). Decode KV is taken at the final length
    (an upper bound). Attention FLOP over the context are neglected (small for n << 6d).
    With tensor parallelism over ``tp`` devices each holds and reads 1/tp of the weights and
    its share of the KV cache (``kv_share``: 1/tp, but never less than one KV head) and does
    1/tp of the arithmetic, and every layer adds 2 AllReduces of its
    output (Megatron-LM, Shoeybi et al. 2019, Sec. 3: one after attention, one after the
    MLP), b x h x bytes/element per decode step and b x prompt x h for the prefill, ring
    over ``link`` (default the device's first interconnect, e.g. NVLink), not overlapped.
    Weights plus KV cache beyond one device's memory is a violated "<memory> capacity"
    constraint; the times are then those of a device that could hold them."""

    requires = ("model", "hardware", "prompt_tokens", "output_tokens")
    produces = PrefillDecodeResult

    def solve(self, *, model, hardware, prompt_tokens, output_tokens, batch_size=1,
              precision=None, mfu=1.0, tp=1, link=None) -> PrefillDecodeResult:
        model = c.need_model(model)
        hardware = c.need_hardware(hardware)
        prec = c.precision_for(precision, hardware)
        p = c.positive_int("prompt_tokens", prompt_tokens)
        o = c.positive_int("output_tokens", output_tokens)
        b = c.positive_int("batch_size", batch_size)
        eta = c.fraction("mfu", mfu)
        t = c.positive_int("tp", tp)
        bw = hardware.memory.bandwidth.m_as(c.B_PER_S)
        rate = c.peak_flops(hardware, prec) * eta
        weights = c.bytes_of(model, prec) / t
        flops_tok = 2.0 * float(model.parameters) / t
        kv = KVCacheModel().solve(seq_len=p + o, model=model, batch_size=b,
                                  precision=prec).total.m_as(c.B) * kv_share(model, t)
        pm, pc = weights / bw, flops_tok * p * b / rate
        dm, dc = (weights + kv) / bw, flops_tok * b / rate
        bpe = c.precision_bytes(prec)
        p_comm = tp_allreduce_time(model, hardware, t, b * p * bpe, link)
        d_comm = tp_allreduce_time(model, hardware, t, b * bpe, link)
        prefill, decode = max(pm, pc) + p_comm, max(dm, dc) + d_comm
        mem = hardware.memory
        return PrefillDecodeResult(
            prefill_time=c.q(prefill, c.S), decode_time_per_token=c.q(decode, c.S),
            prefill_communication=c.q(p_comm, c.S),
            decode_communication_per_token=c.q(d_comm, c.S),
            total_time=c.q(prefill + o * decode, c.S),
            prefill_binding="compute" if pc >= pm else "memory",
            decode_binding="compute" if dc >= dm else "memory",
            decode_tokens_per_second=c.q(b / decode, c.ureg.token / c.S),
            kv_cache_bytes=c.q(kv / kv_share(model, t), c.B),
            memory_per_device=c.q(weights + kv, c.B),
            precision=prec,
            violations=c.violation(f"{mem.kind or 'DRAM'} capacity", weights + kv,
                                   mem.capacity.m_as(c.B), c.B))


def kv_share(model, tp: int) -> float:
    """Share of the KV cache one of ``tp`` devices holds: its ceil(kv_heads / tp) KV heads
    (Megatron splits attention by heads; with more devices than KV heads each keeps a
    replica of one, as vLLM does), i.e. 1/tp until tp exceeds kv_heads."""
    kv = getattr(model, "kv_heads", None) or getattr(model, "heads", None)
    if not kv:
        return 1.0 / tp
    return math.ceil(kv / tp) / kv


def tp_allreduce_time(model, hardware, tp, bytes_per_hidden, link=None) -> float:
    """Time of the 2 per-layer AllReduces of a tensor-parallel forward pass, each of
    ``bytes_per_hidden`` x hidden_size bytes, ring over ``link`` (Shoeybi et al. 2019)."""
    if tp == 1:
        return 0.0
    if link is None:
        if not hardware.interconnects:
            raise InvalidInputError("link", f"an Interconnect: {hardware.name} lists none",
                                    None)
        link = hardware.interconnects[0]
    if not hasattr(link, "bandwidth"):
        raise InvalidInputError("link", "an Interconnect (e.g. hardware.interconnect("
                                "'NVLink'))", link)
    L = c.positive_int("model.layers", model.layers)
    h = c.positive_int("model.hidden_size", model.hidden_size)
    alpha = link.latency.m_as(c.S) if link.latency is not None else 0.0
    return 2 * L * ring_allreduce(bytes_per_hidden * h, tp, link.bandwidth.m_as(c.B_PER_S),
                                  alpha)


PAGED_BLOCK_TOKENS = assume(
    "transformer.PAGED_BLOCK_TOKENS", 16, "paper",
    "Kwon et al. 2023, Efficient Memory Management for LLM Serving with PagedAttention",
    "https://arxiv.org/abs/2309.06180", "vLLM's default KV block size is 16 tokens")
SERVING_MEMORY_FRACTION = assume(
    "transformer.SERVING_MEMORY_FRACTION", 0.9, "estimate",
    "vLLM engine argument gpu_memory_utilization (default 0.9)",
    "https://docs.vllm.ai/en/latest/serving/engine_args.html",
    "the rest is left to the framework, activations and fragmentation")


class BatchingCapacityResult(CheckedResult):
    kv_budget: Quantity
    static_sequences: int
    continuous_sequences: int
    capacity_gain: float
    precision: str


class BatchingCapacityModel(BaseModel):
    """Concurrent sequences that fit in memory left after the weights.

    Static batching reserves KV cache for ``max_seq_len`` tokens per sequence; continuous
    batching with paged KV (Kwon et al. 2023, vLLM) holds each sequence's actual length,
    ``mean_seq_len`` on average (``block_tokens`` rounding per sequence). With ``tp`` devices
    the weights and the KV cache are split over them (memory is per device; each device
    keeps at least one KV head, see ``kv_share``). Weights that
    leave no room, or no room for one sequence, are violated constraints; capacities are 0."""

    requires = ("model", "hardware", "max_seq_len", "mean_seq_len")
    produces = BatchingCapacityResult

    def solve(self, *, model, hardware, max_seq_len, mean_seq_len, precision=None,
              block_tokens=PAGED_BLOCK_TOKENS, memory_fraction=SERVING_MEMORY_FRACTION, tp=1
              ) -> BatchingCapacityResult:
        hardware = c.need_hardware(hardware)
        model = c.need_model(model)
        prec = c.precision_for(precision, hardware)
        mx = c.positive_int("max_seq_len", max_seq_len)
        mean = c.num("mean_seq_len", mean_seq_len, lo=0, lo_open=True)
        if mean > mx:
            raise InvalidInputError("mean_seq_len", f"at most max_seq_len={mx}", mean_seq_len)
        blk = c.positive_int("block_tokens", block_tokens)
        frac = c.fraction("memory_fraction", memory_fraction)
        t = c.positive_int("tp", tp)
        usable = hardware.memory.capacity.m_as(c.B) * frac
        weights = c.bytes_of(model, prec) / t
        budget = usable - weights
        per_tok = KVCacheModel().solve(seq_len=1, model=model,
                                       precision=prec).bytes_per_token.m_as(c.B) \
            * kv_share(model, t)
        name = f"{hardware.memory.kind or 'DRAM'} capacity"
        violations = c.violation(name, weights + per_tok * mx, usable, c.B)
        budget = max(0.0, budget)
        static = int(budget // (per_tok * mx))
        cont = int(budget // (per_tok * math.ceil(mean / blk) * blk))
        return BatchingCapacityResult(kv_budget=c.q(budget, c.B), static_sequences=static,
                                      continuous_sequences=cont,
                                      capacity_gain=cont / static if static else math.inf,
                                      precision=prec, violations=violations)
