"""The rule language: what a greenhouse's rule file may say, checked when it is read.

A rule set is a revision-numbered list of rules. Each rule's ``kind`` selects its
model, so a new kind of rule is one module in ``rules/kinds/`` (model, state and
step) and one member more in ``Rule`` here and in ``RuleState``. ``check_against_site`` then checks the names a rule set
uses against one greenhouse, which the file alone cannot know.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from contract.bounds import Strict
from contract.config_file import load_model
from contract.site import Actuator, Greenhouse, Sensor
from contract.validation_words import Words
from rules.base import Action, Metric
from rules.kinds.alert import AlertRule
from rules.kinds.climate import ClimateRule
from rules.kinds.frost import FrostRule
from rules.kinds.radiation import RadiationRule
from rules.kinds.schedule import ScheduleRule
from rules.kinds.sequence import SequenceRule
from rules.kinds.threshold import ThresholdRule
from rules.kinds.vpd import VpdRule
from rules.stepping import Settler


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
            # The context goes along: the bound a number broke, our own words in both languages.
            error = PydanticCustomError(error_type, err["msg"], err.get("ctx"))
            errors.append(InitErrorDetails(type=error, loc=loc, input=err["input"]))
        raise ValidationError.from_exception_data(exc.title, errors) from None


# One model per kind (rules/kinds/); each has its own state model and step.
Rule = Annotated[
    ThresholdRule | ScheduleRule | RadiationRule | SequenceRule | ClimateRule | VpdRule | FrostRule | AlertRule,
    Field(discriminator="kind"),
    WrapValidator(_errors_at_fields),
]


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

    @cached_property
    def enabled(self) -> tuple[Rule, ...]:
        """The rules the engine evaluates, in file order; asked at every evaluation of a frozen set."""
        return tuple(rule for rule in self.rules if rule.enabled)

    @cached_property
    def enabled_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.enabled)

    @cached_property
    def settlers(self) -> tuple[Settler, ...]:
        """Each kind's settler over its enabled rules (``Steps.settler``), made once for this frozen set."""
        kinds: dict[type[Rule], list[Any]] = {}  # Any: each list holds only rules of its key's kind
        for rule in self.enabled:
            kinds.setdefault(type(rule), []).append(rule)
        made = (kind.settler(rules) for kind, rules in kinds.items())
        return tuple(settler for settler in made if settler is not None)


def rules_file_text(greenhouse: Greenhouse) -> str | None:
    """The text of the greenhouse's rules file, as this machine has it; None without one."""
    path = greenhouse.rules_file
    return path.read_text(encoding="utf-8") if path is not None and path.is_file() else None


def load_rules(path: Path) -> RuleSet:
    """The rule file at ``path``; raises ConfigError with ``file:line: field: reason`` for each problem."""
    return load_model(path, RuleSet)


def check_against_site(ruleset: RuleSet, greenhouse: Greenhouse) -> list[str]:
    """What in ``ruleset`` does not fit ``greenhouse``, one line each (English); empty when it all fits."""
    return [words.en for words in ruleset_misfits(ruleset, greenhouse)]


def ruleset_misfits(ruleset: RuleSet, greenhouse: Greenhouse) -> list[Words]:
    """``check_against_site`` in both languages, each line naming its rule."""
    return [
        Words(f"luật {rule.id!r}: {p.vi}", f"rule {rule.id!r}: {p.en}")
        for rule in ruleset.rules
        for p in rule_misfits(rule, greenhouse)
    ]


def rule_misfits(rule: Rule, greenhouse: Greenhouse) -> list[Words]:
    """What in one rule does not fit ``greenhouse``, one line each in both languages, without naming the rule."""
    sensors, actuators = greenhouse.sensors, greenhouse.actuators
    zone_pumps = {z.pump for z in greenhouse.zones if z.pump}
    problems: list[Words] = []
    for metric in rule.metrics():
        problems += _metric_problems(metric, sensors, greenhouse.id)
    problems += rule.site_problems(greenhouse)
    fallback = rule.fallback.action if rule.fallback is not None else None
    for action in [*rule.actions(), *([fallback] if fallback else [])]:
        actuator = actuators.get(action.actuator)
        if actuator is None:
            problems.append(
                Words(
                    f"nhà {greenhouse.id!r} không có thiết bị {action.actuator!r}",
                    f"actuator {action.actuator!r} is not in greenhouse {greenhouse.id!r}",
                )
            )
        elif actuator.id in zone_pumps:
            problems.append(
                Words(
                    f"máy bơm {actuator.id!r} chạy theo van của các khu; hãy ghi một van",
                    f"pump {actuator.id!r} follows its zones' valves; name a valve instead",
                )
            )
        else:
            problems += _action_problems(action, actuator)
    return problems


def _metric_problems(metric: Metric, sensors: dict[str, Sensor], greenhouse_id: str) -> list[Words]:
    unknown = [s for s in metric.sensors if s not in sensors]
    problems = [
        Words(f"nhà {greenhouse_id!r} không có cảm biến {s!r}", f"sensor {s!r} is not in greenhouse {greenhouse_id!r}")
        for s in unknown
    ]
    kinds = sorted({sensors[s].kind.value for s in metric.sensors if s in sensors})
    if len(kinds) > 1:
        problems.append(
            Words(
                f"{metric.label} trộn các loại cảm biến khác nhau ({', '.join(kinds)})",
                f"{metric.label} mixes sensor kinds ({', '.join(kinds)})",
            )
        )
    return problems


def _action_problems(action: Action, actuator: Actuator) -> list[Words]:
    problems: list[Words] = []
    if actuator.kind.positional and action.position_pct is None:
        problems.append(
            Words(
                f"{actuator.id!r} là {actuator.kind.value}: ghi action.position_pct",
                f"{actuator.id!r} is a {actuator.kind.value}: give action.position_pct",
            )
        )
    elif not actuator.kind.positional and action.position_pct is not None:
        problems.append(
            Words(
                f"{actuator.id!r} chỉ bật và tắt: bỏ action.position_pct",
                f"{actuator.id!r} switches on and off: remove action.position_pct",
            )
        )
    if not actuator.kind.positional and action.on_for_s > actuator.safety.max_on_s:
        # Safety would clip every run: the rule cannot mean what it says. (A position is not timed by safety.)
        on_for, max_on = f"{action.on_for_s:g}", f"{actuator.safety.max_on_s:g}"
        problems.append(
            Words(
                f"action.on_for_s {on_for.replace('.', ',')} giây dài hơn thời gian {actuator.id!r} được chạy "
                f"(safety max_on_s {max_on.replace('.', ',')} giây)",
                f"action.on_for_s {on_for} s is longer than {actuator.id!r} may run (safety max_on_s {max_on} s)",
            )
        )
    return problems
