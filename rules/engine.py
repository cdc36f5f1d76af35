"""The pure rule engine: rules, remembered state, the latest readings and the time in; decisions out.

No I/O and no clock: ``now`` is an argument, so the same inputs always give the same
outputs, which is what makes replay, simulation and tests possible.

Each rule kind steps itself (``rules/kinds/``). What is common to all is done here:
a rule that cannot judge because an input is unusable raises an alert once, runs
its fallback timer if it has one, and clears the alert when its inputs are back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from itertools import compress, repeat
from operator import is_
from typing import NamedTuple, cast

from pydantic import BaseModel

from contract.bounds import Strict
from contract.messages import Observed
from contract.reasons import Reason
from rules import params
from rules.context import Context, Place
from rules.model import Rule, RuleSet
from rules.outcome import Alert, Decision, Suppression
from rules.state import EngineState, FallbackState, RuleState
from rules.timing import cron_trigger, latest_fire

__all__ = ["Alert", "Decision", "EngineState", "Evaluation", "Judged", "Place", "Suppression", "evaluate", "judge"]


class Evaluation(Strict):
    state: EngineState
    decisions: list[Decision]  # highest priority first, then by rule id
    suppressions: list[Suppression]  # in rule-file order
    alerts: list[Alert]  # in rule-file order


class Judged(NamedTuple):
    """An evaluation's outcome as plain values (``judge``): what ``Evaluation`` holds, its state as the two maps
    ``EngineState`` is made of, which ``state`` makes only when it is asked for (the edge keeps it; a replay of
    a season does not)."""

    rules: dict[str, RuleState]
    unusable: dict[str, FallbackState]
    decisions: list[Decision]  # highest priority first, then by rule id
    suppressions: list[Suppression]  # in rule-file order
    alerts: list[Alert]  # in rule-file order

    def state(self) -> EngineState:
        # Every rule's state filled in by its kind's step or settle: valid already. ``v`` given, not looked up.
        return EngineState.model_construct(v=2, rules=self.rules, unusable=self.unusable)


def evaluate(
    ruleset: RuleSet, state: EngineState, latest: Mapping[str, Observed], now: datetime, place: Place
) -> Evaluation:
    """Every enabled rule once at ``now`` (timezone-aware), at the site ``place``."""
    judged = judge(ruleset, state.rules, state.unusable, latest, now, place)
    return Evaluation(
        state=judged.state(), decisions=judged.decisions, suppressions=judged.suppressions, alerts=judged.alerts
    )


def judge(
    ruleset: RuleSet,
    kept: Mapping[str, BaseModel],
    was: Mapping[str, FallbackState],
    latest: Mapping[str, Observed],
    now: datetime,
    place: Place,
) -> Judged:
    """``evaluate`` from an engine state's two maps (rules' states, rules whose inputs were unusable), which it does
    not change; the state it leaves as the same two maps."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    ctx = Context(latest, now, place)
    # Every enabled rule's state in file order: first those whose step would change nothing, judged by kind.
    states: dict[str, BaseModel | None] = dict.fromkeys(ruleset.enabled_ids)
    for settler in ruleset.settlers:
        settler(kept, ctx, states)
    for rule_id in was:
        if rule_id in states:
            states[rule_id] = None  # its inputs were unusable: its step says whether they are back
    unusable: dict[str, FallbackState] = {}
    decisions: list[Decision] = []
    suppressions: list[Suppression] = []
    alerts: list[Alert] = []
    # Only the rules left unsettled, in file order: at most evaluations none, and the loop is not run for the others.
    for rule in compress(ruleset.enabled, map(is_, states.values(), repeat(None))):
        outcome = rule.advance(kept.get(rule.id), ctx)
        states[rule.id] = outcome.state
        # Most evaluations of most rules say nothing: spared the empty extends.
        if outcome.decisions:
            decisions += outcome.decisions
        if outcome.suppressions:
            suppressions += outcome.suppressions
        if outcome.alerts:
            alerts += outcome.alerts
        was_unusable = was.get(rule.id) if was else None
        if outcome.unusable is not None:
            if was_unusable is None:
                alerts.append(Alert.input_unusable(rule, outcome.unusable))
            fallback = was_unusable or FallbackState(since=now, last_checked=now)
            fallback, decision = _fallback(rule, fallback, ctx)
            unusable[rule.id] = fallback
            if decision is not None:
                decisions.append(decision)
        elif was_unusable is not None:
            alerts.append(Alert.input_restored(rule))
    decisions.sort(key=lambda d: (-d.priority, d.rule))
    return Judged(cast(dict[str, RuleState], states), unusable, decisions, suppressions, alerts)


def _fallback(rule: Rule, state: FallbackState, ctx: Context) -> tuple[FallbackState, Decision | None]:
    fallback, action = rule.fallback, rule.fallback_action()
    if fallback is None or action is None:
        return state, None
    now = ctx.now
    if fallback.cron is not None:
        fire = latest_fire(cron_trigger(fallback.cron, ctx.tz), state.last_checked, now, fallback.misfire_grace_s)
        due = fire is not None
    else:
        assert fallback.every_s is not None  # Fallback has one timer
        due = now - (state.last_run or state.since) >= timedelta(seconds=fallback.every_s)
    checked = state.model_copy(update={"last_checked": now})
    if not due:
        return checked, None
    decision = Decision.run(rule, action, Reason.RULE_FALLBACK, params.named(rule), {})
    return checked.model_copy(update={"last_run": now}), decision
