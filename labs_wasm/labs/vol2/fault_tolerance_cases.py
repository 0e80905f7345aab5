"""The cases Chapter 23 (book/vol2/fault_tolerance.qmd) and Lab 07 both compute, in one place.

A training job on N GPUs fails as often as the engine's fleet model says (per-GPU MTBF from
the Llama 3 405B run, divided by N), writes a checkpoint whose size and write time the engine's
checkpoint model gives (weights + Adam state, to a storage tier from the systems registry), and
wastes a fraction of its time that the Young-Daly model gives. The chapter evaluates these at
build time and the lab in the reader's browser, so a number the chapter states and the lab
shows come from the same call.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Models, Systems
from mlsysim.core.constants import Q_
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (CheckpointModel, FleetReliabilityModel, ObservedMTBFModel,
                                 YoungDalyModel)
from mlsysim.resolvers.reliability import LLAMA3_405B_INTERRUPTIONS

# ---- the fleets ---------------------------------------------------------------------------
LLAMA3 = LLAMA3_405B_INTERRUPTIONS
#: The two contexts of the lab: one DGX H100 node, and the Llama 3 405B run's 16,384 H100s
#: (Llama Team 2024, Sec. 3.3.4; the count the engine's per-GPU MTBF is derived from).
GPUS = {"gpus_8": Systems.Nodes.DGX_H100.accelerators, "gpus_16k": LLAMA3["devices"]}
#: The chapter's worked example: the engine's 8,192-GPU cluster (1,024 DGX H100 on NDR).
CHAPTER_CLUSTER = Systems.Clusters.Frontier_8K
CHAPTER_GPUS = CHAPTER_CLUSTER.total_accelerators
NODE = Systems.Nodes.DGX_H100
#: HBM of the 8 GPUs of one node (8 x 80 GB): what the 8-GPU job's training state must fit.
NODE_HBM_B = NODE.accelerators * NODE.hardware.memory.capacity.m_as("B")

MODELS = {"llama3_8b": Models.Llama3_8B, "llama3_70b": Models.Llama3_70B,
          "gpt3_175b": Models.GPT3_175B}
TIERS = {"parallel_fs": Systems.Storage.Parallel_FS, "local_nvme": Systems.Storage.Local_NVMe,
         "object_store": Systems.Storage.Object_Store}
#: Each GPU's path to host memory: the H100 SXM's host interface is PCIe Gen5 x16 (NVIDIA H100
#: datasheet). Every shard of a checkpoint crosses it, so it bounds a synchronous write per
#: GPU, and an asynchronous checkpoint stalls training only for this copy.
COPY_LINK = Systems.Links.PCIe_Gen5_x16

# ---- scenario constants (illustrative, the lab says so) -------------------------------------
#: Relaunching the job after a failure before the checkpoint is read back: rescheduling onto
#: healthy nodes, starting the processes, rebuilding the communicators. Illustrative: Llama 3
#: reports reducing "job startup" time but gives no figure (Llama Team 2024, Sec. 3.3.4).
RESTART_SETUP_S = 600.0
#: The lab's budget: at most this fraction of the run lost to checkpoint stalls, recomputed
#: work and restarts (a scenario choice; Llama 3 reports more than 90% effective training time,
#: Sec. 3.3.4, so a 20% loss is a generous ceiling).
WASTE_BUDGET = 0.20
#: Meta's storage fabric for Llama 3 sustains 2 TB/s (Llama Team 2024, Sec. 3.3.1); 32 of the
#: registry's parallel-file-system appliances write about that (32 x 65 GB/s = 2.08 TB/s).
FABRIC_UNITS = 32

# ---- the lab's cases ----------------------------------------------------------------------
#: Act I: GPT-3 175B on 16,384 GPUs, synchronous checkpoints to a 2 TB/s-class fabric, every
#: 30 minutes.
ACT1 = {"context": "gpus_16k", "model": "gpt3_175b", "tier": "parallel_fs",
        "units": FABRIC_UNITS, "asynchronous": False}
ACT1_INTERVAL_MIN = 30
#: Act II's prediction: the same job writing to one object-store prefix, synchronously.
ACT2 = {"context": "gpus_16k", "model": "gpt3_175b", "tier": "object_store", "units": 1,
        "asynchronous": False}
#: The chapter's example: Llama 3 70B on the 8,192-GPU cluster, 8 parallel-FS appliances.
CHAPTER = {"model": "llama3_70b", "tier": "parallel_fs", "units": 8}


@lru_cache(maxsize=16)
def fleet(gpus: int):
    """Fleet MTBF of ``gpus`` H100s at the engine's per-GPU MTBF (Llama 3 405B run)."""
    return FleetReliabilityModel().solve(devices=gpus)


@lru_cache(maxsize=1)
def llama3_observed():
    """The Llama 3 run's MTBF from its own counts: 419 interruptions in 54 days on 16,384 GPUs."""
    return ObservedMTBFModel().solve(failures=LLAMA3["failures"],
                                     duration=Q_(LLAMA3["duration_days"], "day"),
                                     devices=LLAMA3["devices"])


def hours(q) -> float:
    return q.m_as("hour")


@lru_cache(maxsize=128)
def checkpoint(gpus: int, model: str, tier: str, units: int, asynchronous: bool,
               interval_s: float | None = None):
    """The engine's checkpoint of ``model`` (weights + mixed-precision Adam state) written by
    ``gpus`` GPUs, each over its PCIe link, to ``units`` of a storage tier. With an interval,
    an asynchronous write longer than it is a violated "checkpoint write time"."""
    return CheckpointModel().solve(
        model=MODELS[model], storage=TIERS[tier], storage_units=units, devices=gpus,
        bandwidth=COPY_LINK.bandwidth, overlap=asynchronous,
        interval=Q_(interval_s, "s") if (asynchronous and interval_s) else None)


@lru_cache(maxsize=128)
def read_back_s(gpus: int, model: str, tier: str, units: int) -> float:
    """Seconds to read the checkpoint back into the GPUs after a failure: the same transfer
    arithmetic as a write (bytes / the slower of the storage and the GPUs' links), at the
    tier's read bandwidth."""
    size = checkpoint(gpus, model, tier, units, False).checkpoint_bytes
    read = TIERS[tier].read_bandwidth * units
    return CheckpointModel().solve(data_bytes=size, storage_bandwidth=read, devices=gpus,
                                   bandwidth=COPY_LINK.bandwidth).write_time.m_as("s")


def restart_s(gpus: int, model: str, tier: str, units: int) -> float:
    """Restart cost R: relaunch (illustrative) + reading the checkpoint back."""
    return RESTART_SETUP_S + read_back_s(gpus, model, tier, units)


@lru_cache(maxsize=4096)
def young_daly(stall_s: float, mtbf_s: float, interval_s: float | None = None,
               lost_extra_s: float = 0.0):
    """The engine's Young-Daly result: overhead C/tau + (tau/2 + extra)/M, where ``extra`` is
    the restart plus, for an asynchronous checkpoint, the write still in flight."""
    return YoungDalyModel().solve(
        checkpoint_time=Q_(stall_s, "s"), mtbf=Q_(mtbf_s, "s"),
        interval=None if interval_s is None else Q_(interval_s, "s"),
        restart_time=Q_(lost_extra_s, "s"))


@dataclass(frozen=True)
class Design:
    """One checkpointing design on one fleet, with everything the lab and chapter show."""

    gpus: int
    model: str
    tier: str
    units: int
    asynchronous: bool
    interval_s: float
    mtbf_s: float             # fleet MTBF M
    size_b: float             # checkpoint bytes
    write_s: float            # time to write it to storage W
    stall_s: float            # time training stops for it C (= W when synchronous)
    restart_s: float          # relaunch + read back R
    extra_s: float            # R, plus W when asynchronous (the durable checkpoint lags)
    optimum_s: float          # Young-Daly sqrt(2 C M)
    best_s: float             # the best interval allowed: the optimum, or W if async and longer
    overhead: float           # C / tau at the design's interval
    rework: float             # tau / (2 M)
    restart: float            # extra / M
    waste: float              # the sum: fraction of the run lost
    best_waste: float         # the same at the best interval
    violations: tuple

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def failures_per_day(self) -> float:
        return 86_400.0 / self.mtbf_s


@lru_cache(maxsize=512)
def design(gpus: int, model: str, tier: str, units: int, asynchronous: bool,
           interval_s: float) -> Design:
    m = fleet(gpus).fleet_mtbf.m_as("s")
    ck = checkpoint(gpus, model, tier, units, asynchronous, interval_s)
    write = ck.write_time.m_as("s")
    stall = ck.checkpoint_time.m_as("s")
    r = restart_s(gpus, model, tier, units)
    extra = r + (write if asynchronous else 0.0)
    at = young_daly(stall, m, interval_s, extra)
    opt = young_daly(stall, m, None, extra)
    tau_opt = opt.optimal_interval.m_as("s")
    best = max(tau_opt, write) if asynchronous else tau_opt
    at_best = young_daly(stall, m, best, extra)
    waste = at.waste_fraction
    violations = list(ck.violations)
    if waste > WASTE_BUDGET:
        violations.append(Constraint("time lost to checkpoints, failures and restarts",
                                     Q_(waste * 100, "percent"),
                                     Q_(WASTE_BUDGET * 100, "percent")))
    return Design(gpus=gpus, model=model, tier=tier, units=units, asynchronous=asynchronous,
                  interval_s=interval_s, mtbf_s=m, size_b=ck.checkpoint_bytes.m_as("B"),
                  write_s=write, stall_s=stall, restart_s=r, extra_s=extra,
                  optimum_s=tau_opt, best_s=best, overhead=at.checkpoint_overhead,
                  rework=interval_s / (2 * m), restart=extra / m, waste=waste,
                  best_waste=at_best.waste_fraction, violations=tuple(violations))


def case(spec: dict, interval_s: float) -> Design:
    """A design from one of the named cases (ACT1, ACT2) at ``interval_s``."""
    return design(GPUS[spec["context"]], spec["model"], spec["tier"], spec["units"],
                  spec["asynchronous"], float(interval_s))


def chapter_design(interval_s: float, asynchronous: bool = False, tier: str | None = None,
                   units: int | None = None, gpus: int | None = None) -> Design:
    """The chapter's example (Llama 3 70B on the 8,192-GPU cluster), optionally varied."""
    return design(gpus or CHAPTER_GPUS, CHAPTER["model"], tier or CHAPTER["tier"],
                  units or CHAPTER["units"], asynchronous, float(interval_s))


def curve(d: Design, points: int = 41, lo_s: float = 30.0, hi_s: float = 86_400.0):
    """The Young-Daly curve of a design: (interval s, overhead, rework, restart, total) at
    ``points`` intervals spaced evenly on a log scale from ``lo_s`` to ``hi_s``."""
    out = []
    for i in range(points):
        tau = lo_s * (hi_s / lo_s) ** (i / (points - 1))
        r = young_daly(d.stall_s, d.mtbf_s, tau, d.extra_s)
        out.append((tau, r.checkpoint_overhead, tau / (2 * d.mtbf_s), d.extra_s / d.mtbf_s,
                    r.waste_fraction))
    return out


# ---- the chapter's second source and its higher-order interval ------------------------------
#: Zhang et al. 2022 (OPT-175B, arXiv:2205.01068), Sec. 2.5: hardware failures caused "at
#: least 35 manual restarts" and the team estimates "70+ automatic restarts" over "2 months"
#: (read here as 60 days) of training on 992 80GB A100s (Sec. 2.4). Lower bounds.
OPT_RESTARTS = 35 + 70
OPT_DAYS = 60
OPT_GPUS = 992


@lru_cache(maxsize=1)
def opt_observed():
    """OPT-175B's restarts as an observed MTBF (a lower bound on the failure rate)."""
    return ObservedMTBFModel().solve(failures=OPT_RESTARTS, duration=Q_(OPT_DAYS, "day"),
                                     devices=OPT_GPUS)


def daly_interval_s(stall_s: float, mtbf_s: float) -> float:
    """Daly's (2006) higher-order optimum compute time between checkpoints:
    sqrt(2CM) [1 + sqrt(C/2M)/3 + (C/2M)/9] - C for C < 2M (M when C >= 2M)."""
    if stall_s >= 2 * mtbf_s:
        return mtbf_s
    x = stall_s / (2 * mtbf_s)
    return (2 * stall_s * mtbf_s) ** 0.5 * (1 + x ** 0.5 / 3 + x / 9) - stall_s


@lru_cache(maxsize=32)
def survival(gpus: int, hours_: float) -> float:
    """Probability that ``gpus`` GPUs run ``hours_`` hours without a failure (engine)."""
    return FleetReliabilityModel().solve(devices=gpus,
                                         duration=Q_(hours_, "hour")).prob_no_failure


@lru_cache(maxsize=32)
def availability(gpus: int, repair_hours: float):
    """The engine's fleet availability with a repair time: (per-GPU A, all up A^N, down N(1-A))."""
    r = FleetReliabilityModel().solve(devices=gpus, repair_time=Q_(repair_hours, "hour"))
    return r.device_availability, r.prob_all_up, r.expected_down
