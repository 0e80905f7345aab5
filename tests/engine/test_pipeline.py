"""Pipeline routing and callbacks, with small resolvers defined here."""
import pytest

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.core.pipeline import Pipeline
from mlsysim.core.results import SolverResult
from mlsysim.core.solver import BaseModel
from mlsysim.core.types import Quantity


class TimeResult(SolverResult):
    step_time: Quantity
    hardware: object


class StepTime(BaseModel):
    requires = ("hardware", "flops")
    produces = TimeResult

    def solve(self, hardware, flops):
        return TimeResult(step_time=(flops / hardware.compute.peak_flops).to("ms"),
                          hardware=hardware)


class EnergyResult(SolverResult):
    energy: Quantity


class Energy(BaseModel):
    requires = ("hardware", "step_time")
    produces = EnergyResult

    def solve(self, hardware, step_time, utilisation: float = 1.0):
        return EnergyResult(energy=(hardware.tdp * step_time * utilisation).to("J"))


def test_outputs_feed_later_stages():
    import mlsysim

    h100 = mlsysim.Hardware.H100
    out = Pipeline([StepTime(), Energy()]).run(hardware=h100, flops=Q_("989 TFLOP"))
    assert list(out) == ["StepTime", "Energy"]
    assert out["StepTime"].step_time.to("s").magnitude == pytest.approx(1.0)
    assert out["Energy"].energy.to("J").magnitude == pytest.approx(700)


def test_user_inputs_win_over_earlier_results():
    import mlsysim

    out = Pipeline([StepTime(), Energy()]).run(
        hardware=mlsysim.Hardware.H100, flops=Q_("989 TFLOP"), step_time=Q_("2 s"))
    assert out["Energy"].energy.to("J").magnitude == pytest.approx(1400)


def test_missing_input_names_stage_and_input():
    with pytest.raises(InvalidInputError, match=r"Energy\.step_time"):
        Pipeline([Energy()]).run(hardware=object())


def test_callbacks_see_every_stage():
    import mlsysim

    seen = []

    class Recorder:
        def on_stage_end(self, stage_name, result):
            seen.append((stage_name, sorted(result.dict())))

    p = Pipeline([StepTime(), Energy(), Energy()])
    assert p.register_callback(Recorder()) is p
    out = p.run(hardware=mlsysim.Hardware.H100, flops=Q_("1 TFLOP"))
    assert [s for s, _ in seen] == ["StepTime", "Energy", "Energy#2"] == list(out)
    assert seen[1][1] == ["energy"]


def test_bad_stages_and_callbacks():
    with pytest.raises(InvalidInputError, match="instances"):
        Pipeline([StepTime])
    with pytest.raises(InvalidInputError):
        Pipeline([])
    with pytest.raises(InvalidInputError, match="on_stage_end"):
        Pipeline([StepTime()]).register_callback(object())
