"""Chapter 4's numbers are computed at build time with the engine, through the cases module it
shares with Lab 04 (labs_wasm/labs/vol1/data_engineering_cases.py): they equal what the lab
computes, they follow the engine's data, and the chapter does not work out the cases the lab's
predictions ask about."""
from __future__ import annotations

import math

import pytest

from labkit import fmt
from labs.vol1 import data_engineering_cases as cases
from labs.vol1 import lab_04_data_engineering as lab04

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol1/data_engineering.qmd"


@pytest.fixture(scope="module")
def chapter4(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("ch4"), CHAPTER)


def images(x: float) -> str:
    return f"{fmt.num(x)} images/s"


def test_chapter4_states_the_worked_pipeline(chapter4):
    gpu = cases.gpu_rate("edge")
    full, one = cases.pipeline("edge", 8), cases.pipeline("edge", 1)
    assert "{python}" not in chapter4
    assert f"approx {fmt.num(gpu)} text{{images/s}}" in chapter4      # the X_GPU formula
    assert full.accelerator_utilization == 1.0 and one.accelerator_utilization < 1.0
    assert (f"| Decode + augment on the CPU | {images(1000)} | "
            f"{images(cases.per_core_rate('edge'))} |") in chapter4
    assert (f"| GPU utilisation $U$ | {fmt.percent(full.accelerator_utilization, 0)} | "
            f"{fmt.percent(one.accelerator_utilization, 0)} |") in chapter4
    assert f"the GPU itself is the slowest stage: it trains {fmt.num(gpu)} images/s" in chapter4
    assert f"keeps this GPU busy at these costs is $lceil" in chapter4
    assert f"rceil$ = {cases.cores_to_saturate('edge')}." in chapter4
    # storage layout: the same figures the lab's instrument shows for the data lake
    assert f"arrive at {images(cases.read_rate('cloud', 'files'))}: a" in chapter4
    # Little's law
    assert f"that is about {fmt.num(cases.in_flight(gpu, 2.0))} images" in chapter4


def test_chapter4_states_the_gravity_examples(chapter4):
    gcp = cases.transfer(120e12, "Ethernet_100G", "GCP_Internet")
    aws = cases.transfer(120e12, "Ethernet_100G", "AWS_Internet")
    assert f"= 9,600 text{{s}} approx {fmt.num(gcp.time.m_as('hour'))} text{{h}}" in chapter4
    assert f"then a flat rate), is ${fmt.usd(gcp.egress_cost.m_as('USD'))[1:]}," in chapter4
    # the band arithmetic, with the band prices to their last digit ($0.085, not $0.09)
    assert ("C = 10 text{TB} times $0.09/text{GB} + 40 text{TB} times $0.085/text{GB} + "
            "70 text{TB} times $0.07/text{GB} = $9{,}200") in chapter4
    assert aws.egress_cost.m_as("USD") == pytest.approx(9200)
    for key in ("WiFi", "FiveG", "LTE"):
        r = cases.transfer(2e12, key)
        assert f"| {cases.link(key).name} | " in chapter4 and f"| {fmt.num(r.days)} days |" in chapter4


def test_chapter4_does_not_work_out_lab04s_predictions(chapter4):
    """Lab 04 asks the H100's utilisation with its 14 DGX cores (Act I) and what copying 50 TB
    out of AWS over 100 GbE breaks (Act II): the chapter works the Orin NX and other archives."""
    _, u, _ = lab04.act1_truth()
    assert fmt.percent(u, 0) not in chapter4 and fmt.percent(u, 1) not in chapter4
    assert images(cases.pipeline("cloud", 14).throughput.m_as("1/s")) not in chapter4
    truth, _ = lab04.act2_truth()
    assert fmt.usd(truth.egress_cost.m_as("USD"))[1:] not in chapter4      # 4,300
    assert fmt.duration(truth.time.m_as("s")) not in chapter4               # 1.11 h
    assert f"{fmt.num(truth.time.m_as('hour'))} text{{h}}" not in chapter4


def test_chapter4_follows_the_engine_data(tmp_path, chapter4):
    """Halve the Orin NX GPU's FP16 peak in (a copy of) the engine: its training rate halves,
    and with it the worked example's rate and verdicts; raise AWS's second egress band and the
    band sum follows."""
    def edit(engine):
        set_value(engine / "hardware/data/edge.toml", "JetsonOrinNX_GPU.compute.precision_flops",
                  "fp16", "7.52 TFLOP/s")
        text = (engine / "systems/data/egress.toml").read_text(encoding="utf-8")
        (engine / "systems/data/egress.toml").write_text(
            text.replace('value = "0.085 USD/GB"', 'value = "0.1 USD/GB"'), encoding="utf-8")
    changed = expand_real(tmp_path, CHAPTER, edit)
    gpu = cases.gpu_rate("edge")
    half = gpu / 2
    assert math.isclose(half, 122.28, rel_tol=1e-3)
    assert f"approx {fmt.num(half)} text{{images/s}}" in changed
    assert f"approx {fmt.num(gpu)} text{{images/s}}" in chapter4
    assert f"approx {fmt.num(gpu)} text{{images/s}}" not in changed
    # one core (125 images/s) now outpaces the slower GPU: the verdict is computed, not typed
    assert "| GPU utilisation $U$ | 100% | 100% |" in changed
    assert "40 text{TB} times $0.1/text{GB}" in changed and "= $9{,}800" in changed
