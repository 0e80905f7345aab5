import math

import pytest

import mlsysim
from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.hardware.types import Interconnect
from mlsysim.resolvers import PrefillDecodeModel, TTFTModel

L70 = mlsysim.Models.Llama3_70B
NVLINK = Interconnect("NVLink 4", Q_(450, "GB/s"), Q_(2, "us"))


def test_ttft_is_wait_plus_prefill(h100):
    # M/M/1 (Harchol-Balter 2013, Ch. 14): mean wait = rho / (mu - lambda); P99 of the wait =
    # ln(rho / 0.01) / (mu - lambda); TTFT adds the (fixed) prefill time.
    pre = PrefillDecodeModel().solve(model=L70, hardware=h100, prompt_tokens=1024,
                                     output_tokens=1, tp=4, link=NVLINK).prefill_time.m_as("s")
    lam = 5.0
    r = TTFTModel().solve(model=L70, hardware=h100, prompt_tokens=1024, tp=4, link=NVLINK,
                          arrival_rate=Q_(lam, "request/s"))
    mu = 1 / pre
    assert r.prefill_time.m_as("s") == pytest.approx(pre)
    assert r.utilization == pytest.approx(lam / mu)
    assert r.mean_wait.m_as("s") == pytest.approx((lam / mu) / (mu - lam))
    assert r.mean_ttft.m_as("s") == pytest.approx(r.mean_wait.m_as("s") + pre)
    assert r.ttft_percentile.m_as("s") == pytest.approx(
        math.log((lam / mu) / 0.01) / (mu - lam) + pre)
    # Pollaczek-Khinchine: a deterministic prefill waits half as long on average
    assert r.mean_wait_deterministic.m_as("s") == pytest.approx(r.mean_wait.m_as("s") / 2)


def test_ttft_sla_fails_under_load_and_more_replicas_fix_it(h100):
    # Vol II Lab 10's failure state: P99 TTFT over a 200 ms target.
    light = TTFTModel().solve(model=L70, hardware=h100, prompt_tokens=1024, tp=4, link=NVLINK,
                              arrival_rate="2 request/s", target_latency="200 ms")
    heavy = TTFTModel().solve(model=L70, hardware=h100, prompt_tokens=1024, tp=4, link=NVLINK,
                              arrival_rate="10 request/s", target_latency="200 ms")
    assert light.feasible and not heavy.feasible
    v = heavy.violation("TTFT P99")
    assert v.required.m_as("ms") > 200 and v.available.m_as("ms") == 200
    more = TTFTModel().solve(model=L70, hardware=h100, prompt_tokens=1024, tp=4, servers=3,
                             link=NVLINK,
                             arrival_rate="10 request/s", target_latency="200 ms")
    assert more.feasible and more.ttft_percentile < heavy.ttft_percentile


def test_ttft_unstable_queue_and_model_that_does_not_fit(h100):
    over = TTFTModel().solve(model=L70, hardware=h100, prompt_tokens=1024, tp=4, link=NVLINK,
                             arrival_rate="100 request/s")
    assert not over.feasible and over.violation("prefill capacity") is not None
    assert math.isinf(over.ttft_percentile.m_as("s"))
    one = TTFTModel().solve(model=L70, hardware=h100, prompt_tokens=1024,
                            arrival_rate="1 request/s", link=NVLINK)
    assert one.violation("HBM3 capacity") is not None


def test_ttft_rejects_bad_inputs(h100):
    with pytest.raises(InvalidInputError, match="arrival_rate"):
        TTFTModel().solve(model=L70, hardware=h100, prompt_tokens=8, tp=4, arrival_rate="5 s",
                          link=NVLINK)
    with pytest.raises(InvalidInputError, match="target_latency"):
        TTFTModel().solve(model=L70, hardware=h100, prompt_tokens=8, tp=4, link=NVLINK,
                          arrival_rate="1 1/s", target_latency="5 GB")
