"""Moist-air relations shared by the weather and the greenhouse model."""

from __future__ import annotations

import math

# Water vapour: 1000 g/kg × 1000 Pa/kPa / R_v (461.5 J/kg/K), so ρ_v [g/m³] = 2166.8 × e [kPa] / T [K].
_VAPOUR_G_M3_PER_KPA_K = 2166.8
KELVIN = 273.15


def saturation_vapour_pressure_kpa(temp_c: float) -> float:
    # Tetens form, FAO-56 (Allen et al. 1998) eq. 11.
    return 0.6108 * math.exp(17.27 * temp_c / (temp_c + 237.3))


def vapour_density_g_m3(vapour_pressure_kpa: float, temp_c: float) -> float:
    return _VAPOUR_G_M3_PER_KPA_K * vapour_pressure_kpa / (temp_c + KELVIN)


def vapour_pressure_kpa(vapour_density: float, temp_c: float) -> float:
    return vapour_density * (temp_c + KELVIN) / _VAPOUR_G_M3_PER_KPA_K


def saturation_density_g_m3(temp_c: float) -> float:
    return vapour_density_g_m3(saturation_vapour_pressure_kpa(temp_c), temp_c)


def relative_humidity_pct(vapour_density: float, temp_c: float) -> float:
    return min(100.0, 100.0 * vapour_density / saturation_density_g_m3(temp_c))


def vapour_pressure_deficit_kpa(vapour_density: float, temp_c: float) -> float:
    return max(0.0, saturation_vapour_pressure_kpa(temp_c) - vapour_pressure_kpa(vapour_density, temp_c))


def atmospheric_pressure_kpa(elevation_m: float) -> float:
    # FAO-56 eq. 7.
    return 101.3 * float(((293.0 - 0.0065 * elevation_m) / 293.0) ** 5.26)
