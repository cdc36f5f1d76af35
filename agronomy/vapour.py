"""Water-vapour pressure of air and leaves (FAO-56, Allen et al. 1998, chapter 3), in kPa."""

from __future__ import annotations

import math


def saturation_vapour_pressure_kpa(t_c: float) -> float:
    """e°(T): saturation vapour pressure over water at ``t_c``."""
    return 0.6108 * math.exp(17.27 * t_c / (t_c + 237.3))  # FAO-56 eq. 11


def actual_vapour_pressure_kpa(t_c: float, rh_pct: float) -> float:
    """ea from one temperature and relative humidity read together."""
    # FAO-56 eq. 54 (the hourly form of eq. 19): ea = e°(T)·RH/100.
    return saturation_vapour_pressure_kpa(t_c) * rh_pct / 100


def air_vpd_kpa(t_c: float, rh_pct: float) -> float:
    """Vapour pressure deficit of the air, es − ea."""
    return saturation_vapour_pressure_kpa(t_c) - actual_vapour_pressure_kpa(t_c, rh_pct)  # FAO-56 ch. 3, es − ea


def leaf_vpd_kpa(leaf_t_c: float, air_t_c: float, air_rh_pct: float) -> float:
    """Leaf-to-air deficit: the leaf's intercellular air is saturated at leaf temperature."""
    return saturation_vapour_pressure_kpa(leaf_t_c) - actual_vapour_pressure_kpa(air_t_c, air_rh_pct)  # e°(T_leaf) − ea
