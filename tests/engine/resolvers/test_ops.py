"""Fan-out tail, retry amplification and series SLOs against their cited figures."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import AvailabilityModel, FanOutTailModel, RetryAmplificationModel
from mlsysim.resolvers.ops import attempts


def test_fan_out_of_100_makes_63_percent_of_requests_slow():
    # Dean & Barroso 2013 (CACM 56(2), "The Tail at Scale"): one call in 100 takes over 1 s;
    # a request fanning out to 100 such servers takes over 1 s 63% of the time.
    r = FanOutTailModel().solve(fan_out=100)
    assert r.prob_request_slow == pytest.approx(1 - 0.99 ** 100) and \
        round(r.prob_request_slow, 2) == 0.63
    assert r.request_percentile == pytest.approx(0.366, abs=1e-3)
    # to keep requests at P99, every leaf must be at P99.99 (0.99^(1/100) = 0.999900)
    assert r.leaf_percentile_needed == pytest.approx(0.9998995, rel=1e-7)
    assert FanOutTailModel().solve(fan_out=1).prob_request_slow == pytest.approx(0.01)


def test_attempts_per_request():
    # 1 + f + ... + f^r: f = 0.5, r = 3 -> 1.875; no failures -> 1; always failing -> r + 1.
    assert attempts(0.5, 3) == pytest.approx(1.875)
    assert attempts(0.0, 3) == 1 and attempts(1.0, 3) == 4
    r = RetryAmplificationModel().solve(arrival_rate=Q_(1000, "request/s"), retries=3,
                                        failure_probability=0.5)
    assert r.offered_load.m_as("1/s") == pytest.approx(1875)
    assert r.success_probability == pytest.approx(1 - 0.5 ** 4)
    assert r.goodput.m_as("1/s") == pytest.approx(1000 * (1 - 0.5 ** 4))
    assert r.feasible and r.capacity is None


def test_retry_storm_past_capacity_is_infeasible():
    # 900 req/s on 1,000 req/s of capacity: healthy (1% failures) it fits; a dependency failing
    # 20% with 3 retries offers 900 x 1.248 = 1,123 attempts/s and overloads the service. The
    # shed excess fails too, and the load climbs to the fixed point L = 900 x attempts(f(L)).
    base = dict(arrival_rate=Q_(900, "request/s"), retries=3, service_rate=Q_(100, "1/s"),
                servers=10)
    ok = RetryAmplificationModel().solve(**base, failure_probability=0.01)
    assert ok.feasible and ok.storm_load.m_as("1/s") == pytest.approx(ok.offered_load.m_as("1/s"))
    r = RetryAmplificationModel().solve(**base, failure_probability=0.2)
    [v] = r.violations
    assert v.name == "server capacity" and v.required.m_as("1/s") == pytest.approx(1123.2)
    assert v.available.m_as("1/s") == pytest.approx(1000)
    load, f = r.storm_load.m_as("1/s"), r.storm_failure_probability
    assert f == pytest.approx(1 - 0.8 * 1000 / load)                 # overload sheds
    assert load == pytest.approx(900 * attempts(f, 3), rel=1e-9)    # a fixed point
    assert load > r.offered_load.m_as("1/s") and r.storm_goodput < r.goodput


@settings(max_examples=50, deadline=None)
@given(f=st.floats(0, 0.99), r=st.integers(0, 6), lam=st.floats(10, 2000))
def test_storm_load_is_bounded_by_every_attempt_failing(f, r, lam):
    out = RetryAmplificationModel().solve(arrival_rate=Q_(lam, "1/s"), retries=r,
                                          failure_probability=f, service_rate=Q_(1000, "1/s"))
    assert out.offered_load.m_as("1/s") <= out.storm_load.m_as("1/s") * (1 + 1e-9)
    assert out.storm_load.m_as("1/s") <= lam * (r + 1) * (1 + 1e-9)


def test_five_services_in_series_at_99_percent():
    # Vol II Lab 12, Act I: five services in series at 99% each: 0.99^5 = 95.1% end to end.
    r = AvailabilityModel().solve(availabilities=[0.99] * 5)
    assert r.availability == pytest.approx(0.95099, abs=1e-5)


@pytest.mark.parametrize("call, name", [
    (lambda: FanOutTailModel().solve(fan_out=0), "fan_out"),
    (lambda: FanOutTailModel().solve(fan_out=10, percentile=1.0), "percentile"),
    (lambda: RetryAmplificationModel().solve(arrival_rate=Q_(1, "1/s"), retries=-1,
                                             failure_probability=0.1), "retries"),
    (lambda: RetryAmplificationModel().solve(arrival_rate=Q_(1, "1/s"), retries=1,
                                             failure_probability=1.5), "failure_probability"),
    (lambda: RetryAmplificationModel().solve(arrival_rate=Q_(1, "1/s"), retries=1,
                                             failure_probability=0.1, service_rate=Q_(1, "s")),
     "service_rate"),
    (lambda: RetryAmplificationModel().solve(arrival_rate=Q_(1, "1/s"), retries=1,
                                             failure_probability=0.1, servers=4), "servers"),
])
def test_rejects_bad_inputs(call, name):
    with pytest.raises(InvalidInputError, match=name):
        call()
