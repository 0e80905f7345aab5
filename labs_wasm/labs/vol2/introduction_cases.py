"""The cases Volume II's Chapter 1 (book/vol2/introduction.qmd) and its Lab 01 both compute.

The chapter evaluates these at build time and the lab in the reader's browser, so a number the
chapter states and the lab shows come from the same call and cannot differ. Physics is the
engine's: AvailabilityModel (all N parts up at once: A^N), FleetReliabilityModel (fleet MTBF =
MTBF / N, per-GPU MTBF from the Llama 3 405B run), TrainingComputeModel (C = 6ND),
TrainingTimeModel (the ideal time C / (n R eta)), FleetSizingOptimizer (the fastest split of a
cluster of DGX H100 nodes and whether it meets a deadline, through DistributedModel's
communication, bubble and memory) and EconomicsModel (renting by the GPU-hour, or owning:
purchase plus electricity at PUE). This module fixes which cluster, model, batch and prices a
case means, and declares the scenario constants with their sources.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Hardware, Models, Q_, Systems
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (AvailabilityModel, DistributedModel, EconomicsModel,
                                 FleetReliabilityModel, FleetSizingOptimizer,
                                 TrainingComputeModel, TrainingTimeModel)
from mlsysim.resolvers.optimizers import SEQ_LEN, ZERO_STAGE
from mlsysim.resolvers.reliability import LLAMA3_405B_INTERRUPTIONS
from mlsysim.systems.types import Cluster

# ---- the fleet -------------------------------------------------------------------------------
#: The template every cluster size is built from: the registry's illustrative frontier-scale
#: cluster, 1,024 NVIDIA DGX H100 nodes (8 H100 SXM each, NVLink 4 inside the node) on an
#: InfiniBand NDR fat tree (400 Gb/s per GPU per direction, full bisection).
TEMPLATE = Systems.Clusters.Frontier_8K
NODE = TEMPLATE.node
GPU = NODE.hardware if hasattr(NODE, "hardware") else Hardware.Cloud.H100
GPUS_PER_NODE = NODE.accelerators
#: Cluster sizes searched, in nodes: powers of two up to twice the template, the optimizer's
#: own grid (and the instance counts a cloud capacity block is sold in, below).
NODE_COUNTS = tuple(2 ** i for i in range(12))  # 1 ... 2,048 nodes

#: Tokens per optimizer step across the fleet. Llama Team 2024, "The Llama 3 Herd of Models"
#: (arXiv 2407.21783), Sec. 3.4.1: the 405B run began at 4M tokens per batch, doubled to 8M,
#: and trained from 2.87T tokens on at 16M, the batch of most of a 15T-token run.
GLOBAL_BATCH_TOKENS = 16 * 2 ** 20
#: Activation checkpointing of every run: the optimizer's default, full recomputation (one
#: extra forward pass per step, +1/3 of the FLOP; Chen et al. 2016, Korthikanti et al. 2022).
CHECKPOINTING = "full"

# ---- the two contexts ------------------------------------------------------------------------
#: Cloud: nodes rented by the GPU-hour at the engine's H100 price (AWS EC2 Capacity Blocks for
#: ML, p5.48xlarge = 8 H100, $39.33/h in late 2024, i.e. $4.916 per GPU-hour; registry value).
RENT_PER_GPU_HOUR = GPU.price_per_hour
#: The largest cluster one rental gives: AWS EC2 User Guide, "Capacity Blocks for ML": "Each
#: Capacity Block can have up to 64 instances" (quantities 1, 2, 4, ..., 64; placed together
#: on one non-blocking UltraCluster network). 64 p5.48xlarge = 64 nodes = 512 H100s.
RENTAL_MAX_NODES = 64
#: Fleet: nodes bought and run for three years: purchase (registry street price of an H100,
#: an estimate) charged in full to the three years, plus electricity at the engine's default
#: price and PUE. The lab's budget is for these three years. ILLUSTRATIVE scenario choice.
OWNERSHIP_YEARS = 3
#: The project's compute budget for three years, USD. ILLUSTRATIVE scenario choice: about what
#: a thousand DGX-class nodes cost to buy and power (a frontier lab's cluster of the mid-2020s).
BUDGET_USD = 300e6
#: The deadline of the lab's training run, days. ILLUSTRATIVE scenario choice (two months).
DEADLINE_DAYS = 60

# ---- models ----------------------------------------------------------------------------------
MODELS = {"llama3_8b": Models.Llama3_8B, "llama3_70b": Models.Llama3_70B,
          "gpt3_175b": Models.GPT3_175B}
#: Fractions of peak the arithmetic sustains (the engine's ``mfu`` input: the Iron Law's eta).
#: 0.40 is the engine's default (between GPT-3's 21.3% and PaLM 540B's 46.2% MFU, Chowdhery et
#: al. 2022, Table 3); 0.30 and 0.50 bracket it.
ETAS = (0.30, 0.40, 0.50)

# ---- Act I: the availability product ---------------------------------------------------------
#: Lab 01's Act I case: 1,000 GPUs, each up 99.9% of the time ("three nines"). ILLUSTRATIVE:
#: with the Llama 3 per-GPU MTBF of about 50,700 h it means about two days to repair a GPU.
ACT1_GPUS = 1000
ACT1_AVAILABILITY = 0.999
AVAILABILITIES = (0.99, 0.999, 0.9999)

# ---- Act II: the run the prediction asks about -----------------------------------------------
ACT2_MODEL = "llama3_70b"
#: Llama 3 was pre-trained on "over 15T" tokens (Llama Team 2024, Sec. 3.1).
ACT2_TOKENS = 15e12
ACT2_ETA = 0.40

# ---- the chapter's worked examples (cases the lab's predictions do not ask about) ------------
#: GPT-3 175B on 300B tokens (Brown et al. 2020, Sec. 2.2 and Table D.1).
CHAPTER_MODEL = "gpt3_175b"
CHAPTER_TOKENS = 300e9
CHAPTER_ETA = 0.40
CHAPTER_NODES = (8, 64, 512, 1024)
#: The chapter's availability example: four nines per GPU on one node, 1,024 and 8,192 GPUs.
CHAPTER_AVAILABILITY = 0.9999
CHAPTER_GPUS = (GPUS_PER_NODE, 1024, TEMPLATE.total_accelerators)

HOURS_PER_YEAR = 365.25 * 24
#: GPUs of the Llama 3 405B run whose failure log gives the engine's per-GPU MTBF (16,384).
LLAMA3_GPUS = LLAMA3_405B_INTERRUPTIONS["devices"]


def cluster(nodes: int) -> Cluster:
    """``nodes`` DGX H100 nodes on the template's fabric."""
    return Cluster(name=f"{nodes} x {NODE.name}", node=NODE, nodes=nodes,
                   fabric=TEMPLATE.fabric)


# ---- availability and reliability ------------------------------------------------------------
@lru_cache(maxsize=512)
def all_up(availability: float, gpus: int) -> float:
    """Share of time all ``gpus`` are up at once when each is up ``availability`` of the time
    (independent failures, series composition: A^N)."""
    return AvailabilityModel().solve(availabilities=[float(availability)] * int(gpus),
                                     composition="series").availability


@lru_cache(maxsize=512)
def reliability(gpus: int, duration_days: float | None = None):
    """Fleet MTBF and failures per day of ``gpus`` GPUs at the Llama 3 per-GPU MTBF."""
    duration = None if duration_days is None else Q_(duration_days, "day")
    return FleetReliabilityModel().solve(devices=int(gpus), duration=duration)


# ---- compute and time ------------------------------------------------------------------------
@lru_cache(maxsize=64)
def compute(model_key: str, tokens: float):
    """C = 6 N D for ``model_key`` on ``tokens``."""
    return TrainingComputeModel().solve(model=MODELS[model_key], tokens=float(tokens))


@lru_cache(maxsize=256)
def ideal(model_key: str, tokens: float, gpus: int, eta: float):
    """The time C / (n R eta) if the GPUs never waited for each other: 6N FLOP per token at
    eta x the H100's dense FP16 peak on every GPU."""
    c = compute(model_key, tokens)
    return TrainingTimeModel().solve(model=MODELS[model_key], hardware=GPU, steps=1,
                                     batch_size=float(tokens), devices=int(gpus), mfu=eta,
                                     flops_per_sample=Q_(6.0 * c.parameters, "FLOP"))


@dataclass(frozen=True)
class SizeRow:
    """The fastest split of one cluster size, per trillion training tokens."""
    nodes: int
    gpus: int
    fits: bool
    days_per_trillion: float | None
    effective_mfu: float | None
    dp: int | None
    tp: int | None
    pp: int | None
    memory_gb: float     # the smallest per-GPU training memory among the splits


@lru_cache(maxsize=16)
def sizes(model_key: str, eta: float) -> dict[int, SizeRow]:
    """Every cluster size of NODE_COUNTS: its fastest split that fits in memory (engine:
    FleetSizingOptimizer over tp x pp, each split timed by DistributedModel), for 1T tokens.
    Time to train is tokens / throughput, so days scale exactly with the tokens."""
    r = FleetSizingOptimizer().solve(model=MODELS[model_key], fleet=TEMPLATE, tokens=1e12,
                                     node_counts=list(NODE_COUNTS), mfu=eta,
                                     checkpointing=CHECKPOINTING,
                                     global_batch_tokens=GLOBAL_BATCH_TOKENS,
                                     price_per_hour=RENT_PER_GPU_HOUR)
    out = {}
    for k in NODE_COUNTS:
        rows = [row for row in r.table if row["nodes"] == k]
        fit = [row for row in rows if row["fits"]]
        best = min(fit, key=lambda row: row["days"]) if fit else None
        out[k] = SizeRow(nodes=k, gpus=k * GPUS_PER_NODE, fits=best is not None,
                         days_per_trillion=best["days"] if best else None,
                         effective_mfu=best["effective_mfu"] if best else None,
                         dp=best["dp"] if best else None, tp=best["tp"] if best else None,
                         pp=best["pp"] if best else None,
                         memory_gb=min(row["memory_per_gpu_GB"] for row in rows))
    return out


@lru_cache(maxsize=256)
def step(model_key: str, nodes: int, eta: float):
    """One training step of the fastest split of ``nodes`` nodes, as the optimizer timed it
    (DistributedModel with the optimizer's defaults: 4k-token sequences, ZeRO-1, full
    activation checkpointing), for its step breakdown; None when no split fits."""
    row = sizes(model_key, eta)[nodes]
    if not row.fits:
        return None
    return DistributedModel().solve(
        model=MODELS[model_key], fleet=cluster(nodes), tokens=1e12, tp=row.tp, pp=row.pp,
        mfu=eta, seq_len=SEQ_LEN, zero_stage=ZERO_STAGE, checkpointing=CHECKPOINTING,
        global_batch_tokens=GLOBAL_BATCH_TOKENS)


def breakdown(model_key: str, nodes: int, eta: float) -> dict[str, float] | None:
    """Seconds per step: arithmetic, recomputation, pipeline bubble, communication."""
    r = step(model_key, nodes, eta)
    if r is None:
        return None
    b = {k: v.m_as("s") for k, v in r.step_breakdown.items()}
    return {"compute": b["compute"], "recompute": b["recompute"],
            "bubble": b["pipeline_bubble"],
            "communication": sum(v for k, v in b.items() if k.endswith("communication"))}


def days(model_key: str, tokens: float, nodes: int, eta: float) -> float | None:
    """Days to train ``model_key`` on ``tokens`` with ``nodes`` nodes (None: does not fit)."""
    row = sizes(model_key, eta)[nodes]
    return None if not row.fits else row.days_per_trillion * tokens / 1e12


# ---- cost ------------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def rent(nodes: int, run_days: float):
    """Renting ``nodes`` nodes for ``run_days`` at the GPU-hour price."""
    return EconomicsModel().solve(duration=Q_(run_days, "day"), fleet=cluster(nodes),
                                  price_per_hour=RENT_PER_GPU_HOUR)


@lru_cache(maxsize=64)
def own(nodes: int, years: float = OWNERSHIP_YEARS):
    """Owning ``nodes`` nodes for ``years``: the whole purchase charged to those years (a
    lifetime of ``years``) plus electricity at the engine's price and PUE, GPUs always on."""
    return EconomicsModel().solve(duration=Q_(years, "year"), fleet=cluster(nodes),
                                  lifetime=Q_(years, "year"))


def break_even_utilization(years: float = OWNERSHIP_YEARS) -> float:
    """The share of the ``years`` an owned GPU must be busy for owning to cost what renting
    its busy hours would: owned cost per GPU-hour / rental price per GPU-hour."""
    owned = own(1, years).cost_per_device_hour.m_as("USD/hour")
    return owned / RENT_PER_GPU_HOUR.m_as("USD/hour")


# ---- a design of Act II ----------------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    context: str
    model_key: str
    tokens: float
    nodes: int
    eta: float
    row: SizeRow
    days: float | None          # None when no split fits in memory
    cost: float                 # USD: the run's rental (cloud) or 3 years of ownership (fleet)
    rental: float | None        # USD: renting these nodes for the run
    ownership: float            # USD: owning these nodes for three years
    violations: tuple

    @property
    def feasible(self) -> bool:
        return not self.violations

    def violation(self, name: str):
        return next((v for v in self.violations if v.name == name), None)


@lru_cache(maxsize=512)
def design(context: str, model_key: str, tokens: float, nodes: int, eta: float) -> Design:
    """A training run of ``model_key`` on ``tokens`` with ``nodes`` DGX H100 nodes at ``eta``:
    rented (cloud: at most one capacity block, the run's rental against the budget) or owned
    (fleet: three years of ownership against the budget). The deadline check and the memory
    check are the engine's (FleetSizingOptimizer at this one size); the rental cap and the
    three-year budget are composed here as constraints of one dimension."""
    rented = context == "cloud"
    r = FleetSizingOptimizer().solve(
        model=MODELS[model_key], fleet=TEMPLATE, tokens=float(tokens), node_counts=[nodes],
        mfu=eta, checkpointing=CHECKPOINTING, global_batch_tokens=GLOBAL_BATCH_TOKENS,
        duration=Q_(DEADLINE_DAYS, "day"),
        budget=Q_(BUDGET_USD, "USD") if rented else None,
        price_per_hour=RENT_PER_GPU_HOUR if rented else None)
    row = sizes(model_key, eta)[nodes]
    run_days = days(model_key, tokens, nodes, eta)
    rental = rent(nodes, run_days).total_cost.m_as("USD") if run_days else None
    ownership = own(nodes).total_cost.m_as("USD")
    violations = list(r.violations)
    if rented and nodes > RENTAL_MAX_NODES:
        violations.insert(0, Constraint("nodes in one rental", Q_(nodes, ""),
                                        Q_(RENTAL_MAX_NODES, "")))
    if not rented and ownership > BUDGET_USD:
        violations.append(Constraint("3-year budget", Q_(ownership, "USD"),
                                     Q_(BUDGET_USD, "USD")))
    return Design(context=context, model_key=model_key, tokens=float(tokens), nodes=nodes,
                  eta=eta, row=row, days=run_days,
                  cost=(rental or 0.0) if rented else ownership, rental=rental,
                  ownership=ownership, violations=tuple(violations))


def broken(context: str, model_key: str, tokens: float, nodes: int, eta: float) -> tuple:
    """The names of the constraints a cluster size breaks, as ``design`` names them ("memory"
    for any memory capacity), read from the cached ``sizes`` and costs: the same tests the
    optimizer and ``design`` make, without a new search per size (the lab's table and chart
    show every size at once)."""
    row = sizes(model_key, eta)[nodes]
    out = []
    if context == "cloud" and nodes > RENTAL_MAX_NODES:
        out.append("nodes in one rental")
    if not row.fits:
        out.append("memory")
    else:
        run_days = days(model_key, tokens, nodes, eta)
        if run_days > DEADLINE_DAYS:
            out.append("deadline")
        elif context == "cloud" and rent(nodes, run_days).total_cost.m_as("USD") > BUDGET_USD:
            out.append("budget")
    if context == "fleet" and own(nodes).total_cost.m_as("USD") > BUDGET_USD:
        out.append("3-year budget")
    return tuple(out)


@lru_cache(maxsize=16)
def fewest_nodes(model_key: str, tokens: float, eta: float,
                 deadline_days: float = DEADLINE_DAYS):
    """The cheapest cluster size (in rented GPU-hours) that trains ``model_key`` on
    ``tokens`` within the deadline: FleetSizingOptimizer over NODE_COUNTS. Returns the
    optimizer's result (``best_config`` names nodes, tp, pp and days)."""
    return FleetSizingOptimizer().solve(
        model=MODELS[model_key], fleet=TEMPLATE, tokens=float(tokens),
        node_counts=list(NODE_COUNTS), mfu=eta, checkpointing=CHECKPOINTING,
        global_batch_tokens=GLOBAL_BATCH_TOKENS, duration=Q_(deadline_days, "day"),
        price_per_hour=RENT_PER_GPU_HOUR)
