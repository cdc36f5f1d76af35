"""What the engine remembers between evaluations; JSON, so that the edge keeps it across restarts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from contract.bounds import Strict
from contract.messages import Id
from rules.kinds.alert import AlertState
from rules.kinds.climate import ClimateState
from rules.kinds.frost import FrostState
from rules.kinds.radiation import RadiationState
from rules.kinds.schedule import ScheduleState
from rules.kinds.sequence import SequenceState
from rules.kinds.threshold import ThresholdState
from rules.kinds.vpd import VpdState

RuleState = Annotated[
    ThresholdState | ScheduleState | RadiationState | SequenceState | ClimateState | VpdState | FrostState | AlertState,
    Field(discriminator="kind"),
]


class FallbackState(Strict):
    """A rule whose inputs are unusable: since when, and its fallback timer."""

    since: AwareDatetime
    last_checked: AwareDatetime  # cron fire times up to here have been dealt with
    last_run: AwareDatetime | None = None  # the interval counts from here, or from ``since``


class EngineState(Strict):
    v: Literal[2] = 2  # refuse a stored state written by an incompatible version rather than misread it
    rules: dict[Id, RuleState] = Field(default_factory=dict)
    unusable: dict[Id, FallbackState] = Field(default_factory=dict)
