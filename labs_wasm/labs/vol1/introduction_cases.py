"""The cases Chapter 1 (book/vol1/introduction.qmd) and Lab 01 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a number
the chapter states and the lab shows come from the same call and cannot differ. Physics is
the engine's; this module only fixes which machine, model, precision and execution a case
means.
"""
from __future__ import annotations

from functools import lru_cache

from mlsysim import Hardware, Models
from mlsysim.core.solver import IronLawModel, MemoryFootprintModel

from labkit import contexts

# The four points of the deployment spectrum (LAB_PROTOCOL "Deployment contexts"). The Edge
# context computes on the Orin NX's GPU alone: a framework's kernels run there, while the
# module's deep-learning accelerators (counted in its headline TOPS) run only compiled
# inference graphs. The module-level figure stays in the registry as JetsonOrinNX.
MACHINES = {"tiny": Hardware.Tiny.STM32H743, "mobile": Hardware.Mobile.A17Pro,
            "edge": Hardware.Edge.JetsonOrinNX_GPU, "cloud": Hardware.Cloud.H100}
SPECTRUM = {key: (contexts.name(key), hw) for key, hw in MACHINES.items()}
# The precision each context normally runs inference at (chapter:
# @sec-introduction-deployment-spectrum): FP16 on the GPUs, INT8 on the phone's NPU and on
# the microcontroller (CMSIS-NN and TensorFlow Lite Micro kernels are int8).
PRECISION = {"cloud": "fp16", "edge": "fp16", "mobile": "int8", "tiny": "int8"}

MODELS = {"resnet50": Models.Vision.ResNet50, "mobilenetv2": Models.Vision.MobileNetV2,
          "dscnn": Models.get("DS_CNN_S")}
# What one inference of each model processes (so rates read "images/s", "clips/s").
ITEM = {"resnet50": ("image", "images"), "mobilenetv2": ("image", "images"),
        "dscnn": ("audio clip", "clips")}
# Weighted layers = kernel launches when a framework runs one kernel per layer, used when the
# registry does not give ``layers``. Sources: He et al. 2016 (ResNet-50: 49 conv + 1 fully
# connected on the main path); Sandler et al. 2018, Table 2 (MobileNetV2: 1 + 2 + 16 x 3
# bottleneck convolutions + 1 conv + 1 classifier = 53); ARM ML-KWS-for-MCU DS-CNN-S
# (1 conv + 4 x (depthwise + pointwise) + 1 classifier = 10).
WEIGHTED_LAYERS = {"resnet50": 50, "mobilenetv2": 53, "dscnn": 10}
EXECUTIONS = ("eager", "graph")  # one launch per layer, or one for the whole network

AXES = {"compute": ("Peak compute", "FLOP/s"), "bandwidth": ("Memory bandwidth", "B/s"),
        "memory": ("Memory capacity", "B"), "power": ("Power", "W")}


def launches(model_key: str, execution: str) -> int:
    if execution == "graph":
        return 1
    return getattr(MODELS[model_key], "layers", None) or WEIGHTED_LAYERS[model_key]


@lru_cache(maxsize=256)
def iron_law(context: str, model_key: str, batch: int = 1, execution: str = "eager"):
    """The Iron Law for ``model_key`` at ``batch`` on the context's machine and precision."""
    return IronLawModel().solve(hardware=MACHINES[context], model=MODELS[model_key],
                                precision=PRECISION[context], batch_size=batch,
                                kernels=launches(model_key, execution))


@lru_cache(maxsize=64)
def footprint(context: str, model_key: str, batch: int = 1):
    """Does ``model_key`` at ``batch`` fit the context's machine (weights + activations)?"""
    return MemoryFootprintModel().solve(model=MODELS[model_key], hardware=MACHINES[context],
                                        precision=PRECISION[context], batch_size=batch)


@lru_cache(maxsize=1)
def specs() -> dict:
    """Per context: peak FLOP/s (at its default precision), B/s, memory bytes (SRAM on the
    microcontroller: what a model computes in), watts."""
    out = {}
    for key, hw in MACHINES.items():
        memory = hw.memory.sram if key == "tiny" else hw.memory.capacity
        out[key] = {"compute": hw.compute.peak_flops.m_as("FLOP/s"),
                    "bandwidth": hw.memory.bandwidth.m_as("B/s"),
                    "memory": memory.m_as("B"), "power": hw.tdp.m_as("W"),
                    "precision": hw.compute.default_precision}
    return out


def gap(axis: str, high: str, low: str) -> float:
    """How many times context ``high`` exceeds context ``low`` on ``axis``."""
    s = specs()
    return s[high][axis] / s[low][axis]


def term_times(r) -> dict[str, float]:
    """The three Iron Law terms of a result, in seconds."""
    return {"memory": r.t_memory.m_as("s"), "compute": r.t_compute.m_as("s"),
            "overhead": r.t_overhead.m_as("s")}
