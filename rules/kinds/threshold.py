"""Threshold rules: a Schmitt trigger, a for-timer, and pulses with a wait between them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import Literal

from pydantic import AwareDatetime, BaseModel

from contract.bounds import Strict
from contract.reasons import Reason
from rules import params
from rules.base import Action, Aggregate, Combine, Duration, Metric, RuleBase, Trigger
from rules.context import Context
from rules.inputs import MetricValue, read_metric
from rules.outcome import Decision, RuleOutcome
from rules.stepping import Settler, Steps


class ThresholdState(Strict):
    kind: Literal["threshold"] = "threshold"
    # The Schmitt trigger's output: the condition with its hysteresis applied.
    active: bool = False
    # When the condition last became true; None while it is false or its inputs are unusable.
    true_since: AwareDatetime | None = None
    # End of the last pulse: the for_s wait before the next one counts from here.
    blocked_until: AwareDatetime | None = None


def _inactive(previous: ThresholdState) -> ThresholdState:
    # Most evaluations change nothing: keeping the same state object spares building one per rule per poll.
    return previous if not previous.active else ThresholdState(blocked_until=previous.blocked_until)


class ThresholdRule(RuleBase, Trigger, Steps[ThresholdState]):
    """Act when the metric has been past the limit for ``for_s``, as a pulse of ``action.on_for_s``."""

    kind: Literal["threshold"]
    action: Action
    for_s: Duration

    @classmethod
    def state_model(cls) -> type[ThresholdState]:
        return ThresholdState

    def metrics(self) -> list[Metric]:
        return [self.metric]

    def actions(self) -> list[Action]:
        return [self.action]

    @cached_property
    def _for(self) -> timedelta:
        # Asked at every evaluation while the condition holds: made once per rule.
        return timedelta(seconds=self.for_s)

    @cached_property
    def _pulse(self) -> timedelta:
        return timedelta(seconds=self.action.on_for_s)

    @classmethod
    def settler(cls, rules: Sequence[ThresholdRule]) -> Settler:
        return _Settler(rules)

    def step(self, previous: ThresholdState, ctx: Context) -> RuleOutcome[ThresholdState]:
        now = ctx.now
        value = ctx.value(self.metric, self.max_input_age_s)
        if value is None:
            # Unknown condition: never act on it, and start the for-timer afresh once the inputs are back.
            metric = read_metric(self.metric, ctx.latest, now, self.max_input_age_s)
            return RuleOutcome(_inactive(previous), unusable=metric)

        active = self.still_holds(value) if previous.active else self.holds(value)
        if not active:
            return RuleOutcome(_inactive(previous))
        true_since = previous.true_since if previous.active and previous.true_since else now
        # After a pulse the condition must hold for for_s again, counted from the pulse's end.
        counting_from = max(true_since, previous.blocked_until) if previous.blocked_until else true_since
        state = (
            previous
            if previous.active and previous.true_since == true_since
            else ThresholdState(active=True, true_since=true_since, blocked_until=previous.blocked_until)
        )
        if now - counting_from < self._for:
            return RuleOutcome(state)

        # Only a firing rule needs the audit's detail of its inputs.
        metric = read_metric(self.metric, ctx.latest, now, self.max_input_age_s)
        decision = Decision.run(self, self.action, Reason.RULE_THRESHOLD, self._params(metric), metric.inputs)
        fired = state.model_copy(update={"blocked_until": now + self._pulse})
        return RuleOutcome(fired, decisions=(decision,))

    def _params(self, metric: MetricValue) -> dict[str, str]:
        assert metric.value is not None  # only fired on a usable value
        named, limit, release, for_min = self._said
        return {
            **named,
            **params.metric(metric),
            "value": params.number(metric.value),
            "op": self.op,
            "threshold": limit if self.holds(metric.value) else release,  # the limit in force, as said
            "for_min": for_min,
        }

    @cached_property
    def _said(self) -> tuple[dict[str, str], str, str, str]:
        # What every firing of this rule says alike: its names, each of its limits as said, its for-time.
        limit, release = params.number(self.limit), params.number(self.release_limit)
        return params.named(self), limit, release, params.number(self.for_s / 60)


# A rule's id, whether it is a ``below`` rule, its limit, its release limit and its for-time.
_Member = tuple[str, bool, float, float, timedelta]


class _Settler:
    """Where ``ThresholdRule.step`` keeps its state and says nothing: the condition stays false, or it holds (past
    the release limit) and its for-time, counted as step counts it, has not run out. Rules on the same sensors are
    judged together, their usable values read once, each way of combining them once, and each rule's numbers made
    here: the comparisons of ``holds`` and ``still_holds``, inline. tests/rules/test_settle.py checks this against
    step. A class, not a closure, so that a rule set that made one still pickles."""

    def __init__(self, rules: Sequence[ThresholdRule]) -> None:
        # By the sensors read (and how old a reading may be), then by how they are combined.
        reads: dict[tuple[tuple[str, ...], float], dict[Aggregate, tuple[Combine, list[_Member]]]] = {}
        for rule in rules:
            metric, max_age_s = rule.metric, rule.max_input_age_s
            combined = reads.setdefault((metric.key[0], max_age_s), {})
            _, members = combined.setdefault(metric.aggregate, (metric.combine, []))
            members.append((rule.id, rule.below is not None, rule.limit, rule.release_limit, rule._for))
        self._plan = tuple(
            (sensors, max_age_s, tuple((combine, tuple(members)) for combine, members in combined.values()))
            for (sensors, max_age_s), combined in reads.items()
        )

    def __call__(self, kept: Mapping[str, BaseModel], ctx: Context, into: dict[str, BaseModel | None]) -> None:
        now, usable_of, get, settled = ctx.now, ctx.usable, kept.get, ThresholdState  # names looked up once per call
        for sensors, max_age_s, combined in self._plan:
            usable = usable_of(sensors, max_age_s)
            if not usable:
                continue  # no value (``Context.value``): every rule on these sensors is stepped
            for combine, members in combined:
                value = combine(usable)
                for rule_id, below, limit, release, for_ in members:
                    state = get(rule_id)
                    if type(state) is not settled:
                        continue
                    if not state.active:
                        if not (value < limit if below else value > limit):
                            into[rule_id] = state
                        continue
                    true_since, blocked_until = state.true_since, state.blocked_until
                    if true_since is None or not (value < release if below else value > release):
                        continue
                    counting_from = max(true_since, blocked_until) if blocked_until else true_since
                    if now - counting_from < for_:
                        into[rule_id] = state
