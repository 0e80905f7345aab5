"""The cases Chapter 26 (book/vol2/inference.qmd) and Vol II Lab 10 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a number the
chapter states and the lab shows come from the same call and cannot differ. Physics is the
engine's: KVCacheModel sizes the key/value cache, BatchingCapacityModel counts the sequences
that fit beside the weights (reserved at the longest length, or paged at the actual length),
PrefillDecodeModel times a prefill and a decoding step on the roofline with the tensor-parallel
AllReduces over NVLink, TTFTModel and MMcQueueModel give the waits (M/M/c, Erlang C). This
module fixes the machine, the models and the services, declares the scenario constants with
their sources, and composes one serving node from those calls:

- *static batching* (request-level): a batch runs until its longest reply ends; a request that
  arrives meanwhile waits for it, then for its own batch's prefill;
- *continuous batching* (iteration-level, with a paged cache): a request joins the running
  batch at the next decoding step once a cache slot is free; its prefill runs ahead of the
  decoding steps (prefill first, as vLLM schedules by default), which pause meanwhile.

Prompts vary in length from request to request, so prefill times vary: the waits take them as
exponential with the mean the prompt length gives (the engine's M/M/c, a conservative tail).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Models, Q_, Systems
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (BatchingCapacityModel, KVCacheModel, MMcQueueModel,
                                 PrefillDecodeModel, TTFTModel)
from mlsysim.resolvers.scaling import DEFAULT_MFU
from mlsysim.resolvers.transformer import (PAGED_BLOCK_TOKENS, SERVING_MEMORY_FRACTION,
                                           kv_share)

# ---- the machine and the models --------------------------------------------------------------
NODE = Systems.DGX_H100              # 8 H100 SXM, NVLink 4 through NVSwitch
GPU = NODE.hardware
LINK = NODE.intra_node               # the tensor-parallel AllReduces run over NVLink 4
GPUS = NODE.accelerators
#: The lab's model (80 layers, 64 query heads, 8 key/value heads) and the chapter's (32 layers,
#: 32 query heads, 8 key/value heads); both use grouped-query attention.
MODELS = {"Llama3_70B": Models.Llama3_70B, "Llama3_8B": Models.Llama3_8B}
LAB_MODEL, CHAPTER_MODEL = "Llama3_70B", "Llama3_8B"
PRECISION = "fp16"                   # weights, cache and arithmetic (the engine's precision rule)
#: Tensor-parallel degrees a node can run: GPUS / TP replicas of TP GPUs each.
TP_DEGREES = (1, 2, 4, 8)
#: A prefill is a forward pass of training-sized matrix multiplies, so its arithmetic runs at
#: the engine's default model-FLOPs utilisation of a tuned large run: 0.40 (estimate, between
#: GPT-3's 21.3% and PaLM 540B's 46.2%, Chowdhery et al. 2022, Table 3). Decoding is bound by
#: memory bandwidth, which the roofline takes at its peak (a best case).
PREFILL_MFU = float(DEFAULT_MFU)
#: The engine's serving constants: the share of memory a server gives to weights and cache
#: (vLLM's gpu_memory_utilization default, 0.9) and the paged cache's block (16 tokens, Kwon et
#: al. 2023).
MEMORY_FRACTION = float(SERVING_MEMORY_FRACTION)
BLOCK_TOKENS = int(PAGED_BLOCK_TOKENS)
#: The time-to-first-token objective of the interactive service: 99% of requests see their
#: first token within 200 ms. SCENARIO CONSTANT (the issue's; about the pause after which a
#: reader notices the wait, and the objective Vol I's Lab 13 used for suggestions).
TTFT_SLO = Q_(200, "ms")
PERCENTILE = 0.99


# ---- the KV cache and what fits -------------------------------------------------------------
@lru_cache(maxsize=16)
def kv(model_key: str = LAB_MODEL, kv_heads: int | None = None):
    """The engine's KV cache per token (``kv_heads`` overrides the model's: its heads for
    multi-head attention)."""
    return KVCacheModel().solve(seq_len=1, model=MODELS[model_key], precision=PRECISION,
                                kv_heads=kv_heads)


@lru_cache(maxsize=16)
def kv_per_token(name: str) -> float:
    """Bytes of keys and values per token of any registry model at FP16 (its own KV heads)."""
    return KVCacheModel().solve(seq_len=1, model=getattr(Models, name),
                                precision=PRECISION).bytes_per_token.m_as("B")


@lru_cache(maxsize=512)
def fit(context: int, tp: int, model_key: str = LAB_MODEL):
    """BatchingCapacityModel with every sequence at ``context`` tokens (reserved = held): the
    sequences one replica of ``tp`` GPUs holds beside the weights."""
    return BatchingCapacityModel().solve(model=MODELS[model_key], hardware=GPU,
                                         max_seq_len=context, mean_seq_len=context,
                                         precision=PRECISION, tp=tp)


def users_that_fit(context: int, tp: int, model_key: str = LAB_MODEL) -> int:
    return fit(context, tp, model_key).continuous_sequences


def weights_per_gpu(tp: int, model_key: str = LAB_MODEL) -> float:
    return MODELS[model_key].size_in_bytes(PRECISION).m_as("B") / tp


def cache_per_user(context: int, tp: int, model_key: str = LAB_MODEL) -> float:
    """Bytes of one user's cache on one GPU: its share of the KV heads (kv_share)."""
    return kv(model_key).bytes_per_token.m_as("B") * context * kv_share(MODELS[model_key], tp)


def usable_per_gpu() -> float:
    return GPU.memory.capacity.m_as("B") * MEMORY_FRACTION


# ---- Act I ----------------------------------------------------------------------------------
#: Act I's question: Llama 3 70B on the 8 GPUs of one node (tensor parallel 8), every user
#: holding a 4,096-token context (the issue's scenario).
ACT1_CONTEXT = 4096
ACT1_TP = 8


# ---- services -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Service:
    name: str
    rate: float          # requests/s arriving at the node (the load)
    reply_mean: int      # mean tokens of a reply
    reply_max: int       # the longest reply a request may ask for (max_tokens)
    slo: str             # "ttft": P99 time to first token; "rate": keep up with the load
    model_key: str = LAB_MODEL


#: Replies average 256 tokens and are capped at 1,024 (ILLUSTRATIVE: an assistant's answer is
#: a few paragraphs, and a server caps the length it will generate).
REPLY_MEAN, REPLY_MAX = 256, 1024
#: Lab 10's contexts serve the same requests (prompts of the slider's length) with different
#: loads and objectives:
#: - latency: an interactive assistant; the node's share of the traffic is 2 requests/s
#:   (ILLUSTRATIVE) and 99% of them must see their first token within TTFT_SLO;
#: - throughput: an overnight job over a backlog of conversations that needs 12 requests/s to
#:   finish in its window (ILLUSTRATIVE); nobody waits for a first token, the node must keep up.
#: The chapter's worked example: Llama 3 8B answering 20 requests/s for an interactive
#: assistant on the same node (ILLUSTRATIVE).
SERVICES = {
    "latency": Service("interactive assistant", 2.0, REPLY_MEAN, REPLY_MAX, "ttft"),
    "throughput": Service("overnight batch job", 12.0, REPLY_MEAN, REPLY_MAX, "rate"),
    "chapter": Service("interactive assistant (Llama 3 8B)", 20.0, REPLY_MEAN, REPLY_MAX,
                       "ttft", CHAPTER_MODEL),
}
PROMPT_MIN, PROMPT_MAX, PROMPT_STEP = 512, 7168, 512   # the prompt slider (tokens)
DEFAULT_PROMPT = 1024
CHAPTER_PROMPT = 2048
POLICIES = ("static", "continuous")
#: The lab's starting layout: two copies of four GPUs each.
DEFAULT_TP = 4


@lru_cache(maxsize=1024)
def step(prompt: int, output: int, batch: int, tp: int, model_key: str = LAB_MODEL):
    """PrefillDecodeModel: a prefill of ``batch`` prompts and a decoding step with every
    sequence at prompt + output tokens, on ``tp`` H100s over NVLink 4."""
    return PrefillDecodeModel().solve(model=MODELS[model_key], hardware=GPU,
                                      prompt_tokens=prompt, output_tokens=output,
                                      batch_size=batch, tp=tp, precision=PRECISION,
                                      mfu=PREFILL_MFU, link=LINK)


@lru_cache(maxsize=512)
def capacity(prompt: int, tp: int, s: Service):
    """BatchingCapacityModel: sequences per replica reserved at prompt + the longest reply
    (static), or paged at the mean length in service, prompt + half the mean reply
    (continuous: a sequence in flight has, on average, written half of its reply)."""
    return BatchingCapacityModel().solve(model=MODELS[s.model_key], hardware=GPU,
                                         max_seq_len=prompt + s.reply_max,
                                         mean_seq_len=prompt + s.reply_mean / 2,
                                         precision=PRECISION, tp=tp)


@dataclass(frozen=True)
class Serving:
    """One node serving a service with a policy and a tensor-parallel degree."""
    service: Service
    policy: str
    tp: int
    prompt: int
    replicas: int
    slots: int                 # sequences one replica's cache holds under the policy
    concurrency: float         # sequences in flight per replica at this load
    prefill: float             # one prompt's prefill, s
    tpot: float                # time per output token a user sees, s (nan: not served)
    capacity: float            # requests/s the node can sustain
    ttft: float                # P99 time to first token, s (inf: the queue grows without end)
    parts: dict                # TTFT's parts, s
    weights: float             # bytes per GPU
    cache: float               # bytes of KV cache per GPU held by the sequences in flight
    reserved: float            # bytes per GPU the policy sets aside for them
    violations: tuple
    batch_time: float = math.nan   # static: one batch, prefill + longest reply, s
    busy: float = math.nan         # static: share of time a batch is running

    @property
    def fits(self) -> bool:
        return self.slots > 0

    @property
    def served(self) -> bool:
        return math.isfinite(self.ttft)

    @property
    def rate(self) -> float:
        return self.service.rate

    @property
    def tokens_per_second(self) -> float:
        """Reply tokens/s the node generates: the load's, or all it can when it cannot keep up."""
        return min(self.service.rate, self.capacity) * self.service.reply_mean

    @property
    def utilization(self) -> float:
        return self.rate / self.capacity if self.capacity else math.inf


PART_NAMES = {"batch": "waiting for the running batch to finish",
              "slot": "waiting for a free cache slot",
              "queue": "waiting for a prefill turn",
              "prefill": "its own prefill",
              "iteration": "the decoding step in progress"}


def _static(s: Service, tp: int, prompt: int) -> dict:
    r = GPUS // tp
    lam = s.rate / r
    k = capacity(prompt, tp, s).static_sequences

    def batch(n):
        return step(prompt, s.reply_max, max(1, math.ceil(n)), tp, s.model_key)

    cap = k / batch(k).total_time.m_as("s") * r
    if s.rate >= cap:
        return dict(slots=k, n=float(k), capacity=cap, ttft=math.inf, parts={},
                    tpot=math.nan)
    n = 1.0
    for _ in range(50):    # a batch takes every request that arrived during the last one
        n = min(k, max(1.0, lam * batch(n).total_time.m_as("s")))
    b = batch(n)
    length = b.total_time.m_as("s")
    busy = min(1.0, lam * length / n)
    # A request arriving during a batch of length S waits a uniform share of it:
    # P(wait > t) = busy (1 - t/S), so the P99 wait is S (1 - 0.01/busy).
    wait = length * max(0.0, 1 - (1 - PERCENTILE) / busy)
    parts = {"batch": wait, "prefill": b.prefill_time.m_as("s")}
    return dict(slots=k, n=n, capacity=cap, ttft=sum(parts.values()), parts=parts,
                tpot=b.decode_time_per_token.m_as("s"), batch_time=length, busy=busy)


def _continuous(s: Service, tp: int, prompt: int) -> dict:
    r = GPUS // tp
    lam = s.rate / r
    k = capacity(prompt, tp, s).continuous_sequences
    pre = step(prompt, 1, 1, tp, s.model_key).prefill_time.m_as("s")
    half = max(1, s.reply_mean // 2)

    def tpot(n):   # one decoding step with n sequences at the mean length in service
        return step(prompt, half, max(1, math.ceil(n)), tp, s.model_key) \
            .decode_time_per_token.m_as("s")

    # Per request a replica spends its prefill alone, plus reply_mean steps shared by k.
    cap = k / (s.reply_mean * tpot(k) + k * pre) * r
    rho = lam * pre                                  # share of time spent on prefills
    if s.rate >= cap:
        return dict(slots=k, n=float(k), capacity=cap, ttft=math.inf, parts={},
                    tpot=math.nan)
    n = 1.0
    for _ in range(50):    # Little's law: in flight = arrivals x reply x time per token
        n = lam * s.reply_mean * tpot(n) / (1 - rho)
    seen = tpot(n) / (1 - rho)                       # decoding pauses for prefills
    slot = MMcQueueModel().solve(arrival_rate=Q_(s.rate, "1/s"),
                                 service_rate=Q_(1 / (s.reply_mean * seen), "1/s"),
                                 servers=k * r, percentile=PERCENTILE)
    first = TTFTModel().solve(model=MODELS[s.model_key], hardware=GPU, prompt_tokens=prompt,
                              arrival_rate=Q_(s.rate, "1/s"), servers=r, tp=tp,
                              precision=PRECISION, mfu=PREFILL_MFU, link=LINK,
                              percentile=PERCENTILE)
    parts = {"slot": slot.wait_percentile.m_as("s"),
             "queue": first.ttft_percentile.m_as("s") - first.prefill_time.m_as("s"),
             "prefill": first.prefill_time.m_as("s"), "iteration": tpot(n)}
    return dict(slots=k, n=n, capacity=cap, ttft=sum(parts.values()), parts=parts, tpot=seen)


@lru_cache(maxsize=2048)
def serve_service(s: Service, policy: str, tp: int, prompt: int) -> Serving:
    """The node serving ``s`` with ``policy`` at tensor parallel ``tp`` and prompts of
    ``prompt`` tokens: memory, capacity, TTFT, and what the objective says."""
    if policy not in POLICIES:
        raise ValueError(f"policy {policy!r}: use one of {POLICIES}")
    model = MODELS[s.model_key]
    c = capacity(prompt, tp, s)
    weights = weights_per_gpu(tp, s.model_key)
    pre = step(prompt, 1, 1, tp, s.model_key).prefill_time.m_as("s")
    if c.violations:   # the weights (or one sequence beside them) do not fit a GPU
        return Serving(s, policy, tp, prompt, GPUS // tp, 0, 0.0, pre, math.nan, 0.0,
                       math.inf, {}, weights, 0.0, 0.0, tuple(c.violations))
    d = (_static if policy == "static" else _continuous)(s, tp, prompt)
    per_token = kv(s.model_key).bytes_per_token.m_as("B") * kv_share(model, tp)
    in_flight = min(d["slots"], d["n"])
    # A sequence in flight holds its prompt and, on average, half its reply; static batching
    # sets aside room for the longest reply, paging only rounds up to whole blocks.
    held = prompt + s.reply_mean / 2
    reserve = (prompt + s.reply_max if policy == "static"
               else math.ceil(held / BLOCK_TOKENS) * BLOCK_TOKENS)
    violations = []
    if not math.isfinite(d["ttft"]):
        violations.append(Constraint("serving capacity", Q_(s.rate, "request/s"),
                                     Q_(d["capacity"], "request/s")))
    elif s.slo == "ttft" and d["ttft"] > TTFT_SLO.m_as("s"):
        violations.append(Constraint(f"TTFT P{PERCENTILE * 100:g}", Q_(d["ttft"], "s"),
                                     TTFT_SLO.to("s")))
    return Serving(s, policy, tp, prompt, GPUS // tp, d["slots"], d["n"], pre,
                   d["tpot"], d["capacity"], d["ttft"], d["parts"], weights,
                   per_token * held * in_flight, per_token * reserve * in_flight,
                   tuple(violations), d.get("batch_time", math.nan), d.get("busy", math.nan))


def serve(service: str, policy: str, tp: int, prompt: int) -> Serving:
    """``serve_service`` for one of SERVICES by its key."""
    return serve_service(SERVICES[service], policy, tp, prompt)


def layouts(service: str, policy: str, prompt: int) -> dict[int, Serving]:
    """Every tensor-parallel layout of the node for one policy and prompt length."""
    return {tp: serve(service, policy, tp, prompt) for tp in TP_DEGREES}


def best_layout(service: str, policy: str, prompt: int) -> int:
    """The layout with the lowest P99 TTFT among those that serve the load."""
    ok = {tp: r for tp, r in layouts(service, policy, prompt).items() if r.served}
    return min(ok, key=lambda tp: ok[tp].ttft)


@lru_cache(maxsize=64)
def highest_rate(service: str, policy: str, tp: int, prompt: int) -> float:
    """The most requests/s the layout carries within the TTFT objective (bisection on the
    engine's numbers: the P99 TTFT rises with the load)."""
    base = SERVICES[service]
    lo, hi = 0.0, serve(service, policy, tp, prompt).capacity
    for _ in range(30):
        mid = (lo + hi) / 2
        probe = Service(base.name, mid, base.reply_mean, base.reply_max, "ttft",
                        base.model_key)
        r = serve_service(probe, policy, tp, prompt)
        lo, hi = (mid, hi) if r.served and r.ttft <= TTFT_SLO.m_as("s") else (lo, mid)
    return lo
