"""Schedule rules: fire once for the latest timer time passed, unless a skip condition holds.

The timer is a crontab line, a time relative to the sun, or a fixed interval (rules.triggers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Literal

from apscheduler.triggers.cron import CronTrigger
from pydantic import AwareDatetime, BaseModel, Field

from contract.bounds import Strict
from contract.reasons import Reason
from rules import params
from rules.base import Action, Comparison, Metric, RuleBase
from rules.context import Context, Place
from rules.outcome import Decision, RuleOutcome
from rules.stepping import Settler, Steps
from rules.timing import cron_trigger, latest_fire, next_fire_utc
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
    trigger is found once per zone here, not at every rule's every evaluation (``StartTime.latest_fire`` does). And
    since every evaluation leaves every crontab rule checked at its time, settled or stepped, the first of their
    next fire times after it is found once: until then, evaluations that find them all checked at one earlier time
    settle them together without a look at each one's timer (a quiet spell). A class, not a closure, so that a rule
    set that made one still pickles."""

    def __init__(self, rules: Sequence[ScheduleRule]) -> None:
        self._cron_rules = tuple(rule for rule in rules if rule.cron is not None)
        self._cron_ids = tuple(rule.id for rule in self._cron_rules)
        self._others = tuple(rule for rule in rules if rule.cron is None)
        self._crons: dict[tzinfo, tuple[CronTrigger, ...]] = {}
        # The quiet spell: every crontab rule left in ``_checked`` (in the zone ``_tz``); no crontab of them fires
        # after that time and before ``_until`` (UTC). None: none found yet.
        self._until: datetime | None = None
        self._tz: tzinfo | None = None
        self._checked: ScheduleState | None = None

    def __call__(self, kept: Mapping[str, BaseModel], ctx: Context, into: dict[str, BaseModel | None]) -> None:
        now, place = ctx.now, ctx.place
        checked = _checked(now, now.tzinfo)
        ids, until, before = self._cron_ids, self._until, self._checked
        # Each crontab rule was checked at a time of the spell, earlier than now: no fire time lies between.
        if (
            until is not None
            and now < until
            and self._tz is place.tz
            and before is not None
            and before.last_checked is not None
            and before.last_checked < now
            and [*map(kept.get, ids)].count(before) == len(ids)
        ):
            into.update(dict.fromkeys(ids, checked))
            self._checked = checked
            self._settle(self._others, kept, now, place, checked, into)
            return
        triggers = self._crons.get(place.tz)
        if triggers is None:
            triggers = self._crons[place.tz] = tuple(cron_trigger(r.cron, place.tz) for r in self._cron_rules if r.cron)
        for rule_id, rule, trigger in zip(ids, self._cron_rules, triggers, strict=True):
            state = kept.get(rule_id)
            if type(state) is not ScheduleState or (after := state.last_checked) is None:
                continue
            if latest_fire(trigger, after, now, rule.misfire_grace_s) is None:
                into[rule_id] = checked
        # Settled here or stepped, each of them is left checked now: a new spell, to the first fire time after now.
        fires = [fire for trigger in triggers if (fire := next_fire_utc(trigger, now)) is not None]
        self._until, self._tz, self._checked = min(fires, default=_NEVER), place.tz, checked
        self._settle(self._others, kept, now, place, checked, into)

    @staticmethod
    def _settle(
        rules: Sequence[ScheduleRule],
        kept: Mapping[str, BaseModel],
        now: datetime,
        place: Place,
        checked: ScheduleState,
        into: dict[str, BaseModel | None],
    ) -> None:
        """Rules on a sun time or an interval, each by its own timer."""
        for rule in rules:
            state = kept.get(rule.id)
            if type(state) is not ScheduleState or (after := state.last_checked) is None:
                continue
            if rule.latest_fire(after, now, place) is None:
                into[rule.id] = checked


_NEVER = datetime.max.replace(tzinfo=UTC)  # no crontab of the rules fires again
