"""rules.sun against sunrise, sunset and noon times worked independently from NOAA's and USNO's equations."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from rules.context import Place
from rules.sun import SunEvent, sun_time
from tests.rules.builders import HCM

HANOI = Place(HCM, latitude=21.0285, longitude=105.8542)

# Hà Nội (21.0285 N, 105.8542 E, UTC+7), to the minute. Source: NOAA's solar equations, which the NOAA
# Solar Calculator (https://gml.noaa.gov/grad/solcalc/) uses, worked by hand: solar noon from the longitude
# and the equation of time; half the day from cos H = (sin(−0.833°) − sin φ sin δ) / (cos φ cos δ). The same
# within a minute by the US Naval Observatory's "Almanac for Computers" (1990) sunrise/sunset algorithm.
NOAA_TIMES = [
    (date(2026, 6, 21), SunEvent.SUNRISE, "05:16"),
    (date(2026, 6, 21), SunEvent.SUNSET, "18:41"),
    (date(2026, 12, 21), SunEvent.SUNRISE, "06:29"),
    (date(2026, 12, 21), SunEvent.SUNSET, "17:20"),
    # Solar noon moves with the equation of time: about 4 minutes apart in June and December.
    (date(2026, 6, 21), SunEvent.NOON, "11:58"),
    (date(2026, 12, 21), SunEvent.NOON, "11:54"),
]


@pytest.mark.parametrize(("day", "event", "expected_hhmm"), NOAA_TIMES, ids=lambda v: str(v))
def test_sunrise_sunset_and_noon_in_hanoi_match_noaa_times_within_two_minutes(
    day: date, event: SunEvent, expected_hhmm: str
) -> None:
    hour, minute = (int(p) for p in expected_hhmm.split(":"))
    expected = datetime(day.year, day.month, day.day, hour, minute, tzinfo=HCM)
    got = sun_time(HANOI, day, event)
    assert abs(got - expected) <= timedelta(minutes=2), got
    assert got.utcoffset() == timedelta(hours=7)


def test_civil_dawn_and_dusk_are_about_25_minutes_outside_sunrise_and_sunset_in_the_tropics() -> None:
    day = date(2026, 12, 21)
    dawn, sunrise = sun_time(HANOI, day, SunEvent.DAWN), sun_time(HANOI, day, SunEvent.SUNRISE)
    sunset, dusk = sun_time(HANOI, day, SunEvent.SUNSET), sun_time(HANOI, day, SunEvent.DUSK)
    # Civil twilight (the sun 6° below the horizon) lasts about 25 minutes at 21° N.
    assert timedelta(minutes=22) <= sunrise - dawn <= timedelta(minutes=28)
    assert timedelta(minutes=22) <= dusk - sunset <= timedelta(minutes=28)
