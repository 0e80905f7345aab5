"""Non-preemptive priority classes (Cobham 1954) against hand-worked numbers and the FIFO
queues they reduce to."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import MG1QueueModel, MMcQueueModel, PriorityQueueModel


def test_two_classes_by_hand():
    # Cobham 1954: W_k = W0 / ((1 - sigma_{k-1})(1 - sigma_k)), W0 = sum lambda E[S^2] / 2.
    # lambda = 8/s and 72/s, exponential service at 100/s: E[S^2] = 2 / mu^2, W0 = 8 ms;
    # W1 = 8 / 0.92 = 8.696 ms, W2 = 8 / (0.92 x 0.2) = 43.48 ms; FIFO = 8 / 0.2 = 40 ms
    # (the M/M/1 wait at rho = 0.8).
    r = PriorityQueueModel().solve(arrival_rates=[Q_(8, "1/s"), Q_(72, "1/s")],
                                   service_rates=Q_(100, "1/s"))
    assert r.mean_wait[0].m_as("ms") == pytest.approx(8 / 0.92)
    assert r.mean_wait[1].m_as("ms") == pytest.approx(8 / (0.92 * 0.2))
    assert r.fifo_wait.m_as("ms") == pytest.approx(40)
    assert r.mean_response[0].m_as("ms") == pytest.approx(8 / 0.92 + 10)
    assert r.feasible and r.starved == [False, False]


@settings(max_examples=60, deadline=None)
@given(l1=st.floats(1, 40), l2=st.floats(1, 40), m1=st.floats(50, 200), m2=st.floats(50, 200),
       cv=st.floats(0, 2))
def test_conservation_law(l1, l2, m1, m2, cv):
    # Kleinrock's conservation law for non-preemptive work-conserving M/G/1 disciplines:
    # sum rho_k W_k = rho W0 / (1 - rho), whatever the priority order.
    rho = l1 / m1 + l2 / m2
    if rho >= 0.98:
        return
    r = PriorityQueueModel().solve(arrival_rates=[Q_(l1, "1/s"), Q_(l2, "1/s")],
                                   service_rates=[Q_(m1, "1/s"), Q_(m2, "1/s")], service_cv=cv)
    lhs = sum(u * w.m_as("s") for u, w in zip(r.class_utilization, r.mean_wait))
    assert lhs == pytest.approx(rho * r.fifo_wait.m_as("s"))


def test_one_class_is_the_fifo_queue():
    one = PriorityQueueModel().solve(arrival_rates=[Q_(70, "1/s")],
                                     service_rates=[Q_(100, "1/s")], service_cv=0.5)
    mg1 = MG1QueueModel().solve(arrival_rate=Q_(70, "1/s"), service_rate=Q_(100, "1/s"),
                                service_cv=0.5)
    assert one.mean_wait[0].m_as("s") == pytest.approx(mg1.mean_wait.m_as("s"))
    many = PriorityQueueModel().solve(arrival_rates=[Q_(35, "1/s")], service_rates=Q_(10, "1/s"),
                                      servers=4)
    mmc = MMcQueueModel().solve(arrival_rate=Q_(35, "1/s"), service_rate=Q_(10, "1/s"),
                                servers=4)
    assert many.mean_wait[0].m_as("s") == pytest.approx(mmc.mean_wait.m_as("s"))


def test_multi_server_classes_by_hand():
    # Cobham's multi-channel case (Larson & Odoni 1981, Sec. 4.9): W0 = C(c, A) / (c mu).
    # c = 2, mu = 1/s, lambda = 0.5 + 1.0: A = 1.5, C(2, 1.5) = 0.6429, W0 = 0.3214 s;
    # sigma = 0.25, 0.75: W1 = 0.3214 / 0.75 = 0.4286 s, W2 = 0.3214 / (0.75 x 0.25) = 1.714 s.
    r = PriorityQueueModel().solve(arrival_rates=[Q_(0.5, "1/s"), Q_(1.0, "1/s")],
                                   service_rates=Q_(1, "1/s"), servers=2)
    c_wait = (1.5 ** 2 / 2) / (1 - 0.75) / (1 + 1.5 + (1.5 ** 2 / 2) / (1 - 0.75))
    assert c_wait == pytest.approx(0.642857, rel=1e-5)
    assert r.mean_wait[0].m_as("s") == pytest.approx(c_wait / 2 / 0.75)
    assert r.mean_wait[1].m_as("s") == pytest.approx(c_wait / 2 / (0.75 * 0.25))


def test_overload_starves_the_low_class_only():
    # Vol II Lab 08's failure: 30/s interactive + 80/s training on 100/s. The high class is
    # still served (throughput 30), the low class gets what is left (70/s) and starves; the
    # high class's wait sees the server always busy: W0 = (30 + 70) x 2 / 100^2 / 2 = 10 ms,
    # W1 = 10 / 0.7 = 14.3 ms.
    r = PriorityQueueModel().solve(arrival_rates=[Q_(30, "1/s"), Q_(80, "1/s")],
                                   service_rates=Q_(100, "1/s"))
    assert not r.feasible and r.starved == [False, True]
    assert r.mean_wait[0].m_as("ms") == pytest.approx(10 / 0.7)
    assert r.mean_wait[1].m_as("s") == math.inf and r.fifo_wait.m_as("s") == math.inf
    assert [x.m_as("1/s") for x in r.throughput] == pytest.approx([30, 70])
    [v] = r.violations
    assert v.name == "server capacity" and v.required.m == pytest.approx(1.1)


@pytest.mark.parametrize("kwargs, name", [
    (dict(arrival_rates=[], service_rates=Q_(1, "1/s")), "arrival_rates"),
    (dict(arrival_rates=[Q_(1, "s")], service_rates=Q_(1, "1/s")), "arrival_rates"),
    (dict(arrival_rates=[Q_(1, "1/s")] * 2, service_rates=[Q_(1, "1/s")]), "service_rates"),
    (dict(arrival_rates=[Q_(1, "1/s")] * 2, service_rates=[Q_(5, "1/s"), Q_(2, "1/s")],
          servers=2), "servers"),
    (dict(arrival_rates=[Q_(1, "1/s")] * 2, service_rates=Q_(5, "1/s"), service_cv=[1]),
     "service_cv"),
])
def test_rejects_bad_inputs(kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        PriorityQueueModel().solve(**kwargs)
