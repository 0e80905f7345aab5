"""Queueing: the M/M/c response-time distribution (Lab 13's P99 histogram) and M/G/1."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import MG1QueueModel, MMcQueueModel, ResponseTimeDistributionModel
from mlsysim.resolvers.queueing import response_ccdf


@pytest.mark.parametrize("lam", [99.9, 99.99, 99.999999])
def test_mm1_response_p99_near_saturation_does_not_overflow(lam):
    # Regression: the textbook M/M/c response CCDF (Gross et al. 2008) multiplies e^(-mu t) by
    # e^(+|g| t) when g = c mu - lambda - mu < 0; at rho = 0.999 that overflowed (OverflowError
    # from math.exp). The M/M/1 answer is P99 = ln(100) / (mu - lambda) (Kleinrock 1975).
    r = MMcQueueModel().solve(arrival_rate=Q_(lam, "1/s"), service_rate=Q_(100, "1/s"))
    assert r.response_percentile.m_as("s") == pytest.approx(math.log(100) / (100 - lam),
                                                            rel=1e-9)


def test_mmc_ccdf_is_one_at_zero_and_matches_mm1_form():
    assert response_ccdf(0.0, 4, 35.0, 10.0, 0.5) == pytest.approx(1.0)
    # c = 1: P(T > t) = e^{-(mu - lambda) t}
    assert response_ccdf(0.05, 1, 80.0, 100.0, 0.8) == pytest.approx(math.exp(-1.0))


def test_mmc_latency_slo_is_a_violated_constraint():
    # Lab 13's failure: P99 above a 200 ms SLA. M/M/1 at 80/s on 100/s: P99 = 230.3 ms.
    r = MMcQueueModel().solve(arrival_rate=Q_(80, "1/s"), service_rate=Q_(100, "1/s"),
                              target_latency=Q_(200, "ms"))
    [v] = r.violations
    assert v.name == "latency SLO" and v.required.m_as("ms") == pytest.approx(230.26, rel=1e-4)
    ok = MMcQueueModel().solve(arrival_rate=Q_(80, "1/s"), service_rate=Q_(100, "1/s"),
                               target_latency=Q_(250, "ms"))
    assert ok.feasible


def test_mm1_quantiles_are_multiples_of_the_mean():
    # Vol I Lab 13, Act I: exponential response time (M/M/1, Harchol-Balter 2013, Sec. 14.1)
    # has quantile -ln(1 - p) x mean: P50 = 0.693 x, P99 = ln(100) = 4.605 x the mean.
    r = ResponseTimeDistributionModel().solve(arrival_rate=Q_(80, "request/s"),
                                              service_rate=Q_(100, "1/s"))
    assert r.mean_response.m_as("ms") == pytest.approx(50)
    assert r.ratio_to_mean[0.99] == pytest.approx(math.log(100), rel=1e-9)
    assert r.ratio_to_mean[0.5] == pytest.approx(math.log(2), rel=1e-9)
    assert r.quantiles[0.99].m_as("ms") == pytest.approx(50 * math.log(100), rel=1e-9)


def test_histogram_is_the_distribution():
    r = ResponseTimeDistributionModel().solve(arrival_rate=Q_(80, "1/s"),
                                              service_rate=Q_(100, "1/s"), bins=20,
                                              target_latency=Q_(100, "ms"))
    assert len(r.bin_edges) == 21 and len(r.bin_probabilities) == 20
    assert r.bin_edges[0].m_as("s") == 0
    # the histogram spans 0 to the P99.9, so the tail beyond holds 0.1%
    assert r.tail_probability == pytest.approx(0.001, rel=1e-6)
    assert sum(r.bin_probabilities) + r.tail_probability == pytest.approx(1.0)
    # first bin of an exponential with rate 20/s over [0, P99.9 / 20]
    width = r.bin_edges[1].m_as("s")
    assert r.bin_probabilities[0] == pytest.approx(1 - math.exp(-20 * width))
    assert r.prob_over_target == pytest.approx(math.exp(-20 * 0.1))


def test_mmc_distribution_agrees_with_mmc_percentile():
    kw = dict(arrival_rate=Q_(35, "1/s"), service_rate=Q_(10, "1/s"), servers=4)
    d = ResponseTimeDistributionModel().solve(**kw, percentiles=[0.9, 0.99])
    for p in (0.9, 0.99):
        m = MMcQueueModel().solve(**kw, percentile=p)
        assert d.quantiles[p].m_as("s") == pytest.approx(m.response_percentile.m_as("s"),
                                                         rel=1e-9)
    assert d.mean_response.m_as("s") == pytest.approx(
        MMcQueueModel().solve(**kw).mean_response.m_as("s"))


def test_distribution_of_an_unstable_queue_is_infeasible():
    r = ResponseTimeDistributionModel().solve(arrival_rate=Q_(200, "1/s"),
                                              service_rate=Q_(100, "1/s"))
    assert not r.feasible and r.violations[0].name == "server capacity"
    assert r.quantiles[0.99].m_as("s") == math.inf and r.bin_probabilities == []


def test_mg1_deterministic_service_waits_half_as_long():
    # Pollaczek-Khinchine (Kleinrock 1975, Ch. 5): W_q = rho/(1-rho) (1+cv^2)/2 E[S]. At
    # rho = 0.8 and E[S] = 10 ms: M/M/1 waits 40 ms, M/D/1 (cv = 0) 20 ms.
    mm1 = MG1QueueModel().solve(arrival_rate=Q_(80, "1/s"), service_rate=Q_(100, "1/s"))
    md1 = MG1QueueModel().solve(arrival_rate=Q_(80, "1/s"), service_rate=Q_(100, "1/s"),
                                service_cv=0)
    assert mm1.mean_wait.m_as("ms") == pytest.approx(40)
    assert md1.mean_wait.m_as("ms") == pytest.approx(20) and md1.wait_vs_exponential == 0.5
    assert md1.mean_queue_length == pytest.approx(80 * 0.020)   # Little's law
    # heavy-tailed service (cv = 3) waits five times M/M/1's
    heavy = MG1QueueModel().solve(arrival_rate=Q_(80, "1/s"), service_rate=Q_(100, "1/s"),
                                  service_cv=3)
    assert heavy.mean_wait.m_as("ms") == pytest.approx(200)


def test_mg1_at_95_percent_waits_19_service_times():
    # Vol II Lab 08, Act I: M/M/1 at rho = 0.95 waits rho / (1 - rho) = 19 service times.
    r = MG1QueueModel().solve(arrival_rate=Q_(95, "1/s"), service_rate=Q_(100, "1/s"))
    assert r.mean_wait / r.mean_service == pytest.approx(19)


@settings(max_examples=40, deadline=None)
@given(lam=st.floats(0.5, 99.0))
def test_mg1_with_exponential_service_is_mm1(lam):
    a = MG1QueueModel().solve(arrival_rate=Q_(lam, "1/s"), service_rate=Q_(100, "1/s"))
    b = MMcQueueModel().solve(arrival_rate=Q_(lam, "1/s"), service_rate=Q_(100, "1/s"))
    assert a.mean_wait.m_as("s") == pytest.approx(b.mean_wait.m_as("s"))
    assert a.mean_in_system == pytest.approx(b.mean_in_system)


def test_mg1_unstable_is_infeasible():
    r = MG1QueueModel().solve(arrival_rate=Q_(100, "1/s"), service_rate=Q_(100, "1/s"))
    assert not r.feasible and r.mean_wait.m_as("s") == math.inf
    assert r.violations[0].name == "server capacity"


@pytest.mark.parametrize("call, name", [
    (lambda: MG1QueueModel().solve(arrival_rate=Q_(1, "1/s"), service_rate=Q_(2, "1/s"),
                                   service_cv=-1), "service_cv"),
    (lambda: ResponseTimeDistributionModel().solve(arrival_rate=Q_(1, "1/s"),
                                                   service_rate=Q_(2, "1/s"),
                                                   percentiles=[0.5, 1.0]), "percentiles"),
    (lambda: ResponseTimeDistributionModel().solve(arrival_rate=Q_(1, "1/s"),
                                                   service_rate=Q_(2, "1/s"), bins=0), "bins"),
    (lambda: MMcQueueModel().solve(arrival_rate=Q_(1, "1/s"), service_rate=Q_(2, "1/s"),
                                   target_latency=Q_(1, "GB")), "target_latency"),
])
def test_rejects_bad_inputs(call, name):
    with pytest.raises(InvalidInputError, match=name):
        call()
