"""The cases Chapter 7 (book/vol1/frameworks.qmd) and Lab 07 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a number
the chapter states and the lab shows come from the same call and cannot differ. Physics is
the engine's (kernel counts, dispatch overhead, the Iron Law, fusion, the compile
break-even); this module fixes which machine, model, precision and execution a case means,
and holds the few scenario constants the engine does not have, each with its source.
"""
from __future__ import annotations

import math
from functools import lru_cache

from mlsysim import Hardware, Models
from mlsysim.core.constants import Q_
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (CompileBreakEvenModel, DispatchOverheadModel, FusionModel,
                                 IronLawModel, KernelCountModel)

# The lab's two contexts (LAB_PROTOCOL "Deployment contexts"). The Edge context computes on the
# Orin NX's GPU alone: a framework's kernels run there (the module's DLAs run only compiled
# inference graphs), as in Chapter 1.
MACHINES = {"cloud": Hardware.Cloud.H100, "edge": Hardware.Edge.JetsonOrinNX_GPU}
#: Both GPUs run inference at FP16 here (the format of their datasheet peaks).
PRECISION = "fp16"

MODELS = {"dscnn": Models.get("DS_CNN_S"), "mobilenetv2": Models.Vision.MobileNetV2,
          "resnet50": Models.Vision.ResNet50}
# What one inference of each model processes (so rates read "images/s", "clips/s").
ITEM = {"resnet50": ("image", "images"), "mobilenetv2": ("image", "images"),
        "dscnn": ("audio clip", "clips")}
EXECUTIONS = ("eager", "fused")  # one kernel per operator, or the fused (compiled) graph

# ---- scenario constants (not engine data) -------------------------------------------------
#: One-off compile time of a CNN with torch.compile. ILLUSTRATIVE, of the order reported for
#: TorchInductor: 25 s with default settings and 360 s with autotuning when compiling a small
#: vision transformer (timm coat_lite_mini) for training (pytorch/torchdynamo issue #1807,
#: 2022); whole-model
#: compiles take tens of seconds to minutes (Ansel et al. 2024, "PyTorch 2", ASPLOS). The
#: Orin's Arm host compiles more slowly; the lab's slider lets the student vary it.
COMPILE_TIME_S = 60.0
#: The robot of Lab 07's Act II: a visual-servo loop at 500 Hz (a high-speed camera at
#: 500 frames/s), ILLUSTRATIVE: high-speed visual feedback runs at hundreds of hertz to 1 kHz.
LOOP_RATE_HZ = 500.0
#: The share of each 2 ms cycle the network may use: ILLUSTRATIVE (the controller, the
#: pre-processing and the actuation take the other half).
SLA_S = 1e-3
#: The camera of the chapter's worked example: 30 frames/s, the usual rate of a video camera
#: (illustrative scenario).
CAMERA_RATE_HZ = 30.0
#: The chapter's fusion example: batch norm, ReLU and the residual add after a ResNet-50
#: bottleneck block, three element-wise operators on one tensor (He et al. 2016).
CHAPTER_CHAIN = 3


@lru_cache(maxsize=8)
def kernels(model_key: str):
    """Eager and fused kernel launches of one forward pass (registry counts, torchvision)."""
    return KernelCountModel().solve(model=MODELS[model_key])


def launches(model_key: str, execution: str) -> int:
    k = kernels(model_key)
    return k.eager_kernels if execution == "eager" else k.fused_kernels


@lru_cache(maxsize=256)
def iron_law(context: str, model_key: str, batch: int = 1, execution: str = "eager"):
    """The Iron Law of one batch, with the launches of ``execution`` times the device's
    dispatch overhead as the overhead term."""
    return IronLawModel().solve(hardware=MACHINES[context], model=MODELS[model_key],
                                precision=PRECISION, batch_size=batch,
                                kernels=launches(model_key, execution))


def work_time(context: str, model_key: str, batch: int = 1) -> float:
    """Useful work of one batch in seconds: the data term plus the compute term (additive, as
    the Iron Law's pessimistic form; identical in both executions)."""
    r = iron_law(context, model_key, batch, "eager")
    return r.t_memory.m_as("s") + r.t_compute.m_as("s")


@lru_cache(maxsize=256)
def dispatch(context: str, model_key: str, batch: int = 1, execution: str = "eager"):
    """Launches x the device's dispatch overhead (a registry estimate) against the useful work,
    and the share of the time spent in dispatch."""
    return DispatchOverheadModel().solve(
        kernels=launches(model_key, execution),
        compute_time=Q_(work_time(context, model_key, batch), "s"),
        hardware=MACHINES[context])


@lru_cache(maxsize=32)
def crossover_batch(context: str, model_key: str) -> int:
    """The smallest batch at which the useful work of one forward pass reaches its eager
    dispatch time. The Iron Law's work is linear in the batch (weights once, activations and
    arithmetic per input), so two engine calls give its line; the loop guards the rounding."""
    w1, w2 = work_time(context, model_key, 1), work_time(context, model_key, 2)
    per_input, fixed = w2 - w1, 2 * w1 - w2
    over = dispatch(context, model_key, 1, "eager").overhead_time.m_as("s")
    b = max(1, math.ceil((over - fixed) / per_input - 1e-9))
    while work_time(context, model_key, b) < over:
        b += 1
    return b


@lru_cache(maxsize=128)
def break_even(context: str, model_key: str, compile_s: float = COMPILE_TIME_S,
               rate_hz: float | None = None, batch: int = 1):
    """Requests after which compiling pays for itself (and, at ``rate_hz``, how long that
    takes): compile time / (eager - fused latency per request)."""
    return CompileBreakEvenModel().solve(
        model=MODELS[model_key], hardware=MACHINES[context], compile_time=Q_(compile_s, "s"),
        precision=PRECISION, batch_size=batch,
        arrival_rate=None if rate_hz is None else Q_(rate_hz, "1/s"))


def largest_tensor(model_key: str):
    """The largest layer output of the model (registry layer shapes) and its bytes at FP16:
    the tensor an element-wise chain after that layer streams through memory."""
    layer = max(MODELS[model_key].layer_shapes,
                key=lambda s: s.channels * s.height * s.width)
    return layer, layer.channels * layer.height * layer.width * 2.0


@lru_cache(maxsize=128)
def fusion(context: str, model_key: str, chain: int):
    """A chain of ``chain`` element-wise operators on the model's largest tensor, unfused
    (each reads and writes it, one launch each) against fused (one read, one write, one
    launch)."""
    _, nbytes = largest_tensor(model_key)
    return FusionModel().solve(kernels=chain, tensor_bytes=Q_(nbytes, "B"),
                               hardware=MACHINES[context])


def latency(context: str, model_key: str, execution: str, batch: int = 1) -> float:
    """Latency of one batch in seconds (additive Iron Law)."""
    return iron_law(context, model_key, batch, execution).total.m_as("s")


def sla_violations(context: str, model_key: str, execution: str) -> tuple:
    """The loop's latency budget as a constraint: empty when one frame fits in ``SLA_S``."""
    t = latency(context, model_key, execution)
    if t <= SLA_S:
        return ()
    return (Constraint("latency per frame", Q_(t, "s").to("ms"), Q_(SLA_S, "s").to("ms")),)


#: Lab 07's reflection: a newer GPU with more compute and bandwidth than the H100 and the
#: same per-launch dispatch estimate in the registry.
UPGRADE = Hardware.Cloud.B200


@lru_cache(maxsize=8)
def upgrade_latency(model_key: str) -> float:
    """Eager batch-1 latency of ``model_key`` on the UPGRADE GPU, seconds."""
    return IronLawModel().solve(hardware=UPGRADE, model=MODELS[model_key], precision=PRECISION,
                                kernels=launches(model_key, "eager")).total.m_as("s")


def term_times(r) -> dict[str, float]:
    """The three Iron Law terms of a result, in seconds."""
    return {"overhead": r.t_overhead.m_as("s"), "memory": r.t_memory.m_as("s"),
            "compute": r.t_compute.m_as("s")}
