"""Alert rules: tell people when a metric has been past a limit for a while, again while it lasts, and once
when it is over. They drive nothing.

- Delay: raised only once the condition has held for ``for_s``, so that one odd reading alerts nobody.
- Repeat: raised again every ``repeat_s`` while it lasts, for a phone that missed the first one.
- Clear: when the metric is back past the hysteresis, or when ``clear_when`` holds if given, and has stayed
  so for ``clear_for_s``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, Field

from contract.bounds import Strict
from contract.messages import MAX_DURATION_S, Severity
from contract.reasons import Reason
from rules import params
from rules.base import Comparison, Duration, Metric, RuleBase, Trigger
from rules.context import Context
from rules.inputs import MetricValue, read_metric
from rules.outcome import Alert, RuleOutcome
from rules.stepping import Steps

Wait = Field(default=0, ge=0, le=MAX_DURATION_S)


class AlertState(Strict):
    kind: Literal["alert"] = "alert"
    true_since: AwareDatetime | None = None  # the condition holds from here; None while it does not
    raised_since: AwareDatetime | None = None  # the alert stands from here; None while it does not
    last_told: AwareDatetime | None = None  # when it was last raised or repeated
    clear_since: AwareDatetime | None = None  # a standing alert's clear condition holds from here


class AlertRule(RuleBase, Trigger, Steps[AlertState]):
    """Raise an alert of ``severity`` when the metric has been past the limit for ``for_s``."""

    kind: Literal["alert"]
    severity: Severity = Severity.WARNING
    for_s: float = Wait
    repeat_s: Duration | None = None  # raised again this often while it lasts; never when not given
    clear_when: Comparison | None = None  # instead of the hysteresis: what must hold for the alert to clear
    clear_for_s: float = Wait

    @classmethod
    def state_model(cls) -> type[AlertState]:
        return AlertState

    def metrics(self) -> list[Metric]:
        return [self.metric, *([self.clear_when.metric] if self.clear_when else [])]

    def step(self, previous: AlertState, ctx: Context) -> RuleOutcome[AlertState]:
        now = ctx.now
        metric = read_metric(self.metric, ctx.latest, now, self.max_input_age_s)
        if previous.raised_since is not None:
            return self._standing(previous, metric, ctx)
        if metric.value is None:
            # Unknown is not past the limit: the delay starts afresh once the inputs are back.
            return RuleOutcome(AlertState(), unusable=metric)
        if not self.holds(metric.value):
            return RuleOutcome(previous if previous.true_since is None else AlertState())
        true_since = previous.true_since or now
        if now - true_since < timedelta(seconds=self.for_s):
            return RuleOutcome(AlertState(true_since=true_since))
        state = AlertState(true_since=true_since, raised_since=now, last_told=now)
        return RuleOutcome(state, alerts=(self._alert(Reason.RULE_ALERT, metric, true_since, ctx),))

    def _standing(self, previous: AlertState, metric: MetricValue, ctx: Context) -> RuleOutcome[AlertState]:
        """A raised alert: cleared once its clear condition has held for clear_for_s, repeated meanwhile."""
        now = ctx.now
        clear = self._clear_metric(metric, ctx)
        if clear.value is None:
            # Unknown is not clear: the alert stands, and the inputs' own alert says why.
            return RuleOutcome(previous.model_copy(update={"clear_since": None}), unusable=clear)
        if self._clears(clear.value, metric):
            clear_since = previous.clear_since or now
            if now - clear_since >= timedelta(seconds=self.clear_for_s):
                return RuleOutcome(AlertState(), alerts=(self._alert(Reason.RULE_ALERT_CLEARED, clear, None, ctx),))
            return RuleOutcome(previous.model_copy(update={"clear_since": clear_since}))
        state = previous.model_copy(update={"clear_since": None})
        assert previous.last_told is not None  # set with raised_since
        if self.repeat_s is None or now - previous.last_told < timedelta(seconds=self.repeat_s):
            return RuleOutcome(state)
        since = previous.true_since or previous.raised_since
        repeated = self._alert(Reason.RULE_ALERT_REPEATED, metric, since, ctx)
        return RuleOutcome(state.model_copy(update={"last_told": now}), alerts=(repeated,))

    def _clear_metric(self, metric: MetricValue, ctx: Context) -> MetricValue:
        if self.clear_when is None:
            return metric
        return read_metric(self.clear_when.metric, ctx.latest, ctx.now, self.clear_when.max_input_age_s)

    def _clears(self, value: float, metric: MetricValue) -> bool:
        if self.clear_when is not None:
            return self.clear_when.holds(value)
        # Without its own clear condition the alert is over once the metric is back past the hysteresis.
        return metric.value is not None and not self.still_holds(metric.value)

    def _alert(self, reason: Reason, metric: MetricValue, since: datetime | None, ctx: Context) -> Alert:
        assert metric.value is not None  # only alerted on a usable value
        raised = reason is not Reason.RULE_ALERT_CLEARED
        why = {**params.metric(metric), "value": params.number(metric.value)}
        if raised:
            assert since is not None
            why |= {
                "op": self.op,
                "threshold": params.number(self.limit_in_force(metric.value)),
                "since": params.local_time(since, ctx.tz),
            }
        severity = self.severity if raised else Severity.INFO
        return Alert(
            rule=self.id, raised=raised, severity=severity, reason=reason, reason_params=why, inputs=metric.inputs
        )
