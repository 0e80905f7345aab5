"""Public face of the resolver contract: the three base classes and every built-in resolver.

    from mlsysim.core.solver import BaseModel, BaseSolver, BaseOptimizer
    from mlsysim.core.solver import IronLawModel, DistributedModel, EconomicsModel
"""
from ._base import BaseModel, BaseOptimizer, BaseResolver, BaseSolver
from ..resolvers import *  # noqa: F401,F403  (built-in resolvers, listed in resolvers.__all__)
from ..resolvers import __all__ as _builtin

__all__ = ["BaseResolver", "BaseModel", "BaseSolver", "BaseOptimizer", *_builtin]
