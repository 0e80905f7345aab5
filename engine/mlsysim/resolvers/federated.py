"""Federated learning communication (FedAvg, McMahan et al. 2017): each round the server
sends the model to K clients and each uploads an update of the same size (times a
``compression`` factor, e.g. 0.25 for 8-bit updates of an fp32 model).
FederatedRoundModel adds participation, dropout, stragglers and a round deadline (Bonawitz et
al. 2019), the bytes of uploading the raw data instead, and an illustrative accuracy curve.
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
from ..core.types import Quantity
from . import _common as c


def _traffic(model_bytes, rounds, clients_per_round, downlink, uplink, compression,
             local_compute_time):
    """(model bytes, rounds, clients per round, fastest client round time, update bytes)."""
    m = c.qty("model_bytes", model_bytes, c.BYTES, c.B)
    r = c.positive_int("rounds", rounds)
    k = c.positive_int("clients_per_round", clients_per_round)
    down = c.qty("downlink", downlink, c.BANDWIDTH, c.B_PER_S)
    up = c.qty("uplink", uplink, c.BANDWIDTH, c.B_PER_S)
    f = c.fraction("compression", compression)
    local = 0.0 if local_compute_time is None else c.qty(
        "local_compute_time", local_compute_time, c.TIME, c.S, allow_zero=True)
    return m, r, k, m / down + local + m * f / up, m * f


class FederatedResult(SolverResult):
    bytes_per_client_round: Quantity
    total_bytes: Quantity
    round_time: Quantity
    total_time: Quantity


class FederatedCommunicationModel(BaseModel):
    """Traffic and time of ``rounds`` rounds with ``clients_per_round`` clients. Round time =
    download / downlink + local compute + upload / uplink (clients in parallel; the server
    link is assumed not to bind)."""

    requires = ("model_bytes", "rounds", "clients_per_round", "downlink", "uplink")
    produces = FederatedResult

    def solve(self, *, model_bytes, rounds, clients_per_round, downlink, uplink,
              compression=1.0, local_compute_time=None) -> FederatedResult:
        m, r, k, t, update = _traffic(model_bytes, rounds, clients_per_round, downlink, uplink,
                                      compression, local_compute_time)
        per = m + update
        return FederatedResult(bytes_per_client_round=c.q(per, c.B),
                               total_bytes=c.q(per * k * r, c.B), round_time=c.q(t, c.S),
                               total_time=c.q(t * r, c.S))


# ---- participation, stragglers, and what it buys ---------------------------------------------
BONAWITZ_URL = "https://arxiv.org/abs/1902.01046"
#: Bonawitz et al. 2019, "Towards Federated Learning at Scale: System Design" (SysML), Sec. 9:
#: "the portion of devices that drop out due to computation errors, network failures, or
#: changes in eligibility varies between 6% and 10%" and "the server typically selects 130% of
#: the target number of devices to initially participate".
OVERSELECTION = assume("federated.OVERSELECTION", 1.3, "paper",
                       "Bonawitz et al. 2019, Towards Federated Learning at Scale, Sec. 9",
                       BONAWITZ_URL, "servers select 130% of the goal count of reports")
DROPOUT = assume("federated.DROPOUT", 0.08, "estimate",
                 "Bonawitz et al. 2019, Towards Federated Learning at Scale, Sec. 9",
                 BONAWITZ_URL, "midpoint of the reported 6-10% of selected devices dropping out")
#: ILLUSTRATIVE FedAvg learning curve: acc(R) = max_accuracy (1 - exp(-R s(K) / tau_rounds)),
#: s(K) = 1 + (s_max - 1)(1 - exp(-(K - 1) / k_scale)): more reporting clients per round need
#: fewer rounds, with diminishing returns (McMahan et al. 2017, Table 1; Bonawitz et al. 2019,
#: Sec. 9: "receiving updates from a few hundred devices per FL round is sufficient").
FEDAVG_CURVE = assume("federated.FEDAVG_CURVE",
                      {"max_accuracy": 0.9, "tau_rounds": 400.0, "s_max": 4.0, "k_scale": 10.0},
                      "illustrative", "shape after McMahan et al. 2017 (Table 1) and Bonawitz et "
                      "al. 2019 (Sec. 9)", "https://arxiv.org/abs/1602.05629",
                      "the numbers are picked to show the shape, not measured")
FEDAVG_SOURCE = ("accuracy: illustrative FedAvg curve (shape after McMahan et al. 2017 and "
                 "Bonawitz et al. 2019); traffic and round time: computed; dropout and "
                 "over-selection: Bonawitz et al. 2019")


def _harmonic(n: int) -> float:
    if n < 1000:
        return math.fsum(1.0 / i for i in range(1, n + 1))
    return math.log(n) + 0.5772156649015329 + 1 / (2 * n) - 1 / (12 * n * n)


def fedavg_accuracy(rounds: float, reporting: float, max_accuracy: float =
                    FEDAVG_CURVE["max_accuracy"]) -> float:
    """Illustrative FedAvg accuracy after ``rounds`` rounds of ``reporting`` clients each."""
    p = FEDAVG_CURVE
    s = 1 + (p["s_max"] - 1) * (1 - math.exp(-max(0.0, reporting - 1) / p["k_scale"]))
    return max_accuracy * (1 - math.exp(-rounds * s / p["tau_rounds"])) if reporting > 0 else 0.0


class FederatedRoundResult(CheckedResult):
    available_clients: float | None   # population x participation
    selected_per_round: int           # overselection x goal, at most what is available
    survivors_per_round: float        # selected x (1 - dropout)
    reporting_per_round: float        # reports the round closes with (goal, or fewer)
    dropped_stragglers: float         # survivors still computing when the round closes
    fastest_client_time: Quantity     # download + local compute + upload
    round_time: Quantity
    total_time: Quantity
    upload_bytes: Quantity            # all rounds, all clients
    download_bytes: Quantity
    uplink_per_client: Quantity       # over the whole training (expected)
    raw_data_bytes: Quantity | None   # every client uploading its raw data once
    upload_vs_raw: float | None
    accuracy: float                   # illustrative
    illustrative: bool = True
    source: str = FEDAVG_SOURCE


class FederatedRoundModel(BaseModel):
    """Federated rounds with participation, dropout and stragglers (FedAvg, McMahan et al.
    2017, as deployed by Bonawitz et al. 2019). Each round the server selects ``overselection``
    x ``clients_per_round`` clients (the goal count of reports), at most the ``clients`` x
    ``participation`` eligible ones; ``dropout`` of them never report. A client needs the
    fastest time t0 = model / downlink + ``local_compute_time`` + update / uplink plus, with
    ``straggler_delay`` theta, an exponential extra time (shifted-exponential client times):
    the round closes when the goal-th report arrives, t0 + theta (H_M - H_{M-K}) for M
    survivors (the K-th order statistic), or at the ``deadline``, with the M (1 - e^-((D -
    t0) / theta)) reports in by then (an expected-value approximation). Fewer reports than
    the goal is a violated "clients reporting" constraint; with ``byte_budget``, a client's
    expected uplink over training (rounds x reports / clients updates; every round without
    ``clients``) above it is a violated "client uplink" constraint; with ``target_accuracy``,
    the ILLUSTRATIVE FedAvg accuracy (``FEDAVG_CURVE``) below it is a violated "accuracy"
    constraint. ``data_bytes`` (raw data per client) gives the bytes of uploading the raw data
    instead."""

    requires = ("model_bytes", "rounds", "clients_per_round", "downlink", "uplink")
    produces = FederatedRoundResult

    def solve(self, *, model_bytes, rounds, clients_per_round, downlink, uplink,
              compression=1.0, local_compute_time=None, clients=None, participation=1.0,
              overselection=OVERSELECTION, dropout=DROPOUT, deadline=None,
              straggler_delay=None, data_bytes=None, byte_budget=None, target_accuracy=None,
              max_accuracy=FEDAVG_CURVE["max_accuracy"]) -> FederatedRoundResult:
        m, r, goal, t0, update = _traffic(model_bytes, rounds, clients_per_round, downlink,
                                          uplink, compression, local_compute_time)
        pop = None if clients is None else c.positive_int("clients", clients)
        part = c.fraction("participation", participation)
        over = c.num("overselection", overselection, lo=1)
        drop = c.fraction("dropout", dropout, allow_zero=True, allow_one=False)
        dl = c.opt_qty("deadline", deadline, c.TIME, c.S)
        theta = c.opt_qty("straggler_delay", straggler_delay, c.TIME, c.S, allow_zero=True) or 0.0
        raw = c.opt_qty("data_bytes", data_bytes, c.BYTES, c.B, allow_zero=True)
        cap = c.opt_qty("byte_budget", byte_budget, c.BYTES, c.B)
        target = None if target_accuracy is None else c.fraction(
            "target_accuracy", target_accuracy, allow_one=False)
        amax = c.fraction("max_accuracy", max_accuracy)

        if pop is None:  # both describe the population: nothing is silently ignored
            if part != 1.0:
                raise InvalidInputError("participation", "used with clients (the population "
                                        "it is a fraction of)", participation)
            if raw is not None:
                raise InvalidInputError("data_bytes", "used with clients (the population "
                                        "whose raw data it is)", data_bytes)
        avail = None if pop is None else pop * part
        sel = math.ceil(over * goal - 1e-9)
        if avail is not None:
            sel = min(sel, math.floor(avail))
        surv = sel * (1 - drop)
        k_surv = int(round(surv))
        # The goal-th report (or the last survivor if there are fewer) closes the round.
        k = min(goal, k_surv)
        t_close = t0 + theta * (_harmonic(k_surv) - _harmonic(k_surv - k)) if k else t0
        reports = float(k)
        if dl is not None and t_close > dl:
            done = 0.0 if dl <= t0 else (1.0 if theta == 0 else 1 - math.exp(-(dl - t0) / theta))
            t_close, reports = float(dl), min(float(goal), k_surv * done)
        per_client_rounds = r if pop is None else r * reports / pop
        acc = fedavg_accuracy(r, reports, amax)
        violations = []
        if reports < goal - 1e-9:
            violations.append(c.Constraint("clients reporting", c.q(goal, c.DIMLESS),
                                           c.q(reports, c.DIMLESS)))
        if cap is not None:
            violations += c.violation("client uplink", per_client_rounds * update, cap, c.B)
        if target is not None:
            violations += c.violation("accuracy", target, acc, c.DIMLESS)
        up_total = r * reports * update
        return FederatedRoundResult(
            available_clients=avail, selected_per_round=sel, survivors_per_round=surv,
            reporting_per_round=reports, dropped_stragglers=max(0.0, surv - reports),
            fastest_client_time=c.q(t0, c.S), round_time=c.q(t_close, c.S),
            total_time=c.q(t_close * r, c.S), upload_bytes=c.q(up_total, c.B),
            download_bytes=c.q(r * sel * m, c.B),
            uplink_per_client=c.q(per_client_rounds * update, c.B),
            raw_data_bytes=None if raw is None or pop is None else c.q(raw * pop, c.B),
            upload_vs_raw=None if not raw or pop is None else up_total / (raw * pop),
            accuracy=acc, violations=violations)
