"""Every built-in resolver follows the 3-tier contract."""
import dataclasses
import typing

import pytest

import mlsysim.core.solver as solver
import mlsysim.resolvers as resolvers
from mlsysim.core._base import BaseModel, BaseOptimizer, BaseSolver
from mlsysim.core.results import OptimizerResult, SolverResult


@pytest.mark.parametrize("name", resolvers.__all__)
def test_resolver_follows_contract(name):
    cls = getattr(resolvers, name)
    assert getattr(solver, name) is cls
    assert issubclass(cls, (BaseModel, BaseSolver, BaseOptimizer))
    assert issubclass(cls.produces, SolverResult) and dataclasses.fields(cls.produces)
    if issubclass(cls, BaseOptimizer):
        assert issubclass(cls.produces, OptimizerResult)
    params = cls().parameters()
    assert set(cls.requires) <= set(params), f"{name}.requires names inputs solve() lacks"
    hints = typing.get_type_hints(cls.produces)
    assert all(f.name in hints for f in dataclasses.fields(cls.produces))
    if "illustrative" in hints:
        assert "illustrative" in cls.__doc__.lower() or "illustrative" in \
            (typing.cast(str, __import__(cls.__module__, fromlist=["x"]).__doc__).lower())
        assert [f for f in dataclasses.fields(cls.produces) if f.name == "source"]
