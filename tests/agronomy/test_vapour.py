"""Vapour pressures against FAO-56 (Allen et al. 1998), published to 3 decimals: tolerance half the last digit."""

from __future__ import annotations

import pytest

from agronomy.vapour import (
    actual_vapour_pressure_kpa,
    air_vpd_kpa,
    leaf_vpd_kpa,
    saturation_vapour_pressure_kpa,
)

ROUNDED_3 = 5e-4
# A difference of two values rounded to 3 decimals may be off by one in the last digit.
DIFFERENCE_OF_ROUNDED_3 = 1e-3


@pytest.mark.parametrize(
    ("t_c", "published_kpa"),
    [
        (15.0, 1.705),  # FAO-56 Annex 2 Table 2.3
        (20.0, 2.338),  # FAO-56 Annex 2 Table 2.3
        (25.0, 3.168),  # FAO-56 Annex 2 Table 2.3
        (24.5, 3.075),  # FAO-56 Example 3, e°(Tmax)
        (18.0, 2.064),  # FAO-56 Example 5, e°(Tmin)
        (28.0, 3.780),  # FAO-56 Example 19, 02–03 h
        (38.0, 6.625),  # FAO-56 Example 19, 14–15 h
    ],
)
def test_saturation_vapour_pressure_matches_fao56(t_c: float, published_kpa: float) -> None:
    assert saturation_vapour_pressure_kpa(t_c) == pytest.approx(published_kpa, abs=ROUNDED_3)


@pytest.mark.parametrize(
    ("t_c", "rh_pct", "published_kpa"),
    [
        (18.0, 82.0, 1.692),  # FAO-56 Example 5, eq. 18: e°(Tmin)·RHmax/100
        (28.0, 90.0, 3.402),  # FAO-56 Example 19, eq. 54
        (38.0, 52.0, 3.445),  # FAO-56 Example 19, eq. 54
    ],
)
def test_actual_vapour_pressure_matches_fao56(t_c: float, rh_pct: float, published_kpa: float) -> None:
    assert actual_vapour_pressure_kpa(t_c, rh_pct) == pytest.approx(published_kpa, abs=ROUNDED_3)


@pytest.mark.parametrize(
    ("t_c", "rh_pct", "published_kpa"),
    [
        (28.0, 90.0, 0.378),  # FAO-56 Example 19, es − ea at 02–03 h
        (38.0, 52.0, 3.180),  # FAO-56 Example 19, es − ea at 14–15 h
    ],
)
def test_air_vpd_matches_fao56_example_19(t_c: float, rh_pct: float, published_kpa: float) -> None:
    assert air_vpd_kpa(t_c, rh_pct) == pytest.approx(published_kpa, abs=DIFFERENCE_OF_ROUNDED_3)


def test_leaf_vpd_uses_saturation_at_leaf_temperature_and_the_air_vapour() -> None:
    # Table 2.3: e°(20) = 2.338, e°(25) = 3.168 → a 20 °C leaf in 25 °C air at 50 %: 2.338 − 3.168/2 = 0.754 kPa.
    assert leaf_vpd_kpa(20.0, 25.0, 50.0) == pytest.approx(0.754, abs=DIFFERENCE_OF_ROUNDED_3)


def test_leaf_vpd_equals_air_vpd_when_the_leaf_is_at_air_temperature() -> None:
    assert leaf_vpd_kpa(25.0, 25.0, 60.0) == pytest.approx(air_vpd_kpa(25.0, 60.0))
