"""Outdoor weather for a mountain site in the monsoon tropics: deterministic for a seed, pure in time.

Each day is clear, cloudy or rainy, drawn by a Markov chain whose transitions move with the
season (dry cool winter, wet summer); the chain runs from 1 January of each year, so any
instant can be computed on its own. Temperatures follow a seasonal climatology lowered by the
standard lapse rate for the site's elevation, a persistent day-to-day anomaly with occasional
winter cold surges, and the Parton & Logan diurnal curve between the day's minimum and maximum.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from contract.site import Cooperative
from firmware_sim import noise, solar
from firmware_sim.air import saturation_vapour_pressure_kpa

_LAPSE_RATE_C_PER_M = 0.0065  # ICAO standard atmosphere
# Parton & Logan (1981, Agric. Meteorol. 23:205) for 1.5 m air: lag of the maximum after noon (h), night decay.
_PL_LAG_H = 1.86
_PL_NIGHT_DECAY = 2.2


class Sky(StrEnum):
    CLEAR = "clear"
    CLOUDY = "cloudy"
    RAINY = "rainy"


_SKIES = (Sky.CLEAR, Sky.CLOUDY, Sky.RAINY)
# Next-day transition probabilities (rows: today) in the dry and the wet season; blended by season.
_DRY = ((0.72, 0.21, 0.07), (0.42, 0.44, 0.14), (0.30, 0.42, 0.28))
_WET = ((0.40, 0.35, 0.25), (0.20, 0.45, 0.35), (0.10, 0.35, 0.55))
# Per sky: diurnal range (°C) in the dry season and its change towards the wet one, offset of the day's
# mean (°C), and where the dew point sits between minimum and maximum (fraction of the range).
_RANGE_C = {Sky.CLEAR: (14.0, -3.0), Sky.CLOUDY: (7.0, 0.0), Sky.RAINY: (4.0, 0.0)}
_MEAN_OFFSET_C = {Sky.CLEAR: 0.0, Sky.CLOUDY: 0.3, Sky.RAINY: -1.0}
_DEWPOINT_FRACTION = {Sky.CLEAR: 0.25, Sky.CLOUDY: 0.45, Sky.RAINY: 0.8}
# (lowest, highest) over days of each sky: mean cloud transmittance, mean wind speed (m/s).
_TRANSMITTANCE = {Sky.CLEAR: (0.92, 0.98), Sky.CLOUDY: (0.3, 0.6), Sky.RAINY: (0.12, 0.24)}
_WIND_M_S = {Sky.CLEAR: (1.0, 2.5), Sky.CLOUDY: (1.5, 3.5), Sky.RAINY: (2.0, 5.0)}


class DayWeather(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: date
    sky: Sky
    t_min_c: float
    t_max_c: float
    dewpoint_c: float
    # Daily mean fraction of clear-sky radiation that gets through the clouds.
    sky_transmittance: float
    rain_peak_mm_h: float
    wind_mean_m_s: float


class WeatherSample(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    sky: Sky
    outdoor_temp_c: float
    outdoor_rh_pct: float
    solar_w_m2: float
    rain_mm_h: float
    wind_m_s: float


class Weather:
    def __init__(self, latitude_deg: float, longitude_deg: float, elevation_m: float, tz: tzinfo, seed: int) -> None:
        self.latitude_deg = latitude_deg
        self.longitude_deg = longitude_deg
        self.elevation_m = elevation_m
        self.tz = tz
        self.seed = seed
        self._years: dict[int, list[DayWeather]] = {}
        self._streams = {name: noise.stream_id(name) for name in ("cloud", "rain", "rain-rh", "wind")}

    @classmethod
    def for_site(cls, cooperative: Cooperative, seed: int) -> Weather:
        return cls(cooperative.latitude, cooperative.longitude, cooperative.elevation_m, cooperative.tz, seed)

    def day(self, day: date) -> DayWeather:
        year = self._years.get(day.year)
        if year is None:
            year = self._years[day.year] = self._simulate_year(day.year)
        return year[day.timetuple().tm_yday - 1]

    def at(self, when: datetime) -> WeatherSample:
        local = when.astimezone(self.tz)
        today = local.date()
        hour = local.hour + local.minute / 60 + (local.second + local.microsecond / 1e6) / 3600
        offset_h = (local.utcoffset() or timedelta()).total_seconds() / 3600
        doy = local.timetuple().tm_yday
        d = self.day(today)
        t_s = when.timestamp()

        temp_c = self._temperature_c(today, hour, offset_h)
        sin_elev = solar.sin_solar_elevation(self.latitude_deg, self.longitude_deg, offset_h, doy, hour)
        rain_mm_h = self._rain_mm_h(d, t_s)
        solar_w_m2 = solar.clear_sky_global_w_m2(sin_elev, doy, self.elevation_m) * self._transmittance(d, t_s)
        if rain_mm_h > 0:
            solar_w_m2 *= 0.6
        dewpoint_c = self._dewpoint_c(today, hour)
        rh_pct = min(100.0, 100 * saturation_vapour_pressure_kpa(dewpoint_c) / saturation_vapour_pressure_kpa(temp_c))
        if rain_mm_h > 0:
            rh_pct = max(rh_pct, 95 + 5 * noise.smooth(self.seed, self._streams["rain-rh"], t_s, 900))
        gust = 0.6 + 0.8 * noise.smooth(self.seed, self._streams["wind"], t_s, 600)
        # Calm nights, breezier afternoons: mountain valley winds follow the sun.
        wind_m_s = d.wind_mean_m_s * (0.6 + 0.8 * max(0.0, sin_elev)) * gust
        return WeatherSample(
            at=when,
            sky=d.sky,
            outdoor_temp_c=temp_c,
            outdoor_rh_pct=rh_pct,
            solar_w_m2=solar_w_m2,
            rain_mm_h=rain_mm_h,
            wind_m_s=wind_m_s,
        )

    # --- daily states -------------------------------------------------------------------------
    def _wetness(self, day_of_year: int) -> float:
        """0 in the middle of the dry season (mid-January in the north), 1 in the middle of the wet one."""
        shifted = day_of_year + (182 if self.latitude_deg < 0 else 0)
        return 0.5 - 0.5 * math.cos(2 * math.pi * (shifted - 15) / 365)

    def _seasonal_mean_c(self, day_of_year: int) -> float:
        # Lowland climatology of the monsoon tropics, close to Hanoi's (21° N: 23.6 °C mean, ±6.3 °C over the year).
        lat = abs(self.latitude_deg)
        annual_c = 28.0 - 0.45 * max(0.0, lat - 12.0)
        amplitude_c = 0.3 * lat
        return annual_c - amplitude_c * (1 - 2 * self._wetness(day_of_year)) - _LAPSE_RATE_C_PER_M * self.elevation_m

    def _simulate_year(self, year: int) -> list[DayWeather]:
        rng = random.Random(f"{self.seed}/weather/{year}")
        sky, anomaly_c = Sky.CLOUDY, rng.gauss(0, 1.8)
        days: list[DayWeather] = []
        day = date(year, 1, 1)
        while day.year == year:
            doy = day.timetuple().tm_yday
            wet = self._wetness(doy)
            row = [
                (1 - wet) * p_dry + wet * p_wet
                for p_dry, p_wet in zip(_DRY[_SKIES.index(sky)], _WET[_SKIES.index(sky)], strict=True)
            ]
            sky = rng.choices(_SKIES, weights=row)[0]
            # Persistent anomaly (AR(1)); northeast-monsoon cold surges in the dry season.
            surge_c = 4.0 if rng.random() < 0.06 * (1 - wet) else 0.0
            anomaly_c = 0.7 * anomaly_c + rng.gauss(0, 1.2) - surge_c
            u_range, u_sky, u_rain, u_wind = rng.random(), rng.random(), rng.random(), rng.random()
            dry_range_c, wet_change_c = _RANGE_C[sky]
            range_c = dry_range_c + wet * wet_change_c + 2 * (u_range - 0.5)
            mean_c = self._seasonal_mean_c(doy) + anomaly_c + _MEAN_OFFSET_C[sky]
            t_min_c = mean_c - range_c / 2
            days.append(
                DayWeather(
                    day=day,
                    sky=sky,
                    t_min_c=t_min_c,
                    t_max_c=mean_c + range_c / 2,
                    dewpoint_c=t_min_c + _DEWPOINT_FRACTION[sky] * range_c,
                    sky_transmittance=_spread(_TRANSMITTANCE[sky], u_sky),
                    rain_peak_mm_h=(2 + 10 * u_rain) * (0.6 + 0.8 * wet) if sky is Sky.RAINY else 0.0,
                    wind_mean_m_s=_spread(_WIND_M_S[sky], u_wind),
                )
            )
            day += timedelta(days=1)
        return days

    # --- within the day -----------------------------------------------------------------------
    def _sun_h(self, day: date, offset_h: float) -> tuple[float, float]:
        """Local sunrise and sunset hours."""
        doy = day.timetuple().tm_yday
        noon = solar.solar_noon_local_h(self.longitude_deg, offset_h, doy)
        half = min(11.5, max(0.5, solar.day_length_h(self.latitude_deg, doy) / 2))
        return noon - half, noon + half

    def _temperature_c(self, today: date, hour: float, offset_h: float) -> float:
        sunrise, sunset = self._sun_h(today, offset_h)
        if hour < sunrise:
            yesterday = today - timedelta(days=1)
            prev_sunset = self._sun_h(yesterday, offset_h)[1] - 24
            return self._night_c(yesterday, offset_h, hour - prev_sunset, sunrise - prev_sunset, today)
        if hour > sunset:
            tomorrow = today + timedelta(days=1)
            next_sunrise = self._sun_h(tomorrow, offset_h)[0] + 24
            return self._night_c(today, offset_h, hour - sunset, next_sunrise - sunset, tomorrow)
        return _daytime_c(self.day(today), hour - sunrise, sunset - sunrise)

    def _night_c(self, evening: date, offset_h: float, since_sunset_h: float, night_h: float, morning: date) -> float:
        d, t_min_next = self.day(evening), self.day(morning).t_min_c
        sunrise, sunset = self._sun_h(evening, offset_h)
        at_sunset_c = _daytime_c(d, sunset - sunrise, sunset - sunrise)
        # Parton & Logan (1981) exponential night cooling, rescaled to reach the next minimum at sunrise.
        tail = math.exp(-_PL_NIGHT_DECAY)
        fraction = (math.exp(-_PL_NIGHT_DECAY * since_sunset_h / night_h) - tail) / (1 - tail)
        return t_min_next + (at_sunset_c - t_min_next) * fraction

    def _dewpoint_c(self, today: date, hour: float) -> float:
        """Blended between neighbouring days so humidity does not jump at midnight."""
        if hour < 12:
            before, after, f = self.day(today - timedelta(days=1)), self.day(today), (hour + 12) / 24
        else:
            before, after, f = self.day(today), self.day(today + timedelta(days=1)), (hour - 12) / 24
        return before.dewpoint_c + (after.dewpoint_c - before.dewpoint_c) * f

    def _transmittance(self, d: DayWeather, t_s: float) -> float:
        passing = noise.smooth(self.seed, self._streams["cloud"], t_s, 1200)
        if d.sky is Sky.CLEAR:
            return d.sky_transmittance * (0.97 + 0.03 * passing)
        return min(0.95, d.sky_transmittance * (0.4 + 1.2 * passing))

    def _rain_mm_h(self, d: DayWeather, t_s: float) -> float:
        if d.sky is not Sky.RAINY:
            return 0.0
        # Showers come and go: it rains about half of a rainy day.
        r = noise.smooth(self.seed, self._streams["rain"], t_s, 2400)
        rain = d.rain_peak_mm_h * max(0.0, (r - 0.45) / 0.55)
        return rain if rain >= 0.1 else 0.0


def _daytime_c(d: DayWeather, since_sunrise_h: float, day_h: float) -> float:
    # Parton & Logan (1981) daytime sine, peaking _PL_LAG_H after solar noon.
    return d.t_min_c + (d.t_max_c - d.t_min_c) * math.sin(math.pi * since_sunrise_h / (day_h + 2 * _PL_LAG_H))


def _spread(bounds: tuple[float, float], u: float) -> float:
    return bounds[0] + (bounds[1] - bounds[0]) * u
