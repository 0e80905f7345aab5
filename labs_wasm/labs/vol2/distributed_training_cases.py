"""The cases Chapter 21 (book/vol2/distributed_training.qmd) and Vol II Lab 05 both compute.

The chapter evaluates these at build time and the lab in the reader's browser, so a number the
chapter states and the lab shows come from the same engine call and cannot differ. Physics is
the engine's: TrainingMemoryModel (the memory one GPU holds under data parallelism and each ZeRO
stage), DistributedModel (a training step on a fleet split dp x tp x pp: arithmetic,
recomputation, pipeline bubble, exposed communication, memory per GPU, MFU), ParallelismModel
(the bytes each GPU sends per step, by kind), ParallelismOptimizer (the fastest split that
fits) and AllReduceModel (one collective over one link). This module fixes the jobs and the
fleets, declares the scenario constants with their sources, and turns a layout chosen with the
lab's controls into engine inputs.

A layout is (tp, pp, micro-batch size, ZeRO stage, recomputation) on a fixed fleet and global
batch: dp = GPUs / (tp pp), and each data-parallel replica splits its share of the batch,
sequences / dp, into m = sequences / (dp b) micro-batches of b sequences.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Models, Q_, Systems
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (AllReduceModel, DistributedModel, ParallelismModel,
                                 ParallelismOptimizer, TrainingMemoryModel)
from mlsysim.resolvers.parallelism import DEFAULT_GLOBAL_BATCH_TOKENS
from mlsysim.resolvers.scaling import DEFAULT_MFU
from mlsysim.systems.types import Cluster

# ---- the fleets -------------------------------------------------------------------------------
#: The lab's fleet: 256 H100 = 32 DGX H100 nodes on the registry's InfiniBand NDR fat tree (the
#: node and fabric of the illustrative Frontier_8K cluster, 32 of its 1,024 nodes). The size is
#: the brief's scenario (ILLUSTRATIVE).
TEMPLATE = Systems.Clusters.Frontier_8K
NODES = 32
#: The chapter's fleet: the registry's illustrative Research_256 cluster, 32 DGX A100 nodes
#: (256 A100 80 GB) on InfiniBand HDR.
CHAPTER_FLEET = Systems.Clusters.Research_256


def cluster(nodes: int = NODES) -> Cluster:
    return Cluster(name=f"{nodes} x {TEMPLATE.node.name}", node=TEMPLATE.node, nodes=nodes,
                   fabric=TEMPLATE.fabric)


FLEET = cluster()
GPU = FLEET.node.hardware
GPUS = FLEET.total_accelerators
PER_NODE = FLEET.node.accelerators

#: Tokens per optimizer step, the whole fleet: the engine's default, 4 Mi tokens (Llama 3 began
#: training with 4M-token batches, Llama Team 2024, Sec. 3.4.1). One value for every job here.
GLOBAL_BATCH_TOKENS = DEFAULT_GLOBAL_BATCH_TOKENS
#: The fraction of peak the arithmetic itself reaches (the engine's estimate, 0.40, between
#: GPT-3's 21.3% and PaLM's 46.2% MFU, Chowdhery et al. 2022, Table 3): the ceiling of MFU.
ARITHMETIC_EFFICIENCY = DEFAULT_MFU
#: The plan's MFU target (ILLUSTRATIVE scenario constant): the training budget assumes 30% of
#: peak, about what Megatron-Turing NLG 530B reported (30.2%, Chowdhery et al. 2022, Table 3).
MFU_TARGET = 0.30


@dataclass(frozen=True)
class Job:
    key: str
    model: object
    seq_len: int
    what: str

    @property
    def sequences(self) -> int:
        """Sequences per optimizer step across the fleet."""
        return GLOBAL_BATCH_TOKENS // self.seq_len


#: The lab's two jobs, one per context. Sequence lengths are each model's own training context
#: (registry context_length: GPT-3 2,048 tokens, Brown et al. 2020; Llama 3 8,192 tokens, Llama
#: Team 2024).
JOBS = {
    "data_parallel": Job("data_parallel", Models.Llama3_8B, Models.Llama3_8B.context_length,
                         "Llama 3 8B"),
    "parallel_3d": Job("parallel_3d", Models.GPT3_175B, Models.GPT3_175B.context_length,
                       "GPT-3 175B"),
}
ACT1_JOB = JOBS["parallel_3d"]          # Act I: GPT-3 175B with plain data parallelism

#: The controls' choices.
TP_CHOICES = (1, 2, 4, 8, 16)
PP_CHOICES = (1, 2, 4, 8, 16)
MICRO_CHOICES = (1, 2, 4, 8)             # sequences per micro-batch
ZERO_STAGES = (0, 1, 2, 3)
CHECKPOINTING = ("none", "selective", "full")
DP_POINTS = (8, 16, 32, 64, 128, 256, 512, 1024)   # Act I's curves


def dp_of(tp: int, pp: int, gpus: int = GPUS) -> int:
    return gpus // (tp * pp)


def sequences_per_replica(job: str, tp: int, pp: int) -> int:
    return JOBS[job].sequences // dp_of(tp, pp)


def micro_choices(job: str, tp: int, pp: int) -> tuple:
    """The micro-batch sizes (sequences) a replica's share of the batch can be cut into."""
    seqs = sequences_per_replica(job, tp, pp)
    return tuple(b for b in MICRO_CHOICES if b <= seqs and seqs % b == 0)


def microbatches(job: str, tp: int, pp: int, b: int) -> int:
    return sequences_per_replica(job, tp, pp) // b


# ---- Act I: one replica per GPU -------------------------------------------------------------
@lru_cache(maxsize=256)
def replica_memory(zero_stage: int, dp: int = GPUS, job: str = "parallel_3d",
                   checkpointing: str = "full"):
    """Training memory of one GPU when the job is split by data parallelism alone over ``dp``
    GPUs: one sequence at a time (micro-batch 1), mixed-precision Adam, ZeRO stage
    ``zero_stage``, checked against the H100."""
    j = JOBS[job]
    return TrainingMemoryModel().solve(model=j.model, batch_size=1, seq_len=j.seq_len,
                                       zero_stage=zero_stage, dp=dp, checkpointing=checkpointing,
                                       hardware=GPU)


@lru_cache(maxsize=8)
def pure_dp_step(zero_stage: int = 3, checkpointing: str = "full", job: str = "parallel_3d"):
    """The step of the job split by data parallelism alone (tp = pp = 1), one sequence per
    micro-batch."""
    return step(job, 1, 1, 1, zero_stage, checkpointing)


# ---- Act II: a layout on the fleet ----------------------------------------------------------
@lru_cache(maxsize=2048)
def step(job: str, tp: int, pp: int, b: int, zero_stage: int, checkpointing: str):
    """The engine's training step of ``job`` split tp x pp x dp on the lab's fleet."""
    j = JOBS[job]
    return DistributedModel().solve(
        model=j.model, fleet=FLEET, tp=tp, pp=pp, seq_len=j.seq_len,
        global_batch_tokens=GLOBAL_BATCH_TOKENS, microbatches=microbatches(job, tp, pp, b),
        micro_batch_size=b, zero_stage=zero_stage, checkpointing=checkpointing)


@lru_cache(maxsize=2048)
def traffic(job: str, tp: int, pp: int, b: int, zero_stage: int, checkpointing: str):
    """Bytes each GPU sends per step, by kind (the engine's ParallelismModel)."""
    j = JOBS[job]
    return ParallelismModel().solve(
        model=j.model, dp=dp_of(tp, pp), tp=tp, pp=pp, microbatches=microbatches(job, tp, pp, b),
        micro_batch_size=b, seq_len=j.seq_len, zero_stage=zero_stage,
        checkpointing=checkpointing)


@lru_cache(maxsize=2048)
def memory(job: str, tp: int, pp: int, b: int, zero_stage: int, checkpointing: str):
    """The per-GPU memory ledger of a layout (the same call DistributedModel makes)."""
    j = JOBS[job]
    return TrainingMemoryModel().solve(
        model=j.model, batch_size=b, seq_len=j.seq_len, zero_stage=zero_stage,
        dp=dp_of(tp, pp), tp=tp, pp=pp, checkpointing=checkpointing,
        microbatches=microbatches(job, tp, pp, b), hardware=GPU)


def violations(job: str, tp: int, pp: int, b: int, zero_stage: int, checkpointing: str) -> list:
    """What a layout misses: the GPU's memory (the engine's constraint) and the MFU target."""
    r = step(job, tp, pp, b, zero_stage, checkpointing)
    out = list(r.violations)
    if r.effective_mfu < MFU_TARGET:
        out.append(Constraint("MFU", Q_(MFU_TARGET, ""), Q_(r.effective_mfu, "")))
    return out


def short(link_name: str) -> str:
    """A link's name without its parenthesis: "InfiniBand NDR (400 Gb/s)" -> "InfiniBand NDR"."""
    return link_name.split(" (")[0]


def placement(tp: int, pp: int, fleet: Cluster = FLEET) -> dict[str, str]:
    """Which link each dimension's traffic crosses, by the engine's rule (DistributedModel):
    tensor parallelism inside a node when its group fits one, pipeline sends inside a node
    when tp x pp fits one, the gradient reduction inside the node first, then across nodes."""
    per_node = fleet.node.accelerators
    intra, inter = short(fleet.node.intra_node.name), short(fleet.fabric.link.name)
    dp = dp_of(tp, pp, fleet.total_accelerators)
    g = min(dp, max(1, per_node // tp))
    return {"tp": intra if tp <= per_node else inter,
            "pp": intra if tp * pp <= per_node else inter,
            "dp": intra if dp <= g else (f"{intra}, then {inter}" if g > 1 else inter)}


#: Parts of a step, as the lab and the chapter name them (DistributedModel.step_breakdown).
PARTS = {"compute": "Arithmetic (forward and backward)",
         "recompute": "Recomputed activations",
         "pipeline_bubble": "Pipeline bubble",
         "tp_communication": "Tensor-parallel exchanges",
         "pp_communication": "Pipeline sends",
         "dp_communication": "Gradient reduction (data parallel)",
         "zero_communication": "Weight gathering (ZeRO-3)"}


def parts(r) -> dict[str, float]:
    """A step's parts in seconds, in PARTS order."""
    return {k: r.step_breakdown[k].m_as("s") for k in PARTS}


# ---- the Act II prediction: tensor parallelism across the node boundary ----------------------
#: The layout the question starts from (GPT-3 on the fleet): tp 8 inside each node, pp 8,
#: dp 4, ZeRO-1, selective recomputation, one-sequence micro-batches (Megatron-LM's layout
#: style for GPT-3-size models, Narayanan et al. 2021, Table 1).
ACT2_BASE = ("parallel_3d", 8, 8, 1, 1, "selective")
#: ... and the colleague's proposal: tp 16 (a group spans two nodes), pp 4, the rest equal.
ACT2_WIDE = ("parallel_3d", 16, 4, 1, 1, "selective")


@lru_cache(maxsize=4)
def best_layout(job: str, zero_stage: int = 1, checkpointing: str = "selective"):
    """The engine's search: the fastest tp x pp split of the lab's fleet that fits (tp within a
    node), one-sequence micro-batches."""
    j = JOBS[job]
    return ParallelismOptimizer().solve(
        model=j.model, fleet=FLEET, seq_len=j.seq_len, microbatches=None,
        zero_stage=zero_stage, checkpointing=checkpointing,
        global_batch_tokens=GLOBAL_BATCH_TOKENS)


# ---- the chapter's worked example ------------------------------------------------------------
#: Chapter 21 works its method on Llama 3 70B on the Research_256 cluster (256 A100 80 GB,
#: NVLink 3 in the node, InfiniBand HDR between nodes), sequences of 4,096 tokens (ILLUSTRATIVE:
#: Llama 3 itself was pre-trained at 8,192), the same 4 Mi-token batch, ZeRO-1.
CHAPTER_MODEL = Models.Llama3_70B
CHAPTER_SEQ = 4096
CHAPTER_SEQUENCES = GLOBAL_BATCH_TOKENS // CHAPTER_SEQ
CHAPTER_GPUS = CHAPTER_FLEET.total_accelerators
#: The chapter's running layout: tp 8 inside each node, pp 4 across nodes, dp 8, selective
#: recomputation, ZeRO-1, one-sequence micro-batches.
CHAPTER_LAYOUT = (8, 4)
#: The layouts its table compares: (tp, pp, checkpointing).
CHAPTER_LAYOUTS = ((1, 1, "selective"), (1, 1, "full"), (8, 1, "selective"), (4, 4, "selective"),
                   (8, 4, "selective"), (8, 4, "full"), (1, 16, "full"), (8, 16, "selective"))


@lru_cache(maxsize=64)
def chapter_memory(zero_stage: int, checkpointing: str = "full", dp: int = CHAPTER_GPUS):
    """One A100's memory when Llama 3 70B is split by data parallelism alone."""
    return TrainingMemoryModel().solve(
        model=CHAPTER_MODEL, batch_size=1, seq_len=CHAPTER_SEQ, zero_stage=zero_stage, dp=dp,
        checkpointing=checkpointing, hardware=CHAPTER_FLEET.node.hardware)


@lru_cache(maxsize=64)
def chapter_step(tp: int, pp: int, checkpointing: str = "selective", zero_stage: int = 1,
                 b: int = 1, m: int | None = None):
    """Llama 3 70B on Research_256 split tp x pp x dp; m defaults to the replica's sequences /
    b (the whole share of the batch in micro-batches of b sequences)."""
    dp = dp_of(tp, pp, CHAPTER_GPUS)
    if m is None:
        m = CHAPTER_SEQUENCES // (dp * b)
    return DistributedModel().solve(
        model=CHAPTER_MODEL, fleet=CHAPTER_FLEET, tp=tp, pp=pp, seq_len=CHAPTER_SEQ,
        global_batch_tokens=GLOBAL_BATCH_TOKENS, microbatches=m, micro_batch_size=b,
        zero_stage=zero_stage, checkpointing=checkpointing)


@lru_cache(maxsize=64)
def chapter_traffic(tp: int, pp: int, checkpointing: str = "selective", zero_stage: int = 1):
    dp = dp_of(tp, pp, CHAPTER_GPUS)
    return ParallelismModel().solve(
        model=CHAPTER_MODEL, dp=dp, tp=tp, pp=pp, microbatches=CHAPTER_SEQUENCES // dp,
        micro_batch_size=1, seq_len=CHAPTER_SEQ, zero_stage=zero_stage,
        checkpointing=checkpointing)


@lru_cache(maxsize=4)
def chapter_best(zero_stage: int = 1, checkpointing: str = "selective"):
    return ParallelismOptimizer().solve(
        model=CHAPTER_MODEL, fleet=CHAPTER_FLEET, seq_len=CHAPTER_SEQ, microbatches=None,
        zero_stage=zero_stage, checkpointing=checkpointing,
        global_batch_tokens=GLOBAL_BATCH_TOKENS)


def chapter_activation_bytes() -> float:
    """One tensor-parallel exchange of the chapter's model: one micro-batch's layer output,
    b s h values at 2 bytes (FP16/BF16)."""
    return CHAPTER_SEQ * CHAPTER_MODEL.hidden_size * 2.0


@lru_cache(maxsize=8)
def chapter_allreduce(tp: int, across_nodes: bool):
    """One tensor-parallel AllReduce of the chapter's activations among ``tp`` GPUs, over
    NVLink 3 inside the node or over the InfiniBand HDR fabric (ring algorithm)."""
    link = CHAPTER_FLEET.fabric.link if across_nodes else CHAPTER_FLEET.node.intra_node
    return AllReduceModel().solve(message_bytes=Q_(chapter_activation_bytes(), "B"),
                                  devices=tp, link=link, algorithm="ring")


def bubble(p: int, m: int) -> float:
    """The idle fraction of a p-stage pipeline fed m micro-batches (the engine's formula,
    reported by ParallelismModel as bubble_fraction)."""
    return ParallelismModel().solve(model=CHAPTER_MODEL, pp=p, microbatches=m,
                                    seq_len=CHAPTER_SEQ).bubble_fraction


#: Node counts of the chapter's scaling table: the running layout (tp 8, pp 4) on 32 to 512
#: DGX A100 nodes of Research_256's kind, the global batch fixed.
CHAPTER_SCALE_NODES = (32, 64, 128, 256, 512)


@lru_cache(maxsize=16)
def chapter_scale(nodes: int):
    """The chapter's running layout on ``nodes`` DGX A100 nodes (HDR fabric), the same global
    batch: more replicas, so fewer micro-batches per pipeline."""
    fleet = Cluster(name=f"{nodes} x {CHAPTER_FLEET.node.name}", node=CHAPTER_FLEET.node,
                    nodes=nodes, fabric=CHAPTER_FLEET.fabric)
    tp, pp = CHAPTER_LAYOUT
    dp = fleet.total_accelerators // (tp * pp)
    return DistributedModel().solve(
        model=CHAPTER_MODEL, fleet=fleet, tp=tp, pp=pp, seq_len=CHAPTER_SEQ,
        global_batch_tokens=GLOBAL_BATCH_TOKENS, microbatches=CHAPTER_SEQUENCES // dp,
        micro_batch_size=1, zero_stage=1, checkpointing="selective")


@lru_cache(maxsize=1)
def chapter_one_gpu():
    """The chapter's step (arithmetic only) on a single A100: why a fleet at all."""
    return DistributedModel().solve(
        model=CHAPTER_MODEL, fleet=CHAPTER_FLEET.node.hardware, seq_len=CHAPTER_SEQ,
        global_batch_tokens=GLOBAL_BATCH_TOKENS)
