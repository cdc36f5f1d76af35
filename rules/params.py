"""Reason parameters, exactly those that each reason's text in contract.reasons uses, formatted for people."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rules.base import Comparison, RuleBase
from rules.inputs import MetricValue


def number(value: float, unlike: float | None = None) -> str:
    """One decimal at most (26.43 → "26.4", 28.0 → "28"), more if one would make ``value``
    look equal to the limit it is compared with (27.96 against 28 → "27.96", not "28 < 28")."""
    for decimals in (1, 2, 3):
        text = f"{round(value, decimals) or 0.0:.{decimals}f}".rstrip("0").rstrip(".")  # `or 0.0`: no "-0"
        if unlike is None or text != number(unlike):
            return text
    return repr(value)


def local_time(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%H:%M")


def schedule(rule: RuleBase, at: str) -> dict[str, str]:
    return {"rule": rule.label, "at": at}


def schedule_skipped(rule: RuleBase, at: str, condition: Comparison, value: float) -> dict[str, str]:
    return {
        "rule": rule.label,
        "at": at,
        "metric": condition.metric.label,
        "value": number(value, unlike=condition.limit),
        "op": condition.op,
        "threshold": number(condition.limit),
    }


def input_unusable(rule: RuleBase, metric: MetricValue) -> dict[str, str]:
    return {"rule": rule.label, "metric": metric.label, "why": metric.why_unusable}
