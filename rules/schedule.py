"""One evaluation of a schedule rule: fire once for the latest crontab time passed, unless a skip condition holds."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo

from apscheduler.triggers.cron import CronTrigger

from contract.messages import Reading
from contract.reasons import Reason
from rules import params
from rules.inputs import read_metric
from rules.model import ScheduleRule
from rules.outcome import Decision, RuleOutcome, Suppression
from rules.state import ScheduleState

_TICK = timedelta(microseconds=1)


def step(
    rule: ScheduleRule, previous: ScheduleState, latest: Mapping[str, Reading], now: datetime, tz: tzinfo
) -> RuleOutcome:
    state = ScheduleState(last_checked=now)
    if previous.last_checked is None:
        # Nothing is known about the time before this first look: never fire for it.
        return RuleOutcome(state)
    fire = latest_fire(rule.trigger(tz), previous.last_checked, now, rule.misfire_grace_s)
    if fire is None:
        return RuleOutcome(state)

    at = params.local_time(fire, tz)
    inputs: dict[str, float] = {}
    for condition in rule.skip_if:
        metric = read_metric(condition.metric, latest, now, condition.max_input_age_s)
        inputs |= metric.inputs
        # An unusable input cannot justify a skip: watering on time is the safe fallback.
        if metric.value is not None and condition.holds(metric.value):
            skipped = Suppression(
                rule=rule.id,
                reason=Reason.RULE_SCHEDULE_SKIPPED,
                reason_params=params.schedule_skipped(rule, at, condition, metric.value),
                inputs=metric.inputs,
            )
            return RuleOutcome(state, suppression=skipped)
    decision = Decision.to_act(rule, Reason.RULE_SCHEDULE, params.schedule(rule, at), inputs)
    return RuleOutcome(state, decision=decision)


def latest_fire(trigger: CronTrigger, after: datetime, until: datetime, grace_s: float) -> datetime | None:
    """The last fire time in (after, until] that is at most ``grace_s`` old at ``until``.

    Several missed fires come out as one; older ones are dropped, so only the grace window is searched.
    """
    if until <= after:
        return None  # the clock went back: nothing new has passed
    start = max(after + _TICK, until - timedelta(seconds=grace_s))
    latest = None
    # With no previous fire time, APScheduler returns the first fire at or after ``now``; it reads no clock.
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire <= until:
        latest = fire
        fire = trigger.get_next_fire_time(None, fire + _TICK)
    return latest
