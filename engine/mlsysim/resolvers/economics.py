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
from ..core.assumptions import assume
from ..core.errors import InvalidInputError
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c

DEFAULT_ELECTRICITY_USD_PER_KWH = assume(
    "economics.DEFAULT_ELECTRICITY_USD_PER_KWH", 0.08, "estimate",
    "EIA Electric Power Monthly 2023, average US industrial retail price",
    "https://www.eia.gov/electricity/monthly/", "about 0.08 USD/kWh; varies by state")
DEFAULT_PUE = assume(
    "economics.DEFAULT_PUE", 1.2, "estimate", "Uptime Institute Global Data Center Survey 2023",
    "https://uptimeinstitute.com/resources/research-and-reports",
    "survey average 1.58; hyperscale operators report ~1.1; 1.2 is an efficient facility")
DEFAULT_LIFETIME_YEARS = assume(
    "economics.DEFAULT_LIFETIME_YEARS", 4.0, "estimate",
    "common server depreciation schedules (4-6 years)", None,
    "amortisation period of purchase price and embodied carbon")
ESTIMATES_SOURCE = ("estimates: 0.08 USD/kWh (EIA 2023 US industrial), PUE 1.2, "
                    "4-year amortisation")


def _price_per_kwh(value) -> float:
    if value is None:
        return DEFAULT_ELECTRICITY_USD_PER_KWH
    return c.qty("electricity_price", value, "[currency]/([mass]*[length]**2/[time]**2)",
                 c.USD / c.KWH, example="0.08 USD/kWh")


def lifetime_days(value) -> float:
    if value is None:
        return DEFAULT_LIFETIME_YEARS * 365.25
    return c.qty("lifetime", value, c.TIME, c.DAY, example="4 year")


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
    for ``duration``: owned (TCO: purchase price amortised over ``lifetime`` + electricity)
    or rented (``price_per_hour`` per device-hour, electricity included in the price).
    ``hardware`` beside a ``fleet`` must be the fleet's own device (pipelines pass both)."""

    requires = ("duration",)
    produces = EconomicsResult

    def solve(self, *, duration, fleet=None, hardware=None, devices=None,
              price_per_hour=None, electricity_price=None, pue=DEFAULT_PUE,
              lifetime=None, utilization=1.0) -> EconomicsResult:
        if fleet is not None:
            hw, n, _ = c.fleet_parts(fleet)
            if hardware is not None and c.need_hardware(hardware) is not hw:
                raise InvalidInputError("hardware", f"the fleet's own device ({hw.name}) or "
                                        "nothing", getattr(hardware, "name", hardware))
        elif hardware is not None:
            hw, n = c.need_hardware(hardware), 1
        else:
            raise InvalidInputError("fleet", "a Cluster, Node or HardwareNode", None)
        if devices is not None:
            if fleet is not None:
                raise InvalidInputError("devices", "no device count with a fleet (it has "
                                        f"{n})", devices)
            n = c.positive_int("devices", devices)
        hours = c.qty("duration", duration, c.TIME, c.HOUR, example="30 day")
        days = hours / 24.0
        pue_v = c.num("pue", pue, lo=1.0)
        util = c.fraction("utilization", utilization, allow_zero=True)
        price_kwh = _price_per_kwh(electricity_price)
        tdp = hw.tdp.m_as(c.W) if hw.tdp is not None else None
        energy_kwh = (tdp * util * n * hours * pue_v / 1000.0) if tdp is not None else 0.0
        if price_per_hour is not None:
            rate = c.qty("price_per_hour", price_per_hour,
                         "[currency]/[time]", c.USD / c.HOUR, example="2.5 USD/hour")
            capex, energy_cost = n * hours * rate, 0.0
            src = "rental price x device-hours"
        else:
            if hw.unit_cost is None:
                raise InvalidInputError("hardware.unit_cost", "a device with a unit cost",
                                        hw.name, "Pass price_per_hour instead.")
            if tdp is None:
                raise InvalidInputError("hardware.tdp", "a device with a TDP", hw.name)
            capex = hw.unit_cost.m_as(c.USD) * n * days / lifetime_days(lifetime)
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

    ``throughput`` in any count per second (requests/s, token/s, 1/s); the hourly cost of
    one device is ``price_per_hour`` (rented), or the hourly TCO of ``hardware`` from
    EconomicsModel (``electricity_price``, ``pue``, ``lifetime`` as there)."""

    requires = ("throughput",)
    produces = CostPerInferenceResult

    def solve(self, *, throughput, hardware=None, price_per_hour=None, utilization=1.0,
              electricity_price=None, pue=DEFAULT_PUE, lifetime=None
              ) -> CostPerInferenceResult:
        thr = c.qty("throughput", throughput, c.RATE, c.S ** -1, example="1000 token/s")
        util = c.fraction("utilization", utilization)
        if price_per_hour is not None:
            if hardware is not None:
                raise InvalidInputError("price_per_hour", "either price_per_hour or "
                                        "hardware (its TCO), not both", price_per_hour)
            hourly = c.qty("price_per_hour", price_per_hour, "[currency]/[time]",
                           c.USD / c.HOUR)
        elif hardware is not None:
            hourly = EconomicsModel().solve(
                duration=c.q(1, c.DAY), hardware=hardware, electricity_price=electricity_price,
                pue=pue, lifetime=lifetime).cost_per_device_hour.m_as(c.USD / c.HOUR)
        else:
            raise InvalidInputError("price_per_hour", "a USD/hour quantity, or hardware", None)
        per_hour = thr * util * 3600.0
        return CostPerInferenceResult(
            cost_per_hour=c.q(hourly, c.USD / c.HOUR),
            cost_per_inference=c.q(hourly / per_hour, c.USD),
            cost_per_million=c.q(hourly / per_hour * 1e6, c.USD), inferences_per_hour=per_hour)
