"""Dew point, wet bulb and absolute humidity against published values."""

from __future__ import annotations

import pytest

from agronomy.humidity import absolute_humidity_g_m3, dew_point_c, wet_bulb_c
from agronomy.vapour import saturation_vapour_pressure_kpa


def test_wet_bulb_matches_stull_2011_check_value() -> None:
    # Stull (2011), J. Appl. Meteor. Climatol. 50, 2267–2269: T = 20 °C, RH = 50 % → Tw = 13.7 °C (one decimal).
    assert wet_bulb_c(20.0, 50.0) == pytest.approx(13.7, abs=0.05)


def test_dew_point_is_where_fao56_tabulates_the_air_vapour_pressure() -> None:
    # FAO-56 Table 2.3: e°(25) = 3.168 kPa, e°(15) = 1.705 kPa, so 25 °C air holding 1.705 kPa has its dew point
    # at 15 °C. FAO-56 (Tetens) and WMO (Magnus 17.62/243.12) saturation curves differ by under 0.1 °C here.
    assert dew_point_c(25.0, 100 * 1.705 / 3.168) == pytest.approx(15.0, abs=0.1)


def test_dew_point_of_saturated_air_is_the_air_temperature() -> None:
    assert dew_point_c(18.5, 100.0) == pytest.approx(18.5)


def test_dew_point_needs_some_humidity() -> None:
    with pytest.raises(ValueError, match="above 0"):
        dew_point_c(20.0, 0.0)


@pytest.mark.parametrize(
    ("t_c", "published_g_m3"),
    [
        (10.0, 9.4),  # saturation vapour density tables (e.g. CRC Handbook of Chemistry and Physics), one decimal
        (20.0, 17.3),
    ],
)
def test_absolute_humidity_of_saturated_air_matches_tables(t_c: float, published_g_m3: float) -> None:
    assert absolute_humidity_g_m3(t_c, saturation_vapour_pressure_kpa(t_c)) == pytest.approx(published_g_m3, abs=0.05)
