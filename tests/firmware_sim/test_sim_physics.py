"""Greenhouse physics: each actuator moves the climate, the soil or the water the way it does in a real house."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from contract.site import Greenhouse, SiteConfig
from firmware_sim.physics import ActuatorState, GreenhousePhysics, InitialConditions
from firmware_sim.weather import Sky, Weather

SEED = 7
STEP_S = 10.0


def _clear_day(weather: Weather, month: int) -> date:
    return next(
        d
        for d in (date(2026, month, 1) + timedelta(days=i) for i in range(28))
        if weather.day(d).sky is Sky.CLEAR and weather.day(d + timedelta(days=1)).sky is Sky.CLEAR
    )


class House:
    """One greenhouse of the example under the site's weather, stepped like the simulator steps it."""

    def __init__(self, site: SiteConfig, start: datetime, initial: InitialConditions | None = None) -> None:
        self.weather = Weather.for_site(site.cooperative, SEED)
        self.greenhouse: Greenhouse = site.greenhouses[0]
        self.now = start
        self.physics = GreenhousePhysics(
            self.greenhouse, site.cooperative.elevation_m, self.weather.at(start), SEED, initial=initial
        )
        self.actuators = {a: ActuatorState() for a in self.greenhouse.actuators}

    def run(self, hours: float, **set_to: ActuatorState) -> House:
        self.actuators.update({k.replace("_", "-"): v for k, v in set_to.items()})
        for _ in range(round(hours * 3600 / STEP_S)):
            self.physics.step(STEP_S, self.weather.at(self.now), self.actuators)
            self.now += timedelta(seconds=STEP_S)
        return self


ON = ActuatorState(on=True)
OPEN = ActuatorState(position_pct=100)


@pytest.fixture
def clear_january(site: SiteConfig) -> datetime:
    d = _clear_day(Weather.for_site(site.cooperative, SEED), 1)
    return datetime(d.year, d.month, d.day, tzinfo=site.cooperative.tz)


def test_open_vents_cool_a_sunny_closed_house(site: SiteConfig, clear_january: datetime) -> None:
    start = clear_january + timedelta(hours=9)
    closed = House(site, start).run(4)
    vented = House(site, start).run(4, roof_vent=OPEN, side_curtain=OPEN)
    outside = closed.physics.weather.outdoor_temp_c
    assert closed.physics.air_temp_c > outside + 12
    assert vented.physics.air_temp_c < closed.physics.air_temp_c - 8
    assert vented.physics.air_temp_c < outside + 6
    # A fan on top of the vents takes a little more heat out.
    fanned = House(site, start).run(4, roof_vent=OPEN, side_curtain=OPEN, fan=ON)
    assert fanned.physics.air_temp_c < vented.physics.air_temp_c


def test_heater_keeps_a_cold_night_warmer(site: SiteConfig, clear_january: datetime) -> None:
    start = clear_january + timedelta(hours=1)
    cold = House(site, start).run(4)
    heated = House(site, start).run(4, heater=ON)
    assert heated.physics.air_temp_c > cold.physics.air_temp_c + 3
    # Without heat, a closed film house at night is barely warmer than outside.
    assert cold.physics.air_temp_c - cold.physics.weather.outdoor_temp_c < 1.5


def test_shade_screen_halves_par_inside(site: SiteConfig, clear_january: datetime) -> None:
    noon = clear_january + timedelta(hours=11, minutes=30)
    bright = House(site, noon).run(0.5)
    shaded = House(site, noon).run(0.5, shade=OPEN)
    # ≈ 2.02 µmol/J × global × film 0.75 at a clear January noon of ~800 W/m².
    assert 1000 < bright.physics.par_umol_m2_s < 1500
    assert shaded.physics.par_umol_m2_s == pytest.approx(0.5 * bright.physics.par_umol_m2_s, rel=0.01)
    assert shaded.physics.air_temp_c < bright.physics.air_temp_c
    dark = House(site, clear_january + timedelta(hours=2)).run(0.1)
    assert dark.physics.par_umol_m2_s == 0


def test_misting_humidifies_and_cools_a_vented_house(site: SiteConfig, clear_january: datetime) -> None:
    start = clear_january + timedelta(hours=11)
    dry = House(site, start).run(1, roof_vent=OPEN)
    misted = House(site, start).run(1, roof_vent=OPEN, mister=ON)
    assert misted.physics.air_rh_pct > dry.physics.air_rh_pct + 5
    assert misted.physics.air_temp_c < dry.physics.air_temp_c - 0.5


def test_crop_draws_co2_down_by_day_and_ventilation_restores_it(site: SiteConfig, clear_january: datetime) -> None:
    start = clear_january + timedelta(hours=9)
    closed = House(site, start).run(3)
    vented = House(site, start).run(3, roof_vent=OPEN, side_curtain=OPEN)
    assert closed.physics.co2_ppm < 350
    assert 400 < vented.physics.co2_ppm < 430
    night = House(site, clear_january + timedelta(hours=1)).run(4)
    assert night.physics.co2_ppm > 430  # respiration in a closed house


def test_watering_a_zone_raises_its_soil_moisture_and_empties_the_tank(
    site: SiteConfig, clear_january: datetime
) -> None:
    house = House(site, clear_january + timedelta(hours=6), InitialConditions(tank_level_pct=100))
    house.run(0.5, valve_a=ON, pump=ON)
    p = house.physics
    # 25 L/min for 30 min = 750 L on 250 m² = 3 mm in a 300 mm root zone = +1 % VWC.
    assert p.water_total_l == pytest.approx(750, rel=0.01)
    assert p.water_flow_l_min == pytest.approx(25)
    assert p.soil_vwc_pct()["khu-a"] == pytest.approx(31.0, abs=0.05)
    assert p.soil_vwc_pct()["khu-b"] == pytest.approx(30.0, abs=0.05)
    # 2000 L tank, 750 L out, 3 L/min from the spring in.
    assert p.tank_l == pytest.approx(2000 - 750 + 90, abs=5)


def test_no_water_without_both_valve_and_pump(site: SiteConfig, clear_january: datetime) -> None:
    start = clear_january + timedelta(hours=6)
    for running in ({"pump": ON}, {"valve_a": ON}):
        p = House(site, start).run(0.2, **running).physics
        assert p.water_total_l == 0
        assert p.soil_vwc_pct()["khu-a"] <= 30.0


def test_an_empty_tank_gives_only_what_the_spring_brings(site: SiteConfig, clear_january: datetime) -> None:
    house = House(site, clear_january + timedelta(hours=6), InitialConditions(tank_level_pct=5))
    house.run(1, valve_a=ON, valve_b=ON, pump=ON)
    assert house.physics.tank_l < 1
    assert house.physics.water_flow_l_min == pytest.approx(3.0)


def test_soil_dries_by_crop_water_use_over_a_sunny_day(site: SiteConfig, clear_january: datetime) -> None:
    house = House(site, clear_january)
    house.run(6)
    at_dawn = house.physics.soil_vwc_pct()["khu-a"]
    house.run(18)
    at_midnight = house.physics.soil_vwc_pct()["khu-a"]
    used_mm = (at_dawn - at_midnight) / 100 * 300
    # A tomato house on a clear winter day: roughly 2–5 mm; almost nothing at night.
    assert 1.5 <= used_mm <= 5
    assert 30.0 - at_dawn < 0.05


def test_soil_above_field_capacity_drains_back_slowly(site: SiteConfig, clear_january: datetime) -> None:
    house = House(site, clear_january, InitialConditions(soil_vwc_pct_by_zone={"khu-a": 48}))
    house.run(6)
    vwc = house.physics.soil_vwc_pct()["khu-a"]
    assert 41 < vwc < 46


def test_same_seed_same_sensor_readings(site: SiteConfig, clear_january: datetime) -> None:
    start = clear_january + timedelta(hours=8)
    a = House(site, start).run(1, roof_vent=OPEN).physics.readings
    b = House(site, start).run(1, roof_vent=OPEN).physics.readings
    assert a == b
    greenhouse = site.greenhouses[0]
    assert set(a) == set(greenhouse.sensors)
    for sensor in greenhouse.sensors.values():
        assert sensor.range.contains(a[sensor.id]), (sensor.id, a[sensor.id])
