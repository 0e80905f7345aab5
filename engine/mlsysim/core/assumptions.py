"""Constants in resolver code that are not registry data: defaults, teaching curves, rules of
thumb. Each is declared with its provenance where it is defined::

    DEFAULT_PUE = assume("economics.DEFAULT_PUE", 1.2, "estimate", "Uptime Institute 2023 ...")

so ``mlsysim audit`` lists module-level defaults beside registry numbers, and a result built
on one can name its source. ``assume`` returns the value unchanged (no wrapper type in hot
paths).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .provenance import Provenance


@dataclass(frozen=True)
class Assumption:
    name: str
    value: Any
    provenance: Provenance


_DECLARED: dict[str, Assumption] = {}


def assume(name: str, value: Any, kind: str, reference: str, url: str | None = None,
           note: str | None = None) -> Any:
    """Declare a module-level constant with its provenance; returns ``value``."""
    _DECLARED[name] = Assumption(name, value, Provenance(kind, reference, url, note))
    return value


def declared() -> dict[str, Assumption]:
    """Every declared constant (imports every built-in resolver module first)."""
    from .. import resolvers  # noqa: F401  (declarations run at import)

    return dict(_DECLARED)


__all__ = ["Assumption", "assume", "declared"]
