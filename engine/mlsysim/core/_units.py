"""Build the single unit registry of the engine from the trimmed ``units.txt``."""
from __future__ import annotations

from pathlib import Path

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
    # A plain path, not importlib.resources: the latter costs ~50 ms of imports at start-up.
    text = Path(__file__).with_name("units.txt").read_text(encoding="utf-8")
    registry.load_definitions(text.splitlines())
    registry.formatter.default_format = "~P"
    return registry


def _compare_units_by_meaning(registry: pint.UnitRegistry) -> None:
    """Make ``unit == "TFLOPs/s/W"`` parse the string with this registry.

    pint compares a Unit with a str by the literal spelling of the container, so an alias
    ("TFLOPs") never equals its canonical name ("teraFLOP"). The Unit class is built per
    registry, so this changes nothing outside the engine.
    """
    unit_class = registry.Unit
    plain_eq = unit_class.__eq__

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = self._REGISTRY.parse_units(other)
            except (pint.errors.PintError, ValueError, TypeError, AttributeError):
                return False
        return plain_eq(self, other)

    unit_class.__eq__ = __eq__
    unit_class.__hash__ = unit_class.__hash__


ureg = _build_registry()
_compare_units_by_meaning(ureg)
Q_ = ureg.Quantity
pint.set_application_registry(ureg)
