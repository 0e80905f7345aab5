"""Discovering resolvers: the built-ins plus plugins registered under the entry-point group
``mlsysim.solvers``::

    [project.entry-points."mlsysim.solvers"]
    power_efficiency = "my_package.solvers:PowerEfficiencyModel"

A plugin that fails to import, or does not name a resolver class, is skipped with a warning
that names it; discovery never crashes because of someone else's package.
"""
from __future__ import annotations

import warnings
from importlib import metadata

from ._base import BaseResolver
from .errors import UnknownEntryError

GROUP = "mlsysim.solvers"


class PluginWarning(UserWarning):
    """A plugin entry point could not be loaded."""


class ResolverFactory:
    @staticmethod
    def builtins() -> dict[str, type]:
        from .. import resolvers

        return {name: getattr(resolvers, name) for name in resolvers.__all__}

    @staticmethod
    def plugins() -> dict[str, type]:
        found: dict[str, type] = {}
        for ep in metadata.entry_points(group=GROUP):
            label = f"{ep.name} = {ep.value}"
            dist = getattr(ep, "dist", None)
            if dist is not None:
                label += f" (from {dist.metadata['Name']})"
            try:
                obj = ep.load()
            except Exception as exc:  # any import-time failure of third-party code
                warnings.warn(f"mlsysim plugin {label} failed to load: "
                              f"{type(exc).__name__}: {exc}", PluginWarning, stacklevel=2)
                continue
            if not (isinstance(obj, type) and issubclass(obj, BaseResolver)):
                warnings.warn(f"mlsysim plugin {label} is not a BaseModel/BaseSolver/"
                              f"BaseOptimizer subclass; skipped", PluginWarning, stacklevel=2)
                continue
            found[obj.__name__] = obj
        return found

    @classmethod
    def list_available(cls) -> dict[str, type]:
        """{class name: class} for built-in resolvers and installed plugins (built-ins win a
        name clash, with a warning)."""
        available = cls.builtins()
        for name, obj in cls.plugins().items():
            if name in available and available[name] is not obj:
                warnings.warn(f"mlsysim plugin {obj.__module__}.{name} has the name of a "
                              f"built-in resolver; the built-in is kept", PluginWarning,
                              stacklevel=2)
                continue
            available[name] = obj
        return available

    @classmethod
    def get(cls, name: str) -> type:
        available = cls.list_available()
        if name in available:
            return available[name]
        lowered = {k.lower(): v for k, v in available.items()}
        if name.lower() in lowered:
            return lowered[name.lower()]
        raise UnknownEntryError("resolver", name, sorted(available))

    @classmethod
    def create(cls, name: str, **kwargs) -> BaseResolver:
        return cls.get(name)(**kwargs)


__all__ = ["ResolverFactory", "PluginWarning", "GROUP"]
