"""The cases Chapter 18 (book/vol2/compute_infrastructure.qmd) and Vol II Lab 02 both compute.

The chapter evaluates these at build time and the lab in the reader's browser, so a number
the chapter states and the lab shows come from the same call and cannot differ. Physics is
the engine's (its link, node and cluster registries; its collective, transfer and distributed
training resolvers); this module only fixes which server, link, model and parallel layout a
case means.
"""
from __future__ import annotations

import dataclasses
import math
from functools import lru_cache

from mlsysim import Models, Systems
from mlsysim.core.results import Constraint
from mlsysim.core.solver import AllReduceModel, DistributedModel, LinkTransferModel, ParallelismModel

# ---- the parts of a node ----------------------------------------------------------------
#: The two 8-GPU H100 servers of the systems registry: NVLink 4 through NVSwitch, or PCIe Gen5
#: switches only (illustrative in the registry: a common build from real parts).
SERVERS = {"nvlink": Systems.Nodes.DGX_H100, "pcie": Systems.Nodes.PCIe_H100x8}
#: The link tiers a byte can cross, fastest first (per GPU, per direction in the registry).
LINKS = {"nvlink": Systems.Links.NVLink4, "pcie": Systems.Links.PCIe_Gen5_x16,
         "ib": Systems.Links.InfiniBand_NDR}
GPUS_PER_SERVER = SERVERS["nvlink"].accelerators

MODELS = {"llama3_8b": Models.Llama3_8B, "llama3_70b": Models.Llama3_70B,
          "gpt3_175b": Models.GPT3_175B}

# ---- the cluster (Lab 02's multi-node context) ------------------------------------------
#: Servers in the lab's cluster: an illustrative size (the registry's Frontier_8K fabric,
#: InfiniBand NDR with one port per GPU, at 64 servers = 512 GPUs). At this size the
#: engine's default 4M-token global batch gives every data-parallel rank a whole number of
#: 8,192-token sequences at every tensor-parallel degree, so compute and tensor-parallel
#: traffic count the same tokens.
CLUSTER_SERVERS = 64


@lru_cache(maxsize=4)
def cluster(server: str):
    """CLUSTER_SERVERS of ``server`` on the registry's frontier-scale InfiniBand NDR fabric."""
    base = Systems.Clusters.Frontier_8K
    node = SERVERS[server]
    return dataclasses.replace(
        base, node=node, nodes=CLUSTER_SERVERS, key="",
        name=f"{CLUSTER_SERVERS} x {node.name} on {base.fabric.name} (illustrative size)")


def fleet(context: str, server: str):
    """One server (single node) or the cluster of that server (multi-node)."""
    return SERVERS[server] if context == "single_node" else cluster(server)


# ---- Act I and the chapter's first example: moving gradients ------------------------------
PRECISION = "fp16"   # gradients exchanged in FP16/BF16: 2 bytes per parameter


def gradient_bytes(model_key: str) -> float:
    """FP16 gradients are as large as FP16 weights: 2 bytes per parameter."""
    return MODELS[model_key].size_in_bytes(PRECISION).m_as("B")


@lru_cache(maxsize=32)
def exchange(model_key: str, tier: str):
    """Ring AllReduce of ``model_key``'s FP16 gradients over 8 GPUs: inside a DGX H100
    (``nvlink``), inside the PCIe server (``pcie``), or across 8 servers, one GPU each, over
    InfiniBand NDR (``ib``)."""
    m = gradient_bytes(model_key)
    if tier == "ib":
        return AllReduceModel().solve(message_bytes=f"{m} B", link=LINKS["ib"],
                                      devices=GPUS_PER_SERVER)
    return AllReduceModel().solve(message_bytes=f"{m} B", fleet=SERVERS[tier])


@lru_cache(maxsize=32)
def ring_on(model_key: str, bandwidth_gbs: float, latency_us: float):
    """The 8-GPU ring AllReduce on a link of the given per-direction bandwidth (a ring runs
    at its slowest link's pace)."""
    return AllReduceModel().solve(message_bytes=f"{gradient_bytes(model_key)} B",
                                  devices=GPUS_PER_SERVER, bandwidth=f"{bandwidth_gbs} GB/s",
                                  latency=f"{latency_us} us")


#: Message sizes of the cliff chart: 1 kB to 100 GB, five points per decade.
SIZES = tuple(10 ** (3 + k / 5) for k in range(41))


@lru_cache(maxsize=8)
def cliff(tier: str) -> tuple[tuple[float, float], ...]:
    """(message bytes, effective bandwidth B/s) of a point-to-point transfer over one link:
    latency + bytes / bandwidth."""
    out = []
    for n in SIZES:
        r = LinkTransferModel().solve(message_bytes=f"{n} B", link=LINKS[tier])
        out.append((n, r.effective_bandwidth.m_as("B/s")))
    return tuple(out)


def transfer(tier: str, n_bytes: float):
    return LinkTransferModel().solve(message_bytes=f"{n_bytes} B", link=LINKS[tier])


def hbm_bandwidth() -> float:
    """The H100 SXM's HBM3 bandwidth, B/s: the tier above every link."""
    return SERVERS["nvlink"].hardware.memory.bandwidth.m_as("B/s")


def half_bandwidth_size(tier: str) -> float:
    """The message size at which a link delivers half its bandwidth: latency x bandwidth."""
    link = LINKS[tier]
    return link.latency.m_as("s") * link.bandwidth.m_as("B/s")


# ---- Act II and the chapter's second example: where tensor parallelism may live ----------
#: Megatron-style training settings (Shoeybi et al. 2019; Korthikanti et al. 2022): the
#: optimizer state sharded over the data-parallel ranks (ZeRO stage 1, Rajbhandari et al.
#: 2020) and full activation recomputation, so that a 70B model fits at tensor-parallel 8.
ZERO_STAGE = 1
CHECKPOINTING = "full"
TP_DEGREES = {"single_node": (1, 2, 4, 8), "multi_node": (1, 2, 4, 8, 16, 32)}
#: The design rule of Act II: tensor-parallel all-reduces may take at most as long as the
#: arithmetic they split (a ratio of 1: "more time communicating than computing").
COMM_LIMIT = 1.0
TP_CONSTRAINT = "tensor-parallel all-reduce time per step"


@lru_cache(maxsize=128)
def step(context: str, model_key: str, server: str, tp: int):
    """One training step of ``model_key`` on the context's fleet of ``server``s, tensor
    parallel ``tp``, data parallel over the rest (no pipeline)."""
    return DistributedModel().solve(model=MODELS[model_key], fleet=fleet(context, server),
                                    tp=tp, zero_stage=ZERO_STAGE, checkpointing=CHECKPOINTING)


def compute_time(r) -> float:
    """Seconds of arithmetic per step: the model's FLOP plus the recomputed forward pass."""
    return r.compute_time_per_step.m_as("s") + r.recompute_time_per_step.m_as("s")


def tp_time(r) -> float:
    return r.tp_communication_time.m_as("s")


def comm_ratio(r) -> float:
    """Tensor-parallel all-reduce time over compute time, per step."""
    return tp_time(r) / compute_time(r)


def tp_link(context: str, server: str, tp: int) -> str:
    """The link tier a tensor-parallel group of ``tp`` GPUs talks over."""
    return server if tp <= GPUS_PER_SERVER else "ib"


def tp_constraint(r) -> Constraint | None:
    """The violated design rule when the all-reduces outlast the compute, else None."""
    if comm_ratio(r) <= COMM_LIMIT:
        return None
    return Constraint(TP_CONSTRAINT, r.tp_communication_time,
                      r.compute_time_per_step + r.recompute_time_per_step)


def violations(r) -> tuple:
    """Every violated constraint of a step: the engine's memory check, then the rule above."""
    extra = tp_constraint(r)
    return tuple(r.violations) + ((extra,) if extra else ())


@lru_cache(maxsize=16)
def traffic(model_key: str, tp: int, pp: int, microbatches: int):
    """Bytes each GPU sends per step by kind (the engine's ParallelismModel), one sequence per
    micro-batch at the model's full context, ZeRO and recomputation as in ``step``."""
    return ParallelismModel().solve(model=MODELS[model_key], dp=1, tp=tp, pp=pp,
                                    microbatches=microbatches, zero_stage=ZERO_STAGE,
                                    checkpointing=CHECKPOINTING)


def tp_bytes_per_layer(model_key: str) -> float:
    """Bytes of one tensor-parallel all-reduce message: one sequence's activations, b s h x 2 B."""
    m = MODELS[model_key]
    return m.context_length * m.hidden_size * 2.0


def ring_factor(p: int) -> float:
    return 2 * (p - 1) / p


# ---- power and cooling (chapter) ---------------------------------------------------------
#: NVIDIA DGX H100 datasheet: maximum system power ~10.2 kW (8 H100 SXM at 700 W each, two
#: CPUs, NICs, NVSwitches, fans). https://www.nvidia.com/en-us/data-center/dgx-h100/
DGX_H100_SYSTEM_KW = 10.2
#: Uptime Institute, "Rack density is rising" (2020 survey): mean rack density ~8.4 kW.
#: https://journal.uptimeinstitute.com/rack-density-is-rising/
MEAN_RACK_KW_2020 = 8.4
#: Servers per rack in the chapter's example: four DGX H100 (a common air-cooled layout;
#: an illustrative choice, not a vendor rule).
SERVERS_PER_RACK = 4


def gpu_power_kw(server: str) -> float:
    node = SERVERS[server]
    return node.accelerators * node.hardware.tdp.m_as("kW")


def log2(x: int) -> int:
    return int(round(math.log2(x)))
