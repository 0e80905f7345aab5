"""Per-layer activation memory of a CNN: the memory ledger and the activation comparator.

Each layer's output is channels x height x width values per sample (the registry's
``layer_shapes``, counted from the papers' architecture tables), times the batch and the
bytes per element. Changing the input resolution scales every spatial map with it
(H' = ceil(H x R / R0): convolutions with 'same' padding and stride s map R to ceil(R / s));
layers after global pooling stay 1 x 1.

- Inference runs layer by layer: what must be live at once is a layer's input and output,
  plus the shortcut tensor summed into a residual layer's output. ``peak`` is the largest
  such set. Tensors held across a block for a later shortcut are not counted, so the peak
  is a lower bound on what an allocator needs.
- Training keeps every layer's output for the backward pass (Chen et al. 2016, Sec. 2):
  ``stored`` is their sum. Frameworks also keep batch-norm and activation outputs, so the
  real figure is a small multiple of it.
"""
from __future__ import annotations

import math

from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult
from ..core.types import Quantity
from . import _common as c


class ActivationMemoryResult(CheckedResult):
    layers: list
    input_bytes: Quantity
    peak: Quantity
    peak_layer: str
    stored: Quantity
    largest_layer: str
    weight_bytes: Quantity
    required: Quantity
    available: Quantity | None
    batch_size: int
    resolution: tuple
    precision: str


def _resolution(value, native):
    if value is None:
        return native
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise InvalidInputError("resolution", "an int or (height, width)", value)
        return tuple(c.positive_int(f"resolution[{i}]", v) for i, v in enumerate(value))
    r = c.positive_int("resolution", value)
    return (r, r)


class ActivationMemoryModel(BaseModel):
    """Per-layer activation bytes of ``model`` (one with ``layer_shapes``) for
    ``batch_size`` inputs at ``resolution`` (default the model's input size) and
    ``precision`` (the precision rule), and the peak (inference) or stored (``training``)
    total.

    ``layers``: one row per layer, a table as the optimizers' are (plain numbers, the unit
    in the key): name, shape (C, H, W) at this resolution, ``output_B`` (bytes of its
    output for the batch) and ``live_B`` (bytes live while it runs). Without ``hardware``, ``required`` =
    weights + peak (inference) or + stored (training). With ``hardware`` that is checked
    against the device's memory times ``memory_fraction`` (an app's share of a phone's
    memory, e.g.); microcontrollers hold the activations in SRAM and the weights in flash,
    each checked; ``required``/``available`` describe the tighter one. A memory overflowed
    is a violated "<memory> capacity" constraint."""

    requires = ("model",)
    produces = ActivationMemoryResult

    def solve(self, *, model, batch_size=1, resolution=None, precision=None, training=False,
              hardware=None, memory_fraction=1.0) -> ActivationMemoryResult:
        model = c.need_model(model)
        shapes = getattr(model, "layer_shapes", None)
        if not shapes:
            raise InvalidInputError("model", "a model with layer_shapes (e.g. "
                                    "mlsysim.Models.ResNet50)", getattr(model, "name", model))
        hardware = None if hardware is None else c.need_hardware(hardware)
        b = c.positive_int("batch_size", batch_size)
        if not isinstance(training, bool):
            raise InvalidInputError("training", "True or False", training)
        frac = c.fraction("memory_fraction", memory_fraction)
        prec = c.precision_for(precision, hardware, model)
        bpe = c.precision_bytes(prec)
        shape_in = tuple(model.input_shape or ())
        native = shape_in[-2:] if len(shape_in) >= 2 else (1, 1)
        res = _resolution(resolution, tuple(native))
        fh, fw = res[0] / native[0], res[1] / native[1]
        in_elems = math.prod(shape_in[:-2] or (1,)) * res[0] * res[1]
        per_el = b * bpe
        out_bytes, rows = {}, []
        prev = in_elems * per_el
        peak, peak_name, stored = 0.0, "", 0.0
        for layer in shapes:
            if (layer.height, layer.width) == (1, 1):
                h = w = 1
            else:
                h, w = math.ceil(layer.height * fh), math.ceil(layer.width * fw)
            out = layer.channels * h * w * per_el
            src = out_bytes[layer.input_from] if layer.input_from in out_bytes else prev
            live = src + out + (out if layer.residual else 0.0)
            if live > peak:
                peak, peak_name = live, layer.name
            stored += out
            out_bytes[layer.name] = prev = out
            rows.append({"name": layer.name, "shape": (layer.channels, h, w),
                         "output_B": out, "live_B": live})
        largest = max(rows, key=lambda r: r["output_B"])["name"]
        weights = c.bytes_of(model, prec)
        acts = stored if training else peak
        violations, need, have = [], weights + acts, None
        if hardware is not None:
            mem = hardware.memory
            flash, sram = getattr(mem, "flash", None), getattr(mem, "sram", None)
            if flash is not None and sram is not None:
                checks = {"SRAM": (acts, sram.m_as(c.B) * frac),
                          "flash": (weights, flash.m_as(c.B))}
            else:
                checks = {mem.kind or "DRAM": (weights + acts, mem.capacity.m_as(c.B) * frac)}
            for k, (n, h) in checks.items():
                violations += c.violation(f"{k} capacity", n, h, c.B)
            need, have = max(checks.values(), key=lambda nh: nh[0] / nh[1])
        return ActivationMemoryResult(
            layers=rows, input_bytes=c.q(in_elems * per_el, c.B), peak=c.q(peak, c.B),
            peak_layer=peak_name, stored=c.q(stored, c.B), largest_layer=largest,
            weight_bytes=c.q(weights, c.B), required=c.q(need, c.B),
            available=None if have is None else c.q(have, c.B), batch_size=b,
            resolution=res, precision=prec, violations=violations)
