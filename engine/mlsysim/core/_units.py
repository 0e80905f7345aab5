"""Build the single unit registry of the engine from the trimmed ``units.txt``."""
from __future__ import annotations

from importlib import resources

import pint

# Precision names used across registries and resolvers, in bytes per element.
BYTES_PER_ELEMENT = {
    "fp64": 8.0,
    "fp32": 4.0,
    "tf32": 4.0,
    "fp16": 2.0,
    "bf16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
}


def _build_registry() -> pint.UnitRegistry:
    # None: start empty (pint's full defaults take ~0.6 s to parse).
    registry = pint.UnitRegistry(None, cache_folder=None, autoconvert_offset_to_baseunit=True)
    text = resources.files(__package__).joinpath("units.txt").read_text(encoding="utf-8")
    registry.load_definitions(text.splitlines())
    registry.formatter.default_format = "~P"
    return registry


ureg = _build_registry()
Q_ = ureg.Quantity
pint.set_application_registry(ureg)
