"""Compression: quantization and pruning size, speed and (published) accuracy.

Size scales with bytes per element (quantization) and kept weights (pruning). Speed: a
memory-bound layer speeds up by the byte ratio; unstructured sparsity does not speed up
dense hardware (index overhead and irregular access), structured pruning removes whole
channels, 2:4 sparsity doubles math throughput on Ampere and later (NVIDIA A100 whitepaper).

Accuracy comes from PUBLISHED points, per model and method (ImageNet top-1 of a float
model and of its compressed version, each with its source): post-training quantization
(ptq) and quantization-aware training (qat) at int8/int4, unstructured magnitude pruning at
given sparsities. Between two published sparsities the drop is interpolated linearly (and
labelled illustrative); where a model or method has no published point an illustrative
default is used and labelled so. Casting a float model to another float format (fp32 ->
fp16/bf16) is taken as lossless for inference (convention; mixed-precision inference and
training match fp32 accuracy, Micikevicius et al. 2018).
"""
from __future__ import annotations

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c

PRUNING = ("unstructured", "structured", "2:4")
QUANTIZATION = ("ptq", "qat")
FLOATS = ("fp32", "tf32", "fp16", "bf16")

# --- published points: (model key, method, precision, sparsity, float top-1, compressed
# top-1), accuracies in percent; method is ptq/qat for quantization, the pruning kind for
# pruning (precision None: the float model pruned).
_TV = "torchvision"
_POINT_SETS = {
    _TV: assume("compression.points.torchvision", (
        ("ResNet50", "ptq", "int8", 0.0, 76.130, 75.920),
        ("MobileNetV2", "qat", "int8", 0.0, 71.878, 71.658),
    ), "paper", "torchvision model zoo, ImageNet-1K top-1: ResNet50_Weights.IMAGENET1K_V1 (76.130) "
       "and ResNet50_QuantizedWeights.IMAGENET1K_FBGEMM_V1 (75.920, post-training static int8, "
       "fbgemm); MobileNet_V2_Weights.IMAGENET1K_V1 (71.878) and "
       "MobileNet_V2_QuantizedWeights.IMAGENET1K_QNNPACK_V1 (71.658, quantization-aware "
       "training)", "https://pytorch.org/vision/stable/models.html",
       "int8 weights (per-channel) and activations; recipes in pytorch/vision "
       "references/classification#quantized"),
    "faq": assume("compression.points.faq", (
        ("ResNet50", "qat", "int8", 0.0, 76.15, 76.52),
        ("ResNet50", "qat", "int4", 0.0, 76.15, 76.15),
    ), "paper", "McKinstry et al. 2018, Discovering Low-Precision Networks Close to "
       "Full-Precision Networks for Efficient Embedded Inference (FAQ), Table 1",
       "https://arxiv.org/abs/1809.04191",
       "8-bit weights and activations fine-tuned from the fp32 model: 76.52 vs 76.15. 4-bit "
       "(w4a4): the abstract states the ResNet-50 4-bit model matches the full-precision "
       "baseline; recorded here as equal to it (the table's exact value was not re-checked). "
       "Older integer-only QAT (Jacob et al. 2018, arXiv:1712.05877) lost more: ~1.5 points."),
    "nagel": assume("compression.points.nagel2021", (
        ("ResNet50", "ptq", "int4", 0.0, 76.07, 75.23),
    ), "estimate", "Nagel et al. 2021, A White Paper on Neural Network Quantization "
       "(arXiv:2106.08295), PTQ results with AdaRound, W4A8", "https://arxiv.org/abs/2106.08295",
       "value as recalled from the white paper's PTQ table; not re-checked against the PDF "
       "in this session. Plain rounding to 4 bits without AdaRound loses far more."),
    "gale": assume("compression.points.gale2019", (
        ("ResNet50", "unstructured", None, 0.8, 76.8, 75.6),
        ("ResNet50", "unstructured", None, 0.9, 76.8, 73.9),
    ), "estimate", "Gale, Elsen & Hooker 2019, The State of Sparsity in Deep Neural Networks "
       "(magnitude pruning of ResNet-50 on ImageNet), as tabulated by Evci et al. 2020 (RigL), "
       "Table 2", "https://arxiv.org/abs/1902.09574",
       "values as recalled from the RigL table (dense 76.8); not re-checked in this session. "
       "Blalock et al. 2020 (arXiv:2003.03033) survey why such comparisons vary."),
}
POINT_SOURCES = {
    _TV: "torchvision model zoo (PyTorch), ImageNet-1K top-1",
    "faq": "McKinstry et al. 2018 (FAQ), arXiv:1809.04191, Table 1",
    "nagel": "Nagel et al. 2021, arXiv:2106.08295 (recalled; estimate)",
    "gale": "Gale et al. 2019 via Evci et al. 2020 Table 2 (recalled; estimate)",
}

#: Illustrative drops (top-1 points) where no published point exists for the model.
GENERIC_QUANT_DROP = assume("compression.GENERIC_QUANT_DROP", {
    "ptq": {"fp8": 0.5, "int8": 0.5, "int4": 3.0},
    "qat": {"fp8": 0.2, "int8": 0.2, "int4": 1.0},
}, "illustrative", "Krishnamoorthi 2018, Quantizing deep convolutional networks for efficient "
   "inference: A whitepaper (abstract)", "https://arxiv.org/abs/1806.08342",
   "int8 PTQ within 2 points of float and QAT within 1 point for a range of CNNs; 4-bit "
   "weights with QAT lose 2-10 points, more for small networks. Typical values picked inside "
   "those ranges; real drops depend on the model, data and calibration.")
GENERIC_PRUNE_CURVES = assume("compression.GENERIC_PRUNE_CURVES", {
    "unstructured": {"a": 1.0, "x0": 0.8, "k": 4.0},  # ~1 pt at 80 % sparsity, ~1.6 at 90 %
    "structured": {"a": 1.0, "x0": 0.4, "k": 2.0},    # ~1 pt at 40 % of channels removed
}, "illustrative", "teaching curves, drop = a (s / x0)^k", None,
   "shape only: drops grow steeply with sparsity; magnitude pruning of ResNet-50 loses ~1 "
   "point at 80 % (Gale et al. 2019); structured pruning loses more at equal sparsity")


def published_points(model_key: str) -> list[dict]:
    """The published compression points of a registry model (key such as "ResNet50")."""
    out = []
    for sid, points in _POINT_SETS.items():
        for m, method, prec, s, top0, top1 in points:
            if m == model_key:
                out.append({"method": method, "precision": prec, "sparsity": s,
                            "baseline_accuracy": top0 / 100, "accuracy": top1 / 100,
                            "accuracy_drop": top0 - top1, "source": POINT_SOURCES[sid]})
    return out


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


_MODELS_WITH_POINTS = {_norm(p[0]): p[0] for pts in _POINT_SETS.values() for p in pts}


def _key(workload) -> str:
    """Registry key of a workload with published points (by key, else by display name)."""
    key = getattr(workload, "key", "")
    if key:
        return key
    return _MODELS_WITH_POINTS.get(_norm(workload.name), workload.name)


def _quant_drop(key, method, precision):
    """(drop, published?, source) of quantizing a float model to ``precision``."""
    if precision in FLOATS:
        return 0.0, True, "float cast: lossless by convention"
    for p in published_points(key):
        if p["method"] == method and p["precision"] == precision:
            return p["accuracy_drop"], True, p["source"]
    table = GENERIC_QUANT_DROP[method]
    return table.get(precision, table["int8"]), False, "illustrative (GENERIC_QUANT_DROP)"


def _prune_drop(key, kind, s):
    """(drop, published?, source) of pruning a float model to sparsity ``s``."""
    pts = sorted((p["sparsity"], p["accuracy_drop"], p["source"])
                 for p in published_points(key) if p["method"] == kind)
    for ps, d, src in pts:
        if abs(ps - s) < 1e-9:
            return d, True, src
    curve = GENERIC_PRUNE_CURVES["structured" if kind == "structured" else "unstructured"]
    generic = curve["a"] * (s / curve["x0"]) ** curve["k"]
    if not pts:
        return generic, False, "illustrative (GENERIC_PRUNE_CURVES)"
    lo = (0.0, 0.0, pts[0][2])
    for hi in pts:
        if s < hi[0]:
            d = lo[1] + (hi[1] - lo[1]) * (s - lo[0]) / (hi[0] - lo[0])
            return d, False, f"illustrative: linear between published points ({hi[2]})"
        lo = hi
    # beyond the last point: the illustrative curve's shape, scaled through that point
    d = lo[1] * (s / lo[0]) ** curve["k"]
    return d, False, f"illustrative: extrapolated beyond the last published point ({lo[2]})"


class CompressionResult(SolverResult):
    original_size: Quantity
    compressed_size: Quantity
    compression_ratio: float
    memory_bound_speedup: float
    compute_speedup: float
    accuracy_drop: float
    baseline_accuracy: float | None
    accuracy: float | None
    illustrative: bool
    source: str


class CompressionModel(BaseModel):
    """Size, speed and accuracy of ``model`` quantized to ``precision`` (``quantization`` ptq
    or qat) and/or pruned to ``sparsity`` (``pruning`` unstructured, structured or 2:4).
    Unstructured sparse weights are stored with a 1-bit mask per weight. ``accuracy_drop`` is
    in top-1 percentage points from the float model: a published point where one exists
    (``illustrative`` False, ``source`` names it), otherwise interpolated or illustrative.
    ``baseline_accuracy``/``accuracy`` (0-1) are given when a published float accuracy
    exists for the model. Quantization and pruning together add their drops (illustrative)."""

    requires = ("model",)
    produces = CompressionResult

    def solve(self, *, model, precision="int8", quantization="ptq", sparsity=0.0,
              pruning="unstructured", baseline_precision=None) -> CompressionResult:
        workload = c.need_model(model)
        base_p = (baseline_precision or workload.default_precision).lower()
        b0 = c.precision_bytes(base_p, "baseline_precision")
        b1 = c.precision_bytes(precision)
        method = c.choice("quantization", quantization, QUANTIZATION)
        kind = c.choice("pruning", pruning, PRUNING)
        s = 0.5 if kind == "2:4" else c.fraction("sparsity", sparsity, allow_zero=True,
                                                  allow_one=False)
        n = float(workload.parameters)
        size0 = n * b0
        keep = n * (1 - s)
        size1 = keep * b1 + (n / 8 if kind in ("unstructured", "2:4") and s > 0 else 0.0)
        compute = {"unstructured": 1.0, "structured": 1 / (1 - s), "2:4": 2.0}[kind]
        key = _key(workload)
        parts = []
        if precision.lower() != base_p:
            parts.append(_quant_drop(key, method, precision.lower()))
        if s > 0:
            parts.append(_prune_drop(key, "unstructured" if kind == "2:4" else kind, s))
        drop = sum(p[0] for p in parts)
        published = all(p[1] for p in parts) and len(parts) <= 1
        sources = "; ".join(dict.fromkeys(p[2] for p in parts)) or "no compression"
        if len(parts) > 1:
            sources = "illustrative: drops added (" + sources + ")"
        base_acc = next((p["baseline_accuracy"] for p in published_points(key)
                         if (p["method"], p["precision"]) == (method, precision.lower())),
                        None)
        if base_acc is None:
            base_acc = next((p["baseline_accuracy"] for p in published_points(key)), None)
        return CompressionResult(
            original_size=c.q(size0, c.B), compressed_size=c.q(size1, c.B),
            compression_ratio=size0 / size1, memory_bound_speedup=size0 / size1,
            compute_speedup=compute, accuracy_drop=drop, baseline_accuracy=base_acc,
            accuracy=None if base_acc is None else base_acc - drop / 100,
            illustrative=not published, source=sources)


class CompressionFrontierResult(SolverResult):
    points: tuple
    original_size: Quantity
    baseline_accuracy: float | None


class CompressionFrontierModel(BaseModel):
    """The published size-vs-accuracy points of ``model`` (the compression frontier): one
    dict per point with method, precision, sparsity, size (Quantity), accuracy (0-1),
    accuracy_drop (points) and source. Empty when the model has no published points."""

    requires = ("model",)
    produces = CompressionFrontierResult

    def solve(self, *, model, baseline_precision=None) -> CompressionFrontierResult:
        workload = c.need_model(model)
        base_p = (baseline_precision or "fp32").lower()
        b0 = c.precision_bytes(base_p, "baseline_precision")
        n = float(workload.parameters)
        key = _key(workload)
        points = []
        for p in published_points(key):
            prec = p["precision"] or base_p
            s = p["sparsity"]
            size = n * (1 - s) * c.precision_bytes(prec) + (n / 8 if s > 0 else 0.0)
            points.append({**p, "precision": prec, "size": c.q(size, c.B)})
        points.sort(key=lambda p: p["size"].m_as(c.B))
        base = points[0]["baseline_accuracy"] if points else None
        return CompressionFrontierResult(points=tuple(points), original_size=c.q(n * b0, c.B),
                                         baseline_accuracy=base)
