"""The cases Chapter 12 (book/vol1/benchmarking.qmd) and Lab 12 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a number the
chapter states and the lab shows come from the same call and cannot differ. Physics and
statistics are the engine's (AmdahlModel, IronLawModel, BenchmarkValidityModel,
BenchmarkStatsModel, SpeedupClaimModel); this module fixes the machines, models and
configurations a case means, and declares the scenario constants with their sources.

Measurements. A benchmark's repeated runs are the one thing the engine cannot compute: they
are measured. The lab needs runs that stay the same on every render, so they are generated
here, deterministically, from an ILLUSTRATIVE model: each run takes the Iron Law time of its
configuration, times a warm-up factor for the first runs, times (1 + cv z) with z a fixed,
frozen list of standard normal deviates. Nothing is random at render time.
"""
from __future__ import annotations

from functools import lru_cache

from mlsysim import Q_
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (AmdahlModel, BenchmarkStatsModel, BenchmarkValidityModel,
                                 IronLawModel, SpeedupClaimModel)
from mlsysim.resolvers.benchmarking import t_quantile

from labkit import fmt

from labs.vol1 import introduction_cases as intro


def times(value: float) -> str:
    """A speed-up or a ratio of two speeds as the lab and the chapter print it: "2.05x"."""
    return "unbounded" if value == float("inf") else f"{fmt.num(value)}x"

# ---- machines, models and configurations ---------------------------------------------------
#: Lab 12's two contexts: the H100 in a datacenter, the Jetson Orin NX's GPU in a camera kit
#: (Chapter 1's machines, so one machine has one set of numbers across the book).
MACHINES = {"cloud": intro.MACHINES["cloud"], "edge": intro.MACHINES["edge"]}
MODELS = {"mobilenetv2": intro.MODELS["mobilenetv2"], "resnet50": intro.MODELS["resnet50"]}
#: Precisions a benchmark may run at. FP16 is the datasheet precision of both GPUs (the
#: registry's default_precision); INT8 is the quantized build.
PRECISIONS = ("fp16", "int8")
#: Batch sizes a benchmark may use (powers of two, as benchmark tables usually list them).
BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
#: Production answers each request (a user's image, a camera's frame) as it arrives, one at a
#: time, at the GPUs' datasheet precision: the situation of MLPerf Inference's single-stream
#: scenario (Reddi et al. 2020, Sec. III-B). A scenario choice, ILLUSTRATIVE.
PRODUCTION_BATCH = 1


def production_precision(context: str) -> str:
    return MACHINES[context].compute.default_precision


# ---- scenario constants (ILLUSTRATIVE; the lab and the chapter say so) -----------------------
#: A published throughput more than this many times production's estimate is not a
#: description of production (the lab's failure threshold: an order of magnitude).
MAX_HEADLINE_RATIO = 10.0
#: The team's reporting rule: quote a speed-up only when its confidence interval's half-width
#: is at most this fraction of the speed-up. Repeating until the interval reaches a preset
#: width is a common stopping rule for benchmarks; 10% is our choice.
REPORT_PRECISION = 0.10
#: Run-to-run variation (coefficient of variation of one timed run). ILLUSTRATIVE: a server GPU
#: at fixed clocks varies by a few percent; an edge module changes its clocks with temperature
#: and power mode (DVFS), so its runs vary more.
RUN_CV = {"cloud": 0.03, "edge": 0.08}
#: How much longer the first runs take than a steady run (first: lazy initialisation, memory
#: allocation and kernel autotuning; then caches and clocks settle). ILLUSTRATIVE.
WARMUP_FACTORS = (8.0, 1.6, 1.15)
#: Most runs of one build the lab measures (warm-up plus timed repeats).
MAX_RUNS = 40
#: Standard normal deviates, drawn once with Python's random.Random(12).gauss(0, 1), rounded
#: to 3 decimals and frozen here: the FP16 build's runs use the first 40, the INT8 build's the
#: next 40.
DEVIATES = (
    -1.445, 0.233, -0.278, -0.48, 0.967, 0.066, -0.274, 1.803, -0.495, -1.263,
    -1.374, -0.526, 0.658, 0.852, 1.139, 1.852, 1.724, 0.668, 1.36, 0.689,
    -0.529, 0.87, 0.106, -0.162, 2.061, 0.828, -0.436, -0.024, 2.414, -0.196,
    0.798, 0.681, 0.572, 0.65, -0.432, -0.413, -0.106, -0.307, 0.874, 1.618,
    -0.845, 0.61, -0.937, -0.645, -0.186, 0.165, -0.388, -2.588, 1.46, -0.219,
    -0.589, 0.746, -0.55, -1.392, 0.553, 0.48, -0.782, 0.906, 0.434, -1.094,
    1.831, 0.327, -1.095, 0.514, 0.184, 1.04, -1.313, 1.11, 1.01, 0.759,
    0.674, 1.388, 0.783, 0.185, -0.794, 1.181, 1.05, 0.356, 0.208, 0.787,
)
DEVIATE_OFFSET = {"fp16": 0, "int8": MAX_RUNS}

# ---- Amdahl and Gustafson ------------------------------------------------------------------
#: Lab 12 Act I: a training step with 15% serial work, spread over 64 GPUs (the scenario's
#: profile, ILLUSTRATIVE).
ACT1_SERIAL, ACT1_DEVICES = 0.15, 64
#: The chapter's own cases: a data-parallel job with 5% serial work on 8 GPUs, and a camera
#: pipeline whose network is 70% of a frame's time, moved to an accelerator 10x faster
#: (ILLUSTRATIVE profiles).
CHAPTER_SERIAL, CHAPTER_DEVICES = 0.05, 8
CHAPTER_PIPELINE_SHARE, CHAPTER_PIPELINE_SPEEDUP = 0.70, 10
#: The chapter's measurement: ResNet-50 at one image on the Orin NX, FP16 against INT8, three
#: warm-up runs discarded, ten timed repeats, a 95% interval (Lab 12 asks about other cases).
CHAPTER_STATS = {"context": "edge", "model": "resnet50", "batch": 1, "warmup": 3,
                 "repeats": 10, "confidence": 0.95}


@lru_cache(maxsize=512)
def amdahl(serial: float, devices: float):
    """Amdahl's speed-up (and Gustafson's scaled speed-up) of work whose ``serial`` share does
    not parallelise, on ``devices`` (or with its parallel part ``devices`` times faster)."""
    return AmdahlModel().solve(parallel_fraction=1.0 - serial, devices=devices)


# ---- benchmark validity ---------------------------------------------------------------------
@lru_cache(maxsize=256)
def validity(context: str, model: str, batch: int, precision: str):
    """A benchmark at ``batch`` and ``precision`` against production (batch 1, the GPU's
    datasheet precision) on the context's machine: Iron Law times, throughputs, ratio."""
    return BenchmarkValidityModel().solve(
        model=MODELS[model], hardware=MACHINES[context], batch_size=batch,
        production_batch_size=PRODUCTION_BATCH, precision=precision,
        production_precision=production_precision(context))


@lru_cache(maxsize=256)
def iron_law(context: str, model: str, batch: int, precision: str):
    """The Iron Law of one batch: the steady time a timed run is generated around."""
    return IronLawModel().solve(hardware=MACHINES[context], model=MODELS[model],
                                batch_size=batch, precision=precision)


@lru_cache(maxsize=64)
def eager_iron_law(context: str, model: str, batch: int, precision: str):
    """The Iron Law with one kernel launch per operator (the registry's eager count): what a
    framework running the model operator by operator pays."""
    return IronLawModel().solve(hardware=MACHINES[context], model=MODELS[model],
                                batch_size=batch, precision=precision,
                                kernels=MODELS[model].kernels_eager)


def t_value(confidence: float, repeats: int) -> float:
    """Student's t quantile of a two-sided ``confidence`` interval from ``repeats`` runs."""
    return t_quantile((1 + confidence) / 2, repeats - 1)


def headline_violation(context: str, model: str, batch: int, precision: str) -> list:
    """The headline throughput more than MAX_HEADLINE_RATIO x production's: a violated
    constraint (dimensionless ratios), else []."""
    ratio = validity(context, model, batch, precision).throughput_ratio
    if ratio <= MAX_HEADLINE_RATIO:
        return []
    return [Constraint("benchmark throughput over production's", Q_(ratio, ""),
                       Q_(MAX_HEADLINE_RATIO, ""))]


# ---- measured runs (ILLUSTRATIVE, deterministic) --------------------------------------------
@lru_cache(maxsize=256)
def runs(context: str, model: str, batch: int, precision: str, count: int) -> tuple:
    """The first ``count`` timed runs of one build, in seconds (warm-up runs included)."""
    if not 2 <= count <= MAX_RUNS:
        raise ValueError(f"count must be 2..{MAX_RUNS}, got {count}")
    steady = iron_law(context, model, batch, precision).total.m_as("s")
    cv, off = RUN_CV[context], DEVIATE_OFFSET[precision]
    out = []
    for i in range(count):
        warm = WARMUP_FACTORS[i] if i < len(WARMUP_FACTORS) else 1.0
        out.append(steady * warm * (1.0 + cv * DEVIATES[off + i]))
    return tuple(out)


@lru_cache(maxsize=256)
def stats(context: str, model: str, batch: int, precision: str, warmup: int, repeats: int,
          confidence: float):
    """Mean, standard deviation and Student-t interval of one build's timed runs (seconds),
    after discarding ``warmup`` runs."""
    return BenchmarkStatsModel().solve(
        measurements=runs(context, model, batch, precision, warmup + repeats), warmup=warmup,
        confidence=confidence)


@lru_cache(maxsize=512)
def claim(context: str, model: str, batch: int, warmup: int, repeats: int, confidence: float,
          claimed: float):
    """Is ``claimed`` (INT8 over FP16, both at ``batch``) supported by the runs? The engine's
    Fieller interval for the ratio of the two means."""
    n = warmup + repeats
    return SpeedupClaimModel().solve(
        measurements=runs(context, model, batch, "int8", n),
        baseline_measurements=runs(context, model, batch, "fp16", n), warmup=warmup,
        confidence=confidence, claimed_speedup=claimed)


def half_width(r) -> float:
    """Half the width of a speed-up interval (inf when it is unbounded)."""
    return (r.ci_high - r.ci_low) / 2


def precision_violation(r) -> list:
    """The interval wider than the reporting rule allows (± REPORT_PRECISION of the speed-up):
    the runs cannot support any claim to that precision."""
    allowed = REPORT_PRECISION * r.speedup
    if half_width(r) <= allowed:
        return []
    return [Constraint("uncertainty of the speed-up (± half the interval)",
                       Q_(half_width(r), ""), Q_(allowed, ""))]


def report_violations(context: str, model: str, batch: int, precision: str, warmup: int,
                      repeats: int, confidence: float, claimed: float) -> list:
    """Everything wrong with a published report: headline too far from production, a claim
    above what the runs support, an interval too wide to support any claim."""
    r = claim(context, model, batch, warmup, repeats, confidence, claimed)
    return (headline_violation(context, model, batch, precision) + list(r.violations)
            + precision_violation(r))


def datasheet_speedup(context: str) -> float:
    """INT8 over FP16 peak on the context's GPU: the speed-up a datasheet suggests."""
    c = MACHINES[context].compute
    return c.peak("int8").m_as("FLOP/s") / c.peak("fp16").m_as("FLOP/s")
