"""Federated rounds: over-selection and dropout (Bonawitz et al. 2019), stragglers as order
statistics, the deadline, bytes against uploading the raw data, the illustrative accuracy."""
import math

import pytest

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import FederatedCommunicationModel, FederatedRoundModel
from mlsysim.resolvers.federated import DROPOUT, OVERSELECTION, fedavg_accuracy

# 20 MB model over 20 Mb/s down (8 s) and 5 Mb/s up (32 s), 60 s of local training: t0 = 100 s
BASE = dict(model_bytes=Q_(20, "MB"), rounds=100, clients_per_round=100,
            downlink=Q_(20, "Mb/s"), uplink=Q_(5, "Mb/s"), local_compute_time=Q_(60, "s"))
H = lambda n: sum(1 / i for i in range(1, n + 1))  # noqa: E731


def test_selection_follows_bonawitz():
    # Bonawitz et al. 2019, Sec. 9: 6-10% of devices drop out; the server selects 130% of the
    # goal count. 100 reports wanted: 130 selected, 0.92 x 130 = 119.6 expected to survive.
    assert (OVERSELECTION, DROPOUT) == (1.3, 0.08)
    r = FederatedRoundModel().solve(**BASE)
    assert r.selected_per_round == 130 and r.survivors_per_round == pytest.approx(119.6)
    assert r.reporting_per_round == 100 and r.feasible
    # without stragglers everyone takes t0 and the round equals FederatedCommunicationModel's
    plain = FederatedCommunicationModel().solve(**BASE)
    assert r.fastest_client_time.m_as("s") == pytest.approx(100)
    assert r.round_time == plain.round_time


def test_round_time_is_the_goal_th_order_statistic():
    # Shifted-exponential client times t0 + Exp(theta): with 120 survivors the 100th report
    # arrives after t0 + theta (H_120 - H_20) on average (Renyi's representation).
    r = FederatedRoundModel().solve(**BASE, straggler_delay=Q_(30, "s"))
    assert r.round_time.m_as("s") == pytest.approx(100 + 30 * (H(120) - H(20)))
    assert r.dropped_stragglers == pytest.approx(119.6 - 100)
    # waiting for everyone (no over-selection, no dropout) costs t0 + theta H_100
    all_ = FederatedRoundModel().solve(**BASE, straggler_delay=Q_(30, "s"), overselection=1,
                                       dropout=0)
    assert all_.round_time.m_as("s") == pytest.approx(100 + 30 * H(100))
    assert all_.round_time > r.round_time


def test_deadline_drops_stragglers():
    # Deadline 130 s: each survivor finishes by then with probability 1 - e^{-30/30} = 0.632:
    # 120 x 0.632 = 75.9 reports, fewer than the goal: a violated "clients reporting".
    r = FederatedRoundModel().solve(**BASE, straggler_delay=Q_(30, "s"),
                                    deadline=Q_(130, "s"))
    assert r.round_time.m_as("s") == 130
    assert r.reporting_per_round == pytest.approx(120 * (1 - math.exp(-1)))
    [v] = r.violations
    assert v.name == "clients reporting" and v.required.m == 100
    late = FederatedRoundModel().solve(**BASE, straggler_delay=Q_(30, "s"),
                                       deadline=Q_(10, "min"))
    assert late.feasible and late.reporting_per_round == 100


def test_bytes_against_uploading_the_raw_data():
    # Vol II Lab 11, Act I: updates x clients x rounds against every client's raw data once.
    # 100 rounds x 100 reports x 20 MB = 200 GB uploaded; 1M clients x 50 MB raw = 50 TB.
    r = FederatedRoundModel().solve(**BASE, clients=1_000_000, data_bytes=Q_(50, "MB"))
    assert r.upload_bytes.m_as("GB") == pytest.approx(200)
    assert r.download_bytes.m_as("GB") == pytest.approx(100 * 130 * 0.02)
    assert r.raw_data_bytes.m_as("TB") == pytest.approx(50)
    assert r.upload_vs_raw == pytest.approx(200 / 50_000)
    # each client uploads rounds x reports / clients = 0.01 updates on average
    assert r.uplink_per_client.m_as("MB") == pytest.approx(20 * 100 * 100 / 1e6)


def test_small_population_limits_selection_and_uplink_budget():
    # 1,000 clients, 10% eligible: 100 available, so at most 100 selected, 92 survive.
    r = FederatedRoundModel().solve(**BASE, clients=1000, participation=0.1,
                                    byte_budget=Q_(100, "MB"))
    assert r.available_clients == pytest.approx(100) and r.selected_per_round == 100
    assert r.reporting_per_round == 92
    names = {v.name for v in r.violations}
    assert names == {"clients reporting", "client uplink"}  # 100 x 92 / 1000 x 20 MB = 184 MB
    assert r.uplink_per_client.m_as("MB") == pytest.approx(184)


def test_accuracy_is_illustrative_and_rises_with_reporting_clients():
    r = FederatedRoundModel().solve(**BASE, target_accuracy=0.85)
    assert r.illustrative and "illustrative" in r.source
    assert fedavg_accuracy(100, 50) > fedavg_accuracy(100, 10) > fedavg_accuracy(100, 1)
    # diminishing returns: the second 50 clients add less than the first 10
    assert fedavg_accuracy(100, 100) - fedavg_accuracy(100, 50) < \
        fedavg_accuracy(100, 10) - fedavg_accuracy(100, 1)
    few = FederatedRoundModel().solve(**dict(BASE, rounds=20), target_accuracy=0.85)
    assert [v.name for v in few.violations] == ["accuracy"]


@pytest.mark.parametrize("kwargs, name", [
    (dict(dropout=1.0), "dropout"),
    (dict(overselection=0.9), "overselection"),
    (dict(participation=0), "participation"),
    (dict(clients=0), "clients"),
    (dict(deadline=Q_(0, "s")), "deadline"),
    (dict(straggler_delay=Q_(1, "GB")), "straggler_delay"),
    (dict(byte_budget=Q_(1, "s")), "byte_budget"),
    (dict(participation=0.5), "participation"),          # needs clients
    (dict(data_bytes=Q_(1, "GB")), "data_bytes"),        # needs clients
])
def test_rejects_bad_inputs(kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        FederatedRoundModel().solve(**BASE, **kwargs)
