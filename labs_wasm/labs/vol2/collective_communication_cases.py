"""The cases Chapter 22 (book/vol2/collective_communication.qmd) and Vol II Lab 06 both
compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a number the
chapter states and the lab shows come from the same call and cannot differ. Physics is the
engine's: AllReduceModel prices an AllReduce with the alpha-beta model (ring, NCCL's double
binary tree, hierarchical, or one parameter server), ReduceScatterModel and AllGatherModel its
two halves, LinkTransferModel one point-to-point message, and DistributedModel the compute time
of a data-parallel training step (6 N x global batch tokens at the engine's MFU). This module
fixes which cluster, model and message a case means, and declares the scenario constants with
their sources.

The fleet: DGX H100 nodes (8 H100 SXM on NVLink 4) on the InfiniBand NDR fabric of the
registry's Frontier_8K cluster (one 400 Gb/s port per GPU, full bisection), at the node counts
a case needs. A flat ring or tree runs every hop at the pace of one GPU's NDR port (its slowest
link); the hierarchical algorithm uses NVLink inside each node and all eight ports across.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Models, Q_, Systems
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (AllGatherModel, AllReduceModel, DistributedModel,
                                 LinkTransferModel, ReduceScatterModel)
from mlsysim.systems.types import Cluster

# ---- the fleet ----------------------------------------------------------------------------
#: The registry's frontier-scale cluster: its node (DGX H100) and its fabric (InfiniBand NDR,
#: rail-optimised fat tree, no oversubscription). Cases take smaller slices of it.
FLEET = Systems.Clusters.Frontier_8K
NODE = FLEET.node
GPU = NODE.hardware
GPUS_PER_NODE = NODE.accelerators
FABRIC = FLEET.fabric
NVLINK = NODE.intra_node
NDR = FABRIC.link
ALGORITHMS = ("ring", "tree", "hierarchical", "parameter_server")
ALGORITHM_NAMES = {"ring": "Ring", "tree": "Tree (double binary)",
                   "hierarchical": "Hierarchical (NVLink, then NDR)",
                   "parameter_server": "One parameter server"}

#: Gradients travel in 16-bit floats (bf16), 2 bytes per parameter, as in mixed-precision
#: training (Micikevicius et al. 2018) and the engine's data-parallel traffic model.
GRAD_PRECISION = "bf16"

#: The lab's model: Llama 3 8B (Llama Team 2024), trained data-parallel; sequences of its
#: full context (the registry's context_length, 8,192 tokens).
MODELS = {"llama3_8b": Models.Language.Llama3_8B, "gpt2_xl": Models.Language.GPT2_XL}
MODEL = "llama3_8b"
#: The lab's Act I fleet: 16 DGX H100 nodes, 128 GPUs. Illustrative scenario size.
LAB_NODES = 16
#: Sequences per global batch, default: 512 x 8,192 = 4,194,304 tokens, Llama 3's initial
#: 4M-token batch (Llama Team 2024, "The Llama 3 Herd of Models", Sec. 3.4.1), the engine's
#: DEFAULT_GLOBAL_BATCH_TOKENS.
LAB_SEQUENCES = 512

#: The chapter's worked example (a case the lab does not ask about): GPT-2 XL gradients on 4
#: DGX H100 nodes, 32 GPUs, with the same 4M-token global batch (512 x 8,192 tokens is
#: 4,096 sequences of GPT-2 XL's 1,024-token context).
CHAPTER_MODEL = "gpt2_xl"
CHAPTER_NODES = 4
CHAPTER_SEQUENCES = 4096

#: The communication budget: gradient AllReduce may take at most half the step's compute
#: time. ILLUSTRATIVE team rule (the issue's "half the step time"): without any overlap the
#: GPUs then compute at least 1 / (1 + 1/2) = two thirds of the time, and with overlap the
#: communication fits inside the backward pass, which is two thirds of a step's FLOP (2N of
#: 6N per token is the forward pass; Kaplan et al. 2020).
BUDGET_FRACTION = 0.5

#: PyTorch DistributedDataParallel's default gradient bucket, bucket_cap_mb = 25 (MiB): the
#: PyTorch documentation of torch.nn.parallel.DistributedDataParallel; Li et al. 2020,
#: "PyTorch Distributed: Experiences on Accelerating Data Parallel Training", VLDB 13(12).
DDP_BUCKET = 25 * 2 ** 20

#: Gradient bucket sizes a student can pick (bytes); "all" sends the whole gradient at once.
BUCKETS = {"64k": 64 * 2 ** 10, "256k": 256 * 2 ** 10, "1m": 2 ** 20, "4m": 4 * 2 ** 20,
           "16m": 16 * 2 ** 20, "25m": DDP_BUCKET, "64m": 64 * 2 ** 20,
           "256m": 256 * 2 ** 20, "1g": 2 ** 30, "all": None}
#: Message sizes of the sweep chart, 4 KiB to 16 GiB in powers of four (both times are
#: straight lines on log axes away from the knee, so a coarse grid draws them faithfully).
SWEEP = tuple(2.0 ** k for k in range(12, 35, 2))


# ---- the fleet at a size ------------------------------------------------------------------
@lru_cache(maxsize=256)
def cluster(nodes: int) -> Cluster:
    """``nodes`` DGX H100 nodes on the registry fleet's NDR fabric."""
    return Cluster(name=f"{nodes} x {NODE.name} on {FABRIC.name}", node=NODE, nodes=nodes,
                   fabric=FABRIC)


def gpus(nodes: int) -> int:
    return nodes * GPUS_PER_NODE


def gradient_bytes(model: str = MODEL) -> float:
    """Bytes of one full gradient of MODELS[model] at 2 bytes per parameter."""
    return MODELS[model].size_in_bytes(GRAD_PRECISION).m_as("B")


# ---- one collective -------------------------------------------------------------------------
@lru_cache(maxsize=8192)
def allreduce(algorithm: str, message_bytes: float, nodes: int):
    """AllReduce of ``message_bytes`` over ``nodes`` DGX H100 nodes (8 GPUs each)."""
    return AllReduceModel().solve(message_bytes=Q_(message_bytes, "B"), fleet=cluster(nodes),
                                  algorithm=algorithm)


def seconds(algorithm: str, message_bytes: float, nodes: int) -> float:
    return allreduce(algorithm, message_bytes, nodes).time.m_as("s")


@lru_cache(maxsize=64)
def halves(message_bytes: float, nodes: int):
    """(reduce-scatter, all-gather) of ``message_bytes``, ring, over the flat fabric: the two
    halves of a ring AllReduce."""
    kw = dict(message_bytes=Q_(message_bytes, "B"), fleet=cluster(nodes), algorithm="ring")
    return ReduceScatterModel().solve(**kw), AllGatherModel().solve(**kw)


@lru_cache(maxsize=16)
def point_to_point(message_bytes: float, link: str = "ndr"):
    """One message over one link: alpha + M / beta."""
    return LinkTransferModel().solve(message_bytes=Q_(message_bytes, "B"),
                                     link=NDR if link == "ndr" else NVLINK)


def all_to_all_seconds(message_bytes: float, nodes: int) -> float:
    """All-to-all of ``message_bytes`` per GPU (each GPU holds M and sends M/p to each of the
    p - 1 others) as a pairwise exchange: p - 1 rounds, each one point-to-point message of
    M/p over the NDR port on a full-bisection fabric, (p - 1)(alpha + M/(p beta))."""
    p = gpus(nodes)
    return (p - 1) * point_to_point(message_bytes / p).time.m_as("s")


@lru_cache(maxsize=256)
def crossover(nodes: int) -> float:
    """The message size (bytes) above which the ring is faster than the tree. Both times are
    alpha and beta terms linear in the message, so the engine's terms at one size give it:
    M* = (ring latency - tree latency) / ((tree bandwidth term - ring one) / M)."""
    m = 2.0 ** 30
    ring, tree = allreduce("ring", m, nodes), allreduce("tree", m, nodes)
    extra_latency = ring.latency_term.m_as("s") - tree.latency_term.m_as("s")
    extra_per_byte = (tree.bandwidth_term.m_as("s") - ring.bandwidth_term.m_as("s")) / m
    return extra_latency / extra_per_byte if extra_per_byte > 0 else math.inf


# ---- a training step ------------------------------------------------------------------------
@lru_cache(maxsize=512)
def compute_time(nodes: int, sequences: int, model: str = MODEL) -> float:
    """Compute time (s) of one data-parallel step of ``sequences`` full-context sequences on
    ``nodes`` nodes: 6 N x tokens at the engine's MFU on every GPU."""
    tokens = sequences * MODELS[model].context_length
    return DistributedModel().solve(model=MODELS[model], fleet=cluster(nodes),
                                    global_batch_tokens=tokens).compute_time_per_step.m_as("s")


def mfu() -> float:
    return DistributedModel().solve(model=MODELS[MODEL], fleet=cluster(1)).mfu


@dataclass(frozen=True)
class StepComm:
    """The gradient AllReduce of one training step, sent in buckets, against the budget."""

    algorithm: str
    nodes: int
    sequences: int
    bucket: float            # bytes per bucket (the whole gradient when larger)
    buckets: int             # messages per step
    per_bucket: float        # s, one full bucket's AllReduce
    latency: float           # s, the alpha terms of the whole step
    bandwidth: float         # s, the beta terms of the whole step
    total: float             # s, communication per step
    compute: float           # s, the step's compute time
    budget: float            # s, BUDGET_FRACTION x compute
    violations: tuple

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def share(self) -> float:
        """Communication as a fraction of the compute time."""
        return self.total / self.compute


@lru_cache(maxsize=4096)
def step(algorithm: str, bucket_key: str, nodes: int, sequences: int = LAB_SEQUENCES,
         model: str = MODEL) -> StepComm:
    """The gradient of ``model`` reduced in buckets of BUCKETS[bucket_key] bytes: full buckets
    and one remainder, each an AllReduce; a violated "gradient AllReduce per step" when the
    total exceeds half the step's compute time."""
    grad = gradient_bytes(model)
    size = BUCKETS[bucket_key] or grad
    size = min(size, grad)
    full = int(grad // size)
    rest = grad - full * size
    parts = [(allreduce(algorithm, size, nodes), full)]
    if rest > 0:
        parts.append((allreduce(algorithm, rest, nodes), 1))
    latency = sum(r.latency_term.m_as("s") * k for r, k in parts)
    bandwidth = sum(r.bandwidth_term.m_as("s") * k for r, k in parts)
    compute = compute_time(nodes, sequences, model)
    budget = BUDGET_FRACTION * compute
    total = latency + bandwidth
    violations = () if total <= budget else (
        Constraint("gradient AllReduce per step", Q_(total, "s"), Q_(budget, "s")),)
    return StepComm(algorithm, nodes, sequences, size, full + (rest > 0),
                    parts[0][0].time.m_as("s"), latency, bandwidth, total, compute, budget,
                    violations)


# ---- Act I: one parameter server against the ring --------------------------------------------
def server_over_ring(nodes: int, model: str = MODEL) -> float:
    """How many times longer one parameter server takes than a ring, whole gradient."""
    g = gradient_bytes(model)
    return seconds("parameter_server", g, nodes) / seconds("ring", g, nodes)


def link_of(nodes: int):
    """(alpha s, beta B/s, name) of the link a flat collective over ``nodes`` runs on: NVLink
    when it fits in one node, else one GPU's NDR port."""
    link = NVLINK if nodes == 1 else NDR
    return link.latency.m_as("s"), link.bandwidth.m_as("B/s"), link.name
