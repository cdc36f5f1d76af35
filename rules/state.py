"""What the engine remembers between evaluations, per rule; JSON so that the edge can keep it across restarts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from contract.messages import Id
from contract.site import Strict


class ThresholdState(Strict):
    kind: Literal["threshold"] = "threshold"
    # The Schmitt trigger's output: the condition with its hysteresis applied.
    active: bool = False
    # When the condition last became true; None while it is false or its inputs are unusable.
    true_since: AwareDatetime | None = None
    # End of the last pulse: the for_s wait before the next one counts from here.
    blocked_until: AwareDatetime | None = None
    # So that an unusable input is reported when it becomes unusable, not at every evaluation.
    inputs_unusable: bool = False


class ScheduleState(Strict):
    kind: Literal["schedule"] = "schedule"
    # Fire times up to here have been dealt with.
    last_checked: AwareDatetime | None = None


RuleState = Annotated[ThresholdState | ScheduleState, Field(discriminator="kind")]


class EngineState(Strict):
    v: Literal[1] = 1  # refuse a stored state written by an incompatible version rather than misread it
    rules: dict[Id, RuleState] = Field(default_factory=dict)
