"""Psychrometric temperatures and the water-vapour density of air."""

from __future__ import annotations

import math

# WMO-No. 8 (2008) Annex 4.B, saturation vapour pressure over water: ew = 6.112·exp(a·t / (b + t)) hPa.
_MAGNUS_A = 17.62
_MAGNUS_B_C = 243.12
# Specific gas constant of water vapour.
_RV_J_KG_K = 461.5


def dew_point_c(t_c: float, rh_pct: float) -> float:
    """Temperature at which the air's vapour would saturate over water; ``rh_pct`` must be above 0."""
    if rh_pct <= 0:
        raise ValueError(f"relative humidity must be above 0 % for a dew point, got {rh_pct}")
    gamma = math.log(rh_pct / 100) + _MAGNUS_A * t_c / (_MAGNUS_B_C + t_c)
    return _MAGNUS_B_C * gamma / (_MAGNUS_A - gamma)  # WMO-No. 8 Annex 4.B Magnus form, inverted for t


def wet_bulb_c(t_c: float, rh_pct: float) -> float:
    """Wet-bulb temperature at sea-level pressure; fitted for RH 5–99 % and −20–50 °C, within about 1 °C."""
    return (  # Stull (2011), J. Appl. Meteor. Climatol. 50, 2267–2269, eq. 1
        t_c * math.atan(0.151977 * math.sqrt(rh_pct + 8.313659))
        + math.atan(t_c + rh_pct)
        - math.atan(rh_pct - 1.676331)
        + 0.00391838 * math.pow(rh_pct, 1.5) * math.atan(0.023101 * rh_pct)
        - 4.686035
    )


def absolute_humidity_g_m3(t_c: float, ea_kpa: float) -> float:
    """Mass of water vapour per volume of air, from its partial pressure ``ea_kpa``."""
    return ea_kpa * 1e3 / (_RV_J_KG_K * (t_c + 273.15)) * 1e3  # ideal gas law for vapour: ρv = e / (Rv·T)
