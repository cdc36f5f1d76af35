"""Schedule rules: fire once for the latest timer time passed, unless a skip condition holds.

The timer is a crontab line, a time relative to the sun, or a fixed interval (rules.triggers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Literal

from apscheduler.triggers.cron import CronTrigger
from pydantic import AwareDatetime, BaseModel, Field

from contract.bounds import Strict
from contract.reasons import Reason
from rules import params
from rules.base import Action, Comparison, Metric, RuleBase
from rules.context import Context
from rules.outcome import Decision, RuleOutcome
from rules.stepping import Settler, Steps
from rules.timing import cron_trigger, latest_fire
from rules.triggers import ScheduleTime, check_skips


class ScheduleState(Strict):
    kind: Literal["schedule"] = "schedule"
    # Fire times up to here have been dealt with.
    last_checked: AwareDatetime | None = None


@lru_cache(maxsize=1)
def _checked(now: datetime, tz: object) -> ScheduleState:
    # Every schedule rule of an evaluation is left in this same state: one frozen object, shared, not one each.
    # The zone is part of the key: equal instants in two zones are equal datetimes, but not the same state.
    return ScheduleState(last_checked=now)


class ScheduleRule(RuleBase, ScheduleTime, Steps[ScheduleState]):
    """Act at the times of a crontab line, a sun time or an interval, in the site's time zone, unless a
    skip condition holds."""

    kind: Literal["schedule"]
    action: Action
    skip_if: list[Comparison] = Field(default_factory=list)

    @classmethod
    def state_model(cls) -> type[ScheduleState]:
        return ScheduleState

    def metrics(self) -> list[Metric]:
        return [c.metric for c in self.skip_if]

    def actions(self) -> list[Action]:
        return [self.action]

    @classmethod
    def settler(cls, rules: Sequence[ScheduleRule]) -> Settler:
        return _Settler(rules)

    def step(self, previous: ScheduleState, ctx: Context) -> RuleOutcome[ScheduleState]:
        now = ctx.now
        state = _checked(now, now.tzinfo)
        if previous.last_checked is None:
            # Nothing is known about the time before this first look: never fire for it.
            return RuleOutcome(state)
        fire = self.latest_fire(previous.last_checked, now, ctx.place)
        if fire is None:
            return RuleOutcome(state)

        at = params.local_time(fire, ctx.tz)
        skipped, inputs = check_skips(self, self.skip_if, at, ctx)
        if skipped is not None:
            return RuleOutcome(state, suppressions=(skipped,))
        decision = Decision.run(self, self.action, Reason.RULE_SCHEDULE, params.schedule(self, at), inputs)
        return RuleOutcome(state, decisions=(decision,))


class _Settler:
    """Between two fire times, as ``ScheduleRule.step`` says: nothing, and the time checked moves on. A crontab's
    trigger is found once per zone here, not at every rule's every evaluation (``StartTime.latest_fire`` does). A
    class, not a closure, so that a rule set that made one still pickles."""

    def __init__(self, rules: Sequence[ScheduleRule]) -> None:
        self._rules = tuple(rules)
        self._crons: dict[tzinfo, tuple[CronTrigger | None, ...]] = {}

    def __call__(self, kept: Mapping[str, BaseModel], ctx: Context, into: dict[str, BaseModel | None]) -> None:
        now, place = ctx.now, ctx.place
        triggers = self._crons.get(place.tz)
        if triggers is None:
            triggers = self._crons[place.tz] = tuple(
                cron_trigger(rule.cron, place.tz) if rule.cron is not None else None for rule in self._rules
            )
        checked = _checked(now, now.tzinfo)
        for rule, trigger in zip(self._rules, triggers, strict=True):
            state = kept.get(rule.id)
            if type(state) is not ScheduleState or (after := state.last_checked) is None:
                continue
            if trigger is not None:
                fire = latest_fire(trigger, after, now, rule.misfire_grace_s)
            else:
                fire = rule.latest_fire(after, now, place)
            if fire is None:
                into[rule.id] = checked
