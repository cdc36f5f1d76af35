"""What evaluating a rule produces: a decision to act, or a suppression saying why it did not."""

from __future__ import annotations

from typing import NamedTuple

from pydantic import Field

from contract.messages import MAX_DURATION_S, Id
from contract.reasons import Reason
from contract.site import Strict
from rules.model import RuleBase
from rules.state import RuleState


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

    @classmethod
    def to_act(
        cls, rule: RuleBase, reason: Reason, reason_params: dict[str, str], inputs: dict[str, float]
    ) -> Decision:
        """The run ``rule``'s action asks for, with why."""
        return cls(
            rule=rule.id,
            actuator=rule.action.actuator,
            duration_s=rule.action.on_for_s,
            position_pct=rule.action.position_pct,
            priority=rule.priority,
            reason=reason,
            reason_params=reason_params,
            inputs=inputs,
        )


class Suppression(Strict):
    """A rule that would have acted, or could not judge, and did not act."""

    rule: Id
    reason: Reason
    reason_params: dict[str, str]
    inputs: dict[str, float]


class RuleOutcome(NamedTuple):
    state: RuleState
    decision: Decision | None = None
    suppression: Suppression | None = None
