"""Coal vs renewable grids, hourly intensity and carbon-aware job shifting."""
import pytest

from mlsysim import Systems
from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import CarbonAwareScheduleModel, EnergyCarbonModel
from mlsysim.resolvers.sustainability import HOURLY_PROFILES


def test_coal_grid_is_cited_and_dirtier_than_renewable_grids():
    # Ember 2023: Poland ~662 gCO2e/kWh (EU's highest), France 56, Norway 30
    pl = Systems.Grids.Poland
    assert pl.carbon_intensity == Q_("662 gCO2e/kWh")
    assert pl.provenance["carbon_intensity"].url
    coal = EnergyCarbonModel().solve(duration="24 hour", power="700 W", devices=8, grid=pl)
    hydro = EnergyCarbonModel().solve(duration="24 hour", power="700 W", devices=8,
                                      grid=Systems.Grids.Norway)
    assert coal.carbon / hydro.carbon == pytest.approx(662 / 30)


def test_profiles_average_to_the_annual_mean():
    for shape in HOURLY_PROFILES.values():
        assert len(shape) == 24 and sum(shape) / 24 == pytest.approx(1.0)


def test_flat_profile_equals_energy_times_mean_intensity():
    # 8 x 700 W for 6 h = 33.6 kWh; x 381 g/kWh (Germany) = 12.80 kg
    r = CarbonAwareScheduleModel().solve(duration="6 hour", power="700 W", devices=8,
                                         grid=Systems.Grids.Germany)
    assert r.energy.m_as("kWh") == pytest.approx(33.6)
    assert r.carbon.m_as("kgCO2e") == pytest.approx(33.6 * 0.381)
    assert r.saving == pytest.approx(0)


def test_shifting_a_deferrable_job_to_the_solar_hours():
    evening = CarbonAwareScheduleModel().solve(duration="4 hour", power="700 W", devices=8,
                                               grid=Systems.Grids.Germany, profile="solar",
                                               start_hour=18)
    assert 9 <= evening.best_start_hour <= 12
    assert evening.best_carbon < evening.carbon and evening.saving > 0.4
    # explicit 24-hour profile: intensity x energy summed over the hours the job runs
    hours = ["100 gCO2e/kWh"] * 12 + ["500 gCO2e/kWh"] * 12
    r = CarbonAwareScheduleModel().solve(duration="2 hour", power="1000 W", profile=hours,
                                         start_hour=11.5)
    assert r.carbon.m_as("kgCO2e") == pytest.approx((0.5 * 100 + 1.5 * 500) / 1000)
    # a coal grid barely rewards shifting
    coal = CarbonAwareScheduleModel().solve(duration="4 hour", power="700 W", devices=8,
                                            grid=Systems.Grids.Poland, profile="coal",
                                            start_hour=18)
    assert coal.saving < 0.2 < evening.saving


def test_deadline_and_carbon_budget_are_violations():
    r = CarbonAwareScheduleModel().solve(duration="6 hour", power="700 W", devices=8,
                                         grid=Systems.Grids.Poland, deadline="4 hour",
                                         carbon_budget="1 kgCO2e")
    assert {v.name for v in r.violations} == {"deadline", "carbon budget"}


@pytest.mark.parametrize("kw, name", [
    (dict(duration="1 hour", power="1 kW"), "grid"),
    (dict(duration="1 hour", power="1 kW", grid="France", profile="nuclear"), "profile"),
    (dict(duration="1 hour", power="1 kW", profile=[1, 2, 3]), "profile"),
    (dict(duration="1 hour", power="1 kW", grid="France", start_hour=25), "start_hour"),
])
def test_rejects_bad_inputs(kw, name):
    with pytest.raises(InvalidInputError, match=name):
        CarbonAwareScheduleModel().solve(**kw)
