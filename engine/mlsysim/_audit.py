"""The provenance audit: every registry number, and which ones are estimates or illustrative."""
from __future__ import annotations

import dataclasses
from numbers import Real
from typing import Iterator

from ._fields import quantity_paths
from .core.types import Quantity


def registries():
    from .hardware.registry import Hardware
    from .models.registry import Models
    from .systems.registry import Systems

    return (Hardware, Models, Systems)


def number_paths(entry) -> Iterator[tuple[str, object]]:
    """Every quantity and every plain number of a registry entry, by dotted path."""
    yield from quantity_paths(entry)
    yield from _plain_numbers(entry, "")


def _plain_numbers(obj, prefix):
    for f in dataclasses.fields(obj):
        if f.name in ("provenance", "input_shape"):
            continue
        value = getattr(obj, f.name)
        path = f"{prefix}{f.name}"
        if isinstance(value, Real) and not isinstance(value, bool):
            yield path, value
        elif (dataclasses.is_dataclass(value) and not isinstance(value, type)
              and not hasattr(value, "provenance")):
            yield from _plain_numbers(value, path + ".")
        elif isinstance(value, tuple):
            for i, v in enumerate(value):
                if dataclasses.is_dataclass(v):
                    yield from _plain_numbers(v, f"{path}[{i}].")


def rows(only_audit: bool = False) -> list[dict]:
    """One row per registry number (registry, namespace, key, path, value, provenance), then
    one per declared resolver constant (``core.assumptions``)."""
    out = []
    for registry in registries():
        for ns, key, entry in registry.items():
            for path, value in number_paths(entry):
                prov = entry.provenance.get(path)
                if only_audit and prov is not None and not prov.needs_audit:
                    continue
                out.append({
                    "registry": registry.name, "namespace": ns, "key": key, "path": path,
                    "value": f"{value:~C}" if isinstance(value, Quantity) else value,
                    "kind": prov.kind if prov else None,
                    "reference": prov.reference if prov else None,
                    "url": prov.url if prov else None,
                    "note": prov.note if prov else None,
                })
    return out + assumption_rows(only_audit)


def assumption_rows(only_audit: bool = False) -> list[dict]:
    """One row per module-level constant of resolver code declared with ``assume``."""
    from .core.assumptions import declared

    out = []
    for name, a in sorted(declared().items()):
        if only_audit and not a.provenance.needs_audit:
            continue
        module, _, const = name.rpartition(".")
        value = a.value
        out.append({
            "registry": "resolvers", "namespace": module, "key": module, "path": const,
            "value": f"{value:~C}" if isinstance(value, Quantity) else
            (value if isinstance(value, (int, float, str)) else repr(value)),
            "kind": a.provenance.kind, "reference": a.provenance.reference,
            "url": a.provenance.url, "note": a.provenance.note,
        })
    return out


def missing() -> list[dict]:
    """Rows whose number has no provenance (the registry test requires this to be empty)."""
    return [r for r in rows() if r["kind"] is None]
