"""The cases Volume II's Chapter 33 (book/vol2/conclusion.qmd) and its Lab 17 both compute.

Volume II's capstone puts one fleet design in front of every constraint the volume taught, at
once: a language model trained on a cluster of DGX H100 nodes and then served to users. The
design is a handful of choices (the cluster's size, how the model is split over it, how often
the job checkpoints, how many serving replicas there are and how many sequences each batches,
and the region whose grid powers it all), and each constraint is an engine call:

- memory: DistributedModel (each GPU's share of the training state, through
  TrainingMemoryModel) and PrefillDecodeModel (the served weights and the KV cache of a full
  batch);
- communication: AllReduceModel (the gradient exchange each step) against the backward pass
  it must hide under (DistributedModel's compute and recomputation);
- reliability: FleetReliabilityModel (fleet MTBF = MTBF/N), CheckpointModel and YoungDalyModel
  (the share of the run lost to checkpoints, recomputed work and restarts), through Lab 07's
  cases (fault_tolerance_cases.py), so a number there and here cannot differ;
- the schedule: DistributedModel's time to train, stretched by that loss, against a deadline;
- serving: TTFTModel (prefill on replicas behind one queue, M/M/c) and LittlesLawModel (the
  sequences in flight, L = lambda W, against the replicas' batch slots);
- carbon: EnergyCarbonModel with a grid of the registry (training plus a year of serving).

This module fixes the scenario, declares its few constants with their sources, and reads a
student's Design Ledger of both volumes into a calibration (log10 of predicted over actual).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Models, Q_, Systems
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (AllReduceModel, DistributedModel, EnergyCarbonModel,
                                 LittlesLawModel, PrefillDecodeModel, TTFTModel)
from mlsysim.resolvers.economics import DEFAULT_PUE
from mlsysim.resolvers.scaling import DEFAULT_MFU
from mlsysim.systems.types import Cluster

from labkit import contexts
# "Within 2x" and log10(predicted / actual): Volume I's capstone's measures, so a student's
# calibration reads the same in both capstones.
from labs.vol1 import conclusion_cases as vol1_capstone
from labs.vol1.conclusion_cases import CLOSE_FACTOR, log_ratio  # noqa: F401 (re-exported)
from labs.vol2 import fault_tolerance_cases as ft

# ---- the fleet --------------------------------------------------------------------------------
#: Every cluster is built of the registry's DGX H100 node (8 H100 SXM, NVLink 4) on the fabric
#: of its illustrative frontier-scale cluster (InfiniBand NDR fat tree, full bisection).
TEMPLATE = Systems.Clusters.Frontier_8K
NODE = TEMPLATE.node
GPU = NODE.hardware
GPUS_PER_NODE = NODE.accelerators
#: Cluster sizes a design may pick, in nodes (powers of two, as capacity is sold and built).
NODE_CHOICES = (64, 128, 256, 512, 1024, 2048)


def cluster(nodes: int) -> Cluster:
    """``nodes`` DGX H100 nodes on the template's fabric."""
    return Cluster(name=f"{nodes} x {NODE.name}", node=NODE, nodes=nodes, fabric=TEMPLATE.fabric)


@dataclass(frozen=True)
class Layout:
    """How the model is split over the cluster: tensor parallel inside a node, pipeline stages,
    and the ZeRO stage of the data-parallel replicas."""

    key: str
    tp: int
    pp: int
    zero_stage: int
    words: str


#: The layouts a design may pick (Chapter 21's vocabulary). Tensor parallelism stays inside a
#: node (8 GPUs on NVLink); ZeRO-1 shards the optimizer state over the data-parallel ranks,
#: ZeRO-3 also the gradients and the weights.
LAYOUTS = {
    "dp": Layout("dp", 1, 1, 1, "data parallel with ZeRO-1"),
    "fsdp": Layout("fsdp", 1, 1, 3, "fully sharded data parallel (ZeRO-3)"),
    "tp8": Layout("tp8", 8, 1, 1, "tensor parallel 8 inside each node, ZeRO-1"),
    "tp8_pp4": Layout("tp8_pp4", 8, 4, 1, "tensor parallel 8 × 4 pipeline stages, ZeRO-1"),
}

# ---- the training job --------------------------------------------------------------------------
#: The models a case may train and serve (registry entries).
MODELS = {"llama3_8b": Models.Llama3_8B, "llama3_70b": Models.Llama3_70B}
#: Both Llama 3 models were pre-trained on "over 15T" tokens (Llama Team 2024, "The Llama 3
#: Herd of Models", arXiv 2407.21783, Sec. 3.1), sequences of 8,192 tokens (Sec. 3.4.1).
TOKENS = 15e12
SEQ_LEN = 8192
#: Tokens per optimizer step across the fleet: 16 Mi, the batch of most of Llama 3's 15T-token
#: run (Llama Team 2024, Sec. 3.4.1: 4M, then 8M, then 16M tokens per batch).
GLOBAL_BATCH_TOKENS = 16 * 2 ** 20
#: Full activation recomputation (one extra forward per step) and gradient exchange overlapped
#: with the backward pass (bucketed reduction), as large runs do; MFU of the arithmetic is the
#: engine's estimate (0.40, between GPT-3's 21.3% and PaLM's 46.2%, Chowdhery et al. 2022).
CHECKPOINTING = "full"
MFU = float(DEFAULT_MFU)
#: The share of the run a design may lose to checkpoint stalls, recomputed work and restarts.
#: Llama 3's 405B run kept "higher than 90% effective training time" (Llama Team 2024,
#: Sec. 3.3.4), so 10% is the loss a frontier team plans for.
LOSS_BUDGET = 0.10
#: Checkpoints go, synchronously, to Lab 07's storage fabric: 32 parallel-file-system
#: appliances, about the 2 TB/s of Meta's Llama 3 storage (fault_tolerance_cases.FABRIC_UNITS);
#: a restart costs Lab 07's relaunch (illustrative) plus reading the checkpoint back.
CHECKPOINT_TIER = "parallel_fs"
CHECKPOINT_UNITS = ft.FABRIC_UNITS
#: The training deadline, days. ILLUSTRATIVE scenario choice (a model generation every quarter
#: leaves about six weeks for pre-training).
DEADLINE_DAYS = 45.0

# ---- the service ------------------------------------------------------------------------------
#: Each serving replica is one DGX H100 node running the model tensor parallel over its 8 GPUs
#: (NVLink 4), at FP16, prefill arithmetic at the engine's MFU estimate.
SERVE_TP = GPUS_PER_NODE
SERVE_LINK = NODE.intra_node
SERVE_PRECISION = "fp16"
#: The service's load and requests. ILLUSTRATIVE scenario choices: an assistant's peak
#: traffic of 40 requests/s, prompts of 2,048 tokens (a conversation with some retrieved text)
#: and replies of up to 1,024 tokens, the KV cache sized for the longest.
ARRIVAL_RATE = 40.0
PROMPT_TOKENS = 2048
OUTPUT_TOKENS = 1024
#: 99% of requests see their first token within 200 ms: the interactive objective of Lab 10
#: (about the pause after which a reader notices the wait). SCENARIO CONSTANT.
TTFT_SLO_S = 0.200
PERCENTILE = 0.99

# ---- carbon -----------------------------------------------------------------------------------
#: Facility overhead: the engine's PUE (1.2, an efficient facility; Uptime Institute 2023).
PUE = float(DEFAULT_PUE)
#: Training GPUs draw their TDP (700 W) while the job runs, the convention of Meta's Llama 3
#: model card (GPU-hours x TDP). Serving replicas draw 60% of TDP averaged over a day of
#: traffic. ILLUSTRATIVE (a serving fleet idles between peaks).
SERVING_UTILIZATION = 0.6
SERVING_YEARS = 1.0
HOURS_PER_YEAR = 365.25 * 24
#: The project's carbon budget for pre-training plus the first year of serving, tonnes CO2e.
#: ILLUSTRATIVE scenario choice: about half of the 1,900 tCO2e (location-based) Meta's model
#: card reports for pre-training Llama 3 70B (github.com/meta-llama/llama3, MODEL_CARD.md).
CARBON_BUDGET_T = 1000.0
#: The grids a design may run in: the registry's (Ember 2023 annual means via Our World in Data).
GRID_KEYS = ("Norway", "France", "Brazil", "Canada", "US", "Germany", "World", "Australia",
             "China", "Poland", "India")


def grid(key: str):
    return getattr(Systems.Grids, key)


def intensity(key: str) -> float:
    """gCO2e/kWh of a registry grid."""
    return grid(key).carbon_intensity.m_as("gCO2e/kWh")


# ---- the checks -------------------------------------------------------------------------------
#: The kinds of constraint, in the order the chapter and the lab list them, with their words.
KINDS = {"memory": "memory", "communication": "communication", "reliability": "reliability",
         "schedule": "training deadline", "serving": "serving", "carbon": "carbon"}


@dataclass(frozen=True)
class Check:
    """One constraint of the design, met or not: required against available."""

    kind: str
    constraint: Constraint
    ratio: float
    met: bool


def check(kind: str, constraint: Constraint, strict: bool = False) -> Check:
    """``strict``: a queue or a flow must stay strictly below its capacity."""
    r = constraint.ratio
    return Check(kind, constraint, r, r < 1.0 if strict else r <= 1.0)


@dataclass(frozen=True)
class Design:
    """One fleet design: what the student chooses."""

    model: str
    nodes: int
    layout: str
    interval_min: int
    replicas: int
    batch: int
    grid: str

    @property
    def gpus(self) -> int:
        return self.nodes * GPUS_PER_NODE


@dataclass(frozen=True)
class Verdict:
    design: Design
    train: object            # DistributedResult
    allreduce_s: float       # one gradient exchange (AllReduce, x1.5 with ZeRO-3's all-gather)
    window_s: float          # the backward pass it can hide under
    reliability: object      # fault_tolerance_cases.Design (Young-Daly at the interval)
    train_days: float        # time to train without failures
    wall_days: float         # with the loss to checkpoints, failures and restarts
    ttft: object             # TTFTResult
    decode: object           # PrefillDecodeResult (a full batch)
    in_flight: float         # sequences in flight, Little's L
    train_t: float           # tCO2e of pre-training
    serve_t: float           # tCO2e of a year of serving
    checks: tuple
    violations: tuple
    binding: Check

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def carbon_t(self) -> float:
        return self.train_t + self.serve_t

    def of_kind(self, kind: str) -> tuple:
        return tuple(c for c in self.checks if c.kind == kind)

    def worst(self, kind: str) -> Check | None:
        found = self.of_kind(kind)
        return max(found, key=lambda c: c.ratio) if found else None


@lru_cache(maxsize=256)
def training(model: str, nodes: int, layout: str):
    """DistributedModel: Llama 3 on ``nodes`` DGX H100 nodes, split by ``layout``."""
    lay = LAYOUTS[layout]
    return DistributedModel().solve(
        model=MODELS[model], fleet=cluster(nodes), tokens=TOKENS, tp=lay.tp, pp=lay.pp,
        zero_stage=lay.zero_stage, checkpointing=CHECKPOINTING, seq_len=SEQ_LEN,
        global_batch_tokens=GLOBAL_BATCH_TOKENS, mfu=MFU, overlap=True)


@lru_cache(maxsize=256)
def gradient_exchange(model: str, nodes: int, layout: str):
    """AllReduceModel: the gradient AllReduce of one step (2 B per parameter of a GPU's shard
    of the model) over the data-parallel ranks: ring across the nodes over InfiniBand when
    each node holds one rank (tensor parallel 8), hierarchical (ring inside the node on NVLink,
    then across) when every GPU is a rank."""
    lay = LAYOUTS[layout]
    t = training(model, nodes, layout)
    message = Q_(2.0 * MODELS[model].parameters / (lay.tp * lay.pp), "B")
    if lay.tp >= GPUS_PER_NODE:
        return AllReduceModel().solve(message_bytes=message, devices=t.dp,
                                      link=TEMPLATE.fabric.link)
    return AllReduceModel().solve(message_bytes=message, devices=t.dp, algorithm="hierarchical",
                                  fleet=cluster(nodes))


def exchange_s(model: str, nodes: int, layout: str) -> float:
    """Seconds of gradient traffic per step: the AllReduce, and with ZeRO-3 the parameter
    all-gather that adds half as much again."""
    t = gradient_exchange(model, nodes, layout).time.m_as("s")
    return t * (1.5 if LAYOUTS[layout].zero_stage >= 3 else 1.0)


def backward_window_s(model: str, nodes: int, layout: str) -> float:
    """The backward pass a step's gradient exchange can hide under: 2/3 of its compute and
    recomputation (the backward is twice the forward)."""
    t = training(model, nodes, layout)
    return (2.0 / 3.0) * (t.compute_time_per_step.m_as("s") + t.recompute_time_per_step.m_as("s"))


@lru_cache(maxsize=1024)
def reliability(model: str, gpus: int, interval_min: int):
    """Lab 07's Young-Daly design: fleet MTBF of ``gpus`` H100s, a synchronous checkpoint of the
    weights and Adam state to the storage fabric, restarts, at ``interval_min`` minutes."""
    return ft.design(gpus, model, CHECKPOINT_TIER, CHECKPOINT_UNITS, False, 60.0 * interval_min)


@lru_cache(maxsize=512)
def ttft(model: str, replicas: int):
    """TTFTModel: prompts of PROMPT_TOKENS on ``replicas`` nodes behind one queue."""
    return TTFTModel().solve(model=MODELS[model], hardware=GPU, prompt_tokens=PROMPT_TOKENS,
                             arrival_rate=Q_(ARRIVAL_RATE, "1/s"), servers=replicas,
                             tp=SERVE_TP, precision=SERVE_PRECISION, mfu=MFU, link=SERVE_LINK,
                             percentile=PERCENTILE, target_latency=Q_(TTFT_SLO_S, "s"))


@lru_cache(maxsize=512)
def decode(model: str, batch: int):
    """PrefillDecodeModel: one replica with ``batch`` sequences of the longest length."""
    return PrefillDecodeModel().solve(model=MODELS[model], hardware=GPU,
                                      prompt_tokens=PROMPT_TOKENS, output_tokens=OUTPUT_TOKENS,
                                      batch_size=batch, tp=SERVE_TP, precision=SERVE_PRECISION,
                                      mfu=MFU, link=SERVE_LINK)


@lru_cache(maxsize=512)
def in_flight(model: str, batch: int):
    """LittlesLawModel: sequences in flight when each stays OUTPUT_TOKENS decoding steps of a
    full batch (L = lambda W)."""
    w = OUTPUT_TOKENS * decode(model, batch).decode_time_per_token.m_as("s")
    return LittlesLawModel().solve(arrival_rate=Q_(ARRIVAL_RATE, "1/s"),
                                   time_in_system=Q_(w, "s"))


@lru_cache(maxsize=2048)
def training_carbon(gpus: int, wall_days: float, grid_key: str):
    return EnergyCarbonModel().solve(duration=Q_(wall_days, "day"), hardware=GPU, devices=gpus,
                                     pue=PUE, grid=grid(grid_key))


@lru_cache(maxsize=1024)
def serving_carbon(replicas: int, grid_key: str):
    return EnergyCarbonModel().solve(duration=Q_(SERVING_YEARS * HOURS_PER_YEAR, "hour"),
                                     hardware=GPU, devices=replicas * GPUS_PER_NODE,
                                     utilization=SERVING_UTILIZATION, pue=PUE,
                                     grid=grid(grid_key))


def _memory_check(name: str, result, hbm) -> Check:
    """The result's memory violation renamed for the lab, or its headroom when it fits."""
    for v in result.violations:
        if "capacity" in v.name:
            return check("memory", Constraint(name, v.required.to("GB"), v.available.to("GB")))
    return check("memory", Constraint(name, hbm[0].to("GB"), hbm[1].to("GB")))


@lru_cache(maxsize=8192)
def verdict(model: str, nodes: int, layout: str, interval_min: int, replicas: int, batch: int,
            grid_key: str) -> Verdict:
    """Every check of one fleet design."""
    d = Design(model, nodes, layout, interval_min, replicas, batch, grid_key)
    t = training(model, nodes, layout)
    hbm = GPU.memory.capacity
    checks = [_memory_check("training memory per GPU", t, (t.memory_per_gpu, hbm))]
    dec = decode(model, batch)
    checks.append(_memory_check("serving memory per GPU", dec, (dec.memory_per_device, hbm)))
    ex, win = exchange_s(model, nodes, layout), backward_window_s(model, nodes, layout)
    checks.append(check("communication", Constraint(
        "gradient exchange within the backward pass", Q_(ex, "s").to("ms"),
        Q_(win, "s").to("ms"))))
    rel = reliability(model, d.gpus, interval_min)
    checks.append(check("reliability", Constraint(
        "time lost to checkpoints, failures and restarts", Q_(rel.waste * 100, "percent"),
        Q_(LOSS_BUDGET * 100, "percent"))))
    days = t.time_to_train.m_as("day")
    wall = days * (1.0 + rel.waste)
    checks.append(check("schedule", Constraint("training time", Q_(wall, "day"),
                                               Q_(DEADLINE_DAYS, "day"))))
    tt = ttft(model, replicas)
    cap = [v for v in tt.violations if v.name == "prefill capacity"]
    if cap:
        checks.append(check("serving", cap[0], strict=True))
    else:
        checks.append(check("serving", Constraint(
            "time to first token (P99)", tt.ttft_percentile.to("ms"),
            Q_(TTFT_SLO_S, "s").to("ms"))))
    little = in_flight(model, batch)
    checks.append(check("serving", Constraint(
        "requests in flight", Q_(little.in_system, "request"),
        Q_(replicas * batch, "request"))))
    tc = training_carbon(d.gpus, wall, grid_key).carbon.m_as("kgCO2e") / 1000.0
    sc = serving_carbon(replicas, grid_key).carbon.m_as("kgCO2e") / 1000.0
    checks.append(check("carbon", Constraint(
        "carbon of training and a year of serving", Q_((tc + sc) * 1000.0, "kgCO2e"),
        Q_(CARBON_BUDGET_T * 1000.0, "kgCO2e"))))
    return Verdict(design=d, train=t, allreduce_s=ex, window_s=win, reliability=rel,
                   train_days=days, wall_days=wall, ttft=tt, decode=dec,
                   in_flight=little.in_system, train_t=tc, serve_t=sc, checks=tuple(checks),
                   violations=tuple(c.constraint for c in checks if not c.met),
                   binding=max(checks, key=lambda c: c.ratio))


def of(d: Design) -> Verdict:
    return verdict(d.model, d.nodes, d.layout, d.interval_min, d.replicas, d.batch, d.grid)


# ---- the lab's questions and the chapter's worked example (different cases) ----------------------
#: Lab 17 Act I: the planning team's proposal. Llama 3 70B on 512 nodes (4,096 H100), tensor
#: parallel 8, hourly checkpoints, 8 serving replicas of 64 sequences, on the US grid.
PROPOSAL = Design("llama3_70b", 512, "tp8", 60, 8, 64, "US")
#: Lab 17 Act II starts from the proposal with the cluster doubled (the team's fix for the
#: deadline) and checkpoints every half hour.
ACT2 = Design("llama3_70b", 1024, "tp8", 30, 8, 64, "US")
#: Chapter 33's worked example: Llama 3 8B, trained on 64 nodes (512 H100) with plain data
#: parallelism and served by 2 replicas of 64 sequences, on Germany's grid. The lab's model,
#: cluster sizes and grid are not worked there.
CHAPTER = Design("llama3_8b", 64, "dp", 60, 2, 64, "Germany")


def with_(d: Design, **changes) -> Design:
    """``d`` with some choices changed."""
    return Design(**{**d.__dict__, **changes})


#: The controls of Act II and another value each takes, to see which constraints it moves.
LEVERS = {"nodes": ("cluster size", {"nodes": 512}),
          "interval": ("checkpoint interval", {"interval_min": 60}),
          "replicas": ("serving replicas", {"replicas": 16}),
          "grid": ("region", {"grid": "France"})}


@lru_cache(maxsize=32)
def kinds_moved(lever: str, base: Design = ACT2, value=None) -> tuple:
    """The kinds of constraint whose ratio changes when only ``lever`` changes (from ``base``,
    to ``value`` or to the lever's other value in LEVERS)."""
    field, other = next(iter(LEVERS[lever][1].items()))
    a, b = of(base), of(with_(base, **{field: other if value is None else value}))
    return tuple(k for k in KINDS
                 if any(not math.isclose(x.ratio, y.ratio, rel_tol=1e-9)
                        for x, y in zip(a.of_kind(k), b.of_kind(k))))


def energy_kwh(v: Verdict) -> float:
    """Facility energy of the design's training run and a year of serving, kWh."""
    d = v.design
    return (training_carbon(d.gpus, v.wall_days, d.grid).facility_energy.m_as("kWh")
            + serving_carbon(d.replicas, d.grid).facility_energy.m_as("kWh"))


def cleanest_needed(v: Verdict) -> float:
    """The highest grid intensity (gCO2e/kWh) at which the design's energy meets the budget."""
    return CARBON_BUDGET_T * 1e6 / energy_kwh(v)


# ---- the Design Ledger of both volumes, read as a calibration ----------------------------------
#: The chapters of each volume whose lab asks for estimates (Lab 00, the orientation tour, only
#: records the home context). Volume I's table is its capstone's, plus the capstone itself;
#: Volume II's chapter titles as the book prints them, with the invariant each lab teaches
#: (LAB_PROTOCOL's catalog).
VOLUME2 = {
    1: ("Introduction to Systems at Scale", "from one node to a fleet; C = 6ND"),
    2: ("Compute Infrastructure", "the NVLink-to-PCIe bandwidth cliff"),
    3: ("Network Fabrics", "bisection bandwidth; fat-tree oversubscription"),
    4: ("Data Storage", "the I/O bottleneck; HBM against storage bandwidth"),
    5: ("Distributed Training", "data, tensor and pipeline parallelism; MFU at scale"),
    6: ("Collective Communication", "the AllReduce alpha-beta model; ring against tree"),
    7: ("Fault Tolerance", "fleet MTBF = MTBF/N; the Young-Daly interval"),
    8: ("Fleet Orchestration", "utilisation against queueing delay"),
    9: ("Performance Engineering", "profile first; Amdahl; fused attention"),
    10: ("Inference at Scale", "KV-cache memory; continuous batching"),
    11: ("Edge Intelligence", "the communication cost of federated learning"),
    12: ("Operations at Scale", "SLO budgets; cascading failure"),
    13: ("Security and Privacy", "differential privacy: epsilon and delta against accuracy"),
    14: ("Robust AI", "adversarial robustness against clean accuracy"),
    15: ("Sustainable AI", "energy x carbon intensity; the Jevons paradox"),
    16: ("Responsible AI", "the incompatibility of fairness metrics"),
}


def _volume1() -> dict:
    from labs.vol1 import conclusion_cases as v1
    table = dict(v1.VOLUME1)
    table[16] = ("Conclusion", "one design against every Volume I constraint")
    return table


VOLUME1 = _volume1()
VOLUMES = {1: VOLUME1, 2: VOLUME2}
#: Every lab the calibration reads, in book order: (volume, lab number).
LABS = tuple((v, n) for v in (1, 2) for n in VOLUMES[v])
@dataclass(frozen=True)
class LabRecord:
    volume: int
    number: int
    context: str
    log_ratio: float | None
    predicted: float | None
    actual: float | None
    act1_correct: bool
    act2_correct: bool
    constraint_hit: bool


@dataclass(frozen=True)
class Calibration(vol1_capstone.Calibration):
    """Volume I's calibration statistics (within 2x, median miss, lean) over both volumes'
    records; ``missing`` holds (volume, number) pairs."""

    def of_volume(self, volume: int) -> tuple:
        return tuple(r for r in self.done if r.volume == volume)

    def missing_of(self, volume: int) -> tuple:
        return tuple(n for v, n in self.missing if v == volume)

    def share(self, field: str, volume: int | None = None) -> float | None:
        done = self.done if volume is None else self.of_volume(volume)
        if not done:
            return None
        return sum(1 for r in done if getattr(r, field)) / len(done)

    def constraints_hit(self) -> int:
        return sum(1 for r in self.done if r.constraint_hit)


def calibration(entries) -> Calibration:
    """Both volumes' labs from a ledger's valid entries (``labkit.ledger.LedgerEntry``), in
    book order; Lab 00 and this capstone are left out."""
    done = {}
    for e in entries:
        key = (e.volume, e.number)
        if e.number not in VOLUMES.get(e.volume, {}):
            continue
        done[key] = LabRecord(
            e.volume, e.number, e.context,
            log_ratio(e.act1.predicted_value, e.act1.actual_value),
            e.act1.predicted_value, e.act1.actual_value, e.act1.correct, e.act2.correct,
            e.constraint_hit)
    return Calibration(tuple(done[k] for k in LABS if k in done),
                       tuple(k for k in LABS if k not in done))


def context_name(key: str) -> str:
    return contexts.name(key) if key in contexts.CONTEXTS else key
