"""The numbers in Chapter 3 are computed at build time with the engine, through the cases
module the chapter shares with Lab 03 (labs_wasm/labs/vol1/ml_workflow_cases.py): they equal
what the engine gives, they follow the engine's data, and the chapter does not work out the
cases the lab's predictions ask about."""
from __future__ import annotations

import math

import pytest
from mlsysim import Models, Q_
from mlsysim.core.solver import AccuracyDecayModel, RetrainingCostModel

from labkit import fmt
from labs.vol1 import ml_workflow_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol1/ml_workflow.qmd"


@pytest.fixture(scope="module")
def chapter3(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch3"), CHAPTER)


def shelf(**kw):
    """The chapter's worked example straight from the engine: 95% at launch, 92% floor,
    0.15 points a day."""
    return AccuracyDecayModel().solve(initial_accuracy=0.95, target_accuracy=0.92,
                                      decay_rate=Q_(0.15, "%/day"), **kw)


def test_chapter3_states_the_worked_decay(chapter3):
    assert "{python}" not in chapter3
    tb = shelf().time_to_breach.m_as("day")
    assert math.isclose(tb, 0.95 / 0.0015 * math.log(0.95 / 0.92))
    assert f"lnfrac{{0.95}}{{0.92}} = {fmt.num(tb)} text{{days.}}" in chapter3
    a90 = shelf(duration=Q_(90, "day")).accuracy_at_duration
    assert f"reaches {fmt.percent(a90, 1)} after 90 days: for {fmt.num(90 - tb)} of its first 90" \
        in chapter3
    lin = shelf(decay="linear", duration=Q_(30, "day")).accuracy_at_duration
    exp30 = shelf(duration=Q_(30, "day")).accuracy_at_duration
    assert f"| 30 | {fmt.percent(exp30, 1)} | {fmt.percent(lin, 1)} |" in chapter3
    assert "illustrative" in chapter3.lower() and chapter3.lower().count("illustrative") >= 10


def test_chapter3_states_the_monitoring_window(chapter3):
    for n in (14, 7):
        r = shelf(interval=Q_(n, "day"), retrain_time=Q_(3, "day"), tolerated_time=Q_(7, "day"))
        row = (f"| {n} days | {fmt.num(n / 2)} days | {fmt.num(r.time_below_floor.m_as('day'))} "
               f"days | {fmt.num(r.worst_time_below_floor.m_as('day'))} days | "
               f"{fmt.num(r.cycle_time.m_as('day'))} days | {'yes' if r.feasible else 'no'} |")
        assert row in chapter3
    assert "| 14 days | 7 days | 10 days | 17 days |" in chapter3


def test_chapter3_states_the_phone_update(chapter3):
    size = Models.Vision.MobileNetV2.size_in_bytes("int8").m_as("B")
    r = shelf(interval=Q_(7, "day"), retrain_time=Q_(3, "day"))
    per_month = 365.25 / 12 / r.cycle_time.m_as("day")
    assert f"shelf recogniser's update is {fmt.si(size, 'B')}" in chapter3
    assert (f"the phones receive {fmt.num(per_month)} updates a month, or "
            f"{fmt.si(size * per_month, 'B')}") in chapter3


def test_chapter3_states_the_retraining_trade(chapter3):
    k = cases.chapter_retrain_cost()
    opt = RetrainingCostModel().solve(retrain_cost=Q_(k, "USD"), decay_rate=Q_(0.15, "%/day"),
                                      loss_per_point=Q_(60, "USD/day"))
    t = opt.optimal_interval.m_as("day")
    assert math.isclose(t, math.sqrt(2 * k / (60 * 0.15)))
    assert f"= {fmt.num(t)} text{{days}} $$ at {fmt.usd(opt.cost_per_day.m_as('USD/day'))} per day" \
        in chapter3
    assert f"So $K approx$ {fmt.usd(k)}" in chapter3


def test_chapter3_does_not_work_out_lab03s_predictions(chapter3):
    """Lab 03 asks how long the photo-tagging model (92%, floor 88%, 0.4 points a day) stays
    above its floor (Act I), and which limit the fastest loop breaks on the phones (Act II):
    the chapter works a different model and drift, and never the fastest phone loop."""
    tb = cases.time_to_breach(cases.LAB_DRIFT)
    assert f"{fmt.num(tb)} days" not in chapter3 and f"{fmt.num(tb)} text" not in chapter3
    fast = cases.loop("mobile", 1, "automated")
    assert fmt.si(fast.bytes_per_month, "B") not in chapter3
    assert fmt.num(fast.updates_per_month) not in chapter3
    assert fmt.percent(cases.LAB_DRIFT.floor, 1) not in chapter3  # the lab's floor, 88.0%


def test_chapter3_follows_the_engine_data(tmp_path, chapter3):
    """Raise the H100's rental price tenfold in (a copy of) the engine: the GPU cost of the
    chapter's retraining follows."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/cloud.toml", "H100", "price_per_hour", "49.16 USD/hour"))
    run, gpu = cases.chapter_retrain_compute()
    before = f"which costs {fmt.usd(gpu)} at the registry's dated rental price of $4.92"
    after = f"which costs {fmt.usd(run.hours * 49.16)} at the registry's dated rental price of $49.16"
    assert before in chapter3 and before not in changed
    assert after in changed
