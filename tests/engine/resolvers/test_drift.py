"""Illustrative accuracy decay: time to breach, detection delay, time below the floor."""
import math

import pytest

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InfeasibleError, InvalidInputError
from mlsysim.resolvers import AccuracyDecayModel, RetrainingCostModel

SLIDE = dict(initial_accuracy=0.94, target_accuracy=0.87, decay_rate=Q_(0.5, "%/day"))


def test_time_to_breach_closed_forms():
    # Vol I Lab 14's slide, 94% -> 87% at half a point a day:
    # linear: (0.94 - 0.87) / 0.005 = 14 days; exponential with the same initial slope:
    # (0.94 / 0.005) ln(0.94 / 0.87) = 14.55 days.
    lin = AccuracyDecayModel().solve(**SLIDE, decay="linear")
    exp = AccuracyDecayModel().solve(**SLIDE)
    assert lin.time_to_breach.m_as("day") == pytest.approx(14)
    assert exp.time_to_breach.m_as("day") == pytest.approx(188 * math.log(0.94 / 0.87))
    assert exp.illustrative and "illustrative" in exp.source


def test_detection_delay_is_half_the_monitoring_interval():
    # A breach falls anywhere in a monitoring interval: detected interval / 2 later on average,
    # a whole interval at worst; then retraining takes retrain_time.
    r = AccuracyDecayModel().solve(**SLIDE, decay="linear", interval=Q_(7, "day"),
                                   retrain_time=Q_(2, "day"))
    assert r.detection_delay.m_as("day") == 3.5 and r.worst_detection_delay.m_as("day") == 7
    assert r.time_below_floor.m_as("day") == 5.5 and r.worst_time_below_floor.m_as("day") == 9
    assert r.accuracy_at_detection == pytest.approx(0.87 - 0.005 * 3.5)
    assert r.lowest_accuracy == pytest.approx(0.87 - 0.005 * 5.5)
    assert r.cycle_time.m_as("day") == pytest.approx(19.5)
    assert r.share_below_floor == pytest.approx(5.5 / 19.5)


def test_time_below_floor_over_tolerance_is_infeasible():
    r = AccuracyDecayModel().solve(**SLIDE, interval=Q_(7, "day"), retrain_time=Q_(2, "day"),
                                   tolerated_time=Q_(3, "day"))
    [v] = r.violations
    assert v.name == "time below accuracy floor" and v.required.m_as("day") == 5.5
    with pytest.raises(InfeasibleError, match="time below accuracy floor"):
        r.raise_if_infeasible()
    daily = AccuracyDecayModel().solve(**SLIDE, interval=Q_(1, "day"), retrain_time=Q_(1, "day"),
                                       tolerated_time=Q_(3, "day"))
    assert daily.feasible


def test_unmonitored_model_stays_below_forever():
    r = AccuracyDecayModel().solve(**SLIDE, tolerated_time=Q_(30, "day"), duration=Q_(60, "day"))
    assert r.time_below_floor.m_as("day") == math.inf and not r.feasible
    assert r.accuracy_at_duration == pytest.approx(0.94 * math.exp(-0.005 * 60 / 0.94))


def test_linear_decay_matches_retraining_cost_units():
    # The same "0.5 %/day" means half a point a day in RetrainingCostModel and here.
    r = AccuracyDecayModel().solve(**SLIDE, decay="linear", duration=Q_(10, "day"))
    assert r.accuracy_at_duration == pytest.approx(0.94 - 0.05)
    cost = RetrainingCostModel().solve(retrain_cost=Q_(1000, "USD"), decay_rate="0.5 %/day",
                                       loss_per_point=Q_(100, "USD/day"))
    assert cost.optimal_interval.m_as("day") == pytest.approx(math.sqrt(2 * 1000 / (100 * 0.5)))


def test_already_below_the_floor():
    r = AccuracyDecayModel().solve(initial_accuracy=0.8, target_accuracy=0.85,
                                   decay_rate=Q_(1, "%/day"), interval=Q_(2, "day"))
    assert r.time_to_breach.m_as("day") == 0


@pytest.mark.parametrize("kwargs, name", [
    (dict(SLIDE, initial_accuracy=1.2), "initial_accuracy"),
    (dict(SLIDE, target_accuracy=1.0), "target_accuracy"),
    (dict(SLIDE, decay_rate=0.005), "decay_rate"),
    (dict(SLIDE, decay="cubic"), "decay"),
    (dict(SLIDE, interval=Q_(0, "day")), "interval"),
    (dict(SLIDE, retrain_time=Q_(1, "GB")), "retrain_time"),
])
def test_rejects_bad_inputs(kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        AccuracyDecayModel().solve(**kwargs)
