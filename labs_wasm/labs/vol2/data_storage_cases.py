"""The cases Chapter 20 (book/vol2/data_storage.qmd) and Vol II Lab 04 both compute, in one place.

Two questions, both answered by the engine: can a storage tier feed a fleet of accelerators
(StorageIOModel: bandwidth, IOPS with Little's law over the reads in flight, and the metadata
service; TrainingTimeModel for what each accelerator consumes), and how long does a checkpoint
pause the job (CheckpointModel). This module fixes the nodes, the workloads, the sample sizes
and the scenario's rules; the chapter and the lab add words.
"""
from __future__ import annotations

import math
from functools import lru_cache

from mlsysim import Models, Q_, Systems
from mlsysim.core.solver import CheckpointModel, StorageIOModel, TrainingTimeModel

from labs.vol1 import data_engineering_cases as vol1_data

# ---- the machines ---------------------------------------------------------------------------
#: The lab's node (8 H100 SXM) and the chapter's (8 A100 SXM4 80GB): engine registry.
NODE = Systems.Nodes.DGX_H100
CHAPTER_NODE = Systems.Nodes.DGX_A100
NODES = {"H100": NODE, "A100_80GB": CHAPTER_NODE}
#: Each GPU reaches its host (and the host's memory) over PCIe: Gen5 x16 for the H100 SXM,
#: Gen4 x16 for the A100 SXM4 (engine link registry; NVIDIA H100 and A100 datasheets).
HOST_LINK = {"H100": Systems.Links.PCIe_Gen5_x16, "A100_80GB": Systems.Links.PCIe_Gen4_x16}

#: The storage tiers (engine registry, Systems.Storage, with their cited figures).
NVME = Systems.Storage.Local_NVMe
PFS = Systems.Storage.Parallel_FS
OBJECT = Systems.Storage.Object_Store
TIERS = {"nvme": NVME, "distributed_fs": PFS}

#: Data drives inside one DGX H100: 8 x 3.84 TB NVMe U.2 (NVIDIA DGX H100 datasheet,
#: "Internal storage: OS 2x 1.92 TB NVMe M.2; internal storage 8x 3.84 TB NVMe U.2"). The
#: engine's drive is a PCIe Gen5 PM1743; the DGX's own drives are of the same class.
DRIVES_PER_NODE = 8
DRIVE_CAPACITY = Q_(3.84, "TB")

#: Host DRAM bandwidth of one DGX H100: two Intel Xeon Platinum 8480C, each with 8 channels of
#: DDR5-4800 (Intel ARK, Xeon Platinum 8480+: 8 memory channels, DDR5-4800; NVIDIA DGX H100
#: datasheet: 2 CPUs, 2 TB of system memory). Peak = 2 sockets x 8 channels x 4800 MT/s x
#: 8 bytes per transfer; sustained bandwidth is lower.
HOST_DRAM_BANDWIDTH = Q_(2 * 8 * 4800e6 * 8, "B/s")

# ---- the workloads --------------------------------------------------------------------------
WORKLOADS = {"resnet50": Models.Vision.ResNet50, "llama70b": Models.Llama3_70B}
#: Images per training step (Goyal et al. 2017, the reference ResNet-50 batch); images/s do
#: not depend on it.
BATCH = vol1_data.BATCH
#: One ImageNet-sized JPEG, about 115 kB: the ImageNet-1k training archive (147,897,477,120
#: bytes) over its 1,281,167 images (Vol I's data chapter computes it; one number, one place).
JPEG_BYTES = vol1_data.JPEG_BYTES
IMAGENET_BYTES = Q_(147_897_477_120, "B")
#: One Llama 3 training sequence: the model's context length (engine registry, 8,192 tokens;
#: Llama 3 was pretrained at 8K, Meta 2024, "The Llama 3 Herd of Models") of token ids stored
#: as 4-byte integers, because its 128,256-entry vocabulary does not fit in 16 bits.
LLAMA = WORKLOADS["llama70b"]
TOKEN_BYTES = 2 if LLAMA.vocab_size <= 2 ** 16 else 4
SEQUENCE_TOKENS = LLAMA.context_length

LAYOUTS = {"files": "small_files", "records": "random", "shards": "sequential"}

# ---- the scenario's rules (ILLUSTRATIVE) ------------------------------------------------------
#: A checkpoint every 15 minutes, and checkpoints may take at most 1% of training time: each
#: may pause the job 9 s. Both are illustrative scenario choices (the stakeholder's rule), of
#: the order large training runs use; the fault-tolerance chapter's Young-Daly interval is the
#: principled way to pick the interval.
CHECKPOINT_INTERVAL = Q_(15, "min")
STALL_SHARE = 0.01
MAX_STALL = (CHECKPOINT_INTERVAL * STALL_SHARE).to("s")


# ---- what the accelerators consume ---------------------------------------------------------------
@lru_cache(maxsize=16)
def training_run(workload: str, hw: str = "H100"):
    """One step of training ``workload`` on one ``hw`` GPU at the engine's default MFU
    (a sample is an image for ResNet-50 and a token for the language model)."""
    model = WORKLOADS[workload]
    batch = BATCH if workload == "resnet50" else SEQUENCE_TOKENS
    return TrainingTimeModel().solve(model=model, hardware=NODES[hw].hardware, steps=1,
                                     batch_size=batch)


@lru_cache(maxsize=16)
def per_gpu_rate(workload: str, hw: str = "H100") -> float:
    """Samples/s one GPU trains: images for ResNet-50, whole sequences for Llama 3 70B."""
    r = training_run(workload, hw)
    per_step = BATCH if workload == "resnet50" else 1
    return per_step / r.time_per_step.m_as("s")


def sample_bytes(workload: str) -> float:
    """Bytes the loader reads per sample: one JPEG, or one sequence of token ids."""
    if workload == "resnet50":
        return JPEG_BYTES.m_as("B")
    return float(SEQUENCE_TOKENS * TOKEN_BYTES)


# ---- reading: can the tier feed the GPUs? ------------------------------------------------------
@lru_cache(maxsize=2048)
def read(tier: str, workload: str, gpus: int, layout: str, in_flight_per_gpu: int,
         units: int, hw: str = "H100"):
    """``gpus`` GPUs of ``hw`` training ``workload``, read from ``units`` units of ``tier``
    ("nvme": drives, "distributed_fs": appliances with one metadata server, "object": key
    prefixes), ``in_flight_per_gpu`` reads outstanding per GPU's loader."""
    store = OBJECT if tier == "object" else TIERS[tier]
    return StorageIOModel().solve(
        target_throughput=Q_(per_gpu_rate(workload, hw), "1/s"),
        bytes_per_sample=Q_(sample_bytes(workload), "B"), storage=store,
        storage_units=units, devices=gpus, access_pattern=LAYOUTS[layout],
        in_system=gpus * in_flight_per_gpu)


@lru_cache(maxsize=512)
def fleet_read(context: str, workload: str, nodes: int, layout: str, in_flight_per_gpu: int,
               units: int):
    """The lab's fleet of ``nodes`` DGX H100. NVMe: every node reads its own ``units`` drives,
    so one node's result is every node's. Distributed FS: all nodes share ``units``
    appliances and one metadata server."""
    gpus = NODE.accelerators
    if context == "nvme":
        return read("nvme", workload, gpus, layout, in_flight_per_gpu, units)
    return read("distributed_fs", workload, gpus * nodes, layout, in_flight_per_gpu, units)


def limits(r, workload: str) -> dict[str, float]:
    """Samples/s each limit of a read result allows (bandwidth, reads in flight and IOPS,
    metadata), for the limits that apply to its access pattern."""
    out = {"bandwidth": r.available_bandwidth.m_as("B/s") / sample_bytes(workload)}
    if r.required_iops.m_as("1/s") > 0:
        out["iops"] = r.available_iops.m_as("1/s")
    if r.required_metadata_rate.m_as("1/s") > 0 and r.available_metadata_rate is not None:
        out["metadata"] = r.available_metadata_rate.m_as("1/s") / METADATA_OPS_PER_FILE
    return out


def _metadata_ops() -> int:
    from mlsysim.resolvers.data import METADATA_OPS_PER_FILE as ops
    return int(ops)


METADATA_OPS_PER_FILE = _metadata_ops()


def in_flight_needed(tier: str, workload: str, hw: str = "H100") -> int:
    """Little's law: the fewest reads in flight per GPU that sustain its rate at the tier's
    latency, L = lambda W, rounded up."""
    store = OBJECT if tier == "object" else TIERS[tier]
    return math.ceil(per_gpu_rate(workload, hw) * store.latency.m_as("s"))


def nodes_metadata_saturates(workload: str = "resnet50", hw: str = "H100") -> float:
    """Nodes whose one-file-per-sample reads need the whole metadata service of the parallel
    file system."""
    per_node = per_gpu_rate(workload, hw) * NODES[hw].accelerators
    return PFS.metadata_rate.m_as("1/s") / METADATA_OPS_PER_FILE / per_node


def appliances_for_bandwidth(workload: str, nodes: int, hw: str = "H100") -> int:
    """The fewest parallel-FS appliances whose read bandwidth feeds ``nodes`` nodes."""
    need = per_gpu_rate(workload, hw) * NODES[hw].accelerators * nodes * sample_bytes(workload)
    return math.ceil(need / PFS.read_bandwidth.m_as("B/s"))


# ---- checkpoints -------------------------------------------------------------------------------
@lru_cache(maxsize=512)
def checkpoint(context: str, workload: str, nodes: int, units: int, asynchronous: bool,
               hw: str = "H100"):
    """One checkpoint of ``workload`` (weights + mixed-precision Adam state) written by every
    GPU of ``nodes`` nodes over its PCIe link: to the nodes' own ``units`` drives each (NVMe),
    or to ``units`` shared appliances (distributed FS); checked against MAX_STALL and, for an
    asynchronous write, against the interval to the next checkpoint."""
    node = NODES[hw]
    storage, store_units = ((NVME, nodes * units) if context == "nvme" else (PFS, units))
    return CheckpointModel().solve(
        model=WORKLOADS[workload], storage=storage, storage_units=store_units,
        devices=nodes * node.accelerators, bandwidth=HOST_LINK[hw].bandwidth,
        overlap=asynchronous, max_stall=MAX_STALL, interval=CHECKPOINT_INTERVAL)


@lru_cache(maxsize=64)
def checkpoint_of(model_key: str, storage: str, units: int, gpus: int, hw: str,
                  asynchronous: bool = False, rule: bool = False):
    """A checkpoint of a registry model (the chapter's examples), checked against MAX_STALL
    when ``rule``."""
    return CheckpointModel().solve(
        model=getattr(Models, model_key), storage=getattr(Systems.Storage, storage),
        storage_units=units, devices=gpus, bandwidth=HOST_LINK[hw].bandwidth,
        overlap=asynchronous, max_stall=MAX_STALL if rule else None)


# ---- the hierarchy -----------------------------------------------------------------------------
def hierarchy(hw: str = "H100") -> list[tuple[str, float, float | None, float | None]]:
    """(level, read bandwidth B/s, random reads/s, latency s) from the GPU's HBM down to one
    object-store prefix: one GPU's HBM and host link, one node's DRAM, one drive, one appliance,
    one prefix. None where the registry gives no figure."""
    gpu = NODES[hw].hardware
    rows = [(f"HBM of one {gpu.name}", gpu.memory.bandwidth.m_as("B/s"), None, None),
            ("Host DRAM of one node", HOST_DRAM_BANDWIDTH.m_as("B/s"), None, None),
            (f"Host link of one GPU ({HOST_LINK[hw].name})",
             HOST_LINK[hw].bandwidth.m_as("B/s"), None, HOST_LINK[hw].latency.m_as("s"))]
    for name, tier in (("One local NVMe drive", NVME), ("One parallel-FS appliance", PFS),
                       ("One object-store prefix", OBJECT)):
        rows.append((name, tier.read_bandwidth.m_as("B/s"), tier.read_iops.m_as("1/s"),
                     tier.latency.m_as("s")))
    return rows


def hbm_gap(tier: str, units: int = 1, hw: str = "H100") -> float:
    """How many times one GPU's HBM bandwidth exceeds ``units`` units of a storage tier's."""
    store = OBJECT if tier == "object" else TIERS[tier]
    return (NODES[hw].hardware.memory.bandwidth.m_as("B/s")
            / (store.read_bandwidth.m_as("B/s") * units))
