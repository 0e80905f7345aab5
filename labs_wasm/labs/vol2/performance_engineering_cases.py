"""The cases Chapter 25 (book/vol2/performance_engineering.qmd) and Vol II Lab 09 both compute.

The chapter evaluates these at build time and the lab in the reader's browser, so a number the
chapter states and the lab shows come from the same call and cannot differ. Physics is the
engine's: DistributedModel profiles a training step (arithmetic, recomputation, pipeline
bubble, exposed communication), StorageIOModel times the input pipeline's reads, AmdahlModel
turns a faster part into a faster whole. This module fixes the jobs, declares the scenario
constants with their sources, and adds up a plan of optimisations.

A step here is the engine's step plus the input stall: a loader that fetches the next batch
after the step ends stalls the GPUs for the whole fetch; one that prefetches in background
workers during the step stalls them only for what does not fit in the step.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Models, Q_, Systems
from mlsysim.core.results import Constraint
from mlsysim.core.solver import AmdahlModel, DistributedModel, StorageIOModel
from mlsysim.systems.types import Cluster



def times(value: float) -> str:
    """A speed-up as the lab and the chapter print it, to two decimals: "1.09x", "1.00x"."""
    return f"{value:.2f}x"


# ---- Act I: one faster kernel (Amdahl's law for an enhancement) -----------------------------
#: Lab 09 Act I: the profile of a fine-tuning step shows attention kernels taking 12% of the
#: step; the kernel team's fused attention runs them 3x faster. ILLUSTRATIVE profile and
#: kernel speed-up (the scenario's; the lab says so).
ACT1_SHARE, ACT1_KERNEL_SPEEDUP = 0.12, 3.0
#: The chapter's own case: a kernel that is 30% of a step, made 2x faster (ILLUSTRATIVE).
CHAPTER_SHARE, CHAPTER_KERNEL_SPEEDUP = 0.30, 2.0


@lru_cache(maxsize=1024)
def amdahl(share: float, speedup: float):
    """Whole-step speed-up when ``share`` of the step runs ``speedup`` times faster (the
    engine's Amdahl model: the improved share is its parallel part, the speed-up its n)."""
    return AmdahlModel().solve(parallel_fraction=share, devices=speedup)


def share_needed(target: float, speedup: float) -> float:
    """The share of the step a kernel ``speedup`` times faster must cover for a whole-step
    ``target`` (Amdahl solved for the share)."""
    return (1 - 1 / target) / (1 - 1 / speedup)


# ---- Act II: a training job and its step ----------------------------------------------------
MODEL = Models.Llama3_70B
#: 64 DGX H100 nodes (512 GPUs) on the registry's NDR fat tree: a slice of the illustrative
#: Frontier_8K cluster, the size a team might get for continued pre-training (ILLUSTRATIVE).
NODES = 64
TEMPLATE = Systems.Frontier_8K
SEQ_LEN = 4096
TP, PP = 8, 4
ZERO_STAGE = 1
#: The two contexts: how the job meets its data.
#: - batch: offline continued pre-training on a prepared corpus; 4 Mi tokens per step (1,024
#:   sequences of 4,096, the batch size of published 70B-class runs is of this order: Llama 2
#:   used 4M tokens, Touvron et al. 2023, Table 1), read as pre-tokenised packed shards from
#:   each node's local NVMe drive.
#: - streaming: the job learns from documents as they arrive, so it takes small steps of what
#:   the last interval brought: 0.5 Mi tokens per step (ILLUSTRATIVE), each document fetched
#:   from an object store as it is needed.
GLOBAL_BATCH_TOKENS = {"batch": 4 * 2 ** 20, "streaming": 2 ** 19}
STORAGE = {"batch": Systems.Local_NVMe, "streaming": Systems.Object_Store}
ACCESS = {"batch": "sequential", "streaming": "random"}
#: Bytes per sequence as stored: 4,096 token ids of 4 bytes (uint32 for a 128k vocabulary) in
#: the packed shards; about the same in raw text (roughly 4 characters per token for English,
#: a common rule of thumb for BPE tokenisers).
BYTES_PER_SEQUENCE = SEQ_LEN * 4
#: Reads in flight: a loader that fetches sample by sample has one; prefetching workers keep
#: several (ILLUSTRATIVE: 8 background reads).
IN_FLIGHT = {False: 1, True: 8}

#: The plan's budget and target (ILLUSTRATIVE scenario constants): one quarter of two
#: engineers' time, and the speed-up that would let the run finish within its allocation.
BUDGET_WEEKS = 6
TARGET_SPEEDUP = 1.30


@dataclass(frozen=True)
class Optimisation:
    key: str
    name: str
    weeks: int          # engineering effort (ILLUSTRATIVE estimates, the scenario's)
    what: str


#: The menu of optimisations (the chapter explains each). Efforts are ILLUSTRATIVE.
OPTIMISATIONS = (
    Optimisation("fused", "Fused attention kernel", 4,
                 "attention runs 3x faster (the Act I kernel), on its share of the arithmetic"),
    Optimisation("selective", "Selective activation recomputation", 3,
                 "recompute only the attention core in the backward pass, not whole layers "
                 "(Korthikanti et al. 2022)"),
    Optimisation("overlap", "Overlap gradient reduction with the backward pass", 2,
                 "bucketed AllReduce hides data-parallel traffic behind backward compute"),
    Optimisation("stages", "Halve the pipeline stages (4 to 2)", 2,
                 "fewer stages, a smaller bubble; more memory per GPU and more data-parallel "
                 "traffic"),
    Optimisation("prefetch", "Prefetching data loader", 1,
                 "background workers fetch the next batch during the step"),
)
OPT = {o.key: o for o in OPTIMISATIONS}
#: Attention's share of the arithmetic time of this job (ILLUSTRATIVE profile): its matrix
#: products are s/(6d) = 4096/(6 x 8192) = 8% of the FLOP (attention_flop_share), and the
#: unfused softmax, a memory-bound pass over s x s scores, adds time beyond its FLOP.
ATTENTION_SHARE = 0.12


def attention_flop_share() -> float:
    """Attention's score and value products against the dense layers' per token: 4 s d
    against 24 d^2 (a non-gated MLP of 4d, no grouped-query attention): s / (6 d)."""
    return SEQ_LEN / (6 * MODEL.hidden_size)


def cluster(nodes: int = NODES) -> Cluster:
    return Cluster(name=f"{nodes} x {TEMPLATE.node.name}", node=TEMPLATE.node, nodes=nodes,
                   fabric=TEMPLATE.fabric)


@lru_cache(maxsize=64)
def engine_step(context: str, checkpointing: str, overlap: bool, pp: int):
    """The engine's training step of the context's job (before the input stall)."""
    return DistributedModel().solve(
        model=MODEL, fleet=cluster(), tp=TP, pp=pp, seq_len=SEQ_LEN,
        global_batch_tokens=GLOBAL_BATCH_TOKENS[context], zero_stage=ZERO_STAGE,
        checkpointing=checkpointing, overlap=overlap)


def sequences_per_replica(context: str, pp: int) -> int:
    """Sequences one data-parallel replica's loader fetches per step."""
    dp = NODES * TEMPLATE.node.accelerators // (TP * pp)
    return GLOBAL_BATCH_TOKENS[context] // SEQ_LEN // dp


@lru_cache(maxsize=16)
def loader(context: str, prefetch: bool):
    """What the context's storage delivers to one loader (samples/s), from the engine: asked
    for far more than it can give, the result is its limit (bandwidth, IOPS, or reads in
    flight / latency by Little's law)."""
    return StorageIOModel().solve(
        target_throughput=Q_(1e9, "1/s"), bytes_per_sample=Q_(BYTES_PER_SEQUENCE, "B"),
        storage=STORAGE[context], access_pattern=ACCESS[context],
        in_system=IN_FLIGHT[prefetch])


def fetch_time(context: str, pp: int, prefetch: bool) -> float:
    """Seconds to fetch one step's sequences for one replica."""
    rate = loader(context, prefetch).achieved_throughput.m_as("1/s")
    return sequences_per_replica(context, pp) / rate


@dataclass(frozen=True)
class Profile:
    """One step, component by component (seconds)."""
    compute: float
    recompute: float
    bubble: float
    communication: float
    data: float
    memory_per_gpu: float      # bytes
    memory_violations: tuple

    @property
    def total(self) -> float:
        return self.compute + self.recompute + self.bubble + self.communication + self.data

    def parts(self) -> dict[str, float]:
        return {"compute": self.compute, "recompute": self.recompute, "bubble": self.bubble,
                "communication": self.communication, "data": self.data}


PART_NAMES = {"compute": "Arithmetic (forward and backward)",
              "recompute": "Recomputed activations",
              "bubble": "Pipeline bubble",
              "communication": "Exposed communication",
              "data": "Waiting for data"}


@lru_cache(maxsize=256)
def profile(context: str, plan: frozenset = frozenset()) -> Profile:
    """The step of the context's job with the optimisations in ``plan`` applied."""
    unknown = set(plan) - set(OPT)
    if unknown:
        raise ValueError(f"unknown optimisations {sorted(unknown)}; use {sorted(OPT)}")
    pp = PP // 2 if "stages" in plan else PP
    r = engine_step(context, "selective" if "selective" in plan else "full",
                    "overlap" in plan, pp)
    b = {k: v.m_as("s") for k, v in r.step_breakdown.items()}
    # The fused kernel runs attention ACT1_KERNEL_SPEEDUP x faster wherever the arithmetic
    # (first pass or recomputed) runs it: Amdahl on ATTENTION_SHARE of that time.
    factor = (1 / amdahl(ATTENTION_SHARE, ACT1_KERNEL_SPEEDUP).amdahl_speedup
              if "fused" in plan else 1.0)
    working = b["compute"] + b["recompute"] + b["tp_communication"]
    # The bubble is (p-1)/m of the stages' working time, so it shrinks with the arithmetic.
    bubble = b["pipeline_bubble"] * ((b["compute"] + b["recompute"]) * factor
                                     + b["tp_communication"]) / working
    gpu_time = ((b["compute"] + b["recompute"]) * factor + bubble + b["dp_communication"]
                + b["zero_communication"] + b["tp_communication"] + b["pp_communication"])
    fetch = fetch_time(context, pp, "prefetch" in plan)
    data = max(0.0, fetch - gpu_time) if "prefetch" in plan else fetch
    return Profile(
        compute=b["compute"] * factor, recompute=b["recompute"] * factor, bubble=bubble,
        communication=(b["dp_communication"] + b["zero_communication"]
                       + b["tp_communication"] + b["pp_communication"]),
        data=data, memory_per_gpu=r.memory_per_gpu.m_as("B"),
        memory_violations=tuple(r.violations))


def speedup(context: str, plan: frozenset) -> float:
    return profile(context).total / profile(context, plan).total


def weeks(plan: frozenset) -> int:
    return sum(OPT[k].weeks for k in plan)


def single_speedups(context: str) -> dict[str, float]:
    """Each optimisation alone: the step's speed-up."""
    return {o.key: speedup(context, frozenset({o.key})) for o in OPTIMISATIONS}


def best_single(context: str) -> str:
    s = single_speedups(context)
    return max(s, key=s.get)


def binding_part(context: str) -> str:
    """The largest component of today's step other than the arithmetic itself."""
    parts = profile(context).parts()
    del parts["compute"]
    return max(parts, key=parts.get)


def plan_violations(context: str, plan: frozenset) -> list:
    """What a plan misses: the target speed-up, the budget, the GPUs' memory."""
    out = []
    s = speedup(context, plan)
    if s < TARGET_SPEEDUP:
        out.append(Constraint("step speed-up", Q_(TARGET_SPEEDUP, ""), Q_(s, "")))
    if weeks(plan) > BUDGET_WEEKS:
        out.append(Constraint("engineering effort", Q_(weeks(plan), "week"),
                              Q_(BUDGET_WEEKS, "week")))
    out.extend(profile(context, plan).memory_violations)
    return out


@lru_cache(maxsize=4)
def feasible_plans(context: str) -> tuple:
    """Every plan (subset of the menu) that meets the target within the budget, cheapest
    first."""
    keys = [o.key for o in OPTIMISATIONS]
    plans = []
    for mask in range(1 << len(keys)):
        plan = frozenset(k for i, k in enumerate(keys) if mask >> i & 1)
        if not plan_violations(context, plan):
            plans.append(plan)
    return tuple(sorted(plans, key=lambda p: (weeks(p), -speedup(context, p))))


# ---- the chapter's own job --------------------------------------------------------------------
#: Chapter 25 works the method on a smaller job the lab does not ask about: Llama 3 8B on 16
#: DGX H100 nodes (128 GPUs), tensor parallel 8 inside each node, no pipeline, 2 Mi tokens per
#: step, full activation recomputation (ILLUSTRATIVE configuration).
CHAPTER_MODEL = Models.Llama3_8B
CHAPTER_NODES, CHAPTER_TP, CHAPTER_PP = 16, 8, 1
CHAPTER_BATCH_TOKENS = 2 * 2 ** 20


@lru_cache(maxsize=8)
def chapter_step(checkpointing: str = "full", overlap: bool = False):
    return DistributedModel().solve(
        model=CHAPTER_MODEL, fleet=cluster(CHAPTER_NODES), tp=CHAPTER_TP, pp=CHAPTER_PP,
        seq_len=SEQ_LEN, global_batch_tokens=CHAPTER_BATCH_TOKENS, zero_stage=ZERO_STAGE,
        checkpointing=checkpointing, overlap=overlap)


def chapter_parts(checkpointing: str = "full", overlap: bool = False) -> dict[str, float]:
    b = {k: v.m_as("s") for k, v in chapter_step(checkpointing, overlap).step_breakdown.items()}
    return {"compute": b["compute"], "recompute": b["recompute"],
            "bubble": b["pipeline_bubble"],
            "communication": (b["dp_communication"] + b["zero_communication"]
                              + b["tp_communication"] + b["pp_communication"])}


@lru_cache(maxsize=32)
def fetch_rate(storage: str, access: str, in_flight: int) -> float:
    """Samples/s one loader gets from a registry storage tier with ``in_flight`` reads
    outstanding (the chapter's Little's-law table)."""
    return StorageIOModel().solve(
        target_throughput=Q_(1e9, "1/s"), bytes_per_sample=Q_(BYTES_PER_SEQUENCE, "B"),
        storage=getattr(Systems, storage), access_pattern=access,
        in_system=in_flight).achieved_throughput.m_as("1/s")
