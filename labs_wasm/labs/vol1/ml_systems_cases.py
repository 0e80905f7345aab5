"""The cases Chapter 2 (book/vol1/ml_systems.qmd) and Lab 02 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a number the
chapter states and the lab shows come from the same call and cannot differ. Physics is the
engine's (GemmModel, PropagationDelayModel, MG1QueueModel, LatencyWaterfallModel and, through
Chapter 1's cases, IronLawModel); this module fixes which machine, kernel, model, link and
scenario a case means, and declares the few scenario constants with their sources.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Hardware, Models, Q_, Systems
from mlsysim.core.solver import (GemmModel, LatencyWaterfallModel, MG1QueueModel,
                                 PropagationDelayModel)
from mlsysim.resolvers.network import FIBER_GROUP_INDEX, SPEED_OF_LIGHT  # noqa: F401 (chapter)

from labs.vol1 import introduction_cases as intro

# ---- machines and models: Chapter 1's (introduction_cases), so one case has one number ------
#: Lab 02's two contexts: the H100 in a datacenter, the Jetson Orin NX's GPU beside the camera.
MACHINES = {"cloud": intro.MACHINES["cloud"], "edge": intro.MACHINES["edge"]}
PRECISION = intro.PRECISION
MODELS = {"resnet50": intro.MODELS["resnet50"], "mobilenetv2": intro.MODELS["mobilenetv2"]}
EXECUTIONS = intro.EXECUTIONS
iron_law = intro.iron_law      # the Iron Law at batch 1, the same call Chapter 1 makes
term_times = intro.term_times

# ---- the memory wall across GPU generations ------------------------------------------------
#: Datacenter GPUs of five generations (engine registry, each value with its datasheet). The
#: A100 is the SXM4 80 GB part (2,039 GB/s); the 40 GB part has less bandwidth (1,555 GB/s).
GPUS = {"v100": Hardware.Cloud.V100, "a100": Hardware.Cloud.A100_80GB,
        "h100": Hardware.Cloud.H100, "h200": Hardware.Cloud.H200, "b200": Hardware.Cloud.B200}
#: Lab 02's Act I upgrade and the chapter's worked upgrade (a different pair).
LAB_UPGRADE = ("a100", "h100")
CHAPTER_UPGRADE = ("h100", "h200")

#: Act I's kernel: the up-projection of Llama 3 8B's MLP (hidden 4,096 -> FFN 14,336, Llama
#: Team 2024, Table 3; the registry's entry) during decoding, one row per request in flight.
LLM = Models.Language.Llama3_8B
#: Requests in flight in Act I's scenario. ILLUSTRATIVE: a small chat service's decode batch,
#: chosen so the multiply sits at about 5 FLOP per byte (a GEMM with M rows moves about M FLOP
#: per byte at FP16 when M is much smaller than its other two sides).
ACT1_ROWS = 5
#: The chapter's two kernels: a matrix-vector product and a large square multiply.
CHAPTER_GEMV = (1, 8192, 8192)
CHAPTER_GEMM = (8192, 8192, 8192)


def mlp_shape(rows: int) -> tuple[int, int, int]:
    """(M, N, K) of Llama 3 8B's MLP up-projection with ``rows`` tokens in the batch."""
    return (rows, LLM.ffn_hidden, LLM.hidden_size)


@lru_cache(maxsize=512)
def gemm(gpu: str, shape: tuple[int, int, int]):
    """One FP16 matrix multiply on a GPU: FLOP, bytes, intensity, attainable rate, time."""
    return GemmModel().solve(gemm_shape=shape, hardware=GPUS[gpu], precision="fp16")


def speedup(old: str, new: str, shape: tuple[int, int, int]) -> float:
    """How many times faster the multiply runs on ``new`` than on ``old``."""
    return gemm(old, shape).total.m_as("s") / gemm(new, shape).total.m_as("s")


def spec_ratio(old: str, new: str) -> dict[str, float]:
    """The upgrade's peak-compute and bandwidth ratios (dense FP16, datasheet values)."""
    a, b = GPUS[old], GPUS[new]
    return {"compute": b.compute.peak("fp16").m_as("FLOP/s") / a.compute.peak("fp16").m_as("FLOP/s"),
            "bandwidth": b.memory.bandwidth.m_as("B/s") / a.memory.bandwidth.m_as("B/s")}


def ridge(gpu: str) -> float:
    """Peak FP16 FLOP/s over memory bandwidth, FLOP per byte."""
    hw = GPUS[gpu]
    return hw.compute.peak("fp16").m_as("FLOP/s") / hw.memory.bandwidth.m_as("B/s")


# ---- the latency waterfall: the factory inspection camera (Lab 02, Act II) -----------------
#: The inspection deadline. SCENARIO CHOICE (illustrative): a closed control loop in which a
#: reject gate must act on a part before it leaves the camera's station; 10 ms is the budget
#: from frame to decision.
FACTORY_SLA = Q_(10, "ms")
#: Frames each camera sends per second. ILLUSTRATIVE scenario choice (a common video rate).
FRAMES_PER_CAMERA = 30
#: The camera's link: Gigabit Ethernet, 1000BASE-T (IEEE Std 802.3ab-1999), the physical layer
#: of GigE Vision industrial cameras (AIA/A3 GigE Vision standard). Line rate: a best case.
CAMERA_LINK = Q_(1, "Gb/s")
#: Bytes per pixel channel of the frame the camera sends: 8-bit RGB, already cropped and
#: resized to the model's input (torchvision's 3 x 224 x 224 for both models).
CHANNEL_BYTES = 1
#: Service time varies little between frames of one fixed network at batch 1: deterministic
#: service (M/D/1), coefficient of variation 0 (Kleinrock 1975, Ch. 5).
SERVICE_CV = 0.0


def frame_bytes(model_key: str) -> float:
    """Bytes of one input frame of the model (8-bit channels)."""
    return float(math.prod(MODELS[model_key].input_shape)) * CHANNEL_BYTES


def frame_bytes_per_link(model_key: str) -> float:
    """Seconds one frame takes over the camera link (its serialisation at line rate)."""
    return frame_bytes(model_key) / CAMERA_LINK.m_as("B/s")


@lru_cache(maxsize=1)
def fibre_round_trip_per_km() -> float:
    """Seconds one request-and-reply spends per km of fibre route (the engine's n_g / c)."""
    return PropagationDelayModel().solve(distance=Q_(1, "km")).round_trip.m_as("s")


@lru_cache(maxsize=64)
def propagation(distance_km: float):
    """Light in fibre over ``distance_km``: one way, round trip, speed, delay per km."""
    return PropagationDelayModel().solve(distance=Q_(distance_km, "km"))


@dataclass(frozen=True)
class Serving:
    """One placement of the inspection model: its Iron Law, its queue, its waterfall."""

    context: str
    distance_km: float    # fibre route to the datacenter (0 on the Edge)
    iron: object          # IronLawResult at batch 1
    queue: object         # MG1QueueResult
    waterfall: object     # WaterfallResult, None when the queue never drains
    violations: tuple     # every violated constraint (server capacity, or end-to-end latency)
    model_key: str

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def stable(self) -> bool:
        return self.waterfall is not None

    @property
    def total(self) -> float:
        """End-to-end mean latency in seconds (inf when the queue never drains)."""
        return self.waterfall.total.m_as("s") if self.stable else math.inf

    @property
    def service_time(self) -> float:
        return self.iron.total.m_as("s")

    @property
    def segments(self) -> dict[str, float]:
        """The waterfall's five segments in seconds, in order; when the queue never drains
        the others are still defined and queueing is inf."""
        if self.stable:
            return {k: v.m_as("s") for k, v in self.waterfall.segments.items()}
        r = self.iron
        return {"network": self.distance_km * fibre_round_trip_per_km(), "queueing": math.inf,
                "data movement": frame_bytes_per_link(self.model_key),
                "compute": (r.t_memory + r.t_compute).m_as("s"),
                "overhead": r.t_overhead.m_as("s")}


def arrival_rate(cameras: int) -> float:
    return cameras * FRAMES_PER_CAMERA


@lru_cache(maxsize=4096)
def serve(context: str, model_key: str, execution: str, cameras: int,
          distance_km: float = 0.0) -> Serving:
    """The factory camera's request, placed in ``context``: on the Cloud the frame crosses
    ``distance_km`` of fibre to the H100 and back; on the Edge the Jetson sits beside the
    camera (no long-haul network, so the distance is ignored). Queueing is M/D/1 over the
    frames of all ``cameras``; compute is the Iron Law's D/BW + O/R; overhead its L."""
    distance = distance_km if context == "cloud" else 0.0
    r = iron_law(context, model_key, 1, execution)
    q = MG1QueueModel().solve(arrival_rate=Q_(arrival_rate(cameras), "image/s"),
                              service_rate=Q_(1.0 / r.total.m_as("s"), "1/s"),
                              service_cv=SERVICE_CV)
    if not q.feasible:
        return Serving(context, distance, r, q, None, tuple(q.violations), model_key)
    w = LatencyWaterfallModel().solve(
        distance=Q_(distance, "km") if context == "cloud" else None,
        queueing_time=q.mean_wait, data_bytes=Q_(frame_bytes(model_key), "B"),
        bandwidth=CAMERA_LINK, compute_time=r.t_memory + r.t_compute, overhead=r.t_overhead,
        target_latency=FACTORY_SLA)
    return Serving(context, distance, r, q, w, tuple(w.violations), model_key)


def farthest_datacenter(model_key: str, execution: str, cameras: int) -> float:
    """The longest fibre route (km) at which the Cloud placement still meets the SLA: the
    budget left after everything but the network, over the fibre round trip per km. 0 when
    nothing is left; nan when the H100's queue never drains."""
    near = serve("cloud", model_key, execution, cameras, 0.0)
    if not near.stable:
        return math.nan
    return farthest(near.total, FACTORY_SLA.m_as("s"))


def most_cameras(context: str, model_key: str, execution: str, distance_km: float = 0.0,
                 limit: int = 4096) -> int:
    """The most cameras one machine serves within the SLA (0 when not even one), by bisection
    (latency grows with the number of cameras)."""
    ok = lambda n: serve(context, model_key, execution, n, distance_km).feasible  # noqa: E731
    if not ok(1):
        return 0
    lo, hi = 1, 2
    while hi < limit and ok(hi):
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


# ---- the chapter's worked waterfall: a phone's photo search over 5G ------------------------
#: The response-time limit under which a reply feels instantaneous: 0.1 s (Nielsen 1993,
#: "Usability Engineering", Ch. 5, after Miller 1968 and Card et al. 1991).
PHONE_SLA = Q_(100, "ms")
#: The chapter's datacenter distance (fibre route). ILLUSTRATIVE scenario choice.
PHONE_DISTANCE_KM = 1500.0
PHONE_LINK = "FiveG"
PHONE_MODEL = "mobilenetv2"
ACCESS_LINKS = ("WiFi", "FiveG", "LTE")


def link(key: str):
    return getattr(Systems.Links, key)


@lru_cache(maxsize=32)
def photo_in_cloud(distance_km: float = PHONE_DISTANCE_KM, link_key: str = PHONE_LINK):
    """The phone's photo, uploaded over ``link_key`` to the H100 ``distance_km`` away and
    classified there by a compiled MobileNetV2 (an idle server: no queueing)."""
    r = iron_law("cloud", PHONE_MODEL, 1, "graph")
    return LatencyWaterfallModel().solve(
        distance=Q_(distance_km, "km"), link=link(link_key),
        data_bytes=Q_(frame_bytes(PHONE_MODEL), "B"), compute_time=r.t_memory + r.t_compute,
        overhead=r.t_overhead, target_latency=PHONE_SLA)


@lru_cache(maxsize=1)
def photo_on_phone():
    """The same photo classified on the phone's NPU (Mobile context, INT8, compiled)."""
    r = iron_law("mobile", PHONE_MODEL, 1, "graph")
    return LatencyWaterfallModel().solve(compute_time=r.t_memory + r.t_compute,
                                         overhead=r.t_overhead, target_latency=PHONE_SLA)


@lru_cache(maxsize=16)
def last_hop(link_key: str):
    """The access link alone: its round trip (network) and the frame's upload (data movement)."""
    return LatencyWaterfallModel().solve(link=link(link_key),
                                         data_bytes=Q_(frame_bytes(PHONE_MODEL), "B"))


@lru_cache(maxsize=16)
def md1_wait(utilization: float):
    """M/D/1 mean wait in units of the service time, at a utilisation (the engine's P-K)."""
    return MG1QueueModel().solve(arrival_rate=Q_(utilization, "1/s"),
                                 service_rate=Q_(1.0, "1/s"), service_cv=SERVICE_CV)


def farthest(near_total: float, sla: float) -> float:
    """The longest fibre route (km) that still fits: the latency budget ``sla`` left after
    ``near_total`` (every segment with the datacenter next door), over the round trip per km.
    0 when nothing is left."""
    return max(sla - near_total, 0.0) / fibre_round_trip_per_km()
