"""Outdoor weather: reproducible for a seed, with the daily rhythm and the cold nights of a mountain site."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from contract.site import SiteConfig
from firmware_sim import solar
from firmware_sim.weather import Sky, Weather


def _hours(start: datetime, hours: float, step_h: float = 0.25) -> list[datetime]:
    return [start + timedelta(hours=i * step_h) for i in range(int(hours / step_h))]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_same_seed_same_weather_in_any_query_order(site: SiteConfig) -> None:
    times = _hours(datetime(2026, 1, 10, tzinfo=site.cooperative.tz), 24 * 20, step_h=17.3)
    forward = [Weather.for_site(site.cooperative, seed=7).at(t) for t in times]
    backward = Weather.for_site(site.cooperative, seed=7)
    assert [backward.at(t) for t in reversed(times)] == list(reversed(forward))
    other = [Weather.for_site(site.cooperative, seed=8).at(t) for t in times]
    assert [s.outdoor_temp_c for s in other] != [s.outdoor_temp_c for s in forward]


def test_extraterrestrial_radiation_matches_fao56_example_8() -> None:
    # FAO-56 Example 8: 20° S on 3 September (J = 246) receives Ra = 32.2 MJ/m²/day.
    step_h = 0.01
    total_j = sum(
        solar.SOLAR_CONSTANT_W_M2
        * solar.inverse_relative_distance(246)
        * max(0.0, solar.sin_solar_elevation(-20.0, 0.0, 0.0, 246, i * step_h))
        * step_h
        * 3600
        for i in range(int(24 / step_h))
    )
    assert math.isclose(total_j / 1e6, 32.2, abs_tol=0.2)


def test_clear_january_day_is_coldest_at_dawn_warmest_after_noon(site: SiteConfig) -> None:
    weather = Weather.for_site(site.cooperative, seed=7)
    tz = site.cooperative.tz
    clear = [d for d in _days(date(2026, 1, 1), date(2026, 1, 31)) if weather.day(d).sky is Sky.CLEAR]
    assert len(clear) >= 3
    for d in clear[:3]:
        samples = [weather.at(t) for t in _hours(datetime(d.year, d.month, d.day, tzinfo=tz), 24)]
        hour_of = [s.at.astimezone(tz).hour + s.at.astimezone(tz).minute / 60 for s in samples]
        temps = [s.outdoor_temp_c for s in samples]
        coldest, warmest = hour_of[temps.index(min(temps))], hour_of[temps.index(max(temps))]
        assert 6.0 <= coldest <= 7.25, coldest  # sunrise in Mộc Châu in January is about 06:40
        assert 13.0 <= warmest <= 15.0, warmest
        assert 9 <= max(temps) - min(temps) <= 17
        # Dark at night, bright at noon; humid at dawn, drier in the afternoon.
        by_hour = {h: s for h, s in zip(hour_of, samples, strict=True)}
        assert by_hour[0.0].solar_w_m2 == 0 and by_hour[22.0].solar_w_m2 == 0
        assert 600 <= by_hour[12.0].solar_w_m2 <= 950
        assert by_hour[6.0].outdoor_rh_pct >= 90 > by_hour[14.0].outdoor_rh_pct + 20


def test_cool_season_clear_nights_bring_frost_risk_summer_nights_do_not(site: SiteConfig) -> None:
    weather = Weather.for_site(site.cooperative, seed=7)
    winter = [weather.day(d) for d in _days(date(2025, 12, 1), date(2026, 2, 28))]
    summer = [weather.day(d) for d in _days(date(2026, 6, 1), date(2026, 8, 31))]
    clear_mins = [d.t_min_c for d in winter if d.sky is Sky.CLEAR]
    overcast_mins = [d.t_min_c for d in winter if d.sky is not Sky.CLEAR]
    assert min(clear_mins) <= 3.0
    # Clear skies let the ground radiate: clear winter nights are the cold ones.
    assert sum(clear_mins) / len(clear_mins) < sum(overcast_mins) / len(overcast_mins) - 1
    assert min(d.t_min_c for d in summer) >= 12.0
    # The wet season is wet.
    assert sum(d.sky is Sky.RAINY for d in summer) > 2 * sum(d.sky is Sky.RAINY for d in winter)


def test_rain_only_on_rainy_days_and_the_air_is_near_saturated_while_it_rains(site: SiteConfig) -> None:
    weather = Weather.for_site(site.cooperative, seed=7)
    tz = site.cooperative.tz
    raining = 0
    for d in _days(date(2026, 7, 1), date(2026, 7, 20)):
        sky = weather.day(d).sky
        for s in (weather.at(t) for t in _hours(datetime(d.year, d.month, d.day, tzinfo=tz), 24, step_h=0.5)):
            if sky is not Sky.RAINY:
                assert s.rain_mm_h == 0
            elif s.rain_mm_h > 0:
                raining += 1
                assert s.outdoor_rh_pct >= 95
                assert s.rain_mm_h <= 30
    assert raining >= 20
