"""Hourly grass-reference evapotranspiration ETo, FAO-56 Penman-Monteith (Allen et al. 1998, chapters 3–4).

Angles in radians, energy in MJ/m² per hour, pressure in kPa. Longitudes are degrees east (FAO-56 counts
them west): with the clock time taken in UTC the time-zone meridian Lz of eq. 31 is 0.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from agronomy.vapour import actual_vapour_pressure_kpa, saturation_vapour_pressure_kpa

SOLAR_CONSTANT_MJ_M2_MIN = 0.0820
STEFAN_BOLTZMANN_MJ_K4_M2_H = 4.903e-9 / 24  # FAO-56 eq. 39 notes: 2.043e-10 for hourly periods
GRASS_ALBEDO = 0.23
W_M2_TO_MJ_M2_H = 3600 / 1e6
# Rs/Rso when it cannot be measured (night, low sun); FAO-56 eq. 39 notes: 0.4–0.6 humid, 0.7–0.8 arid.
HUMID_NIGHT_RS_RSO = 0.5
# Rs/Rso is measured only this far from sunrise and sunset; FAO-56 eq. 39 notes take it 2–3 h before sunset.
_RS_RSO_MARGIN_H = 2.0


def atmospheric_pressure_kpa(elevation_m: float) -> float:
    return 101.3 * math.pow((293 - 0.0065 * elevation_m) / 293, 5.26)  # FAO-56 eq. 7


def psychrometric_constant_kpa_c(pressure_kpa: float) -> float:
    return 0.665e-3 * pressure_kpa  # FAO-56 eq. 8


def svp_slope_kpa_c(t_c: float) -> float:
    """Δ: slope of the saturation vapour pressure curve at ``t_c``."""
    return 4098 * saturation_vapour_pressure_kpa(t_c) / (t_c + 237.3) ** 2  # FAO-56 eq. 13


def inverse_relative_distance(day_of_year: int) -> float:
    return 1 + 0.033 * math.cos(2 * math.pi / 365 * day_of_year)  # FAO-56 eq. 23


def solar_declination_rad(day_of_year: int) -> float:
    return 0.409 * math.sin(2 * math.pi / 365 * day_of_year - 1.39)  # FAO-56 eq. 24


def sunset_hour_angle_rad(latitude_rad: float, declination_rad: float) -> float:
    # FAO-56 eq. 25; clamped so that polar day and night give π and 0 instead of a domain error.
    return math.acos(max(-1.0, min(1.0, -math.tan(latitude_rad) * math.tan(declination_rad))))


def seasonal_correction_h(day_of_year: int) -> float:
    """Sc: the equation of time, in hours."""
    b = 2 * math.pi * (day_of_year - 81) / 364  # FAO-56 eq. 33
    return 0.1645 * math.sin(2 * b) - 0.1255 * math.cos(b) - 0.025 * math.sin(b)  # FAO-56 eq. 32


def solar_time_angle_rad(at: datetime, longitude_deg: float) -> float:
    """ω at instant ``at``: 0 at solar noon, negative in the morning, within [−π, π)."""
    utc = at.astimezone(UTC)
    t_h = utc.hour + utc.minute / 60 + utc.second / 3600
    sc_h = seasonal_correction_h(utc.timetuple().tm_yday)
    omega = math.pi / 12 * ((t_h + longitude_deg / 15 + sc_h) - 12)  # FAO-56 eq. 31 with Lz = 0, Lm = −longitude
    return (omega + math.pi) % (2 * math.pi) - math.pi


def extraterrestrial_radiation_mj_m2(
    latitude_deg: float, longitude_deg: float, mid: datetime, hours: float = 1
) -> float:
    """Ra over the period of ``hours`` centred on ``mid``."""
    day = mid.astimezone(UTC).timetuple().tm_yday
    lat = math.radians(latitude_deg)
    decl = solar_declination_rad(day)
    omega = solar_time_angle_rad(mid, longitude_deg)
    omega_s = sunset_hour_angle_rad(lat, decl)
    # FAO-56 eq. 29, 30; clipped to sunrise–sunset because Ra is zero while the sun is down (FAO-56 after eq. 31).
    w1 = max(omega - math.pi * hours / 24, -omega_s)
    w2 = min(omega + math.pi * hours / 24, omega_s)
    if w1 >= w2:
        return 0.0
    scale = 12 * 60 / math.pi * SOLAR_CONSTANT_MJ_M2_MIN * inverse_relative_distance(day)
    sun = (w2 - w1) * math.sin(lat) * math.sin(decl) + math.cos(lat) * math.cos(decl) * (math.sin(w2) - math.sin(w1))
    return scale * sun  # FAO-56 eq. 28


def sun_well_up(latitude_deg: float, longitude_deg: float, at: datetime) -> bool:
    """At least two hours from sunrise and sunset, so that Rs/Rso measures the sky rather than the sun's angle."""
    decl = solar_declination_rad(at.astimezone(UTC).timetuple().tm_yday)
    omega_s = sunset_hour_angle_rad(math.radians(latitude_deg), decl)
    return omega_s - abs(solar_time_angle_rad(at, longitude_deg)) >= math.pi / 12 * _RS_RSO_MARGIN_H


def clear_sky_radiation_mj_m2(ra_mj_m2: float, elevation_m: float) -> float:
    return (0.75 + 2e-5 * elevation_m) * ra_mj_m2  # FAO-56 eq. 37


def net_shortwave_radiation_mj_m2(rs_mj_m2: float, albedo: float = GRASS_ALBEDO) -> float:
    return (1 - albedo) * rs_mj_m2  # FAO-56 eq. 38


def relative_shortwave_radiation(rs_mj_m2: float, rso_mj_m2: float) -> float:
    """Rs/Rso, bounded: FAO-56 eq. 39 caps it at 1.0, and below its 0.3 ("total cloud cover") Rnl turns negative."""
    return max(0.3, min(1.0, rs_mj_m2 / rso_mj_m2))


def net_longwave_radiation_mj_m2(t_c: float, ea_kpa: float, rs_rso: float) -> float:
    """Rnl over one hour at mean temperature ``t_c``; ``rs_rso`` from ``relative_shortwave_radiation``."""
    return (  # FAO-56 eq. 39, hourly: σ per hour and T_hr⁴ instead of the mean of T_max⁴ and T_min⁴
        STEFAN_BOLTZMANN_MJ_K4_M2_H * (t_c + 273.16) ** 4 * (0.34 - 0.14 * math.sqrt(ea_kpa)) * (1.35 * rs_rso - 0.35)
    )


def soil_heat_flux_mj_m2(rn_mj_m2: float, daylight: bool) -> float:
    return (0.1 if daylight else 0.5) * rn_mj_m2  # FAO-56 eq. 45 (daylight), eq. 46 (night)


def penman_monteith_hourly_mm(
    delta_kpa_c: float,
    rn_mj_m2: float,
    g_mj_m2: float,
    gamma_kpa_c: float,
    t_c: float,
    u2_m_s: float,
    es_kpa: float,
    ea_kpa: float,
) -> float:
    """ETo in mm over the hour; may be slightly negative at night, when dew forms."""
    return (  # FAO-56 eq. 53
        0.408 * delta_kpa_c * (rn_mj_m2 - g_mj_m2) + gamma_kpa_c * 37 / (t_c + 273) * u2_m_s * (es_kpa - ea_kpa)
    ) / (delta_kpa_c + gamma_kpa_c * (1 + 0.34 * u2_m_s))


class HourlyEto(BaseModel):
    """ETo of one hour with the intermediate terms FAO-56 tabulates in its examples."""

    model_config = ConfigDict(frozen=True)

    ra_mj_m2: float
    rso_mj_m2: float
    rs_rso: float  # the ratio used for Rnl: measured if the sun was well up, else the one passed in
    rn_mj_m2: float
    g_mj_m2: float
    eto_mm: float


def hourly_eto(
    *,
    t_c: float,
    rh_pct: float,
    u2_m_s: float,
    rs_mj_m2: float,
    latitude_deg: float,
    longitude_deg: float,
    elevation_m: float,
    mid: datetime,
    rs_rso_low_sun: float = HUMID_NIGHT_RS_RSO,
) -> HourlyEto:
    """Hourly ETo for the hour centred on ``mid`` from hourly means measured at 2 m.

    ``rs_rso_low_sun`` stands in for Rs/Rso at night and near sunrise or sunset: FAO-56 advises the ratio
    measured 2–3 h before sunset, which the caller carries over from ``HourlyEto.rs_rso`` of that hour.
    """
    es = saturation_vapour_pressure_kpa(t_c)
    ea = actual_vapour_pressure_kpa(t_c, rh_pct)
    ra = extraterrestrial_radiation_mj_m2(latitude_deg, longitude_deg, mid)
    rso = clear_sky_radiation_mj_m2(ra, elevation_m)
    rs = max(rs_mj_m2, 0.0)  # a pyranometer's dark offset can read a little below zero
    well_up = sun_well_up(latitude_deg, longitude_deg, mid)
    rs_rso = relative_shortwave_radiation(rs, rso) if well_up else rs_rso_low_sun
    rn = net_shortwave_radiation_mj_m2(rs) - net_longwave_radiation_mj_m2(t_c, ea, rs_rso)  # FAO-56 eq. 40
    g = soil_heat_flux_mj_m2(rn, daylight=ra > 0)
    gamma = psychrometric_constant_kpa_c(atmospheric_pressure_kpa(elevation_m))
    eto = penman_monteith_hourly_mm(svp_slope_kpa_c(t_c), rn, g, gamma, t_c, u2_m_s, es, ea)
    return HourlyEto(ra_mj_m2=ra, rso_mj_m2=rso, rs_rso=rs_rso, rn_mj_m2=rn, g_mj_m2=g, eto_mm=eto)
