"""Timed starts shared by the schedule and sequence kinds: when (a crontab line, a time relative to the sun,
or a fixed interval within a daily window) and unless (skip conditions).

Every timer fires for the latest of its times that passed since the rule last looked, if that time is at
most ``misfire_grace_s`` old; older missed times are dropped, as for a crontab line (rules.timing).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Annotated, NamedTuple

from pydantic import BeforeValidator, ConfigDict, Field, model_validator

from contract.bounds import Strict
from contract.reasons import Reason
from contract.validation_words import Mistake
from rules import params
from rules.base import Comparison, Duration, RuleBase
from rules.context import Context, Place
from rules.inputs import read_metric
from rules.outcome import Suppression
from rules.sun import SunEvent, sun_time
from rules.timing import Crontab, cron_trigger, latest_fire

_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
# An interval without a daily window runs on one grid from here, so that its times do not depend on when
# the edge started: midnight local time, whatever the site's zone.
_GRID_ORIGIN = date(2000, 1, 1)


def _clock_text(value: object) -> object:
    if isinstance(value, int):
        # YAML 1.1 reads an unquoted 17:00 as the base-60 number 1020.
        raise Mistake(
            'viết giờ trong ngày trong dấu nháy, ví dụ "17:00" (không có dấu nháy YAML đọc nó thành một con số)',
            'write the time of day in quotes, e.g. "17:00" (without them YAML reads it as a number)',
        )
    if isinstance(value, str) and not _CLOCK.fullmatch(value):
        raise Mistake(
            'viết giờ trong ngày dạng "HH:MM", từ "00:00" đến "23:59", ví dụ "06:30"',
            'write the time of day as "HH:MM", from "00:00" to "23:59", e.g. "06:30"',
        )
    return value


# Sun times for the few days around each evaluation; pure, so caching them changes nothing but the speed.
_sun_time = lru_cache(maxsize=4096)(sun_time)


# A local time of day, "HH:MM".
ClockTime = Annotated[str, BeforeValidator(_clock_text)]


def at_clock(day: date, clock: ClockTime, tz: tzinfo) -> datetime:
    """``clock`` on the local ``day``, in UTC so that adding intervals to it counts real seconds."""
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


def local_days(first: datetime, last: datetime, tz: tzinfo, margin: int = 1) -> Iterator[date]:
    """The local calendar days from ``first`` to ``last``, widened by ``margin`` days either side."""
    day = first.astimezone(tz).date() - timedelta(days=margin)
    end = last.astimezone(tz).date() + timedelta(days=margin)
    while day <= end:
        yield day
        day += timedelta(days=1)


class SunTime(Strict):
    """A time relative to a sun event at the site, e.g. 30 minutes after sunrise."""

    event: SunEvent
    # Signed minutes: -30 is half an hour before the event. At most 6 h either way, so that the time stays
    # on the event's side of midnight in Vietnam and a day's time is found by looking a day either side.
    offset_min: int = Field(default=0, ge=-360, le=360)

    def on(self, day: date, place: Place) -> datetime | None:
        """The time on the local calendar ``day``; None on a day the sun does not reach the event."""
        try:
            event = _sun_time(place, day, self.event)
        except ValueError:  # astral: the sun never gets that high or low that day (polar latitudes only)
            return None
        return event + timedelta(minutes=self.offset_min)


class DaylightWindow(Strict):
    """The part of each day the rule may water in, between two sun times (sunrise to sunset by default)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: SunTime = Field(default=SunTime(event=SunEvent.SUNRISE), alias="from")
    to: SunTime = SunTime(event=SunEvent.SUNSET)

    @model_validator(mode="after")
    def _from_before_to(self) -> DaylightWindow:
        # Sun events come in the same order every day: a window that closes at an earlier one never opens.
        order = list(SunEvent)
        opens, closes = order.index(self.from_.event), order.index(self.to.event)
        if opens > closes or (opens == closes and self.from_.offset_min >= self.to.offset_min):
            raise Mistake(
                f"from ({self.from_.event} {self.from_.offset_min:+d} phút) phải đến trước "
                f"to ({self.to.event} {self.to.offset_min:+d} phút) trong ngày",
                f"from ({self.from_.event} {self.from_.offset_min:+d} min) must come before "
                f"to ({self.to.event} {self.to.offset_min:+d} min) in the day",
            )
        return self

    def spans(self, now: datetime, place: Place) -> list[tuple[datetime, datetime]]:
        """The windows of the local days around ``now``, in order; a day whose window is empty has none."""
        spans = [(self.from_.on(day, place), self.to.on(day, place)) for day in local_days(now, now, place.tz)]
        return [(start, end) for start, end in spans if start is not None and end is not None and start < end]

    def contains(self, now: datetime, place: Place) -> bool:
        return any(start <= now <= end for start, end in self.spans(now, place))

    def opens_at(self, earliest: datetime, place: Place) -> datetime | None:
        """The first time at or after ``earliest`` inside the window."""
        if self.contains(earliest, place):
            return earliest
        return min((start for start, _ in self.spans(earliest, place) if start > earliest), default=None)


class NightWindow(Strict):
    """The part of each night a rule watches, from a sun time in the evening to one the next morning
    (sunset to two hours after sunrise by default: the coldest hour is just after sunrise)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: SunTime = Field(default=SunTime(event=SunEvent.SUNSET), alias="from")
    to: SunTime = SunTime(event=SunEvent.SUNRISE, offset_min=120)

    @model_validator(mode="after")
    def _evening_to_morning(self) -> NightWindow:
        evening, morning = (SunEvent.NOON, SunEvent.SUNSET, SunEvent.DUSK), (SunEvent.DAWN, SunEvent.SUNRISE)
        if self.from_.event not in evening or self.to.event not in morning:
            raise Mistake(
                f"đêm bắt đầu ở một mốc mặt trời buổi tối ({', '.join(evening)}) và kết thúc ở một mốc buổi sáng "
                f"({', '.join(morning)}); ở đây là từ {self.from_.event} đến {self.to.event}",
                f"a night runs from an evening sun time ({', '.join(evening)}) to a morning one "
                f"({', '.join(morning)}); this one is from {self.from_.event} to {self.to.event}",
            )
        return self

    def contains(self, now: datetime, place: Place) -> bool:
        today = now.astimezone(place.tz).date()
        for evening in (today - timedelta(days=1), today):
            start, end = self.from_.on(evening, place), self.to.on(evening + timedelta(days=1), place)
            if start is not None and end is not None and start <= now <= end:
                return True
        return False


def daylight_switch(value: object) -> object:
    """``true`` is the window's default (sunrise to sunset for daylight), ``false`` any time of day; or give
    ``from`` and ``to``."""
    if value is True:
        return {}
    if value is False:
        return None
    return value


class DailyWindow(Strict):
    """A window of local clock time repeated every day, both ends included."""

    model_config = ConfigDict(populate_by_name=True)

    from_: ClockTime = Field(alias="from")
    to: ClockTime

    @model_validator(mode="after")
    def _in_one_day(self) -> DailyWindow:
        if self.from_ >= self.to:  # "HH:MM" texts sort as the times they name
            raise Mistake(
                f"from {self.from_} phải sớm hơn to {self.to} (một khoảng trong cùng một ngày)",
                f"from {self.from_} must be earlier than to {self.to} (a window within one day)",
            )
        return self


class StartTime(Strict):
    """When a timed rule starts: at the times of a crontab line, or at a time relative to the sun each day."""

    cron: Crontab | None = None  # crontab line in the site's time zone
    sun: SunTime | None = None
    # A start missed (agent restarting, power cut) is still made if at most this late.
    misfire_grace_s: Duration = 900

    @model_validator(mode="after")
    def _one_timer(self) -> StartTime:
        timers = self._timers()
        given = [name for name, value in timers.items() if value is not None]
        first, last = ", ".join(list(timers)[:-1]), list(timers)[-1]
        if not given:
            raise Mistake(f"cho luật một mốc giờ: {first} hoặc {last}", f"give the rule a timer: {first} or {last}")
        if len(given) > 1:
            raise Mistake(
                f"chỉ cho một mốc giờ trong {first} hoặc {last}; luật này có {' và '.join(given)}",
                f"give only one timer of {first} or {last}; this rule has {' and '.join(given)}",
            )
        return self

    def _timers(self) -> dict[str, object]:
        return {"cron": self.cron, "sun": self.sun}

    def latest_fire(self, after: datetime, until: datetime, place: Place) -> datetime | None:
        """The last start time in (after, until] that is at most ``misfire_grace_s`` old at ``until``."""
        if self.cron is not None:
            return latest_fire(cron_trigger(self.cron, place.tz), after, until, self.misfire_grace_s)
        earliest = until - timedelta(seconds=self.misfire_grace_s)
        fires = (t for t in self._times(after, until, place) if after < t <= until and t >= earliest)
        return max(fires, default=None)

    def _times(self, after: datetime, until: datetime, place: Place) -> Iterator[datetime]:
        """Start times around (after, until], at least all of those inside it, for a timer other than cron."""
        assert self.sun is not None  # _one_timer: cron is dealt with by the caller
        # Grace is at most a day, so a day either side of the searched span holds every candidate.
        for day in local_days(max(after, until - timedelta(seconds=self.misfire_grace_s)), until, place.tz):
            fire = self.sun.on(day, place)
            if fire is not None:
                yield fire


class ScheduleTime(StartTime):
    """A start time, or else a fixed interval (``every_s``), optionally only within a daily window."""

    every_s: Duration | None = None
    # Only with every_s: the interval runs from ``from`` each day and fires no later than ``to``.
    between: DailyWindow | None = None

    @model_validator(mode="after")
    def _window_needs_interval(self) -> ScheduleTime:
        if self.between is not None and self.every_s is None:
            raise Mistake(
                "between chỉ dùng với every_s; một dòng cron hoặc mốc mặt trời đã nói giờ trong ngày rồi",
                "between: only for every_s; a cron line or a sun time already says the time of day",
            )
        return self

    def _timers(self) -> dict[str, object]:
        return {"cron": self.cron, "every_s": self.every_s, "sun": self.sun}

    def _times(self, after: datetime, until: datetime, place: Place) -> Iterator[datetime]:
        if self.every_s is None:
            yield from super()._times(after, until, place)
            return
        step = timedelta(seconds=self.every_s)
        if self.between is None:
            origin = at_clock(_GRID_ORIGIN, "00:00", place.tz)
            yield origin + (until - origin) // step * step  # the last grid time at or before ``until``
            return
        for day in local_days(max(after, until - timedelta(seconds=self.misfire_grace_s)), until, place.tz, 0):
            start = at_clock(day, self.between.from_, place.tz)
            last = min(until, at_clock(day, self.between.to, place.tz))
            if last >= start:
                yield start + (last - start) // step * step


class SkipCheck(NamedTuple):
    skipped: Suppression | None  # the first skip condition that holds, as the reason not to start
    inputs: dict[str, float]  # the usable values read, for the decision's audit trail


def check_skips(rule: RuleBase, skip_if: list[Comparison], at: str, ctx: Context) -> SkipCheck:
    """Whether a start at ``at`` (local time, for the reason) is skipped, judged on usable readings only."""
    inputs: dict[str, float] = {}
    for condition in skip_if:
        metric = read_metric(condition.metric, ctx.latest, ctx.now, condition.max_input_age_s)
        inputs |= metric.inputs
        # An unusable input cannot justify a skip: watering on time is the safe fallback.
        if metric.value is not None and condition.holds(metric.value):
            skipped = Suppression(
                rule=rule.id,
                reason=Reason.RULE_SCHEDULE_SKIPPED,
                reason_params=params.schedule_skipped(rule, at, condition, metric),
                inputs=metric.inputs,
            )
            return SkipCheck(skipped, inputs)
    return SkipCheck(None, inputs)
