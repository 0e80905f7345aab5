"""The 3-tier resolver contract: Models (forward), Solvers (inverse), Optimizers (search)."""
from __future__ import annotations

import functools
import inspect

from . import names
from .results import OptimizerResult, SolverResult


def _checked_solve(cls, solve):
    """Wrap ``solve`` so an input it does not take is an InvalidInputError naming the input
    (and the seed-002 spellings are translated), never a silent drop or a bare TypeError."""
    params = inspect.signature(solve).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return solve  # takes anything: nothing to check
    accepted = frozenset(p.name for p in params if p.name != "self" and p.kind in (
        p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
    where = cls.__name__

    @functools.wraps(solve)
    def solve_checked(self, *args, **inputs):
        if not inputs.keys() <= accepted:
            inputs = names.translate(inputs, accepted, where)
        return solve(self, *args, **inputs)

    solve_checked.__mlsysim_checked__ = True
    return solve_checked


class BaseResolver:
    """Declares ``requires`` (input names), ``produces`` (a SolverResult subclass), ``solve``."""

    tier = "resolver"
    requires: tuple[str, ...] = ()
    produces: type[SolverResult] = SolverResult

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if isinstance(cls.requires, str) or not all(isinstance(r, str) for r in cls.requires):
            raise TypeError(f"{cls.__name__}.requires must be a tuple of input names, "
                            f"got {cls.requires!r}")
        cls.requires = tuple(cls.requires)
        if not (isinstance(cls.produces, type) and issubclass(cls.produces, SolverResult)):
            raise TypeError(f"{cls.__name__}.produces must be a SolverResult subclass")
        solve = cls.__dict__.get("solve")
        if solve is not None and not getattr(solve, "__mlsysim_checked__", False):
            cls.solve = _checked_solve(cls, solve)

    @property
    def name(self) -> str:
        return type(self).__name__

    def solve(self, **inputs) -> SolverResult:  # pragma: no cover - abstract
        raise NotImplementedError(f"{self.name}.solve is not implemented")

    def parameters(self) -> tuple[str, ...]:
        """The keyword names ``solve`` accepts (used by Pipeline to route inputs)."""
        sig = inspect.signature(self.solve)
        return tuple(p.name for p in sig.parameters.values()
                     if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))

    def __call__(self, **inputs) -> SolverResult:
        return self.solve(**inputs)

    def __repr__(self) -> str:
        return f"<{self.tier} {self.name} requires={self.requires}>"


class BaseModel(BaseResolver):
    """Forward physics: Y = f(X) for one fixed configuration. No search, no decisions."""

    tier = "model"


class BaseSolver(BaseResolver):
    """Inverse: the input value that makes a Model hit a target, found algebraically."""

    tier = "solver"


class BaseOptimizer(BaseResolver):
    """Constrained search over a design space; evaluates candidates with Models."""

    tier = "optimizer"
    produces: type[SolverResult] = OptimizerResult

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not issubclass(cls.produces, OptimizerResult):
            raise TypeError(f"{cls.__name__}.produces must subclass OptimizerResult")
