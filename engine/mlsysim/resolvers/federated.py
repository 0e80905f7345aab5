"""Federated learning communication (FedAvg, McMahan et al. 2017): each round the server
sends the model to K clients and each uploads an update of the same size (times a
``compression`` factor, e.g. 0.25 for 8-bit updates of an fp32 model)."""
from __future__ import annotations

from ..core._base import BaseModel
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c


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
        m = c.qty("model_bytes", model_bytes, c.BYTES, c.B)
        r = c.positive_int("rounds", rounds)
        k = c.positive_int("clients_per_round", clients_per_round)
        down = c.qty("downlink", downlink, c.BANDWIDTH, c.B_PER_S)
        up = c.qty("uplink", uplink, c.BANDWIDTH, c.B_PER_S)
        f = c.fraction("compression", compression)
        local = 0.0 if local_compute_time is None else c.qty(
            "local_compute_time", local_compute_time, c.TIME, c.S, allow_zero=True)
        per = m + m * f
        t = m / down + local + m * f / up
        return FederatedResult(bytes_per_client_round=c.q(per, c.B),
                               total_bytes=c.q(per * k * r, c.B), round_time=c.q(t, c.S),
                               total_time=c.q(t * r, c.S))
