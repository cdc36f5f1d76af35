"""Building blocks shared by every rule kind: metrics, comparisons, actions, and the fields every rule has."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from functools import cached_property
from math import fsum
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator, model_validator

from contract.bounds import Strict
from contract.messages import MAX_DURATION_S, Id
from contract.naming import Named
from contract.site import Greenhouse
from contract.validation_words import Mistake, Words
from rules.timing import Crontab

Duration = Annotated[float, Field(gt=0, le=MAX_DURATION_S)]
Priority = Annotated[int, Field(ge=0, le=100)]
Percent = Annotated[float, Field(ge=0, le=100)]


class Aggregate(StrEnum):
    MEAN = "mean"
    MIN = "min"
    MAX = "max"


def _mean(values: Sequence[float]) -> float:
    return fsum(values) / len(values)  # ``statistics.fmean`` of a list, to the bit, without its checks


# How a metric's values are combined into its one number.
Combine = Callable[[Sequence[float]], float]
_AGGREGATES: dict[Aggregate, Combine] = {
    Aggregate.MEAN: _mean,
    Aggregate.MIN: min,
    Aggregate.MAX: max,
}


class Metric(Strict):
    """One number from one or more sensors of the same kind."""

    sensors: list[Id] = Field(min_length=1)
    aggregate: Aggregate = Aggregate.MEAN

    @field_validator("sensors")
    @classmethod
    def _distinct(cls, sensors: list[str]) -> list[str]:
        if len(set(sensors)) != len(sensors):
            raise Mistake("một cảm biến được ghi nhiều lần", "a sensor is listed more than once")
        return sensors

    @cached_property
    def key(self) -> tuple[tuple[str, ...], Aggregate]:
        """What makes two metrics the same number: rules that read the same sensors the same way share it."""
        return tuple(self.sensors), self.aggregate

    @cached_property
    def combine(self) -> Combine:
        """How the values of the metric's sensors are combined: found once, as a metric is read at every poll."""
        return _AGGREGATES[self.aggregate]

    @cached_property
    def label(self) -> str:
        """How the metric is named in reasons and audit inputs, e.g. ``mean(soil-a1, soil-a2)``."""
        if len(self.sensors) == 1:
            return self.sensors[0]
        return f"{self.aggregate.value}({', '.join(self.sensors)})"


class Comparison(Strict):
    """A metric below or above a limit, judged only on readings fit to drive an actuator."""

    metric: Metric
    below: float | None = None
    above: float | None = None
    # Readings older than this, or not of good quality, are unusable.
    max_input_age_s: Duration = 300

    @field_validator("above")
    @classmethod
    def _not_both(cls, above: float | None, info: ValidationInfo) -> float | None:
        if above is not None and info.data.get("below") is not None:
            raise Mistake("ghi below hoặc above, không ghi cả hai", "give either below or above, not both")
        return above

    @model_validator(mode="after")
    def _one_limit(self) -> Comparison:
        if self.below is None and self.above is None:
            raise Mistake("ghi một ngưỡng: below hoặc above", "give a limit: below or above")
        return self

    @property
    def op(self) -> str:
        return "<" if self.below is not None else ">"

    @property
    def limit(self) -> float:
        if self.below is not None:
            return self.below
        assert self.above is not None  # _one_limit guarantees one of them
        return self.above

    def holds(self, value: float) -> bool:
        return self._past(value, self.limit)

    def _past(self, value: float, limit: float) -> bool:
        return value < limit if self.below is not None else value > limit


class Trigger(Comparison):
    """A comparison with hysteresis: once true, it stays true until the metric is back past the release limit."""

    hysteresis: float = Field(default=0, ge=0)

    @property
    def release_limit(self) -> float:
        """Where a true condition becomes false again: the limit moved back by the hysteresis."""
        return self.limit + self.hysteresis if self.below is not None else self.limit - self.hysteresis

    def still_holds(self, value: float) -> bool:
        """For a condition that is already true: it stays true until the value is past the release limit."""
        return self._past(value, self.release_limit)

    def limit_in_force(self, value: float) -> float:
        """The limit to name beside ``value``: inside the hysteresis band it is the release one, so that
        "29 < 28" is never said."""
        return self.limit if self.holds(value) else self.release_limit


class Action(Strict):
    actuator: Id
    on_for_s: Duration
    # Only for positional actuators (vents, curtains, screens), which need it.
    position_pct: Percent | None = None


def distinct_actuators(actions: list[Action]) -> None:
    """Refuses a rule that names an actuator in two of its parts: they would fight over it."""
    used = [a.actuator for a in actions]
    twice = sorted({a for a in used if used.count(a) > 1})
    if twice:
        raise Mistake(
            f"thiết bị {', '.join(twice)} được ghi ở nhiều phần của luật",
            f"actuator(s) {', '.join(twice)} named in more than one part of the rule",
        )


class Fallback(Strict):
    """What a rule does while its inputs are unusable: a timer, in place of the sensors it cannot trust."""

    cron: Crontab | None = None  # crontab line in the site's time zone, as a schedule rule's
    every_s: Duration | None = None  # or a fixed interval, counted from the last fallback run
    action: Action | None = None  # by default the rule's own action
    misfire_grace_s: Duration = 900

    @model_validator(mode="after")
    def _one_timer(self) -> Fallback:
        if (self.cron is None) == (self.every_s is None):
            raise Mistake("cho fallback một mốc giờ: cron hoặc every_s", "give the fallback one timer: cron or every_s")
        return self


class RuleBase(Named):
    priority: Priority = 50  # higher wins when rules want the same actuator
    enabled: bool = True
    # Used when the rule's inputs are stale or flagged bad; an alert is raised either way.
    fallback: Fallback | None = None

    @model_validator(mode="after")
    def _fallback_has_action(self) -> RuleBase:
        if self.fallback is not None and self.fallback.action is None and len(self.actions()) != 1:
            raise Mistake(
                "fallback: luật này không có đúng một hành động để dựa vào; ghi fallback.action",
                "fallback: this rule has no single action to fall back on; give fallback.action",
            )
        return self

    def fallback_action(self) -> Action | None:
        if self.fallback is None:
            return None
        return self.fallback.action or self.actions()[0]

    def metrics(self) -> list[Metric]:
        """Every metric the rule reads, so that its sensors can be checked against the site."""
        return []

    def site_problems(self, greenhouse: Greenhouse) -> list[Words]:
        """What else in this rule does not fit ``greenhouse``, beyond its sensors and actuators existing (both
        languages)."""
        return []

    def actions(self) -> list[Action]:
        """Every action the rule may take, so that its actuators can be checked against the site."""
        return []
