"""Sustainability: operational energy and carbon, embodied carbon, and the Jevons rebound.

energy = power x time x PUE; operational CO2e = energy x grid carbon intensity
(Patterson et al. 2021, "Carbon Emissions and Large Neural Network Training", Sec. 2).
Embodied carbon is amortised linearly over the device lifetime (Gupta et al. 2021,
"Chasing Carbon"). Rebound: with constant price elasticity e, an efficiency gain g (work per
unit energy x g) multiplies demand by g^e and total energy by g^(e-1) (Jevons 1865; e > 1
is "backfire").
"""
from __future__ import annotations

from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import SolverResult
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
        if power is None:
            if hardware is None or c.need_hardware(hardware).tdp is None:
                raise InvalidInputError("power", "a power quantity, or hardware with a TDP",
                                        power)
            util = 1.0 if utilization is None else c.fraction("utilization", utilization,
                                                                allow_zero=True)
            p = c.need_hardware(hardware).tdp.m_as(c.W) * util * n
        else:
            if hardware is not None or utilization is not None:
                raise InvalidInputError(
                    "power", "power alone (the average draw per device), or hardware and "
                    "utilization", power, "utilization scales hardware.tdp; with power, give "
                    "the average draw itself.")
            p = c.qty("power", power, c.POWER, c.W, allow_zero=True) * n
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
