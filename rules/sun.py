"""Sunrise, sunset, dawn and dusk at the site, for rules timed by the sun (astral: NOAA's solar equations)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from astral import Depression, Observer
from astral import sun as astral_sun

from rules.context import Place


class SunEvent(StrEnum):
    DAWN = "dawn"  # civil dawn: the sun 6° below the horizon, first light
    SUNRISE = "sunrise"
    NOON = "noon"
    SUNSET = "sunset"
    DUSK = "dusk"  # civil dusk


def sun_time(place: Place, day: date, event: SunEvent) -> datetime:
    """When ``event`` happens on the local calendar ``day`` at ``place``, in the site's time zone."""
    observer = Observer(latitude=place.latitude, longitude=place.longitude, elevation=place.elevation_m)
    match event:
        case SunEvent.DAWN:
            return astral_sun.dawn(observer, day, tzinfo=place.tz, depression=Depression.CIVIL)
        case SunEvent.SUNRISE:
            return astral_sun.sunrise(observer, day, tzinfo=place.tz)
        case SunEvent.NOON:
            return astral_sun.noon(observer, day, tzinfo=place.tz)
        case SunEvent.SUNSET:
            return astral_sun.sunset(observer, day, tzinfo=place.tz)
        case SunEvent.DUSK:
            return astral_sun.dusk(observer, day, tzinfo=place.tz, depression=Depression.CIVIL)


def sun_times_around(place: Place, now: datetime, event: SunEvent, offset: timedelta = timedelta()) -> list[datetime]:
    """``event`` + ``offset`` on the local days before, of and after ``now``, in order: what a rule needs to
    find the last or next such time, whatever the offset."""
    today = now.astimezone(place.tz).date()
    return [sun_time(place, today + timedelta(days=d), event) + offset for d in (-1, 0, 1)]


@lru_cache(maxsize=64)
def daylight(place: Place, day: date) -> tuple[datetime, datetime]:
    """Sunrise and sunset on the local calendar ``day`` at ``place``: what "by day" means for the crop's bands. Where
    the sun does not cross the horizon that day (polar day or night) the clock decides, 06:00 to 18:00. Cached:
    a simulation asks it every step, a picture every few seconds."""
    try:
        return sun_time(place, day, SunEvent.SUNRISE), sun_time(place, day, SunEvent.SUNSET)
    except ValueError:
        midnight = datetime(day.year, day.month, day.day, tzinfo=place.tz)
        return midnight + timedelta(hours=6), midnight + timedelta(hours=18)
