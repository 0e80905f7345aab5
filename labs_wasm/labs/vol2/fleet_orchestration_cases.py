"""The cases Chapter 24 (book/vol2/fleet_orchestration.qmd) and Vol II Lab 08 both compute.

The chapter evaluates these at build time and the lab in the reader's browser, so a number the
chapter states and the lab shows come from the same call and cannot differ. Physics is the
engine's: TrainingTimeModel sizes a job (6ND FLOP at a fraction of the node's peak),
MMcQueueModel gives one node's queue (M/M/1) and a pooled cluster's (M/M/c, Erlang C),
PriorityQueueModel the per-class waits of non-preemptive priority (Cobham's formula) beside
FIFO over the same mix, MG1QueueModel the effect of the job-length spread (Pollaczek-Khinchine),
LittlesLawModel the jobs waiting. This module fixes which machine, job mix and limits a case
means, and declares the scenario constants with their sources or as illustrative.

The scheduling model. A job asks for one whole node (eight GPUs that share NVLink: jobs are
gang-scheduled on a node) and holds it for an exponentially distributed time. Jobs arrive at
random (Poisson). Interactive jobs (a researcher waiting at a terminal: a debugging run, an
evaluation, a notebook session) and training jobs (batch work nobody watches start) draw
their allocation times from the same distribution: Cobham's multi-server formula needs one
service distribution for every class. On a shared cluster with a walltime limit this is close
to how a scheduler sees the work: a long training run is a chain of allocations, each ending
in a checkpoint and a requeue, so the scheduler sees slices, not whole runs. The chapter shows
what changes when the classes' lengths differ (one node, Cobham's single-server case).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Models, Q_, Systems
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (LittlesLawModel, MG1QueueModel, MMcQueueModel,
                                 PriorityQueueModel, TrainingTimeModel)

from labkit import fmt

def span(seconds: float) -> str:
    """A wait in the unit that reads best: seconds, minutes, hours, then days (the chapter
    and the lab write every wait with it)."""
    if math.isinf(seconds):
        return "unbounded"
    if seconds < 60:
        return fmt.duration(seconds)
    if seconds < 3600:
        return f"{fmt.num(seconds / 60)} min"
    if seconds < 72 * 3600:
        return f"{fmt.num(seconds / 3600)} h"
    return f"{fmt.num(seconds / 86400)} days"


# ---- Act I and the chapter's first example: one shared node, one job type -------------------
#: The job: fine-tuning Llama 3 8B on half a billion tokens, in steps of a million tokens.
#: ILLUSTRATIVE scenario choice (a domain-adaptation run of a few hundred million tokens is a
#: common size for an 8B model; the exact size only scales the hours).
FINETUNE_MODEL = Models.Llama3_8B
FINETUNE_TOKENS = 500e6
STEP_TOKENS = 1_000_000
#: Act I's node (the lab) and the chapter's node (its worked example): a team's shared DGX.
LAB_NODE = Systems.Nodes.DGX_H100
CHAPTER_NODE = Systems.Nodes.DGX_A100
#: The utilisation the lab's stakeholder wants (Act I) and the one the chapter works out.
#: ILLUSTRATIVE scenario choices ("keep the expensive node busy").
LAB_UTILIZATION = 0.95
CHAPTER_UTILIZATION = 0.80


@lru_cache(maxsize=4)
def job(node_key: str):
    """The fine-tuning job on one whole node: 6ND FLOP at the engine's default MFU."""
    node = getattr(Systems.Nodes, node_key)
    return TrainingTimeModel().solve(model=FINETUNE_MODEL, hardware=node.hardware,
                                     steps=round(FINETUNE_TOKENS / STEP_TOKENS),
                                     batch_size=STEP_TOKENS, devices=node.accelerators)


def job_hours(node_key: str) -> float:
    return job(node_key).total_time.m_as("h")


@lru_cache(maxsize=512)
def node_queue(utilization: float, service_h: float, servers: int = 1):
    """M/M/c with jobs of mean ``service_h`` hours at ``utilization`` (M/M/1 for one node)."""
    return MMcQueueModel().solve(arrival_rate=Q_(utilization * servers / service_h, "1/h"),
                                 service_rate=Q_(1 / service_h, "1/h"), servers=servers)


def wait_in_jobs(utilization: float, servers: int = 1) -> float:
    """Mean wait in units of the mean job length (independent of the length)."""
    return node_queue(utilization, 1.0, servers).mean_wait.m_as("h")


@lru_cache(maxsize=64)
def spread_queue(utilization: float, service_h: float, cv: float):
    """One node whose job lengths have coefficient of variation ``cv`` (M/G/1 means)."""
    return MG1QueueModel().solve(arrival_rate=Q_(utilization / service_h, "1/h"),
                                 service_rate=Q_(1 / service_h, "1/h"), service_cv=cv)


def waiting_jobs(rate_per_h: float, wait_h: float) -> float:
    """Little's law: jobs in the queue, L_q = lambda W_q."""
    return LittlesLawModel().solve(arrival_rate=Q_(rate_per_h, "1/h"),
                                   time_in_system=Q_(wait_h, "h")).in_system


# ---- Act II and the chapter's cluster: two classes on many nodes -----------------------------
#: The lab's clusters (registry: illustrative sizes built from real parts).
CLUSTERS = {"research": Systems.Clusters.Research_256, "frontier": Systems.Clusters.Frontier_8K}
#: The chapter's cluster: 16 DGX H100 nodes (128 GPUs). ILLUSTRATIVE size (a team's reserved
#: slice of a cloud, or a university's GPU partition).
CHAPTER_NODES = 16
#: The limits the platform promises. SCENARIO CHOICES, from the issue's brief: an interactive
#: job should start within 5 minutes on average (a researcher at a terminal switches to other
#: work after a few minutes, and the debugging loop loses its context); no training job should
#: wait more than 48 hours (two days: a run submitted on Friday starts by Monday).
INTERACTIVE_LIMIT = Q_(5, "min")
TRAINING_LIMIT = Q_(48, "h")
#: Mean node allocation, hours: the walltime slice a job holds a node for. ILLUSTRATIVE
#: choices; the lab's default is 2 hours. Clusters commonly cap a job's walltime (hours to a
#: day) and long training runs checkpoint and requeue at each cap.
ALLOCATIONS_H = (1.0, 2.0, 4.0, 8.0)
LAB_ALLOCATION_H = 2.0
CHAPTER_ALLOCATION_H = 4.0
#: Interactive jobs' share of the work submitted. ILLUSTRATIVE: most GPU-hours on a research
#: cluster go to training; the lab's default is one fifth, the chapter's one quarter.
LAB_INTERACTIVE_SHARE = 0.20
CHAPTER_INTERACTIVE_SHARE = 0.25
CHAPTER_UTILIZATION_2 = 0.90
DISCIPLINES = ("fifo", "priority")
CLASSES = ("interactive", "training")


def cluster_nodes(cluster: str) -> int:
    return CHAPTER_NODES if cluster == "chapter" else CLUSTERS[cluster].nodes


@lru_cache(maxsize=4096)
def mix(cluster: str, utilization: float, interactive_share: float, allocation_h: float):
    """The engine's priority queue for ``cluster`` at offered load ``utilization`` (work
    submitted / what the nodes can do), ``interactive_share`` of it interactive, allocations
    of mean ``allocation_h`` hours; interactive first. Its ``fifo_wait`` is FIFO over the
    same mix."""
    nodes = cluster_nodes(cluster)
    rate = utilization * nodes / allocation_h   # allocations per hour
    return PriorityQueueModel().solve(
        arrival_rates=[Q_(interactive_share * rate, "1/h"),
                       Q_((1 - interactive_share) * rate, "1/h")],
        service_rates=Q_(1 / allocation_h, "1/h"), servers=nodes)


@dataclass(frozen=True)
class Schedule:
    """One discipline on one job mix: each class's mean wait (seconds) and the limits."""

    discipline: str
    cluster: str
    utilization: float
    interactive_share: float
    allocation_h: float
    result: object            # PriorityQueueResult
    waits: tuple              # (interactive, training) mean wait, seconds (inf: never starts)
    violations: tuple

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def nodes(self) -> int:
        return self.result.servers

    @property
    def rates(self) -> tuple:
        """Allocations per hour of each class."""
        total = self.utilization * self.nodes / self.allocation_h
        return (self.interactive_share * total, (1 - self.interactive_share) * total)

    @property
    def starved(self) -> tuple:
        return tuple(math.isinf(w) for w in self.waits)


@lru_cache(maxsize=8192)
def schedule(discipline: str, cluster: str, utilization: float, interactive_share: float,
             allocation_h: float) -> Schedule:
    """The waits under ``discipline`` and the limits they break. Violations: "interactive
    mean wait" against INTERACTIVE_LIMIT, "training mean wait" against TRAINING_LIMIT
    (unbounded when the class is starved), and the engine's "server capacity" when the work
    submitted exceeds what the nodes can do."""
    r = mix(cluster, utilization, interactive_share, allocation_h)
    if discipline == "fifo":
        waits = (r.fifo_wait.m_as("s"),) * 2
    else:
        waits = tuple(w.m_as("s") for w in r.mean_wait)
    out = []
    if waits[0] > INTERACTIVE_LIMIT.m_as("s"):
        out.append(Constraint("interactive mean wait", Q_(waits[0] / 60, "min"), INTERACTIVE_LIMIT))
    if waits[1] > TRAINING_LIMIT.m_as("s"):
        out.append(Constraint("training mean wait", Q_(waits[1] / 3600, "h"), TRAINING_LIMIT))
    out.extend(r.violations)
    return Schedule(discipline, cluster, utilization, interactive_share, allocation_h, r,
                    waits, tuple(out))


def highest_utilization(discipline: str, cluster: str, interactive_share: float,
                        allocation_h: float, lo: float = 0.3, hi: float = 0.9999) -> float:
    """The highest offered load at which ``discipline`` keeps both limits (bisection on the
    engine's waits, which rise with the load)."""
    for _ in range(40):
        mid = (lo + hi) / 2
        ok = schedule(discipline, cluster, round(mid, 6), interactive_share,
                      allocation_h).feasible
        lo, hi = (mid, hi) if ok else (lo, mid)
    return lo


# ---- the single-node priority case: classes of different lengths ------------------------------
#: For the chapter's single-node priority example: a node serving short interactive jobs
#: (mean 15 minutes) and long training jobs (mean 8 hours), both exponential. ILLUSTRATIVE.
SHORT_JOB_H = 0.25
LONG_JOB_H = 8.0


@lru_cache(maxsize=16)
def one_node_priority(interactive_load: float, training_load: float):
    """Cobham's single-server case: interactive first, non-preemptive, different lengths."""
    return PriorityQueueModel().solve(
        arrival_rates=[Q_(interactive_load / SHORT_JOB_H, "1/h"),
                       Q_(training_load / LONG_JOB_H, "1/h")],
        service_rates=[Q_(1 / SHORT_JOB_H, "1/h"), Q_(1 / LONG_JOB_H, "1/h")], servers=1)


# ---- fragmentation: single-GPU jobs scattered over 8-GPU nodes -------------------------------
def gpus_per_node(cluster: str = "research") -> int:
    return CLUSTERS[cluster].node.accelerators


def scattered_free_gpus(cluster: str, single_gpu_jobs: int) -> tuple[int, int]:
    """(free GPUs, nodes whole and free) when ``single_gpu_jobs`` one-GPU jobs sit one per
    node, the worst placement for jobs that need a whole node."""
    c = CLUSTERS[cluster]
    per = c.node.accelerators
    busy_nodes = min(single_gpu_jobs, c.nodes)
    return c.nodes * per - single_gpu_jobs, c.nodes - busy_nodes


def packed_free_nodes(cluster: str, single_gpu_jobs: int) -> int:
    """Whole nodes left free when the same one-GPU jobs are packed onto as few nodes as
    possible (best fit)."""
    c = CLUSTERS[cluster]
    return c.nodes - math.ceil(single_gpu_jobs / c.node.accelerators)
