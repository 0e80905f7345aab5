"""The numbers in Chapter 14 are computed at build time with the engine, through the cases
module the chapter shares with Lab 14 (labs_wasm/labs/vol1/ml_ops_cases.py): they equal what
the engine gives (recomputed here with the training deciles from statistics.NormalDist), they
follow the engine's data, and the chapter does not work out the cases the lab's predictions
ask about."""
from __future__ import annotations

import math
from statistics import NormalDist

import pytest
from mlsysim import Hardware, Models, Q_, Systems
from mlsysim.core.solver import (AccuracyDecayModel, PopulationStabilityModel,
                                 RetrainingCostModel, TrainingTimeModel)

from labkit import fmt
from labs.vol1 import ml_ops_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol1/ml_ops.qmd"
H100 = Hardware.Cloud.H100
RATE = 3 / 70      # the sorter: 97% -> 94% in 10 weeks, points per day


@pytest.fixture(scope="module")
def chapter14(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch14"), CHAPTER)


def deciles(shift=0.0, spread=1.0):
    edges = [NormalDist().inv_cdf(k / 10) for k in range(1, 10)]
    cdf = [0.0] + [NormalDist(shift, spread).cdf(e) for e in edges] + [1.0]
    return [cdf[i + 1] - cdf[i] for i in range(10)]


def engine_psi(shift, spread=1.0):
    return PopulationStabilityModel().solve(expected=deciles(), actual=deciles(shift, spread))


def sorter_breach():
    return AccuracyDecayModel().solve(initial_accuracy=0.97, target_accuracy=0.95,
                                      decay_rate=Q_(RATE, "%/day"),
                                      decay="linear").time_to_breach.m_as("day")


def sorter_k(context):
    """8,000 labels at $0.15, 10 epochs over 150,000 images on one H100, $800 review, and
    on the fleet $1,600 of rollout plus egress of 400 MobileNetV2 updates."""
    run = TrainingTimeModel().solve(model=Models.Vision.MobileNetV2, hardware=H100,
                                    steps=150_000 * 10 / 256, batch_size=256)
    k = 8_000 * 0.15 + run.hours * H100.price_per_hour.m_as("USD/hour") + 800
    if context == "edge":
        size = Models.Vision.MobileNetV2.size_in_bytes("fp16").m_as("B")
        k += 1600 + Systems.Egress.AWS_Internet.cost_usd(400 * size)
    return k


def test_chapter14_states_the_psi_examples(chapter14):
    assert "{python}" not in chapter14
    r = engine_psi(0.3)
    assert f"the engine gives PSI = {r.psi:.3f} on deciles" in chapter14
    shares = deciles(0.3)
    assert f"| 1 | 10.0% | {fmt.percent(shares[0], 1)} | {r.per_bin[0]:.4f} |" in chapter14
    assert f"| 10 | 10.0% | {fmt.percent(shares[9], 1)} | {r.per_bin[9]:.4f} |" in chapter14
    one = engine_psi(1.0)
    ks1 = 2 * NormalDist().cdf(0.5) - 1
    assert f"| 1 | 1 | {one.psi:.3f} | {one.level} |" in chapter14 and f"{ks1:.3f} |" in chapter14
    spread = engine_psi(0.0, 1.3)
    assert f"| spread widens | 0 | 1.3 | {spread.psi:.3f} | {spread.level} |" in chapter14
    assert "illustrative" in chapter14.lower() and chapter14.lower().count("illustrative") >= 10


def test_chapter14_states_the_worked_drift(chapter14):
    tb = sorter_breach()
    assert math.isclose(tb, 2 / RATE)
    assert f"reaches the floor {fmt.num(tb)} days after the training snapshot, in week " \
           f"{math.ceil(tb / 7)}" in chapter14
    alarm = {t: next(w for w in range(1, 53) if engine_psi(0.05 * w).psi > t)
             for t in (0.1, 0.2, 0.25)}
    assert f"0.1, fires in week {alarm[0.1]}, the same week accuracy crosses the floor" in chapter14
    assert f"One alarming at 0.2 fires in week {alarm[0.2]}, and one at 0.25 in week " \
           f"{alarm[0.25]}" in chapter14
    assert f"| 10 | 0.5 | {engine_psi(0.5).psi:.3f} | moderate | 94.0% |" in chapter14
    # "does it fire at least T_r days before the floor? ... it does not at any conventional
    # threshold": even the 0.1 alarm comes after the data age t_b - T_r (17 days of lag)
    assert 7 * alarm[0.1] > tb - 17
    assert "it does not at any conventional threshold" in chapter14


def test_chapter14_states_the_cadence(chapter14):
    kc = sorter_k("cloud")
    model = RetrainingCostModel()
    t = model.solve(retrain_cost=Q_(kc, "USD"), decay_rate=Q_(RATE, "%/day"),
                    loss_per_point=Q_(40, "USD/day")).optimal_interval.m_as("day")
    assert math.isclose(t, math.sqrt(2 * kc / (40 * RATE)))
    assert f"= {fmt.num(t)} text{{days}} $$" in chapter14
    lo, hi = kc * 365.25 / 12 / 2500, sorter_breach() - 17
    assert f"The window is {fmt.num(lo)} to {fmt.num(hi)} days" in chapter14
    assert f"so in the cloud $K$ = {fmt.usd(kc)}" in chapter14
    assert f"so $K$ = {fmt.usd(sorter_k('edge'))}" in chapter14


def test_chapter14_states_the_rollout(chapter14):
    size = Models.Vision.MobileNetV2.size_in_bytes("fp16").m_as("B")
    lte = size * 8 / Systems.Links.LTE.downlink.m_as("bit/s")
    assert f"is {fmt.si(size, 'B')}, so the whole fleet of 400 stations downloads " \
           f"{fmt.si(400 * size, 'B')}" in chapter14
    assert f"each station's download takes {fmt.duration(lte)} over an average LTE" in chapter14


def test_chapter14_does_not_work_out_lab14s_predictions(chapter14):
    """Lab 14 asks in which week PSI > 0.2 fires for the traffic camera (0.06 SD a week), and
    which limit the cost optimum breaks on its 2,000-camera fleet: the chapter works the parcel
    sorter instead and never states the camera's numbers."""
    week = cases.alarm_week(cases.LAB)
    assert f"week {week}" not in chapter14
    assert f"{cases.weekly_psi(cases.LAB, week):.3f}" not in chapter14
    t = cases.optimum(cases.LAB, "edge", "standard")
    p = cases.plan(cases.LAB, "edge", "standard", t)
    assert f"{fmt.num(t)} days" not in chapter14 and f"{fmt.num(p.age)} days" not in chapter14
    assert fmt.usd(p.spend) not in chapter14 and fmt.usd(p.cost) not in chapter14
    assert f"{fmt.num(cases.optimum(cases.LAB, 'cloud', 'standard'))} days" not in chapter14


def test_chapter14_follows_the_engine_data(tmp_path, chapter14):
    """Halve the LTE downlink and raise the H100's rental price tenfold in (a copy of) the
    engine: the station's download time and the retraining's GPU cost follow."""
    def edit(engine):
        set_value(engine / "systems/data/links.toml", "LTE", "downlink", "10.65 Mb/s")
        set_value(engine / "hardware/data/cloud.toml", "H100", "price_per_hour", "49.16 USD/hour")
    changed = expand_real(tmp_path, CHAPTER, edit)
    size = Models.Vision.MobileNetV2.size_in_bytes("fp16").m_as("B")
    before = f"download takes {fmt.duration(size * 8 / 21.3e6)} over"
    after = f"download takes {fmt.duration(size * 8 / 10.65e6)} over"
    assert before in chapter14 and before not in changed and after in changed
    run, gpu = cases.retrain_compute(cases.CHAPTER)
    assert f"which costs {fmt.usd(gpu)} at the registry's rental price of $4.92" in chapter14
    assert f"which costs {fmt.usd(run.hours * 49.16)} at the registry's rental price of $49.16" \
        in changed
