"""The cases Chapter 4 (book/vol1/data_engineering.qmd) and Lab 04 both compute, in one place.

Two questions, both answered by the engine: how fast an input pipeline can feed an accelerator
(DataPipelineModel over the stages below, StorageIOModel for the read stage, TrainingTimeModel
for what the accelerator consumes), and what it costs in time and money to move a data set
(DataGravityModel over a registry link and a cloud's egress price list). This module fixes the
machines, the per-image work and the scenarios; the chapter and the lab add words.
"""
from __future__ import annotations

from functools import lru_cache

from mlsysim import Hardware, Models, Q_, Systems
from mlsysim.core.solver import (DataGravityModel, DataPipelineModel, LittlesLawModel,
                                 StorageIOModel, TrainingTimeModel)

# ---- the machines ---------------------------------------------------------------------------
# Cloud trains on one H100 of a DGX H100 node; Edge on the Jetson Orin NX's GPU alone (its
# deep-learning accelerators run compiled inference graphs only, not training).
MACHINES = {"cloud": Hardware.Cloud.H100, "edge": Hardware.Edge.JetsonOrinNX_GPU}
MODEL = Models.Vision.ResNet50
#: Images per training step: the reference batch of ResNet-50 ImageNet training (Goyal et al.
#: 2017, "Accurate, Large Minibatch SGD", Sec. 5). Images/s does not depend on it here.
BATCH = 256

#: CPU cores that feed one accelerator. Cloud: the DGX H100 has two Intel Xeon Platinum 8480C
#: (2 x 56 = 112 cores) for 8 GPUs (NVIDIA DGX H100 datasheet), 14 per GPU. Edge: the Jetson
#: Orin NX 16GB has an 8-core Arm Cortex-A78AE CPU (NVIDIA Jetson Orin NX series datasheet),
#: all of it for the one GPU.
CORES = {"cloud": 112 // 8, "edge": 8}
#: The slider's range: a whole DGX node's cores for one GPU, or the Orin's eight.
MAX_CORES = {"cloud": 112, "edge": 8}

#: Where the training images are read from: the cloud's data lake (an object store prefix read
#: by a 100 Gb/s client) and the Orin's local NVMe drive (engine registry, Systems.Storage).
STORAGE = {"cloud": Systems.Storage.Object_Store, "edge": Systems.Storage.Local_NVMe}
LAYOUTS = {"shards": "sequential", "files": "small_files"}
#: A demand far above any storage tier's limit: StorageIOModel then delivers its limit, the
#: read stage's own rate.
STORAGE_PROBE = Q_(1e12, "1/s")

#: ImageNet-1k training set: 1,281,167 images (Russakovsky et al. 2015, IJCV, Table 2) in an
#: archive of 138 GiB (image-net.org, ILSVRC2012_img_train.tar, 147,897,477,120 bytes). Mean
#: JPEG size = the quotient, about 116 kB. An estimate: the mean of a real shard varies.
IMAGENET_IMAGES = 1_281_167
JPEG_BYTES = Q_(147_897_477_120 / IMAGENET_IMAGES, "B")
#: One decoded training crop sent to the GPU: 224 x 224 pixels x 3 channels, one byte each
#: (He et al. 2016 train at 224 x 224; loaders such as DALI and FFCV copy uint8 and normalise
#: on the GPU).
CROP_BYTES = Q_(224 * 224 * 3, "B")
#: The H100 SXM reaches its host over PCIe Gen5 x16 (engine link registry). The Orin NX's CPU
#: and GPU share one LPDDR5 memory: there is no host-to-device copy stage.
HOST_LINK = {"cloud": Systems.Links.PCIe_Gen5_x16, "edge": None}

#: CPU time per image on one core, seconds. ILLUSTRATIVE: the order of magnitude of a
#: libjpeg-turbo decode of an ImageNet-sized JPEG (about 0.2 megapixels) and of a random
#: resized crop + flip on one server core (a few milliseconds in all); measured values vary by
#: a factor of two or more with the library, the image and the CPU. The Orin's Cortex-A78AE
#: cores (2 GHz) are taken to need twice as long as a server core: also illustrative.
CPU_SECONDS = {"cloud": {"decode": 2.5e-3, "augment": 1.5e-3},
               "edge": {"decode": 5.0e-3, "augment": 3.0e-3}}

STAGE_NAMES = {"read": "Read from storage", "cpu": "Decode + augment on the CPU",
               "copy": "Copy to the GPU"}


@lru_cache(maxsize=8)
def gpu_rate(context: str) -> float:
    """Images/s the context's GPU trains ResNet-50 at, at the engine's default MFU."""
    r = TrainingTimeModel().solve(model=MODEL, hardware=MACHINES[context], steps=1,
                                  batch_size=BATCH)
    return BATCH / r.time_per_step.m_as("s")


@lru_cache(maxsize=8)
def training_run(context: str):
    """The engine's training-time result for one step (MFU, FLOP per image, sustained FLOP/s)."""
    return TrainingTimeModel().solve(model=MODEL, hardware=MACHINES[context], steps=1,
                                     batch_size=BATCH)


def per_core_rate(context: str) -> float:
    """Images/s one core decodes and augments (the two run one after the other on it)."""
    return 1.0 / sum(CPU_SECONDS[context].values())


@lru_cache(maxsize=8)
def read_rate(context: str, layout: str = "shards") -> float:
    """Images/s the context's storage can deliver: packed shards read sequentially, or one
    file per image (each open and read costs requests and metadata operations)."""
    r = StorageIOModel().solve(target_throughput=STORAGE_PROBE, bytes_per_sample=JPEG_BYTES,
                               storage=STORAGE[context], access_pattern=LAYOUTS[layout])
    return r.achieved_throughput.m_as("1/s")


def copy_rate(context: str) -> float | None:
    link = HOST_LINK[context]
    return None if link is None else (link.bandwidth / CROP_BYTES).m_as("1/s")


@lru_cache(maxsize=512)
def pipeline(context: str, cores: int, layout: str = "shards"):
    """The input pipeline on the context's machine with ``cores`` CPU cores: stage rates
    (images/s), the slowest stage, and the GPU's utilisation against its training rate."""
    stages = {STAGE_NAMES["read"]: Q_(read_rate(context, layout), "1/s"),
              STAGE_NAMES["cpu"]: Q_(cores * per_core_rate(context), "1/s")}
    copy = copy_rate(context)
    if copy is not None:
        stages[STAGE_NAMES["copy"]] = Q_(copy, "1/s")
    return DataPipelineModel().solve(stages=stages,
                                     target_throughput=Q_(gpu_rate(context), "1/s"))


def cores_to_saturate(context: str) -> int:
    """The fewest cores whose decode + augment rate meets the GPU's training rate."""
    rate, core = gpu_rate(context), per_core_rate(context)
    return int(-(-rate // core))


@lru_cache(maxsize=8)
def in_flight(rate: float, latency_s: float) -> float:
    """Little's law: requests in flight to sustain ``rate``/s when each takes ``latency_s``."""
    return LittlesLawModel().solve(arrival_rate=Q_(rate, "1/s"),
                                   time_in_system=Q_(latency_s, "s")).in_system


# ---- data gravity ---------------------------------------------------------------------------
#: The archive of the lab's scenario: 50 TB of training images (ILLUSTRATIVE size, the order
#: of a large company's curated image set; ImageNet-1k is about 0.15 TB).
ARCHIVE = Q_(50, "TB")
#: Per context: where the data sits and what leaving costs, the links it can leave over, the
#: deadline and the egress budget of the scenario. Deadlines and the budget are ILLUSTRATIVE
#: scenario choices (the stakeholder's). Cloud: the archive is in AWS, priced at its internet
#: egress list (engine registry); the GPUs are on premises behind a dedicated Ethernet link.
#: Edge: the archive sits at a depot beside the Orin NX fleet that recorded it, behind an access
#: link; uploading into a cloud is free (AWS EC2 pricing page: data transfer in from the
#: internet $0.00 per GB), so only time binds.
GRAVITY = {
    "cloud": {"egress": Systems.Egress.AWS_Internet, "deadline": Q_(2, "day"),
              "budget": Q_(2000, "USD"),
              "links": ("Ethernet_100G", "Ethernet_400G")},
    "edge": {"egress": None, "deadline": Q_(7, "day"), "budget": None,
             "links": ("WiFi", "FiveG", "LTE")},
}
PLANS = ("data", "compute")


def link(key: str):
    return getattr(Systems.Links, key)


def plan_bytes(plan: str, keep: float):
    """Bytes that cross the link: ``keep`` of the archive (move the data), or the trained
    ResNet-50 weights at FP32 coming back (move the compute to the data)."""
    if plan == "compute":
        return MODEL.size_in_bytes("fp32")
    return ARCHIVE * keep


@lru_cache(maxsize=512)
def gravity(context: str, link_key: str, plan: str = "data", keep: float = 1.0):
    """Time and egress cost of a plan over ``link_key`` at line rate, checked against the
    context's deadline (and egress budget, where leaving costs money)."""
    g = GRAVITY[context]
    kwargs = {"deadline": g["deadline"]}
    if g["egress"] is not None:
        kwargs.update(egress_price=g["egress"], budget=g["budget"])
    return DataGravityModel().solve(data_bytes=plan_bytes(plan, keep), link=link(link_key),
                                    **kwargs)


@lru_cache(maxsize=64)
def transfer(data_bytes: float, link_key: str, egress: str | None = None):
    """Time (and cost) of ``data_bytes`` over a registry link, no deadline: the chapter's
    worked examples."""
    kwargs = {} if egress is None else {"egress_price": egress}
    return DataGravityModel().solve(data_bytes=Q_(data_bytes, "B"), link=link(link_key),
                                    **kwargs)


#: Shipping drives instead of bytes: a courier's door-to-door time. ILLUSTRATIVE (a two-day
#: courier); cloud providers sell the same idea as storage appliances they ship to you. The
#: point is Tanenbaum's ("Computer Networks": never underestimate the bandwidth of a station
#: wagon full of tapes): the courier's time does not grow with the bytes until the box is full.
COURIER = Q_(2, "day")


def courier_rate(data_bytes: float) -> float:
    """Bytes/s a courier achieves carrying ``data_bytes`` in COURIER time."""
    return data_bytes / COURIER.m_as("s")


def fill_hours(data_bytes: float, drives: int = 1) -> float:
    """Hours to write ``data_bytes`` onto ``drives`` NVMe drives at their sequential write
    rate (engine registry): the part of shipping disks that does grow with the bytes."""
    write = Systems.Storage.Local_NVMe.write_bandwidth.m_as("B/s") * drives
    return data_bytes / write / 3600


def egress_bands(egress, data_bytes: float) -> list[tuple[float, float]]:
    """(bytes, USD per byte) in each band of a monthly egress price list that ``data_bytes``
    reaches, in order: the arithmetic behind DataGravityModel's egress cost."""
    out, lower = [], 0.0
    for tier in egress.tiers:
        upper = tier.up_to.m_as("B") if tier.up_to is not None else float("inf")
        part = max(0.0, min(data_bytes, upper) - lower)
        if part > 0:
            out.append((part, tier.price.m_as("USD/B")))
        lower = upper
    return out


def epoch_days(context: str, data_bytes: float) -> float:
    """Days one GPU of the context needs for one pass over ``data_bytes`` of JPEG images at
    its training rate: what moving the compute to the data trades the link for."""
    return data_bytes / JPEG_BYTES.m_as("B") / gpu_rate(context) / 86400
