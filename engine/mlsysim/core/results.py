"""Typed results. Subclasses declare fields by annotation, like a dataclass::

    class PowerEfficiencyResult(SolverResult):
        flops_per_watt: Quantity
        is_efficient: bool

and are built with keywords only; ``.dict()`` returns the fields as a plain dict.

Feasibility has one shape. A resolver whose inputs can describe a physically impossible
design (a model that does not fit, a queue that never drains, an SLA no batch can meet)
returns a ``CheckedResult``: ``violations`` lists each violated ``Constraint`` (its name and
the required and available amounts, as Quantities) and ``feasible`` is True exactly when that
list is empty. It never raises for an impossible design; ``raise_if_infeasible()`` does, for
callers who want an exception. Invalid *inputs* (negative, wrong dimension, unknown name)
still raise ``InvalidInputError``.
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from .errors import InfeasibleError


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


@dataclasses.dataclass(frozen=True)
class Constraint:
    """One violated physical constraint: what the design ``required`` against what is
    ``available`` (both Quantities of one dimension, e.g. 140 GB of HBM against 80 GB)."""

    name: str
    required: Any
    available: Any

    @property
    def ratio(self) -> float:
        """required / available (> 1 for a capacity or budget exceeded)."""
        avail = self.available.to(self.required.units).magnitude
        return float("inf") if avail == 0 else self.required.magnitude / avail

    def __str__(self) -> str:
        return f"{self.name}: requires {self.required:~P.4g}, available {self.available:~P.4g}"


class CheckedResult(SolverResult):
    """A result that says whether the design is physically possible (see module doc)."""

    violations: tuple = ()
    feasible: bool = True

    def __post_init__(self):
        violations = tuple(self.violations)
        for v in violations:
            if not isinstance(v, Constraint):
                raise TypeError(f"violations must be Constraint objects, got {v!r}")
        object.__setattr__(self, "violations", violations)
        object.__setattr__(self, "feasible", not violations)

    def violation(self, name: str) -> Constraint | None:
        """The violated constraint called ``name``, if any."""
        return next((v for v in self.violations if v.name == name), None)

    def raise_if_infeasible(self) -> "CheckedResult":
        if self.violations:
            raise InfeasibleError("; ".join(map(str, self.violations)))
        return self


class OptimizerResult(SolverResult):
    """What every optimizer returns: the objective reached, the winning configuration, and how
    many candidates were evaluated."""

    objective_value: Any
    best_config: dict
    total_searched: int

    tier: ClassVar[str] = "optimizer"


class CheckedOptimizerResult(OptimizerResult, CheckedResult):
    """An optimizer result that may find nothing feasible: then ``best_config`` is empty,
    ``objective_value`` is None and ``violations`` says what every candidate broke."""
