"""The rule language: what a greenhouse's rule file may say, checked when it is read.

A rule set is a revision-numbered list of rules. Each rule's ``kind`` selects its
model, so a new kind of rule is one more model in the ``Rule`` union (plus its
step in the engine). ``check_against_site`` then checks the names a rule set
uses against one greenhouse, which the file alone cannot know.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from enum import StrEnum
from pathlib import Path
from statistics import fmean
from typing import Annotated, Literal

from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from contract.config_file import load_model
from contract.messages import MAX_DURATION_S, Id
from contract.site import Actuator, Greenhouse, Sensor, Strict

Duration = Annotated[float, Field(gt=0, le=MAX_DURATION_S)]
Priority = Annotated[int, Field(ge=0, le=100)]


class Aggregate(StrEnum):
    MEAN = "mean"
    MIN = "min"
    MAX = "max"

    def of(self, values: Sequence[float]) -> float:
        if self is Aggregate.MIN:
            return min(values)
        if self is Aggregate.MAX:
            return max(values)
        return fmean(values)


class Metric(Strict):
    """One number from one or more sensors of the same kind."""

    sensors: list[Id] = Field(min_length=1)
    aggregate: Aggregate = Aggregate.MEAN

    @field_validator("sensors")
    @classmethod
    def _distinct(cls, sensors: list[str]) -> list[str]:
        if len(set(sensors)) != len(sensors):
            raise ValueError("a sensor is listed more than once")
        return sensors

    @property
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
            raise ValueError("give either below or above, not both")
        return above

    @model_validator(mode="after")
    def _one_limit(self) -> Comparison:
        if self.below is None and self.above is None:
            raise ValueError("give a limit: below or above")
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


class Action(Strict):
    actuator: Id
    on_for_s: Duration
    # Only for positional actuators (vents, curtains, screens), which need it.
    position_pct: float | None = Field(default=None, ge=0, le=100)


class RuleBase(Strict):
    id: Id
    name: str = ""
    priority: Priority = 50  # higher wins when rules want the same actuator
    action: Action

    @property
    def label(self) -> str:
        return self.name or self.id


class ThresholdRule(RuleBase, Comparison):
    """Act when the metric has been past the limit for ``for_s``, as a pulse of ``action.on_for_s``."""

    kind: Literal["threshold"]
    # Once true, the condition stays true until the metric is this far back past the limit.
    hysteresis: float = Field(default=0, ge=0)
    for_s: Duration

    @property
    def release_limit(self) -> float:
        """Where a true condition becomes false again: the limit moved back by the hysteresis."""
        return self.limit + self.hysteresis if self.below is not None else self.limit - self.hysteresis

    def still_holds(self, value: float) -> bool:
        """For a condition that is already true: it stays true until the value is past the release limit."""
        return self._past(value, self.release_limit)

    def metrics(self) -> list[Metric]:
        return [self.metric]


class ScheduleRule(RuleBase):
    """Act at the times of a crontab line, in the site's time zone, unless a skip condition holds."""

    kind: Literal["schedule"]
    cron: str
    # A fire missed (agent restarting, uplink-free reboot) is still done if at most this late.
    misfire_grace_s: Duration = 900
    skip_if: list[Comparison] = Field(default_factory=list)

    @field_validator("cron")
    @classmethod
    def _parses(cls, cron: str) -> str:
        fields = cron.split()
        if len(fields) == 5:
            day, weekday = fields[2], fields[4]
            # APScheduler 3 counts weekdays from Monday = 0, crontab from Sunday = 0: numbers would be misread.
            if any(c.isdigit() for c in weekday):
                raise ValueError("name the weekdays (mon, tue, … sun) rather than numbering them")
            # crontab fires when either day field matches, APScheduler only when both do.
            if day != "*" and weekday != "*":
                raise ValueError("restrict the day of the month or the day of the week, not both")
        try:
            CronTrigger.from_crontab(cron, timezone=UTC)
        except ValueError as exc:
            raise ValueError(f"not a crontab line (minute hour day month weekday): {exc}") from None
        return cron

    def trigger(self, tz: tzinfo) -> CronTrigger:
        return CronTrigger.from_crontab(self.cron, timezone=tz)

    def metrics(self) -> list[Metric]:
        return [c.metric for c in self.skip_if]


def _errors_at_fields(data: object, handler: ValidatorFunctionWrapHandler) -> object:
    """Point rule errors at fields that are in the file, so that their lines can be found.

    pydantic puts the rule kind in front of the path (rules[0].threshold.below), and
    reports a bad or missing kind at the rule rather than at its ``kind`` field.
    """
    try:
        return handler(data)
    except ValidationError as exc:
        kind = data.get("kind") if isinstance(data, dict) else None
        errors: list[InitErrorDetails] = []
        for err in exc.errors():
            loc, error_type = err["loc"], err["type"]
            if loc[:1] == (kind,):
                loc = loc[1:]
            elif error_type in ("union_tag_invalid", "union_tag_not_found"):
                loc = ("kind",)
                error_type = "missing" if error_type == "union_tag_not_found" else error_type
            error = PydanticCustomError(error_type, err["msg"])
            errors.append(InitErrorDetails(type=error, loc=loc, input=err["input"]))
        raise ValidationError.from_exception_data(exc.title, errors) from None


Rule = Annotated[ThresholdRule | ScheduleRule, Field(discriminator="kind"), WrapValidator(_errors_at_fields)]


class RuleSet(Strict):
    version: int = Field(ge=1)  # revision of this rule set, so that an edge can tell which one it runs
    rules: list[Rule] = Field(default_factory=list)

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[Rule]) -> list[Rule]:
        first: dict[str, int] = {}
        errors: list[InitErrorDetails] = []
        for i, rule in enumerate(rules):
            if rule.id in first:
                error = PydanticCustomError("duplicate_id", "rules[{i}] already has this id", {"i": first[rule.id]})
                errors.append(InitErrorDetails(type=error, loc=(i, "id"), input=rule.id))
            first.setdefault(rule.id, i)
        if errors:
            # Raised with its own path so that the error points at the duplicate's line.
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return rules


def load_rules(path: Path) -> RuleSet:
    """The rule file at ``path``; raises ConfigError with ``file:line: field: reason`` for each problem."""
    return load_model(path, RuleSet)


def check_against_site(ruleset: RuleSet, greenhouse: Greenhouse) -> list[str]:
    """What in ``ruleset`` does not fit ``greenhouse``, one line each; empty when it all fits."""
    sensors, actuators = greenhouse.sensors, greenhouse.actuators
    zone_pumps = {z.pump for z in greenhouse.zones if z.pump}
    problems: list[str] = []
    for rule in ruleset.rules:
        where = f"rule {rule.id!r}"
        for metric in rule.metrics():
            problems += _metric_problems(where, metric, sensors, greenhouse.id)
        actuator = actuators.get(rule.action.actuator)
        if actuator is None:
            problems.append(f"{where}: actuator {rule.action.actuator!r} is not in greenhouse {greenhouse.id!r}")
        elif actuator.id in zone_pumps:
            problems.append(f"{where}: pump {actuator.id!r} follows its zones' valves; name a valve instead")
        else:
            problems += _action_problems(where, rule.action, actuator)
    return problems


def _metric_problems(where: str, metric: Metric, sensors: dict[str, Sensor], greenhouse_id: str) -> list[str]:
    unknown = [s for s in metric.sensors if s not in sensors]
    problems = [f"{where}: sensor {s!r} is not in greenhouse {greenhouse_id!r}" for s in unknown]
    kinds = sorted({sensors[s].kind.value for s in metric.sensors if s in sensors})
    if len(kinds) > 1:
        problems.append(f"{where}: {metric.label} mixes sensor kinds ({', '.join(kinds)})")
    return problems


def _action_problems(where: str, action: Action, actuator: Actuator) -> list[str]:
    problems: list[str] = []
    if actuator.kind.positional and action.position_pct is None:
        problems.append(f"{where}: {actuator.id!r} is a {actuator.kind.value}: give action.position_pct")
    elif not actuator.kind.positional and action.position_pct is not None:
        problems.append(f"{where}: {actuator.id!r} switches on and off: remove action.position_pct")
    if action.on_for_s > actuator.safety.max_on_s:
        # Safety would clip every run: the rule cannot mean what it says.
        problems.append(
            f"{where}: action.on_for_s {action.on_for_s:g} s is longer than {actuator.id!r} may run "
            f"(safety max_on_s {actuator.safety.max_on_s:g} s)"
        )
    return problems
