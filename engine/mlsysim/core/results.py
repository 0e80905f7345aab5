"""Typed results. Subclasses declare fields by annotation, like a dataclass::

    class PowerEfficiencyResult(SolverResult):
        flops_per_watt: Quantity
        is_efficient: bool

and are built with keywords only; ``.dict()`` returns the fields as a plain dict.
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar


class SolverResult:
    """Base of every resolver output; subclasses become keyword-only frozen dataclasses."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True, kw_only=True)(cls)

    def dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self))


dataclasses.dataclass(frozen=True, kw_only=True)(SolverResult)


class OptimizerResult(SolverResult):
    """What every optimizer returns: the objective reached, the winning configuration, and how
    many candidates were evaluated."""

    objective_value: Any
    best_config: dict
    total_searched: int

    tier: ClassVar[str] = "optimizer"
