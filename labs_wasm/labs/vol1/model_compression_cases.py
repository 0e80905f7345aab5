"""The cases Chapter 10 (book/vol1/model_compression.qmd) and Lab 10 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a number the
chapter states and the lab shows come from the same engine call and cannot differ. Physics and
published points are the engine's (CompressionModel and CompressionFrontierModel for size and
published accuracy, KVCacheModel for the cache a decoder keeps, IronLawModel for the time of one
decoding step); this module fixes which model, machine, format and context length a case means,
and declares the two scenario constants the engine has no entry for: the time-per-token target
and the phone app's memory budget (one value for the book, labs/vol1/phone.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Hardware, Models, Q_
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (CompressionFrontierModel, CompressionModel, IronLawModel,
                                 KVCacheModel)

from labs.vol1 import phone

# ---- machines -------------------------------------------------------------------------------
#: Lab 10's two contexts: one H100 SXM (80 GB HBM3, 3.35 TB/s) and an Apple A17 Pro phone
#: (8 GB LPDDR5, 51.2 GB/s; the registry derives both from teardown reports, an estimate).
#: The chapter's own phone is the Snapdragon 8 Gen 3 (LPDDR5X, 76.8 GB/s derived from its
#: 4,800 MHz memory on a 64-bit bus; the registry records the source).
MACHINES = {"cloud": Hardware.Cloud.H100, "mobile": Hardware.Mobile.A17Pro,
            "snapdragon": Hardware.Mobile.Snapdragon8Gen3}
PHONES = ("mobile", "snapdragon")

# ---- vision models: the published compression points (Act I, the chapter's example) ---------
#: ImageNet top-1 is reported for FP32 models (torchvision's weights), so sizes and ratios are
#: taken from FP32: the format the published baselines were measured in.
FLOAT = "fp32"
VISION = {"resnet50": Models.Vision.ResNet50, "mobilenetv2": Models.Vision.MobileNetV2}
#: Lab 10, Act I: post-training INT8 quantization of ResNet-50 (torchvision's quantized model).
ACT1 = {"model": "resnet50", "precision": "int8", "quantization": "ptq"}
#: The chapter's worked example: MobileNetV2 with quantization-aware training to INT8.
CHAPTER_QUANT = {"model": "mobilenetv2", "precision": "int8", "quantization": "qat"}

#: Sources the engine marks as estimates entered from memory (mlsysim audit lists them): the
#: lab and the chapter say so wherever they quote these points.
RECALLED = ("Nagel", "Gale")


@lru_cache(maxsize=64)
def compress(model: str, precision: str = "int8", quantization: str = "ptq",
             sparsity: float = 0.0, pruning: str = "unstructured"):
    """Size and published accuracy of a vision model compressed from FP32 (engine)."""
    return CompressionModel().solve(model=VISION[model], precision=precision,
                                    quantization=quantization, sparsity=sparsity,
                                    pruning=pruning, baseline_precision=FLOAT)


@lru_cache(maxsize=8)
def frontier(model: str = "resnet50"):
    """The published size-vs-accuracy points of a vision model (engine), from FP32."""
    return CompressionFrontierModel().solve(model=VISION[model], baseline_precision=FLOAT)


def is_recalled(point: dict) -> bool:
    """True for a point the engine marks as entered from memory (an estimate)."""
    return any(name in point["source"] for name in RECALLED)


def method_name(point: dict) -> str:
    """A published point's recipe in words: "post-training INT8", "quantization-aware INT4",
    "80% unstructured pruning"."""
    if point["method"] in ("ptq", "qat"):
        how = "post-training" if point["method"] == "ptq" else "quantization-aware"
        return f"{how} {point['precision'].upper()}"
    return f"{point['sparsity'] * 100:.0f}% {point['method']} pruning"


def pareto(points) -> list[dict]:
    """The points no other point beats on both axes (smaller or equal size and smaller or
    equal accuracy drop, one of them strictly): the compression frontier."""
    def size(p):
        return p["size"].m_as("B")
    out = []
    for p in points:
        beaten = any(size(q) <= size(p) and q["accuracy_drop"] <= p["accuracy_drop"]
                     and (size(q) < size(p) or q["accuracy_drop"] < p["accuracy_drop"])
                     for q in points if q is not p)
        if not beaten:
            out.append(p)
    return sorted(out, key=size)


def original_bytes(model: str) -> float:
    """The FP32 model's weights, bytes."""
    return frontier(model).original_size.m_as("B")


def stream_time(context: str, size_bytes: float) -> float:
    """Seconds to read ``size_bytes`` of weights once from the context's main memory."""
    return size_bytes / MACHINES[context].memory.bandwidth.m_as("B/s")


# ---- language models on a device: Act II and the chapter's decoding examples ----------------
LANGUAGE = {"llama3_70b": Models.Language.Llama3_70B, "llama3_8b": Models.Language.Llama3_8B,
            "gpt2_xl": Models.Language.GPT2_XL, "gpt2": Models.Language.GPT2}
#: Weight formats of Act II. Weight-only quantization: the weights are stored at this format and
#: expanded to FP16 for the arithmetic, as on-device LLM runtimes do (llama.cpp's Q8_0/Q4
#: formats; Apple's Core ML palettized and linear-quantized weights), so the arithmetic runs at
#: the FP16 peak and the KV cache stays FP16 (their default).
FORMATS = ("fp16", "int8", "int4")
COMPUTE_PRECISION = "fp16"
KV_PRECISION = "fp16"
CONTEXTS = (512, 1024, 2048, 4096, 8192)

#: Time per output token the scenario must meet. SCENARIO CHOICE (illustrative): 50 ms a token
#: is 20 tokens/s, about four times the rate an adult reads silently (READING_WPM), so a chat
#: answer streams faster than it is read, with headroom for longer answers a reader skims.
SLA = Q_(50, "ms")
#: Average silent reading rate of adults, English non-fiction: 238 words per minute (Brysbaert
#: 2019, "How many words do we read per minute? A review and meta-analysis of reading rate",
#: Journal of Memory and Language 109, 104047).
READING_WPM = 238
#: Words per token of English text for GPT-style tokenizers: "1 token ~= 3/4 of a word"
#: (OpenAI Help Center, "What are tokens and how to count them?"). A rule of thumb.
WORDS_PER_TOKEN = 0.75

#: Lab 10, Act II: Llama 3 8B on the A17 Pro phone, 2,048 tokens held in its KV cache.
ACT2 = {"context": "mobile", "model": "llama3_8b", "tokens": 2048}
#: The chapter's decoding examples: Llama 3 70B on one H100, and GPT-2 XL on the Snapdragon 8
#: Gen 3 phone, each at 2,048 tokens (GPT-2 XL at its full 1,024-token context).
CHAPTER_CLOUD = {"context": "cloud", "model": "llama3_70b", "tokens": 2048}
CHAPTER_PHONE = {"context": "snapdragon", "model": "gpt2_xl", "tokens": 1024}


def reading_tokens_per_second() -> float:
    """The average reading rate in tokens per second."""
    return READING_WPM / 60 / WORDS_PER_TOKEN


def budget(context: str) -> float:
    """Bytes a language model may occupy: a phone app's illustrative share of the phone
    (phone.py), or the whole GPU."""
    hw = MACHINES[context]
    if context in PHONES:
        return phone.app_budget_bytes(hw)
    return hw.memory.capacity.m_as("B")


def contexts_for(model: str) -> tuple[int, ...]:
    """The KV-cache lengths the model's context window allows."""
    return tuple(n for n in CONTEXTS if n <= LANGUAGE[model].context_length)


@dataclass(frozen=True)
class Decode:
    """One decoding step of one sequence (batch 1) on one device."""

    context: str
    model: str
    fmt: str
    tokens: int
    weights: float        # bytes of weights at the format
    kv: float             # bytes of KV cache for ``tokens`` tokens
    step: object          # the engine's Iron Law result for one step
    violations: tuple     # every violated Constraint (memory, app budget, time per token)

    @property
    def total(self) -> float:
        """Bytes the step reads, and the bytes the model occupies: weights + KV cache."""
        return self.weights + self.kv

    @property
    def time(self) -> float:
        """Seconds per output token."""
        return self.step.total.m_as("s")

    @property
    def t_memory(self) -> float:
        return self.step.t_memory.m_as("s")

    @property
    def t_compute(self) -> float:
        return self.step.t_compute.m_as("s")

    @property
    def binding(self) -> str:
        return self.step.binding

    @property
    def tokens_per_second(self) -> float:
        return 1.0 / self.time

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def fits(self) -> bool:
        return not any(v.name != TIME_NAME for v in self.violations)

    @property
    def fast_enough(self) -> bool:
        return not any(v.name == TIME_NAME for v in self.violations)


TIME_NAME = "time per output token"
BUDGET_NAME = "app memory budget"


@lru_cache(maxsize=512)
def weight_bytes(model: str, fmt: str) -> float:
    """The weights at ``fmt`` (the engine's compressed size from FP16, no pruning)."""
    return CompressionModel().solve(model=LANGUAGE[model], precision=fmt,
                                    baseline_precision="fp16").compressed_size.m_as("B")


@lru_cache(maxsize=512)
def kv_bytes(model: str, tokens: int) -> float:
    """The FP16 KV cache of one sequence of ``tokens`` tokens (engine)."""
    return KVCacheModel().solve(model=LANGUAGE[model], seq_len=tokens,
                                precision=KV_PRECISION).total.m_as("B")


@lru_cache(maxsize=1024)
def decode(context: str, model: str, fmt: str, tokens: int) -> Decode:
    """Time per output token and memory of ``model`` at weight format ``fmt`` holding
    ``tokens`` tokens of KV cache: one step reads every weight and the whole cache once and
    does 2 FLOP per parameter (the Iron Law with overlap: max(D/BW, O/R); no launch overhead,
    a compiled decoding step), and the checks against memory and the time target."""
    hw = MACHINES[context]
    m = LANGUAGE[model]
    w, kv = weight_bytes(model, fmt), kv_bytes(model, tokens)
    step = IronLawModel().solve(hardware=hw, data_bytes=Q_(w + kv, "B"),
                                ops=Q_(2.0 * m.parameters, "FLOP"), precision=COMPUTE_PRECISION,
                                overlap=True, overhead=Q_(0, "s"))
    need = Q_(w + kv, "B").to("GB")
    out = []
    cap = hw.memory.capacity
    if need > cap:
        out.append(Constraint(f"{hw.memory.kind} capacity", need, cap.to("GB")))
    if context in PHONES and need.m_as("B") > budget(context):
        out.append(Constraint(BUDGET_NAME, need, Q_(budget(context), "B").to("GB")))
    t = step.total.to("ms")
    if t > SLA:
        out.append(Constraint(TIME_NAME, t, SLA))
    return Decode(context, model, fmt, tokens, w, kv, step, tuple(out))


def largest_model(context: str, fmt: str, kv: float) -> float:
    """The most parameters a model stored at ``fmt`` can have and still meet both limits on
    the context's machine, given ``kv`` bytes of cache: min(BW x target - KV, budget - KV)
    divided by the bytes per weight (compute and the other limits assumed slack)."""
    per_weight = weight_bytes("llama3_8b", fmt) / LANGUAGE["llama3_8b"].parameters
    bw = MACHINES[context].memory.bandwidth.m_as("B/s")
    room = min(bw * SLA.m_as("s"), budget(context)) - kv
    return max(room, 0.0) / per_weight


def bits_needed(context: str, model: str, tokens: int) -> float:
    """Bits per weight ``model`` would need to meet both limits on the context's machine."""
    bw = MACHINES[context].memory.bandwidth.m_as("B/s")
    room = min(bw * SLA.m_as("s"), budget(context)) - kv_bytes(model, tokens)
    return 8.0 * max(room, 0.0) / LANGUAGE[model].parameters


def best_format(context: str, model: str, tokens: int) -> str | None:
    """The most precise weight format that meets every limit, or None."""
    return next((f for f in FORMATS if decode(context, model, f, tokens).feasible), None)
