"""Every kind of sensor has a physical model in the simulator: a greenhouse with one sensor of each kind steps
through a day and each reads a finite value a real sensor of that kind could show."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest

from contract.kinds import SensorKind
from contract.site import Greenhouse, Node, SiteConfig
from firmware_sim.physics import GreenhousePhysics, InitialConditions
from firmware_sim.weather import Sky, Weather

SEED = 7
STEP_S = 60.0
# What a sensor of each kind can plausibly read in a plastic house in the mountains of northern Vietnam.
PLAUSIBLE: dict[SensorKind, tuple[float, float]] = {
    SensorKind.AIR_TEMP_C: (-5, 55),
    SensorKind.AIR_RH_PCT: (0, 100),
    SensorKind.LEAF_TEMP_C: (-10, 60),
    SensorKind.SOIL_VWC_PCT: (0, 60),
    SensorKind.SOIL_TEMP_C: (-5, 45),
    SensorKind.PAR_UMOL_M2_S: (0, 2500),
    SensorKind.CO2_PPM: (50, 5000),
    SensorKind.TANK_LEVEL_PCT: (0, 100),
    SensorKind.WATER_FLOW_L_MIN: (0, 500),
    SensorKind.WATER_TOTAL_L: (0, 1e8),
    SensorKind.OUTDOOR_TEMP_C: (-10, 45),
    SensorKind.OUTDOOR_RH_PCT: (0, 100),
    SensorKind.SOLAR_W_M2: (0, 1400),
    SensorKind.RAIN_MM_H: (0, 200),
    SensorKind.RAIN_TOTAL_MM: (0, 500),  # in a day
    SensorKind.WIND_M_S: (0, 60),
    SensorKind.SOIL_EC_US_CM: (0, 20000),
    SensorKind.SOIL_PH: (3, 9),
    SensorKind.SOIL_N_MG_KG: (0, 2999),
    SensorKind.SOIL_P_MG_KG: (0, 2999),
    SensorKind.SOIL_K_MG_KG: (0, 2999),
    SensorKind.ILLUMINANCE_LUX: (0, 200000),
    SensorKind.WIND_DIRECTION_DEG: (0, 360),
}


def _with_every_kind(greenhouse: Greenhouse) -> Greenhouse:
    """The greenhouse with one more node carrying one sensor of each kind (outside any zone)."""
    sensors = [
        {
            "id": f"every-{kind.value.replace('_', '-')}",
            "kind": kind.value,
            "input_register": 2 * i,
            "range": {"min": low, "max": high},
        }
        for i, (kind, (low, high)) in enumerate(PLAUSIBLE.items())
    ]
    every = Node.model_validate({"id": "every-kind", "address": 200, "sensors": sensors})
    return greenhouse.model_copy(update={"nodes": [*greenhouse.nodes, every]})


def _physics(site: SiteConfig, start: datetime, initial: InitialConditions | None = None) -> GreenhousePhysics:
    weather = Weather.for_site(site.cooperative, SEED)
    greenhouse = _with_every_kind(site.greenhouses[0])
    return GreenhousePhysics(greenhouse, site.cooperative.elevation_m, weather.at(start), SEED, initial=initial)


def _run(physics: GreenhousePhysics, site: SiteConfig, start: datetime, hours: float) -> list[dict[str, float]]:
    """Steps ``hours`` with every actuator off; the readings at the end of each hour."""
    weather = Weather.for_site(site.cooperative, SEED)
    hourly: list[dict[str, float]] = []
    for step in range(1, round(hours * 3600 / STEP_S) + 1):
        physics.step(STEP_S, weather.at(start + timedelta(seconds=step * STEP_S)), {})
        if step % round(3600 / STEP_S) == 0:
            hourly.append(dict(physics.readings))
    return hourly


def _reading(physics: GreenhousePhysics, readings: dict[str, float], kind: SensorKind) -> float:
    (sensor,) = (s for s in physics.greenhouse.sensors.values() if s.id.startswith("every-") and s.kind is kind)
    return readings[sensor.id]


@pytest.fixture
def january(site: SiteConfig) -> datetime:
    return datetime(2026, 1, 15, 0, 0, tzinfo=site.cooperative.tz)


def test_every_kind_has_a_model_that_stays_plausible_through_a_day(site: SiteConfig, january: datetime) -> None:
    assert set(PLAUSIBLE) == set(SensorKind), "a new kind needs its plausible range here"
    physics = _physics(site, january)
    for readings in _run(physics, site, january, 24):
        for kind, (low, high) in PLAUSIBLE.items():
            value = _reading(physics, readings, kind)
            assert math.isfinite(value) and low <= value <= high, (kind, value)


def test_light_in_lux_follows_the_radiation_inside(site: SiteConfig, january: datetime) -> None:
    noon = january + timedelta(hours=12)
    physics = _physics(site, noon)
    _run(physics, site, noon, 1)
    inside_w_m2 = physics.par_umol_m2_s / 2.02  # PAR: 2.02 µmol/J of global radiation
    assert inside_w_m2 > 100  # a January noon in Mộc Châu: the sun is up
    assert physics.illuminance_lux == pytest.approx(120 * inside_w_m2)  # daylight: ~120 lm/W (Littlefair 1985)
    lux = _reading(physics, physics.readings, SensorKind.ILLUMINANCE_LUX)
    assert lux == pytest.approx(physics.illuminance_lux, abs=100)  # read with a little noise


def test_soil_ec_rises_with_soil_water(site: SiteConfig, january: datetime) -> None:
    dry = _physics(site, january, InitialConditions(soil_vwc_pct=18))
    wet = _physics(site, january, InitialConditions(soil_vwc_pct=38))
    dry_ec = _reading(dry, dry.readings, SensorKind.SOIL_EC_US_CM)
    wet_ec = _reading(wet, wet.readings, SensorKind.SOIL_EC_US_CM)
    assert 200 < dry_ec < wet_ec < 2000  # the range of non-saline soils
    assert wet_ec / dry_ec == pytest.approx(38 / 18, rel=0.05)


def test_nutrients_fall_slowly_and_ph_stays_near_its_mean(site: SiteConfig, january: datetime) -> None:
    physics = _physics(site, january)
    first, *_, last = _run(physics, site, january, 48)
    for kind in (SensorKind.SOIL_N_MG_KG, SensorKind.SOIL_P_MG_KG, SensorKind.SOIL_K_MG_KG):
        now, began = physics.nutrients_mg_kg[kind], InitialConditions().soil_nutrients_mg_kg[kind]
        assert 0.9 * began < now < began, kind  # below where it began, by a few per cent in two days
    assert _reading(physics, last, SensorKind.SOIL_N_MG_KG) < _reading(physics, first, SensorKind.SOIL_N_MG_KG)
    assert all(6.0 - 0.1 < _reading(physics, r, SensorKind.SOIL_PH) < 6.4 + 0.1 for r in (first, last))


def test_the_wind_in_january_comes_from_the_north_east_and_wanders(site: SiteConfig, january: datetime) -> None:
    physics = _physics(site, january)
    directions = [_reading(physics, r, SensorKind.WIND_DIRECTION_DEG) for r in _run(physics, site, january, 24)]
    northerly = [d if d < 180 else d - 360 for d in directions]  # around north, without the jump at 0°/360°
    assert all(-15 <= d <= 105 for d in northerly), northerly  # north-east ± 60°
    assert max(northerly) - min(northerly) > 20  # it is not a fixed number


def test_the_rain_gauge_adds_up_the_rain_of_a_wet_day(site: SiteConfig) -> None:
    weather = Weather.for_site(site.cooperative, SEED)
    wet = next(d for d in (date(2026, 7, 1) + timedelta(days=i) for i in range(31)) if weather.day(d).sky is Sky.RAINY)
    start = datetime(wet.year, wet.month, wet.day, tzinfo=site.cooperative.tz)
    physics = _physics(site, start)
    (last,) = _run(physics, site, start, 24)[-1:]
    steps = (start + timedelta(seconds=STEP_S * i) for i in range(1, round(24 * 3600 / STEP_S) + 1))
    fallen_mm = sum(weather.at(t).rain_mm_h * STEP_S / 3600 for t in steps)
    assert fallen_mm > 1
    assert _reading(physics, last, SensorKind.RAIN_TOTAL_MM) == pytest.approx(fallen_mm)
