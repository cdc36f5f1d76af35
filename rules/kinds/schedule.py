"""Schedule rules: fire once for the latest crontab time passed, unless a skip condition holds."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from contract.reasons import Reason
from contract.site import Strict
from rules import params
from rules.base import Action, Comparison, Duration, Metric, RuleBase
from rules.context import Context
from rules.inputs import read_metric
from rules.outcome import Decision, RuleOutcome, Suppression
from rules.timing import Crontab, cron_trigger, latest_fire


class ScheduleState(Strict):
    kind: Literal["schedule"] = "schedule"
    # Fire times up to here have been dealt with.
    last_checked: AwareDatetime | None = None


class ScheduleRule(RuleBase):
    """Act at the times of a crontab line, in the site's time zone, unless a skip condition holds."""

    kind: Literal["schedule"]
    State: ClassVar = ScheduleState
    action: Action
    cron: Crontab
    # A fire missed (agent restarting, uplink-free reboot) is still done if at most this late.
    misfire_grace_s: Duration = 900
    skip_if: list[Comparison] = Field(default_factory=list)

    def metrics(self) -> list[Metric]:
        return [c.metric for c in self.skip_if]

    def actions(self) -> list[Action]:
        return [self.action]

    def step(self, previous: ScheduleState, ctx: Context) -> RuleOutcome:
        now = ctx.now
        state = ScheduleState(last_checked=now)
        if previous.last_checked is None:
            # Nothing is known about the time before this first look: never fire for it.
            return RuleOutcome(state)
        fire = latest_fire(cron_trigger(self.cron, ctx.tz), previous.last_checked, now, self.misfire_grace_s)
        if fire is None:
            return RuleOutcome(state)

        at = params.local_time(fire, ctx.tz)
        inputs: dict[str, float] = {}
        for condition in self.skip_if:
            metric = read_metric(condition.metric, ctx.latest, now, condition.max_input_age_s)
            inputs |= metric.inputs
            # An unusable input cannot justify a skip: watering on time is the safe fallback.
            if metric.value is not None and condition.holds(metric.value):
                skipped = Suppression(
                    rule=self.id,
                    reason=Reason.RULE_SCHEDULE_SKIPPED,
                    reason_params=params.schedule_skipped(self, at, condition, metric.value),
                    inputs=metric.inputs,
                )
                return RuleOutcome(state, suppressions=(skipped,))
        decision = Decision.run(self, self.action, Reason.RULE_SCHEDULE, params.schedule(self, at), inputs)
        return RuleOutcome(state, decisions=(decision,))
