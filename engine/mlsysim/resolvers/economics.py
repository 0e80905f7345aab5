"""Economics: total cost of ownership of a fleet and cost per inference / per token.

TCO over a period = amortised purchase price + electricity:
    capex share = unit_cost x devices x duration / amortisation period
    energy      = TDP x utilisation x devices x hours x PUE
Defaults are estimates (listed by ``mlsysim audit`` through this module's constants):
electricity 0.08 USD/kWh (US industrial average, EIA Electric Power Monthly, 2023);
PUE 1.2 (hyperscale data centres report ~1.1, the Uptime Institute 2023 survey average is
1.58); amortisation over 4 years (common server depreciation schedules are 4-6 years).
Accelerator TDP only: hosts, network and cooling beyond PUE are not counted.
"""
from __future__ import annotations

from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c

DEFAULT_ELECTRICITY_USD_PER_KWH = 0.08
DEFAULT_PUE = 1.2
DEFAULT_AMORTIZATION_YEARS = 4.0
ESTIMATES_SOURCE = ("estimates: 0.08 USD/kWh (EIA 2023 US industrial), PUE 1.2, "
                    "4-year amortisation")


def _price_per_kwh(value) -> float:
    if value is None:
        return DEFAULT_ELECTRICITY_USD_PER_KWH
    return c.qty("electricity_price", value, "[currency]/([mass]*[length]**2/[time]**2)",
                 c.USD / c.KWH, example="0.08 USD/kWh")


class EconomicsResult(SolverResult):
    hardware: object
    devices: int
    duration: Quantity
    capex_share: Quantity
    energy: Quantity
    energy_cost: Quantity
    total_cost: Quantity
    cost_per_device_hour: Quantity
    source: str


class EconomicsModel(BaseModel):
    """Cost of running a fleet (Cluster, Node or HardwareNode; or ``hardware`` x ``devices``)
    for ``duration_days``: owned (TCO: amortised capex + electricity) or rented
    (``price_per_device_hour`` x device-hours, electricity included in the price)."""

    requires = ("duration_days",)
    produces = EconomicsResult

    def solve(self, duration_days, fleet=None, hardware=None, *, devices=None,
              price_per_device_hour=None, electricity_price=None, pue=DEFAULT_PUE,
              amortization_years=DEFAULT_AMORTIZATION_YEARS, utilization=1.0
              ) -> EconomicsResult:
        if fleet is not None:
            hw, n, _ = c.fleet_parts(fleet)
        elif hardware is not None:
            hw, n = c.need_hardware(hardware), 1
        else:
            raise InvalidInputError("fleet", "a Cluster, Node or HardwareNode", None)
        if devices is not None:
            n = c.positive_int("devices", devices)
        days = c.num("duration_days", duration_days, lo=0, lo_open=True)
        hours = days * 24.0
        pue_v = c.num("pue", pue, lo=1.0)
        util = c.fraction("utilization", utilization, allow_zero=True)
        price_kwh = _price_per_kwh(electricity_price)
        tdp = hw.tdp.m_as(c.W) if hw.tdp is not None else None
        energy_kwh = (tdp * util * n * hours * pue_v / 1000.0) if tdp is not None else 0.0
        if price_per_device_hour is not None:
            rate = c.qty("price_per_device_hour", price_per_device_hour,
                         "[currency]/[time]", c.USD / c.HOUR, example="2.5 USD/hour")
            capex, energy_cost = n * hours * rate, 0.0
            src = "rental price x device-hours"
        else:
            if hw.unit_cost is None:
                raise InvalidInputError("hardware.unit_cost", "a device with a unit cost",
                                        hw.name, "Pass price_per_device_hour instead.")
            if tdp is None:
                raise InvalidInputError("hardware.tdp", "a device with a TDP", hw.name)
            years = c.num("amortization_years", amortization_years, lo=0, lo_open=True)
            capex = hw.unit_cost.m_as(c.USD) * n * days / (years * 365.25)
            energy_cost = energy_kwh * price_kwh
            src = ESTIMATES_SOURCE
        total = capex + energy_cost
        return EconomicsResult(
            hardware=hw, devices=n, duration=c.q(days, c.DAY), capex_share=c.q(capex, c.USD),
            energy=c.q(energy_kwh, c.KWH), energy_cost=c.q(energy_cost, c.USD),
            total_cost=c.q(total, c.USD), cost_per_device_hour=c.q(total / (n * hours),
                                                                    c.USD / c.HOUR),
            source=src)


class CostPerInferenceResult(SolverResult):
    cost_per_hour: Quantity
    cost_per_inference: Quantity
    cost_per_million: Quantity
    inferences_per_hour: float


class CostPerInferenceModel(BaseModel):
    """Cost per inference (or per token) = hourly cost / (throughput x utilisation x 3600).

    ``throughput`` in 1/s (requests or tokens per second); ``cost_per_hour`` given, or the
    hourly TCO of ``hardware`` from EconomicsModel."""

    requires = ("throughput",)
    produces = CostPerInferenceResult

    def solve(self, throughput, hardware=None, *, cost_per_hour=None, utilization=1.0,
              **tco) -> CostPerInferenceResult:
        thr = c.qty("throughput", throughput, c.RATE, c.S ** -1, example="1000 1/s")
        util = c.fraction("utilization", utilization)
        if cost_per_hour is not None:
            hourly = c.qty("cost_per_hour", cost_per_hour, "[currency]/[time]", c.USD / c.HOUR)
        elif hardware is not None:
            hourly = EconomicsModel().solve(duration_days=1, hardware=hardware,
                                            **tco).cost_per_device_hour.m_as(c.USD / c.HOUR)
        else:
            raise InvalidInputError("cost_per_hour", "a USD/hour quantity, or hardware", None)
        per_hour = thr * util * 3600.0
        return CostPerInferenceResult(
            cost_per_hour=c.q(hourly, c.USD / c.HOUR),
            cost_per_inference=c.q(hourly / per_hour, c.USD),
            cost_per_million=c.q(hourly / per_hour * 1e6, c.USD), inferences_per_hour=per_hour)
