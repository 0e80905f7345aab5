"""The cases Chapter 19 (book/vol2/network_fabrics.qmd) and Vol II Lab 03 both compute.

The chapter evaluates these at build time and the lab in the reader's browser, so a number
the chapter states and the lab shows come from the same call and cannot differ. Physics is
the engine's (the alpha-beta link model, the fat tree of Al-Fares et al. 2008, the ring and
hierarchical AllReduce); this module only fixes which links, fleet, model and prices a case
means.

The fleet is the engine's DGX H100 cluster (Systems.Clusters.Frontier_8K: DGX H100 nodes,
NVLink 4 inside a node, one InfiniBand NDR port per GPU between nodes). Its two scenarios:
``gpus_8``, one DGX H100 (the whole job inside one NVSwitch), and ``gpus_1024``, 128 of them.
"""
from __future__ import annotations

import math
from functools import lru_cache

from mlsysim import Models, Systems
from mlsysim.core.constants import Q_
from mlsysim.core.solver import (AllReduceModel, BisectionBandwidthModel, FatTreeModel,
                                 LinkTransferModel, PropagationDelayModel)
from mlsysim.resolvers.network import DEFAULT_RADIX, OPTIC_PRICE, SWITCH_PRICE  # noqa: F401 (the chapter quotes OPTIC_PRICE)

CLUSTER = Systems.Clusters.Frontier_8K
NODE = CLUSTER.node                                   # DGX H100: 8 GPUs on NVLink 4
GPUS_PER_NODE = NODE.accelerators
LINKS = {"NVLink4": Systems.Links.NVLink4, "NVLink5": Systems.Links.NVLink5,
         "PCIe_Gen5_x16": Systems.Links.PCIe_Gen5_x16,
         "InfiniBand_HDR": Systems.Links.InfiniBand_HDR,
         "InfiniBand_NDR": Systems.Links.InfiniBand_NDR,
         "Ethernet_100G": Systems.Links.Ethernet_100G,
         "Ethernet_400G": Systems.Links.Ethernet_400G}
SCALE_OUT = "InfiniBand_NDR"                           # the cluster's fabric link

# ---- the two scenarios of the lab ------------------------------------------------------
GPUS = {"gpus_8": GPUS_PER_NODE, "gpus_1024": 1024}
#: The link a message between two GPUs crosses: NVLink inside the node, the fabric across.
CONTEXT_LINK = {"gpus_8": "NVLink4", "gpus_1024": SCALE_OUT}

# ---- the workload: a data-parallel step's gradient -------------------------------------
MODEL = Models.Llama3_8B
#: Gradients are AllReduced in BF16: a scenario choice (mixed-precision recipes such as
#: PyTorch FSDP's MixedPrecision(reduce_dtype=bfloat16) reduce in 16 bits; FP32 would double
#: every time below).
GRAD_PRECISION = "bf16"
#: The time the step budgets for its gradient AllReduce: ILLUSTRATIVE (a scenario constant,
#: the communication a training team will tolerate per step before it stops hiding behind
#: the backward pass). Every verdict of Act II is against it.
ALLREDUCE_BUDGET = Q_(1.0, "s")
ALGORITHMS = ("ring", "hierarchical")

# ---- the chapter's own worked examples (the lab asks about other cases) -----------------
#: The alpha-beta example: a research cluster on InfiniBand HDR considering NDR (twice the
#: bandwidth at the registry's same per-hop latency), for a small and a large message.
CHAPTER_CLUSTER_SMALL = Systems.Clusters.Research_256
CHAPTER_MESSAGES = (64 * 2 ** 10, 64 * 2 ** 20)        # 64 KiB and 64 MiB
#: The fabric example: the whole 8,192-GPU cluster at 1:1 and 2:1, and the model whose
#: gradient it AllReduces.
CHAPTER_GPUS = CLUSTER.total_accelerators
CHAPTER_RATIO = 2.0
CHAPTER_MODEL = Models.Llama3_70B
CHAPTER_RADIXES = (32, 48, 64, 128)
TABLE_LINKS = ("NVLink4", "PCIe_Gen5_x16", "InfiniBand_HDR", "InfiniBand_NDR",
               "Ethernet_100G", "Ethernet_400G")

# ---- switch prices -----------------------------------------------------------------------
#: The engine's cited price of a 64-port 400 Gb/s switch, per port. A switch of another radix
#: is priced at the same rate per port: ILLUSTRATIVE (real prices are not linear in ports).
PRICE_PER_PORT = SWITCH_PRICE / DEFAULT_RADIX
RADIXES = (16, 32, 64, 128)
OVERSUBSCRIPTIONS = tuple(1 + 0.5 * i for i in range(7))   # 1:1 ... 4:1, the lab's slider

# ---- Act I: a small message, and a link of twice the bandwidth -------------------------
SMALL_MESSAGE = 4096                                   # bytes: 4 KiB
MESSAGE_SIZES = tuple(2 ** e for e in range(6, 31, 2))  # 64 B ... 1 GiB, for the curves


def link(key: str):
    return LINKS[key]


def switch_price(radix: int):
    return Q_(PRICE_PER_PORT * radix, "USD")


def gradient_bytes() -> float:
    """Bytes of one full gradient of MODEL at GRAD_PRECISION."""
    return MODEL.size_in_bytes(GRAD_PRECISION).m_as("B")


@lru_cache(maxsize=512)
def transfer(link_key: str, message_bytes: float, bandwidth_factor: float = 1.0):
    """One point-to-point message over ``link_key`` with its bandwidth scaled by
    ``bandwidth_factor`` and its latency unchanged (alpha + n / beta)."""
    lk = link(link_key)
    return LinkTransferModel().solve(message_bytes=Q_(message_bytes, "B"),
                                     bandwidth=lk.bandwidth * bandwidth_factor,
                                     latency=lk.latency)


def speedup(link_key: str, message_bytes: float, factor: float = 2.0) -> float:
    """How many times faster a message arrives on a link ``factor`` times wider."""
    return (transfer(link_key, message_bytes).time / transfer(link_key, message_bytes, factor)
            .time).m_as("")


def half_bandwidth_size(link_key: str) -> float:
    """n_1/2 = alpha x beta, bytes: the message that takes as long to send as the link's
    latency, and so reaches half the link's bandwidth."""
    lk = link(link_key)
    return (lk.latency * lk.bandwidth).m_as("B")


@lru_cache(maxsize=256)
def fabric(gpus: int, radix: int = DEFAULT_RADIX, oversubscription: float = 1.0):
    """The fat tree of ``radix``-port switches joining ``gpus`` NDR ports (one per GPU)."""
    return FatTreeModel().solve(devices=gpus, radix=radix, oversubscription=oversubscription,
                                link=link(SCALE_OUT), switch_price=switch_price(radix))


@lru_cache(maxsize=256)
def allreduce(gpus: int, oversubscription: float = 1.0, algorithm: str = "ring",
              message_bytes: float | None = None):
    """AllReduce of the gradient (or ``message_bytes``) over ``gpus`` GPUs of the cluster,
    with the fabric's upper tier oversubscribed; a job inside one node runs on NVLink."""
    n = gradient_bytes() if message_bytes is None else message_bytes
    return AllReduceModel().solve(message_bytes=Q_(n, "B"), fleet=CLUSTER, devices=gpus,
                                  algorithm=algorithm, oversubscription=oversubscription,
                                  target_latency=ALLREDUCE_BUDGET)


@lru_cache(maxsize=16)
def bisection(gpus: int, link_key: str, oversubscription: float = 1.0):
    return BisectionBandwidthModel().solve(devices=gpus, bandwidth=link(link_key).bandwidth,
                                           oversubscription=oversubscription)


def cost_saving(gpus: int, radix: int, oversubscription: float) -> float:
    """Fraction of the full (1:1) fat tree's cost that ``oversubscription`` saves."""
    full = fabric(gpus, radix, 1.0).cost
    return (1 - fabric(gpus, radix, oversubscription).cost / full).m_as("")


def largest_passing(gpus: int, algorithm: str) -> float | None:
    """The largest oversubscription on the lab's grid whose AllReduce meets the budget."""
    ok = [o for o in OVERSUBSCRIPTIONS if allreduce(gpus, o, algorithm).feasible]
    return max(ok) if ok else None


def propagation(distance: str):
    """Light in fibre over ``distance`` (the speed-of-light part of a link's latency)."""
    return PropagationDelayModel().solve(distance=distance)


def two_tier_hosts(radix: int) -> int:
    """Hosts a non-blocking leaf-spine (two-tier) tree of ``radix``-port switches holds:
    k leaves of k/2 host ports, k^2/2 (the engine builds two tiers up to it)."""
    return radix * radix // 2


def three_tier_hosts(radix: int) -> int:
    """Hosts a non-blocking three-tier fat tree holds: k^3/4 (Al-Fares et al. 2008), the
    engine's capacity of a tree of this radix at 1:1."""
    return fabric(2, radix, 1.0).max_devices


def full_tree(radix: int):
    """The full three-tier fat tree of ``radix``-port switches (k^3/4 hosts)."""
    return fabric(three_tier_hosts(radix), radix, 1.0)


def gradient_allreduce(gpus: int, oversubscription: float, algorithm: str, model=None):
    """AllReduce of ``model``'s BF16 gradient (default MODEL) over ``gpus`` of the cluster."""
    n = (model or MODEL).size_in_bytes(GRAD_PRECISION).m_as("B")
    return allreduce(gpus, oversubscription, algorithm, n)


def log2_size(n: float) -> int:
    return round(math.log2(n))
