"""The pure rule engine: rules, remembered state, the latest readings and the time in; decisions out.

No I/O and no clock: ``now`` is an argument, so the same inputs always give the same
outputs, which is what makes replay, simulation and tests possible.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TypeVar, assert_never
from zoneinfo import ZoneInfo

from contract.messages import Reading
from contract.site import Strict
from rules import schedule, threshold
from rules.model import Rule, RuleSet, ScheduleRule, ThresholdRule
from rules.outcome import Decision, RuleOutcome, Suppression
from rules.state import EngineState, RuleState, ScheduleState, ThresholdState

__all__ = ["Decision", "EngineState", "Evaluation", "Suppression", "evaluate"]

_S = TypeVar("_S", ThresholdState, ScheduleState)


class Evaluation(Strict):
    state: EngineState
    decisions: list[Decision]  # highest priority first, then by rule id
    suppressions: list[Suppression]  # in rule-file order


def evaluate(
    ruleset: RuleSet, state: EngineState, latest: Mapping[str, Reading], now: datetime, tz: ZoneInfo
) -> Evaluation:
    """Every rule once at ``now`` (timezone-aware); ``tz`` is the site's, for crontab times."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    states: dict[str, RuleState] = {}
    decisions: list[Decision] = []
    suppressions: list[Suppression] = []
    for rule in ruleset.rules:
        outcome = _step(rule, state.rules.get(rule.id), latest, now, tz)
        states[rule.id] = outcome.state
        if outcome.decision is not None:
            decisions.append(outcome.decision)
        if outcome.suppression is not None:
            suppressions.append(outcome.suppression)
    decisions.sort(key=lambda d: (-d.priority, d.rule))
    return Evaluation(state=EngineState(rules=states), decisions=decisions, suppressions=suppressions)


def _step(
    rule: Rule, previous: RuleState | None, latest: Mapping[str, Reading], now: datetime, tz: ZoneInfo
) -> RuleOutcome:
    match rule:
        case ThresholdRule():
            return threshold.step(rule, _own(previous, ThresholdState), latest, now)
        case ScheduleRule():
            return schedule.step(rule, _own(previous, ScheduleState), latest, now, tz)
        case _:
            assert_never(rule)


def _own(previous: RuleState | None, kind: type[_S]) -> _S:
    """The rule's remembered state; a fresh one if it has none, or if it was left by a rule of another kind."""
    return previous if isinstance(previous, kind) else kind()
