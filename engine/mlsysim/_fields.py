"""Helpers shared by the registry dataclasses: self-validation of quantity fields."""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

from .core import validate
from .core.errors import InvalidInputError
from .core.provenance import Provenance


def check_quantity(owner: str, field: str, value: Any, dimension: str, *, optional=False):
    """Validate one field as a positive quantity of ``dimension``; strings are parsed."""
    if value is None:
        if optional:
            return None
        raise InvalidInputError(f"{owner}.{field}", f"a positive quantity of {dimension}", None)
    return validate.quantity(f"{owner}.{field}", value, dimension)


def freeze_provenance(owner: str, provenance: Mapping[str, Any] | None):
    """Check every value is a Provenance and return a read-only mapping."""
    provenance = dict(provenance or {})
    for path, prov in provenance.items():
        if not isinstance(prov, Provenance):
            raise InvalidInputError(f"{owner}.provenance[{path!r}]", "a Provenance", prov)
    return MappingProxyType(provenance)


def set_frozen(obj, name: str, value):
    """Assign inside ``__post_init__`` of a frozen dataclass (normalising a field)."""
    object.__setattr__(obj, name, value)


def quantity_paths(obj, prefix: str = ""):
    """Yield (dotted path, Quantity) for every quantity field of a registry object, nested."""
    import dataclasses

    from .core.types import Quantity

    for f in dataclasses.fields(obj):
        if f.name in ("provenance",):
            continue
        value = getattr(obj, f.name)
        path = f"{prefix}{f.name}"
        if isinstance(value, Quantity):
            yield path, value
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            if hasattr(value, "provenance"):
                continue  # a nested registry entry (a Node's hardware) has its own provenance
            yield from quantity_paths(value, path + ".")
        elif isinstance(value, Mapping):
            for k, v in value.items():
                if isinstance(v, Quantity):
                    yield f"{path}.{k}", v
        elif isinstance(value, tuple):
            for i, v in enumerate(value):
                if dataclasses.is_dataclass(v):
                    yield from quantity_paths(v, f"{path}[{i}].")
