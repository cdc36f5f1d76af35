"""Hourly ETo and its pieces against FAO-56 (Allen et al. 1998) Examples 2, 8 and 19.

FAO-56 prints 3 decimals for the pieces (tolerance half the last digit), 2 for Rs/Rso and ETo by day, 1 by night.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from agronomy.evapotranspiration import (
    atmospheric_pressure_kpa,
    extraterrestrial_radiation_mj_m2,
    hourly_eto,
    inverse_relative_distance,
    net_longwave_radiation_mj_m2,
    psychrometric_constant_kpa_c,
    relative_shortwave_radiation,
    solar_declination_rad,
    sunset_hour_angle_rad,
    svp_slope_kpa_c,
)

# Example 19, N'Diaye, Senegal: 16°13'N 16°15'W, 8 m. Its clock time is that of the 15°W meridian (Lz = 15° in
# eq. 31), i.e. UTC−1; 1 October of a common year is day 274.
NDIAYE = {"latitude_deg": 16 + 13 / 60, "longitude_deg": -(16 + 15 / 60), "elevation_m": 8.0}
NDIAYE_CLOCK = timezone(timedelta(hours=-1))
AFTERNOON = datetime(1998, 10, 1, 14, 30, tzinfo=NDIAYE_CLOCK)  # the 14–15 h period, by its midpoint
NIGHT = datetime(1998, 10, 1, 2, 30, tzinfo=NDIAYE_CLOCK)
R3 = 5e-4


def test_pressure_and_psychrometric_constant_example_2() -> None:
    # FAO-56 Example 2: 1800 m → P = 81.8 kPa, γ = 0.054 kPa/°C.
    p = atmospheric_pressure_kpa(1800)
    assert p == pytest.approx(81.8, abs=0.05)
    assert psychrometric_constant_kpa_c(p) == pytest.approx(0.054, abs=R3)


def test_pressure_and_psychrometric_constant_example_19() -> None:
    # FAO-56 Example 19: 8 m → P = 101.2 kPa, γ = 0.0673 kPa/°C.
    p = atmospheric_pressure_kpa(8)
    assert p == pytest.approx(101.2, abs=0.05)
    assert psychrometric_constant_kpa_c(p) == pytest.approx(0.0673, abs=5e-5)


@pytest.mark.parametrize(
    ("t_c", "published"),
    [(20.0, 0.145), (25.0, 0.189), (28.0, 0.220), (38.0, 0.358)],  # FAO-56 Table 2.4; Example 19
)
def test_svp_slope(t_c: float, published: float) -> None:
    assert svp_slope_kpa_c(t_c) == pytest.approx(published, abs=R3)


def test_daily_extraterrestrial_radiation_example_8() -> None:
    # FAO-56 Example 8: 20°S, 3 September (J = 246): dr = 0.985, δ = 0.120 rad, ωs = 1.527 rad, Ra = 32.2 MJ/m²/d.
    # A 24 h period around solar noon clips to sunrise–sunset, so eq. 28 becomes the daily eq. 21.
    assert inverse_relative_distance(246) == pytest.approx(0.985, abs=R3)
    assert solar_declination_rad(246) == pytest.approx(0.120, abs=R3)
    assert sunset_hour_angle_rad(math.radians(-20), solar_declination_rad(246)) == pytest.approx(1.527, abs=R3)
    ra = extraterrestrial_radiation_mj_m2(-20.0, 0.0, datetime(2001, 9, 3, 12, tzinfo=UTC), hours=24)
    assert ra == pytest.approx(32.2, abs=0.05)


def test_extraterrestrial_radiation_is_zero_at_night() -> None:
    assert extraterrestrial_radiation_mj_m2(16.22, -16.25, NIGHT) == 0.0


def test_net_longwave_example_19() -> None:
    # FAO-56 Example 19: Rnl = 0.137 (14–15 h, Rs/Rso = 2.450/2.658) and 0.100 (02–03 h, Rs/Rso = 0.8).
    assert net_longwave_radiation_mj_m2(38.0, 3.445, relative_shortwave_radiation(2.450, 2.658)) == pytest.approx(
        0.137, abs=R3
    )
    assert net_longwave_radiation_mj_m2(28.0, 3.402, 0.8) == pytest.approx(0.100, abs=R3)


def test_relative_shortwave_is_bounded() -> None:
    assert relative_shortwave_radiation(3.0, 2.5) == 1.0
    assert relative_shortwave_radiation(0.1, 2.5) == 0.3


def test_hourly_eto_example_19_afternoon() -> None:
    r = hourly_eto(t_c=38.0, rh_pct=52.0, u2_m_s=3.3, rs_mj_m2=2.450, mid=AFTERNOON, **NDIAYE)
    # FAO-56 Example 19, 14–15 h: Ra 3.543, Rso 2.658, Rs/Rso 0.92, Rn 1.749, G 0.175 MJ/m²/h, ETo 0.63 mm/h.
    assert r.ra_mj_m2 == pytest.approx(3.543, abs=R3)
    assert r.rso_mj_m2 == pytest.approx(2.658, abs=R3)
    assert r.rs_rso == pytest.approx(0.92, abs=5e-3)
    assert r.rn_mj_m2 == pytest.approx(1.749, abs=R3)
    assert r.g_mj_m2 == pytest.approx(0.175, abs=R3)
    assert r.eto_mm == pytest.approx(0.63, abs=5e-3)


def test_hourly_eto_example_19_night() -> None:
    # FAO-56 Example 19, 02–03 h: no sun, Rs/Rso taken as 0.8 (arid), Rn −0.100, G = 0.5 Rn = −0.050, ETo 0.0 mm/h.
    r = hourly_eto(t_c=28.0, rh_pct=90.0, u2_m_s=1.9, rs_mj_m2=0.0, mid=NIGHT, rs_rso_low_sun=0.8, **NDIAYE)
    assert r.ra_mj_m2 == 0.0
    assert r.rs_rso == 0.8
    assert r.rn_mj_m2 == pytest.approx(-0.100, abs=R3)
    assert r.g_mj_m2 == pytest.approx(-0.050, abs=R3)
    assert r.eto_mm == pytest.approx(0.0, abs=0.05)


def test_same_instant_in_any_time_zone_gives_the_same_eto() -> None:
    kwargs = {"t_c": 38.0, "rh_pct": 52.0, "u2_m_s": 3.3, "rs_mj_m2": 2.450, **NDIAYE}
    assert hourly_eto(mid=AFTERNOON, **kwargs) == hourly_eto(mid=AFTERNOON.astimezone(UTC), **kwargs)


def test_low_sun_uses_the_ratio_carried_from_earlier() -> None:
    # 17:30 on the example's clock is within 2 h of sunset: Rs/Rso of a low sun measures the angle, not the sky.
    dusk = datetime(1998, 10, 1, 17, 30, tzinfo=NDIAYE_CLOCK)
    r = hourly_eto(t_c=33.0, rh_pct=60.0, u2_m_s=2.0, rs_mj_m2=0.2, mid=dusk, rs_rso_low_sun=0.7, **NDIAYE)
    assert r.ra_mj_m2 > 0
    assert r.rs_rso == 0.7
