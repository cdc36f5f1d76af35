"""Growing degree days, McMaster & Wilhelm (1997) method 1, and the daily min/max accumulator."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from agronomy.degree_days import DailyTemperatureRange, growing_degree_days_c_day

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def test_averaging_method() -> None:
    # Worked by hand from method 1's definition: (30 + 20)/2 − 10 = 15.
    assert growing_degree_days_c_day(20.0, 30.0, base_c=10.0) == pytest.approx(15.0)


def test_method_1_averages_before_comparing_with_the_base() -> None:
    # Tmin below the base is not raised to it (that is method 2, which would give (12 + 10)/2 − 10 = 1):
    # (12 + 4)/2 = 8 < 10, so the day counts 0.
    assert growing_degree_days_c_day(4.0, 12.0, base_c=10.0) == 0.0


def test_upper_cutoff_caps_the_temperatures() -> None:
    # Tmax 35 counts as 30: (30 + 25)/2 − 10 = 17.5.
    assert growing_degree_days_c_day(25.0, 35.0, base_c=10.0, upper_cutoff_c=30.0) == pytest.approx(17.5)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=HANOI)


def test_range_tracks_min_and_max_of_the_local_day() -> None:
    r = DailyTemperatureRange()
    assert r.gdd_c_day(10.0) is None
    for hour, t in [(5, 16.0), (9, 22.0), (14, 31.0), (20, 24.0)]:
        r = r.add(local(10, hour), t, HANOI)
    assert (r.day, r.tmin_c, r.tmax_c) == (date(2026, 3, 10), 16.0, 31.0)
    assert r.gdd_c_day(10.0) == pytest.approx(13.5)


def test_range_resets_at_local_midnight_not_utc_midnight() -> None:
    r = DailyTemperatureRange().add(local(10, 23, 50), 18.0, HANOI)
    # 00:10 in Hà Nội is 17:10 UTC of the day before: a new local day all the same.
    r = r.add(datetime(2026, 3, 10, 17, 10, tzinfo=UTC), 30.0, HANOI)
    assert (r.day, r.tmin_c, r.tmax_c) == (date(2026, 3, 11), 30.0, 30.0)


def test_late_sample_of_a_closed_day_is_ignored() -> None:
    r = DailyTemperatureRange().add(local(11, 1), 17.0, HANOI)
    assert r.add(local(10, 23), 5.0, HANOI) == r
