"""Sun position and clear-sky radiation from day of year, latitude, longitude and local time.

Equations are from FAO Irrigation and Drainage Paper 56 (Allen et al. 1998), chapter 3.
"""

from __future__ import annotations

import math

# Solar constant: FAO-56 uses Gsc = 0.0820 MJ/m²/min.
SOLAR_CONSTANT_W_M2 = 1367.0


def declination_rad(day_of_year: int) -> float:
    # FAO-56 eq. 24 (a fit of Cooper 1969).
    return 0.409 * math.sin(2 * math.pi * day_of_year / 365 - 1.39)


def inverse_relative_distance(day_of_year: int) -> float:
    # FAO-56 eq. 23: inverse relative Earth–Sun distance.
    return 1 + 0.033 * math.cos(2 * math.pi * day_of_year / 365)


def sunset_hour_angle_rad(latitude_deg: float, day_of_year: int) -> float:
    # FAO-56 eq. 25, clamped for polar day and night.
    x = -math.tan(math.radians(latitude_deg)) * math.tan(declination_rad(day_of_year))
    return math.acos(max(-1.0, min(1.0, x)))


def seasonal_correction_h(day_of_year: int) -> float:
    # FAO-56 eq. 32–33: equation of time, in hours.
    b = 2 * math.pi * (day_of_year - 81) / 364
    return 0.1645 * math.sin(2 * b) - 0.1255 * math.cos(b) - 0.025 * math.sin(b)


def solar_noon_local_h(longitude_deg: float, utc_offset_h: float, day_of_year: int) -> float:
    """Local clock time of solar noon; FAO-56 eq. 31 solved for ω = 0 (longitudes east-positive here)."""
    return 12.0 - (longitude_deg - 15.0 * utc_offset_h) / 15.0 - seasonal_correction_h(day_of_year)


def day_length_h(latitude_deg: float, day_of_year: int) -> float:
    # FAO-56 eq. 34.
    return 24.0 / math.pi * sunset_hour_angle_rad(latitude_deg, day_of_year)


def sin_solar_elevation(
    latitude_deg: float, longitude_deg: float, utc_offset_h: float, day_of_year: int, local_h: float
) -> float:
    """sin β = sin φ sin δ + cos φ cos δ cos ω: the integrand of FAO-56 eq. 28, with ω from eq. 31."""
    omega = math.pi / 12 * (local_h - solar_noon_local_h(longitude_deg, utc_offset_h, day_of_year))
    phi, delta = math.radians(latitude_deg), declination_rad(day_of_year)
    return math.sin(phi) * math.sin(delta) + math.cos(phi) * math.cos(delta) * math.cos(omega)


def clear_sky_global_w_m2(sin_elevation: float, day_of_year: int, elevation_m: float) -> float:
    """Clear-sky global radiation on a horizontal surface (0 with the sun below the horizon)."""
    if sin_elevation <= 0:
        return 0.0
    extraterrestrial = SOLAR_CONSTANT_W_M2 * inverse_relative_distance(day_of_year) * sin_elevation
    # FAO-56 eq. 37: Rso = (0.75 + 2e-5 z) Ra.
    return (0.75 + 2e-5 * elevation_m) * extraterrestrial
