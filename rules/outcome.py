"""What evaluating a rule produces: decisions to act, suppressions saying why not, alerts for people."""

from __future__ import annotations

from typing import Generic, NamedTuple, TypeVar

from pydantic import BaseModel, Field

from contract.bounds import Strict
from contract.messages import MAX_DURATION_S, Id, Severity
from contract.reasons import Reason
from rules import params
from rules.base import Action, RuleBase
from rules.inputs import MetricValue

# A rule kind's own state model (rules/kinds/).
S = TypeVar("S", bound=BaseModel)


class Decision(Strict):
    """A rule asks for an actuator run; the edge's controller arbitrates it against safety and overrides."""

    rule: Id
    actuator: Id
    on: bool = True
    duration_s: float = Field(gt=0, le=MAX_DURATION_S)
    position_pct: float | None = Field(default=None, ge=0, le=100)
    priority: int
    reason: Reason
    reason_params: dict[str, str]
    # The usable sensor values it was based on, by sensor id, and each metric under its label.
    inputs: dict[str, float]
    # Asked again at every evaluation while the rule wants it (a heater, a vent position): its duration is only
    # how long it lasts if the asking stops, not when it ends, so no end time is shown for it.
    held: bool = False

    @classmethod
    def run(
        cls,
        rule: RuleBase,
        action: Action,
        reason: Reason,
        reason_params: dict[str, str],
        inputs: dict[str, float],
        *,
        duration_s: float | None = None,
        position_pct: float | None = None,
        held: bool = False,
    ) -> Decision:
        """``action`` as ``rule`` asks for it, with why; duration and position default to the action's."""
        return cls(
            rule=rule.id,
            actuator=action.actuator,
            duration_s=duration_s if duration_s is not None else action.on_for_s,
            position_pct=position_pct if position_pct is not None else action.position_pct,
            priority=rule.priority,
            reason=reason,
            reason_params=reason_params,
            inputs=inputs,
            held=held,
        )


class Suppression(Strict):
    """A rule that would have acted and did not, with why."""

    rule: Id
    reason: Reason
    reason_params: dict[str, str]
    inputs: dict[str, float]


class Alert(Strict):
    """Something a person should know: raised (again, while it lasts, if the rule repeats it) or cleared."""

    rule: Id
    raised: bool
    severity: Severity
    reason: Reason
    reason_params: dict[str, str]
    inputs: dict[str, float]

    @classmethod
    def input_unusable(cls, rule: RuleBase, metric: MetricValue) -> Alert:
        """``rule`` cannot use ``metric``: raised once when it becomes unusable, with the values refused."""
        return cls(
            rule=rule.id,
            raised=True,
            severity=Severity.WARNING,
            reason=Reason.RULE_INPUT_UNUSABLE,
            reason_params=params.input_unusable(rule, metric),
            inputs=metric.rejected,
        )

    @classmethod
    def input_restored(cls, rule: RuleBase) -> Alert:
        return cls(
            rule=rule.id,
            raised=False,
            severity=Severity.INFO,
            reason=Reason.RULE_INPUT_RESTORED,
            reason_params=params.named(rule),
            inputs={},
        )


class RuleOutcome(NamedTuple, Generic[S]):
    state: S
    decisions: tuple[Decision, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    alerts: tuple[Alert, ...] = ()
    # Set when the rule could not judge because an input is unusable: the engine then raises the
    # input alert and runs the rule's fallback timer.
    unusable: MetricValue | None = None
