"""Fleet reliability from the Llama 3 interruption data, availability of N parts."""
import math

import pytest

from mlsysim.core.assumptions import declared
from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import (AvailabilityModel, FleetReliabilityModel, ObservedMTBFModel,
                               YoungDalyModel)
from mlsysim.resolvers.reliability import (LLAMA3_405B_INTERRUPTIONS, LLAMA3_GPU_MTBF_HOURS,
                                           LLAMA3_JOB_MTBF_HOURS)


def test_llama3_interruptions_are_cited_data():
    # Llama Team 2024, "The Llama 3 Herd of Models", Sec. 3.3.4: 466 interruptions in a
    # 54-day snapshot, 47 planned, 419 unexpected; up to 16K (16,384) H100 GPUs.
    d = LLAMA3_405B_INTERRUPTIONS
    assert (d["failures"], d["planned"], d["duration_days"], d["devices"]) == (419, 47, 54, 16384)
    a = declared()["reliability.LLAMA3_405B_INTERRUPTIONS"]
    assert a.provenance.kind == "paper" and "2407.21783" in a.provenance.url


def test_llama3_implied_mtbf():
    # Recomputed: job MTBF = 54 x 24 h / 419 = 3.093 h (Meta: "one failure every three
    # hours"); per GPU = 16,384 x 3.093 h = 50,677 h = 5.8 years.
    r = ObservedMTBFModel().solve(failures=419, duration=Q_(54, "day"), devices=16_384)
    assert r.mtbf.m_as("hour") == pytest.approx(54 * 24 / 419) == pytest.approx(3.093, abs=1e-3)
    assert r.device_mtbf.m_as("hour") == pytest.approx(16_384 * 54 * 24 / 419)
    assert r.device_mtbf.m_as("hour") == pytest.approx(50_677, abs=1)
    assert r.failures_per_day == pytest.approx(419 / 54)
    assert LLAMA3_JOB_MTBF_HOURS == pytest.approx(r.mtbf.m_as("hour"))
    assert LLAMA3_GPU_MTBF_HOURS == pytest.approx(r.device_mtbf.m_as("hour"))


def test_fleet_defaults_to_the_llama3_gpu_mtbf():
    # Fleet MTBF = MTBF / N: the cited per-GPU figure on 16,384 GPUs gives back the job's 3.09 h,
    # and on 1,024 GPUs 49.5 h.
    r = FleetReliabilityModel().solve(devices=16_384)
    assert r.fleet_mtbf.m_as("hour") == pytest.approx(54 * 24 / 419)
    assert "Llama" in r.source and r.mtbf.m_as("hour") == pytest.approx(LLAMA3_GPU_MTBF_HOURS)
    assert FleetReliabilityModel().solve(devices=1024).fleet_mtbf.m_as("hour") == \
        pytest.approx(LLAMA3_GPU_MTBF_HOURS / 1024)
    # ... and feeds Young-Daly: a 60 s checkpoint on the Llama 3 job, tau = sqrt(2 C M)
    y = YoungDalyModel().solve(checkpoint_time=Q_(60, "s"), mtbf=r.fleet_mtbf)
    assert y.optimal_interval.m_as("s") == pytest.approx(math.sqrt(2 * 60 * 3600 * 54 * 24 / 419))


def test_all_of_1000_gpus_up_at_once():
    # Vol II Lab 01, Act I: 1,000 GPUs each up 99.9% of the time are all up 0.999^1000 = 36.8%
    # of the time. As an availability product, and from MTBF 999 h, MTTR 1 h (A = 0.999).
    assert AvailabilityModel().solve(availabilities=[0.999] * 1000).availability == \
        pytest.approx(0.36770, abs=1e-5)
    r = FleetReliabilityModel().solve(devices=1000, mtbf=Q_(999, "hour"),
                                      repair_time=Q_(1, "hour"))
    assert r.device_availability == pytest.approx(0.999)
    assert r.prob_all_up == pytest.approx(0.999 ** 1000) and r.expected_down == pytest.approx(1)
    assert FleetReliabilityModel().solve(devices=8).prob_all_up is None


@pytest.mark.parametrize("call, name", [
    (lambda: ObservedMTBFModel().solve(failures=0, duration=Q_(1, "day")), "failures"),
    (lambda: ObservedMTBFModel().solve(failures=1, duration=Q_(1, "GB")), "duration"),
    (lambda: FleetReliabilityModel().solve(devices=0), "devices"),
    (lambda: FleetReliabilityModel().solve(devices=2, repair_time=Q_(-1, "hour")),
     "repair_time"),
])
def test_rejects_bad_inputs(call, name):
    with pytest.raises(InvalidInputError, match=name):
        call()
