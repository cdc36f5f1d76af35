"""Timers shared by rule kinds: crontab lines checked as a technician writes them, and missed-fire handling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Annotated, NamedTuple

from apscheduler.triggers.cron import CronTrigger
from pydantic import AfterValidator

from rules.crontab import check_crontab

_TICK = timedelta(microseconds=1)


# Each field checked in the technician's words before APScheduler reads it (rules.crontab).
Crontab = Annotated[str, AfterValidator(check_crontab)]


@lru_cache(maxsize=1024)
def cron_trigger(cron: str, tz: tzinfo) -> CronTrigger:
    # Parsing a crontab line costs more than the rest of a schedule rule's step: once per line and zone.
    return CronTrigger.from_crontab(cron, timezone=tz)


class _Memo(NamedTuple):
    t: datetime
    fire: datetime | None  # the first fire after t, in the trigger's zone, as APScheduler gives it
    # The same instant in UTC, to compare with: datetimes in two zones compare through both offsets, many times
    # slower than two in the same zone, and callers mostly pass UTC.
    fire_utc: datetime | None


# Per trigger, the last answer of ``_next_fire_after``. A memo of a pure function, so replays stay deterministic;
# it spares APScheduler's search at every evaluation between two fires.
_next_fire_memo: dict[CronTrigger, _Memo] = {}


def _next_fire_after(trigger: CronTrigger, t: datetime) -> datetime | None:
    memo = _next_fire_memo.get(trigger)
    # The first fire after an earlier time, if it is still ahead of t, is also the first after t.
    if memo is not None and memo.t <= t and (memo.fire_utc is None or t < memo.fire_utc):
        return memo.fire
    # With no previous fire time, APScheduler returns the first fire at or after the time given; no clock.
    fire: datetime | None = trigger.get_next_fire_time(None, t + _TICK)
    _next_fire_memo[trigger] = _Memo(t, fire, fire.astimezone(UTC) if fire is not None else None)
    return fire


def next_fire_utc(trigger: CronTrigger, t: datetime) -> datetime | None:
    """The first fire time after ``t``, in UTC; None when the trigger never fires again."""
    _next_fire_after(trigger, t)
    return _next_fire_memo[trigger].fire_utc


def latest_fire(trigger: CronTrigger, after: datetime, until: datetime, grace_s: float) -> datetime | None:
    """The last fire time in (after, until] that is at most ``grace_s`` old at ``until``.

    Several missed fires come out as one; older ones are dropped, so only the grace window is searched.
    """
    if until <= after:
        return None  # the clock went back: nothing new has passed
    memo = _next_fire_memo.get(trigger)
    if memo is not None and memo.t <= after and memo.fire_utc is not None and until < memo.fire_utc:
        return None  # no fire between the memo's time and its next fire, which is still ahead: most evaluations
    fire = _next_fire_after(trigger, max(after, until - timedelta(seconds=grace_s) - _TICK))
    latest = None
    while fire is not None and fire <= until:
        latest = fire
        fire = trigger.get_next_fire_time(None, fire + _TICK)
    return latest
