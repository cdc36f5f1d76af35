"""Schedule rules: fire once for the latest timer time passed, unless a skip condition holds.

The timer is a crontab line, a time relative to the sun, or a fixed interval (rules.triggers).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Literal

from pydantic import AwareDatetime, Field

from contract.bounds import Strict
from contract.reasons import Reason
from rules import params
from rules.base import Action, Comparison, Metric, RuleBase
from rules.context import Context
from rules.outcome import Decision, RuleOutcome
from rules.stepping import Steps
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
