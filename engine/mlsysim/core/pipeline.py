"""Pipelines: run resolvers in order, feeding each stage's result fields to later stages.

    results = Pipeline([DistributedModel(), PowerEfficiencyModel(), EconomicsModel()]).run(
        model=Models.Llama3_8B, fleet=Systems.Clusters.Frontier_8K, duration_days=30)
    results["PowerEfficiencyModel"].flops_per_watt

Routing rule. Each stage's ``solve`` is called with exactly the keywords its signature names
(``BaseResolver.parameters()``). A keyword is taken from, in order: the inputs given to
``run`` (the user's word is final), then the most recent earlier result that has a field of
that name. A parameter with a default may be left out; any other missing input raises
InvalidInputError naming the stage and the input.
"""
from __future__ import annotations

import inspect
from typing import Any, Iterable

from . import names
from .errors import InvalidInputError


def _parameters(stage) -> tuple[tuple[str, bool], ...]:
    """(name, has_default) for each keyword ``stage.solve`` accepts."""
    sig = inspect.signature(stage.solve)
    return tuple((p.name, p.default is not p.empty) for p in sig.parameters.values()
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def _fields(result) -> dict[str, Any]:
    if hasattr(result, "dict") and callable(result.dict):
        return dict(result.dict())
    if isinstance(result, dict):
        return dict(result)
    return {}


class Pipeline:
    """An ordered list of resolver instances; see the module docstring for the routing rule."""

    def __init__(self, stages: Iterable[Any]):
        self.stages = list(stages)
        if not self.stages:
            raise InvalidInputError("stages", "at least one resolver instance", self.stages)
        for stage in self.stages:
            if isinstance(stage, type) or not callable(getattr(stage, "solve", None)):
                raise InvalidInputError(
                    "stages", "resolver instances with a solve() method", stage,
                    "Pass instances, e.g. IronLawModel(), not the class.")
        self.names = self._stage_names()
        self._callbacks: list[Any] = []

    def _stage_names(self) -> list[str]:
        names, seen = [], {}
        for stage in self.stages:
            base = type(stage).__name__
            seen[base] = seen.get(base, 0) + 1
            names.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
        return names

    def register_callback(self, callback) -> "Pipeline":
        """Add an observer; its ``on_stage_end(stage_name, result)`` runs after each stage
        (and ``on_stage_start(stage_name, inputs)`` before, if it has one)."""
        if not (callable(getattr(callback, "on_stage_end", None))
                or callable(getattr(callback, "on_stage_start", None))):
            raise InvalidInputError("callback", "an object with on_stage_end(stage_name, result)",
                                    callback)
        self._callbacks.append(callback)
        return self

    def plan(self, **inputs) -> list[tuple[str, dict[str, str]]]:
        """Where each stage's inputs come from ("input" or a stage name), without running."""
        available = {name: "input" for name in inputs}
        plan = []
        for name, stage in zip(self.names, self.stages):
            sources = {}
            for param, has_default in _parameters(stage):
                if param in available:
                    sources[param] = available[param]
                elif not has_default:
                    self._missing(name, stage, param, available)
            plan.append((name, sources))
            produces = getattr(stage, "produces", None)
            annotations = getattr(produces, "__dataclass_fields__", {}) if produces else {}
            for field in annotations:
                if available.get(field) != "input":
                    available[field] = name
        return plan

    def run(self, **inputs) -> dict[str, Any]:
        """Run every stage; return {stage name: result} in stage order. An input no stage
        takes is an error (a misspelt name would otherwise be silently ignored)."""
        takes = {param for stage in self.stages for param, _ in _parameters(stage)}
        open_ended = any(p.kind is p.VAR_KEYWORD for stage in self.stages
                         for p in inspect.signature(stage.solve).parameters.values())
        inputs = names.translate(inputs, takes, "Pipeline.run", strict=not open_ended)
        pool: dict[str, Any] = {}
        results: dict[str, Any] = {}
        for name, stage in zip(self.names, self.stages):
            kwargs = {}
            for param, has_default in _parameters(stage):
                if param in inputs:
                    kwargs[param] = inputs[param]
                elif param in pool:
                    kwargs[param] = pool[param]
                elif not has_default:
                    self._missing(name, stage, param, {**dict.fromkeys(inputs), **pool})
            for cb in self._callbacks:
                if callable(getattr(cb, "on_stage_start", None)):
                    cb.on_stage_start(name, kwargs)
            result = stage.solve(**kwargs)
            results[name] = result
            pool.update(_fields(result))
            for cb in self._callbacks:
                if callable(getattr(cb, "on_stage_end", None)):
                    cb.on_stage_end(name, result)
        return results

    @staticmethod
    def _missing(name: str, stage, param: str, available) -> None:
        have = ", ".join(sorted(available)) or "nothing"
        raise InvalidInputError(
            f"{name}.{param}", f"a value for {param!r} (stage {name} needs it)", None,
            f"Pass {param}=... to run(), or put a stage that produces {param!r} earlier. "
            f"Available here: {have}.")

    def __repr__(self) -> str:
        return f"Pipeline([{', '.join(self.names)}])"


__all__ = ["Pipeline"]
