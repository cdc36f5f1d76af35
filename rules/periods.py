"""Day periods: parts of the day that start at a clock or sun time, each with its own setpoints, and the
setpoints in force at any moment, ramped from one period's values to the next's.

A climate computer does not jump from the night's 12 °C to the day's 18 °C at sunrise: the new period's
setpoints are reached over ``ramp_min`` minutes from its start, so heaters and vents move gradually.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from pydantic import ConfigDict, Field, model_validator

from contract.bounds import Strict
from contract.validation_words import Mistake, number
from rules.context import Place
from rules.triggers import ClockTime, SunTime, at_clock


class PeriodStart(Strict):
    """When a period starts each day: at a clock time ("HH:MM") or at a time relative to the sun."""

    clock: ClockTime | None = None
    sun: SunTime | None = None

    @model_validator(mode="after")
    def _one_time(self) -> PeriodStart:
        if (self.clock is None) == (self.sun is None):
            raise Mistake(
                'cho đầu mỗi giai đoạn một mốc: clock ("HH:MM") hoặc sun (event và offset_min)',
                'give the period start one time: clock ("HH:MM") or sun (event and offset_min)',
            )
        return self

    def on(self, day: date, place: Place) -> datetime | None:
        if self.clock is not None:
            return at_clock(day, self.clock, place.tz)
        assert self.sun is not None  # _one_time
        return self.sun.on(day, place)

    def describe(self) -> str:
        if self.clock is not None:
            return self.clock
        assert self.sun is not None
        return f"{self.sun.event.value} {self.sun.offset_min:+d} min"


class DayPeriod(Strict):
    """One part of the day: its heating and ventilation setpoints, reached ``ramp_min`` after it starts."""

    model_config = ConfigDict(populate_by_name=True)

    from_: PeriodStart = Field(alias="from")
    heating_c: float = Field(ge=-10, le=40)  # heat below this
    ventilation_c: float = Field(ge=-10, le=50)  # open vents above this
    # Minutes over which the setpoints move from the previous period's to these; 0 is a step.
    ramp_min: float = Field(default=0, ge=0, le=360)

    @model_validator(mode="after")
    def _heating_below_ventilation(self) -> DayPeriod:
        if self.heating_c >= self.ventilation_c:
            # Otherwise the heater and the vents work against each other.
            heating, venting = self.heating_c, self.ventilation_c
            raise Mistake(
                f"heating_c ({number(heating, 'vi')} °C) phải thấp hơn ventilation_c ({number(venting, 'vi')} °C)",
                f"heating_c ({heating:g} °C) must be below ventilation_c ({venting:g} °C)",
            )
        return self


@lru_cache(maxsize=1024)
def _day_starts(periods: tuple[DayPeriod, ...], day: date, place: Place) -> list[tuple[datetime, int]]:
    """The periods' starts on the local ``day``, in time order: whatever order they are written in, a sun
    time and a clock time may swap through the seasons, so the order of the day is the order of the times.
    Pure, so caching it changes nothing but the speed (a rule is evaluated every few seconds)."""
    starts = ((period.from_.on(day, place), i) for i, period in enumerate(periods))
    return sorted((start, i) for start, i in starts if start is not None)


class Setpoints(NamedTuple):
    heating_c: float
    ventilation_c: float
    period: int  # index of the period in force, as written in the rule
    ramping: bool  # still moving towards the period's own setpoints


def setpoints_at(periods: list[DayPeriod], now: datetime, place: Place) -> Setpoints:
    """The setpoints in force at ``now``: the current period's, ramped from the previous period's."""
    today = now.astimezone(place.tz).date()
    starts = [start for d in (2, 1, 0) for start in _day_starts(tuple(periods), today - timedelta(days=d), place)]
    passed = [(start, i) for start, i in starts if start <= now]
    if len(passed) < 2:
        # Only where the sun never reaches a period's event (polar days): the one period known holds.
        i = passed[-1][1] if passed else 0
        return Setpoints(periods[i].heating_c, periods[i].ventilation_c, i, False)
    (_, before), (started, current) = passed[-2], passed[-1]
    old, new = periods[before], periods[current]
    elapsed_min = (now - started).total_seconds() / 60
    if new.ramp_min == 0 or elapsed_min >= new.ramp_min:
        return Setpoints(new.heating_c, new.ventilation_c, current, False)
    share = elapsed_min / new.ramp_min  # linear ramp, as climate computers move setpoints between periods
    return Setpoints(
        old.heating_c + (new.heating_c - old.heating_c) * share,
        old.ventilation_c + (new.ventilation_c - old.ventilation_c) * share,
        current,
        True,
    )
