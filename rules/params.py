"""Reason parameters, exactly those that each reason's text in contract.reasons uses, as machine values: ids and
numbers, which ``contract.wording`` puts in words for each reader (names from the site, the reader's locale)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rules.base import Comparison, RuleBase
from rules.inputs import MetricValue


def number(value: float) -> str:
    """The value as a machine reads it back; the reader's digits are chosen when it is put in words."""
    return repr(round(value, 6) or 0.0).removesuffix(".0")  # `or 0.0`: no "-0"


def metric(value: MetricValue) -> dict[str, str]:
    """Which sensors a metric reads, how they are combined and what they measure: said as "Khu A average"."""
    said = {"metric": ",".join(value.sensors)}
    if len(value.sensors) > 1:
        said["aggregate"] = value.aggregate
    if value.kind is not None:
        said["kind"] = value.kind.value
    return said


def named(rule: RuleBase) -> dict[str, str]:
    """The rule as reasons name it: its name (or id), and its English name where it has one."""
    return {"rule": rule.label, **({"rule_en": rule.name_en} if rule.name_en else {})}


def local_time(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%H:%M")


def schedule(rule: RuleBase, at: str) -> dict[str, str]:
    return {**named(rule), "at": at}


def schedule_skipped(rule: RuleBase, at: str, condition: Comparison, value: MetricValue) -> dict[str, str]:
    assert value.value is not None  # only skipped on a usable value
    return {
        **named(rule),
        "at": at,
        **metric(value),
        "value": number(value.value),
        "op": condition.op,
        "threshold": number(condition.limit),
    }


def input_unusable(rule: RuleBase, value: MetricValue) -> dict[str, str]:
    return {**named(rule), "unusable": value.why_unusable}
