"""The workload registry: ``Models.Vision.ResNet50``, ``Models.Language.Llama3_8B`` and the flat
``Models.Llama3_8B``. Numbers live in ``models/data/*.toml`` beside their sources."""
from __future__ import annotations

from .._registry import Registry, collect_aliases, entries
from .types import Workload

NAMESPACES = {"Vision": "vision.toml", "Language": "language.toml"}
_FIELDS = ("name", "family", "parameters", "flops_per_inference", "layers", "hidden_size",
           "heads", "kv_heads", "context_length", "vocab_size", "ffn_hidden", "gated",
           "tied_embeddings", "layer_shapes", "kernels_eager", "kernels_fused",
           "peak_activation_bytes", "default_precision", "input_shape")


def _load():
    by_ns, aliases = {}, {}
    for ns, filename in NAMESPACES.items():
        by_ns[ns] = found = {}
        for key, table, data, prov, where in entries(__package__, filename):
            # input_shape is a shape, not a measured number: its dims need no provenance.
            for path in [p for p in prov if p.startswith("input_shape")]:
                del prov[path]
            kwargs = {f: data[f] for f in _FIELDS if f in data}
            found[key] = Workload(key=key, provenance=prov, **kwargs)
            collect_aliases(key, table, aliases, where)
    return by_ns, aliases


Models = Registry("Models", "model", tuple(NAMESPACES), _load)

__all__ = ["Models"]
