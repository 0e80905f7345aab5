"""The Workload dataclass: a model's size, compute per inference and shape."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .._fields import check_quantity, freeze_provenance, set_frozen
from ..core import validate
from ..core.constants import bytes_per_element, precision_bytes
from ..core.errors import InvalidInputError
from ..core.provenance import Provenance
from ..core.types import Quantity


@dataclass(frozen=True)
class LayerShape:
    """One layer's output tensor at the model's native input size (per sample): ``channels``
    x ``height`` x ``width``. ``residual``: a block's shortcut is summed into this output (a
    tensor of its shape is live too). ``input_from``: the layer whose output this one reads,
    when not the one listed before it (a projection shortcut). A 1 x 1 layer after global
    pooling stays 1 x 1 at any input resolution."""

    name: str
    channels: int
    height: int = 1
    width: int = 1
    residual: bool = False
    input_from: str | None = None

    def __post_init__(self):
        for f in ("channels", "height", "width"):
            validate.number(f"layer {self.name!r}.{f}", getattr(self, f), lo=1, integer=True)

    @property
    def elements(self) -> int:
        """Values in one output tensor (one sample, native resolution)."""
        return self.channels * self.height * self.width


@dataclass(frozen=True)
class Workload:
    """A neural network workload. ``flops_per_inference`` counts 1 MAC = 2 FLOP; for a
    language model it is the forward FLOP per token at ``context_length``.

    Transformer shape: ``ffn_hidden`` (MLP inner width), ``gated`` (SwiGLU-style MLP with
    three weight matrices), ``tied_embeddings`` (input and output embeddings share weights);
    None where unknown. CNNs may carry ``layer_shapes``: each layer's output shape, in order,
    and ``kernels_eager`` / ``kernels_fused``: kernel launches of one forward pass run
    operator by operator (eager) and with normalisation folded and element-wise work fused
    into the convolutions (compiled).
    """

    name: str
    key: str = ""
    family: str = ""
    parameters: float = 0
    flops_per_inference: Quantity | None = None
    layers: int | None = None
    hidden_size: int | None = None
    heads: int | None = None
    kv_heads: int | None = None
    context_length: int | None = None
    vocab_size: int | None = None
    ffn_hidden: int | None = None
    gated: bool | None = None
    tied_embeddings: bool | None = None
    layer_shapes: tuple | None = None
    kernels_eager: int | None = None
    kernels_fused: int | None = None
    peak_activation_bytes: Quantity | None = None
    default_precision: str = "fp16"
    input_shape: tuple | None = None
    provenance: Mapping[str, Provenance] = field(default_factory=dict)

    def __post_init__(self):
        owner = self.key or self.name
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidInputError("Workload.name", "a non-empty string", self.name)
        validate.number(f"{owner}.parameters", self.parameters, lo=0)
        set_frozen(self, "flops_per_inference", check_quantity(
            owner, "flops_per_inference", self.flops_per_inference, "FLOP", optional=True))
        set_frozen(self, "peak_activation_bytes", check_quantity(
            owner, "peak_activation_bytes", self.peak_activation_bytes, "B", optional=True))
        for name in ("layers", "hidden_size", "heads", "kv_heads", "context_length",
                     "vocab_size", "ffn_hidden", "kernels_eager", "kernels_fused"):
            value = getattr(self, name)
            if value is not None:
                validate.number(f"{owner}.{name}", value, lo=1, integer=True)
        if self.heads and self.kv_heads and self.heads % self.kv_heads:
            raise InvalidInputError(f"{owner}.kv_heads", f"a divisor of heads={self.heads}",
                                    self.kv_heads)
        precision_bytes(self.default_precision, f"{owner}.default_precision")  # raises if unknown
        for name in ("gated", "tied_embeddings"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise InvalidInputError(f"{owner}.{name}", "True, False or None", value)
        if self.layer_shapes is not None:
            shapes = tuple(s if isinstance(s, LayerShape) else LayerShape(**s)
                           for s in self.layer_shapes)
            set_frozen(self, "layer_shapes", shapes)
        if self.input_shape is not None:
            set_frozen(self, "input_shape", tuple(self.input_shape))
        set_frozen(self, "provenance", freeze_provenance(owner, self.provenance))

    def size_in_bytes(self, precision: str | None = None) -> Quantity:
        """Weight storage: parameters x bytes per element (default precision if None)."""
        return (self.parameters * bytes_per_element(precision or self.default_precision)).to("B")

    @property
    def head_dim(self) -> int | None:
        if self.hidden_size and self.heads:
            return self.hidden_size // self.heads
        return None

    def __repr__(self) -> str:
        return f"<Workload {self.key or self.name}>"
