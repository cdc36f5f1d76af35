"""One evaluation of a threshold rule: a Schmitt trigger, a for-timer, and pulses with a wait between them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from contract.messages import Reading
from contract.reasons import Reason
from rules import params
from rules.inputs import read_metric
from rules.model import ThresholdRule
from rules.outcome import Decision, RuleOutcome, Suppression
from rules.state import ThresholdState


def step(rule: ThresholdRule, previous: ThresholdState, latest: Mapping[str, Reading], now: datetime) -> RuleOutcome:
    metric = read_metric(rule.metric, latest, now, rule.max_input_age_s)
    if metric.value is None:
        # Unknown condition: never act on it, and start the for-timer afresh once the inputs are back.
        state = ThresholdState(blocked_until=previous.blocked_until, inputs_unusable=True)
        if previous.inputs_unusable:
            return RuleOutcome(state)
        suppression = Suppression(
            rule=rule.id,
            reason=Reason.RULE_INPUT_UNUSABLE,
            reason_params=params.input_unusable(rule, metric),
            inputs=metric.rejected,
        )
        return RuleOutcome(state, suppression=suppression)

    value = metric.value
    active = rule.still_holds(value) if previous.active else rule.holds(value)
    if not active:
        return RuleOutcome(ThresholdState(blocked_until=previous.blocked_until))
    true_since = previous.true_since if previous.active and previous.true_since else now
    # After a pulse the condition must hold for for_s again, counted from the pulse's end.
    counting_from = max(true_since, previous.blocked_until) if previous.blocked_until else true_since
    state = ThresholdState(active=True, true_since=true_since, blocked_until=previous.blocked_until)
    if now - counting_from < timedelta(seconds=rule.for_s):
        return RuleOutcome(state)

    decision = Decision.to_act(rule, Reason.RULE_THRESHOLD, params.threshold(rule, value), metric.inputs)
    fired = state.model_copy(update={"blocked_until": now + timedelta(seconds=rule.action.on_for_s)})
    return RuleOutcome(fired, decision=decision)
