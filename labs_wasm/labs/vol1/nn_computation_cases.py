"""The cases Chapter 5 (book/vol1/nn_computation.qmd) and Lab 05 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a number
the chapter states and the lab shows come from the same call and cannot differ. Physics is
the engine's (KernelEnergyModel for energy per operation and per access, after Horowitz 2014;
ActivationMemoryModel for per-layer activation bytes); this module fixes which machine,
model, precision and memory budget a case means, and counts a layer's multiply-accumulates
from the registry's layer shapes.
"""
from __future__ import annotations

import math
from functools import lru_cache

from mlsysim import Hardware, Models
from mlsysim.core.constants import Q_, precision_bytes
from mlsysim.core.solver import ActivationMemoryModel, KernelEnergyModel
from mlsysim.resolvers.energy import HOROWITZ_45NM
from mlsysim.resolvers.solvers import MEMORY_FRACTION

from labkit import contexts, fmt
from labs.vol1 import phone

# ---- machines and budgets -------------------------------------------------------------
MACHINES = {"cloud": Hardware.Cloud.H100, "mobile": Hardware.Mobile.A17Pro}
SPECTRUM = {key: (contexts.name(key), hw) for key, hw in MACHINES.items()}

#: Share of the phone's memory one app may use before the OS ends it: ILLUSTRATIVE, one value
#: for the book (labs/vol1/phone.py, where its source is).
APP_MEMORY_FRACTION = phone.APP_MEMORY_FRACTION
#: Usable share of memory per context: the phone's app limit above; on the H100 the engine's
#: estimate of what is left after framework overheads and fragmentation (0.9).
MEMORY_SHARE = {"cloud": MEMORY_FRACTION, "mobile": APP_MEMORY_FRACTION}

# ---- models -----------------------------------------------------------------------------
MODELS = {"resnet50": Models.Vision.ResNet50, "mobilenetv2": Models.Vision.MobileNetV2}
#: The model each context usually deploys (Chapter 1's spectrum: the phone runs the mobile
#: architecture; the GPU the larger one).
CONTEXT_MODEL = {"cloud": "resnet50", "mobile": "mobilenetv2"}
#: Inference precision per context (the device's datasheet precision: FP16 on the GPU, INT8
#: on the phone's Neural Engine).
PRECISION = {key: hw.compute.default_precision for key, hw in MACHINES.items()}
PRECISIONS = ("fp32", "fp16", "int8")
MEMORY_LEVELS = {"sram_8kb": "8 KB SRAM (a register-file-sized cache)",
                 "sram_32kb": "32 KB SRAM (an L1 cache)",
                 "sram_1mb": "1 MB SRAM (a large on-chip buffer)",
                 "dram": "DRAM (off-chip main memory)"}


# ---- a layer's arithmetic, counted from the registry's layer shapes -----------------------
def kernel(model_key: str, name: str) -> tuple[str, int]:
    """(kind, k) of a layer from its registry name: "conv" with a k x k kernel, "depthwise"
    (3 x 3, one filter per channel), "fc" or "pool". ResNet-50's first convolution is 7 x 7
    (He et al. 2016, Table 1); every "3x3" is 3 x 3; the others (1x1, expand, project,
    downsample) are 1 x 1 (Sandler et al. 2018, Table 1)."""
    if "pool" in name:
        return "pool", 0
    if name in ("fc", "classifier"):
        return "fc", 1
    if "depthwise" in name:
        return "depthwise", 3
    if model_key == "resnet50" and name == "conv1":
        return "conv", 7
    return "conv", 3 if "3x3" in name else 1


@lru_cache(maxsize=8)
def layers(model_key: str) -> tuple[dict, ...]:
    """Every layer at the native input size, batch 1: its input and output channels, output
    size, kernel, multiply-accumulates and weights (a bias per output for the classifier)."""
    model = MODELS[model_key]
    channels, prev = {}, model.input_shape[0]
    out = []
    for s in model.layer_shapes:
        cin = channels[s.input_from] if s.input_from else prev
        kind, k = kernel(model_key, s.name)
        positions = s.height * s.width
        if kind == "conv":
            weights = k * k * cin * s.channels
        elif kind == "depthwise":
            weights = k * k * s.channels
        elif kind == "fc":
            weights = cin * s.channels + s.channels
        else:
            weights = 0
        macs = positions * (weights - (s.channels if kind == "fc" else 0))
        out.append({"name": s.name, "kind": kind, "k": k, "cin": cin, "cout": s.channels,
                    "height": s.height, "width": s.width, "macs": macs, "weights": weights,
                    "outputs": s.channels * positions})
        channels[s.name] = prev = s.channels
    return tuple(out)


def layer(model_key: str, name: str) -> dict:
    return next(row for row in layers(model_key) if row["name"] == name)


def classifier(model_key: str) -> dict:
    """The last (fully connected) layer: each weight is used once per input."""
    return layers(model_key)[-1]


# ---- energy: arithmetic against data movement (Horowitz 2014, through the engine) ---------
@lru_cache(maxsize=256)
def energy(flop: float, data_bytes: float, precision: str, memory_level: str):
    """KernelEnergyModel: ``flop`` of arithmetic at ``precision`` plus ``data_bytes`` read
    from ``memory_level``."""
    return KernelEnergyModel().solve(ops=Q_(flop, "FLOP"), data_bytes=Q_(data_bytes, "B"),
                                     precision=precision, memory_level=memory_level)


def operand_vs_mac(precision: str, memory_level: str) -> tuple[float, float, float]:
    """Energy (J) of fetching one operand of ``precision`` from ``memory_level``, of one
    multiply-accumulate at ``precision``, and their ratio."""
    r = energy(Q_(1, "MAC").m_as("FLOP"), precision_bytes(precision), precision, memory_level)
    fetch, mac = r.data_energy.m_as("J"), r.arithmetic_energy.m_as("J")
    return fetch, mac, fetch / mac


def classifier_energy(model_key: str, precision: str, memory_level: str, batch: int = 1):
    """The classifier for ``batch`` inputs: its weights read once from ``memory_level``, each
    used ``batch`` times (the activations are a few kB and stay on chip)."""
    fc = classifier(model_key)
    return energy(2.0 * fc["macs"] * batch, fc["weights"] * precision_bytes(precision),
                  precision, memory_level)


def pj(joules: float) -> str:
    return f"{fmt.num(joules / 1e-12)} pJ"


def energy_text(joules: float) -> str:
    """Joules with the prefix that reads best (pJ to J): the lab and the chapter both use it."""
    for scale, unit in ((1.0, "J"), (1e-3, "mJ"), (1e-6, "µJ"), (1e-9, "nJ")):
        if joules >= scale:
            return f"{fmt.num(joules / scale)} {unit}"
    return pj(joules)


def horowitz() -> dict:
    """The engine's Horowitz 2014 table (pJ per operation and per 64-bit access)."""
    return HOROWITZ_45NM


# ---- activation memory: the memory ledger --------------------------------------------------
@lru_cache(maxsize=512)
def activations(model_key: str, batch: int = 1, resolution: int | None = None,
                precision: str = "fp16", training: bool = False, context: str | None = None):
    """ActivationMemoryModel for ``model_key``; with ``context``, checked against that
    machine's memory times its usable share (MEMORY_SHARE)."""
    kw = {}
    if context is not None:
        kw = {"hardware": MACHINES[context], "memory_fraction": MEMORY_SHARE[context]}
    return ActivationMemoryModel().solve(model=MODELS[model_key], batch_size=batch,
                                         resolution=resolution, precision=precision,
                                         training=training, **kw)


def budget(context: str) -> float:
    """Bytes one program may use on the context's machine."""
    return MACHINES[context].memory.capacity.m_as("B") * MEMORY_SHARE[context]


def activation_bytes(r, training: bool) -> float:
    """What the run must hold for activations: every layer's output (training) or the
    largest live set (inference)."""
    return (r.stored if training else r.peak).m_as("B")


def stages(model_key: str, r) -> list[dict]:
    """Layers grouped by the size of their output map at the model's native input size (a
    network's stages: each halving of the map starts one; the pooled 1 x 1 layers last), with
    the map size at this run's resolution, the bytes the stage stores and the most it holds
    live at once. The same model gives the same stages at any resolution, so two runs can be
    compared stage by stage."""
    groups: dict[tuple, dict] = {}
    for native, row in zip(MODELS[model_key].layer_shapes, r.layers):
        key = (native.height, native.width)
        g = groups.setdefault(key, {"native": key, "shape": row["shape"][1:], "stored": 0.0,
                                    "live": 0.0, "layers": 0})
        g["stored"] += row["output_B"]
        g["live"] = max(g["live"], row["live_B"])
        g["layers"] += 1
    out = sorted(groups.values(), key=lambda g: -g["native"][0] * g["native"][1])
    for i, g in enumerate(out, 1):
        h, w = g["shape"]
        g["label"] = "pooled 1×1" if g["native"] == (1, 1) else f"stage {i}: {h}×{w}"
    return out


def largest_batch(model_key: str, context: str, resolution: int, precision: str,
                  training: bool) -> int:
    """The largest batch whose weights + activations fit the context's budget (activations
    scale linearly with the batch, so one division), 0 if even the weights do not fit."""
    one = activations(model_key, 1, resolution, precision, training)
    room = budget(context) - one.weight_bytes.m_as("B")
    per = activation_bytes(one, training)
    return max(0, math.floor(room / per)) if room > 0 else 0
