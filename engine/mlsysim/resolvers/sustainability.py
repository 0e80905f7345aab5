"""Sustainability: operational energy and carbon, embodied carbon, and the Jevons rebound.

energy = power x time x PUE; operational CO2e = energy x grid carbon intensity
(Patterson et al. 2021, "Carbon Emissions and Large Neural Network Training", Sec. 2).
Embodied carbon is amortised linearly over the device lifetime (Gupta et al. 2021,
"Chasing Carbon"). Rebound: with constant price elasticity e, an efficiency gain g (work per
unit energy x g) multiplies demand by g^e and total energy by g^(e-1) (Jevons 1865; e > 1
is "backfire").
Carbon-aware scheduling: a job's carbon is the integral of power x hourly intensity over the
hours it runs; a deferrable job shifted to the low-intensity hours emits less (Radovanovic et
al. 2022, "Carbon-Aware Computing for Datacenters", IEEE Trans. Power Systems). The hourly
shapes used here are illustrative (HOURLY_PROFILES).
"""
from __future__ import annotations

from ..core._base import BaseModel
from ..core.assumptions import assume
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
from ..core.types import Quantity
from . import _common as c
from .economics import lifetime_days

G_PER_KWH = c.G_CO2 / c.KWH
KG_CO2 = c.ureg.parse_units("kgCO2e")


def _intensity(grid, carbon_intensity) -> float | None:
    if grid is not None and carbon_intensity is not None:
        raise InvalidInputError("carbon_intensity", "either grid or carbon_intensity, not both",
                                carbon_intensity)
    if grid is not None:
        grid = c.by_name("Systems", grid, "grid")
        if not hasattr(grid, "carbon_intensity"):
            raise InvalidInputError("grid", "a GridRegion (e.g. mlsysim.Systems.Grids.<region>)",
                                    grid)
        carbon_intensity = grid.carbon_intensity
    if carbon_intensity is None:
        return None
    return c.qty("carbon_intensity", carbon_intensity, "[carbon]/([mass]*[length]**2/[time]**2)",
                 G_PER_KWH, allow_zero=True, example="400 gCO2e/kWh")


def device_power(power, hardware, utilization) -> float:
    """Watts one device draws: ``power`` (its average draw), or ``hardware.tdp`` x
    ``utilization`` (default 1: a device drawing its TDP while busy), never both."""
    if power is None:
        if hardware is None or c.need_hardware(hardware).tdp is None:
            raise InvalidInputError("power", "a power quantity, or hardware with a TDP", power)
        util = 1.0 if utilization is None else c.fraction("utilization", utilization,
                                                            allow_zero=True)
        return c.need_hardware(hardware).tdp.m_as(c.W) * util
    if hardware is not None or utilization is not None:
        raise InvalidInputError(
            "power", "power alone (the average draw per device), or hardware and utilization",
            power, "utilization scales hardware.tdp; with power, give the average draw itself.")
    return c.qty("power", power, c.POWER, c.W, allow_zero=True)


class EnergyCarbonResult(SolverResult):
    it_energy: Quantity
    facility_energy: Quantity
    carbon: Quantity | None
    pue: float


class EnergyCarbonModel(BaseModel):
    """Energy = devices x power per device x duration x PUE; CO2e = energy x grid intensity
    (``grid`` or ``carbon_intensity``). Power per device is ``power`` (the average draw), or
    ``hardware.tdp`` x ``utilization`` (a device drawing its TDP while busy)."""

    requires = ("duration",)
    produces = EnergyCarbonResult

    def solve(self, *, duration, power=None, hardware=None, devices=1, utilization=None,
              pue=1.0, grid=None, carbon_intensity=None) -> EnergyCarbonResult:
        t = c.qty("duration", duration, c.TIME, c.HOUR)
        n = c.positive_int("devices", devices)
        p = device_power(power, hardware, utilization) * n
        pue_v = c.num("pue", pue, lo=1.0)
        it = p * t / 1000.0
        fac = it * pue_v
        ci = _intensity(grid, carbon_intensity)
        return EnergyCarbonResult(it_energy=c.q(it, c.KWH), facility_energy=c.q(fac, c.KWH),
                                  carbon=None if ci is None else c.q(fac * ci / 1000.0, KG_CO2),
                                  pue=pue_v)


class EmbodiedCarbonResult(SolverResult):
    embodied_total: Quantity
    amortized: Quantity
    share_of_lifetime: float


class EmbodiedCarbonModel(BaseModel):
    """Embodied carbon attributed to a job: per-device embodied CO2e (``embodied_carbon``) x
    devices x duration / lifetime (linear amortisation)."""

    requires = ("embodied_carbon", "duration")
    produces = EmbodiedCarbonResult

    def solve(self, *, embodied_carbon, duration, devices=1, lifetime=None
              ) -> EmbodiedCarbonResult:
        e = c.qty("embodied_carbon", embodied_carbon, "[carbon]", c.G_CO2,
                  example="150 kgCO2e")
        t = c.qty("duration", duration, c.TIME, c.DAY)
        life = lifetime_days(lifetime)
        n = c.positive_int("devices", devices)
        share = min(1.0, t / life)
        return EmbodiedCarbonResult(embodied_total=c.q(e * n / 1000, KG_CO2),
                                    amortized=c.q(e * n * share / 1000, KG_CO2),
                                    share_of_lifetime=share)


class JevonsResult(SolverResult):
    demand_multiplier: float
    energy_multiplier: float
    rebound: float
    backfire: bool


class JevonsReboundModel(BaseModel):
    """Efficiency gain g (energy per unit of work / g) with constant price elasticity of
    demand e: demand x g^e, total energy x g^(e-1). ``rebound`` is the share of the
    engineering saving (1 - 1/g) eaten back by extra demand: 1 - (1 - g^(e-1)) / (1 - 1/g);
    above 1 (e > 1) total energy rises: backfire."""

    requires = ("efficiency_gain", "elasticity")
    produces = JevonsResult

    def solve(self, *, efficiency_gain, elasticity) -> JevonsResult:
        g = c.num("efficiency_gain", efficiency_gain, lo=1.0, lo_open=True)
        e = c.num("elasticity", elasticity, lo=0.0)
        demand = g ** e
        energy = g ** (e - 1)
        expected_saving = 1.0 - 1.0 / g
        rebound = 1.0 - (1.0 - energy) / expected_saving
        return JevonsResult(demand_multiplier=demand, energy_multiplier=energy,
                            rebound=rebound, backfire=energy > 1.0)


# ---- hourly intensity and carbon-aware job shifting ------------------------------------------

def _normalised(values):
    m = sum(values) / len(values)
    return tuple(v / m for v in values)


#: Representative-day SHAPES of hourly carbon intensity (multipliers of the daily mean, hour
#: 0-23, local time). Illustrative: real profiles vary by day, season and year.
HOURLY_PROFILES = assume("sustainability.HOURLY_PROFILES", {
    "solar": _normalised((1.15, 1.15, 1.15, 1.15, 1.15, 1.15, 1.10, 1.00, 0.85, 0.70, 0.60,
                          0.55, 0.50, 0.50, 0.55, 0.65, 0.80, 1.00, 1.25, 1.35, 1.35, 1.30,
                          1.25, 1.20)),
    "coal": _normalised((1.02, 1.02, 1.02, 1.02, 1.02, 1.02, 1.00, 0.98, 0.95, 0.92, 0.90,
                         0.90, 0.90, 0.92, 0.95, 1.00, 1.05, 1.08, 1.08, 1.07, 1.06, 1.05,
                         1.04, 1.03)),
    "flat": tuple([1.0] * 24),
}, "illustrative", "shapes after the 'duck curve' of solar-heavy grids (CAISO, What the duck "
   "curve tells us about managing a green grid, 2016) and the small daily swing of "
   "coal-dominated grids", "https://www.caiso.com/documents/flexibleresourceshelprenewables_"
   "fastfacts.pdf", "solar: midday intensity about half the mean, evening peak ~1.35x; coal: "
   "+-10 %. Scaled so each day's mean is the grid's annual average intensity.")
CARBON_AWARE_SOURCE = ("carbon = power x PUE x integral of hourly intensity over the hours the "
                       "job runs; hourly shape illustrative (HOURLY_PROFILES)")


def _hourly(grid, carbon_intensity, profile) -> tuple[float, ...]:
    """24 intensities in gCO2e/kWh."""
    if profile is not None and not isinstance(profile, str):
        vals = list(profile)
        if len(vals) != 24:
            raise InvalidInputError("profile", "a profile name or 24 hourly intensities", profile)
        if grid is not None or carbon_intensity is not None:
            raise InvalidInputError("profile", "24 intensities alone, or a grid and a profile "
                                    "name", profile)
        return tuple(c.qty(f"profile[{i}]", v, "[carbon]/([mass]*[length]**2/[time]**2)",
                           G_PER_KWH, allow_zero=True, example="400 gCO2e/kWh")
                     for i, v in enumerate(vals))
    shape = c.choice("profile", profile or "flat", tuple(HOURLY_PROFILES))
    mean = _intensity(grid, carbon_intensity)
    if mean is None:
        raise InvalidInputError("grid", "a grid or a carbon_intensity (with a profile name)",
                                None)
    return tuple(mean * f for f in HOURLY_PROFILES[shape])


def _integral(hourly, start: float, hours: float, cum=None) -> float:
    """Sum of intensity x hours over [start, start + hours) (gCO2e/kWh x h), the profile
    repeating every 24 h: F(start + hours) - F(start) with F the cumulative integral."""
    if cum is None:
        cum = [0.0]
        for v in hourly:
            cum.append(cum[-1] + v)

    def F(x: float) -> float:
        days, y = divmod(x, 24.0)
        h = min(int(y), 23)
        return days * cum[24] + cum[h] + hourly[h] * (y - h)
    return F(start + hours) - F(start)


class CarbonAwareScheduleResult(CheckedResult):
    energy: Quantity
    carbon: Quantity
    best_start_hour: float
    best_carbon: Quantity
    saving: float
    hourly_g_per_kwh: tuple
    illustrative: bool = True
    source: str = CARBON_AWARE_SOURCE


class CarbonAwareScheduleModel(BaseModel):
    """Carbon of a job of ``duration`` drawing ``power`` per device (or ``hardware``'s TDP x
    ``utilization``) on ``devices`` at ``pue``, started at ``start_hour`` on a grid whose
    hourly intensity is ``grid``/``carbon_intensity``'s mean shaped by ``profile`` (solar,
    coal, flat; or 24 explicit intensities). ``best_start_hour`` is the start within
    ``deadline`` hours from ``start_hour`` (default: the next 24 h) that emits least
    (``saving`` is the share saved by shifting); ``hourly_g_per_kwh`` the 24 intensities
    used, floats in gCO2e/kWh (a chart's data). Violations: ``deadline`` shorter than the job;
    carbon at the chosen start above ``carbon_budget``."""

    requires = ("duration",)
    produces = CarbonAwareScheduleResult

    def solve(self, *, duration, power=None, hardware=None, devices=1, utilization=None,
              pue=1.0, grid=None, carbon_intensity=None, profile=None, start_hour=0,
              deadline=None, carbon_budget=None) -> CarbonAwareScheduleResult:
        hours = c.qty("duration", duration, c.TIME, c.HOUR, example="6 hour")
        n = c.positive_int("devices", devices)
        p = device_power(power, hardware, utilization)
        kw = p * n * c.num("pue", pue, lo=1.0) / 1000.0
        start = c.num("start_hour", start_hour, lo=0.0, hi=24.0)
        window = 24.0 if deadline is None else c.qty("deadline", deadline, c.TIME, c.HOUR,
                                                     example="12 hour")
        hourly = _hourly(grid, carbon_intensity, profile)
        cum = [0.0]
        for v in hourly:
            cum.append(cum[-1] + v)
        carbon = kw * _integral(hourly, start, hours, cum)
        slack = max(0.0, window - hours)
        best_s, best = start, carbon
        for k in range(1, int(slack * 4) + 1):  # quarter-hour steps
            s = start + k / 4.0
            v = kw * _integral(hourly, s, hours, cum)
            if v < best - 1e-12:
                best_s, best = s, v
        violations = c.violation("deadline", hours, window, c.HOUR) if deadline is not None \
            else []
        if carbon_budget is not None:
            budget = c.qty("carbon_budget", carbon_budget, "[carbon]", c.G_CO2,
                           example="50 kgCO2e")
            violations += c.violation("carbon budget", carbon, budget, c.G_CO2)
        return CarbonAwareScheduleResult(
            energy=c.q(kw * hours, c.KWH), carbon=c.q(carbon / 1000.0, KG_CO2),
            best_start_hour=best_s % 24, best_carbon=c.q(best / 1000.0, KG_CO2),
            saving=1.0 - best / carbon if carbon > 0 else 0.0,
            hourly_g_per_kwh=hourly, violations=violations)
