"""Small builders for rule-engine tests: readings, rule sets, and a replay that keeps the engine state."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from contract.kinds import Quality, SensorKind
from contract.messages import Reading
from contract.reasons import Reason, render
from contract.wording import MODIFIERS
from rules.engine import Alert, Decision, EngineState, Evaluation, Place, Suppression, evaluate
from rules.model import RuleSet

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
# Sa Pa, Lào Cai: the mountain north the rules are written for.
SAPA = Place(HCM, latitude=22.34, longitude=103.84, elevation_m=1500)
# 06:00 on 15 January 2026 in Hanoi is 23:00 UTC the day before.
SIX_AM = datetime(2026, 1, 14, 23, 0, tzinfo=UTC)
T0 = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)

DRY_SOIL_A: dict[str, Any] = {
    "id": "dry-soil-khu-a",
    "name": "Đất khô khu A",
    "kind": "threshold",
    "priority": 50,
    "metric": {"sensors": ["soil-a1", "soil-a2"], "aggregate": "mean"},
    "below": 28,
    "hysteresis": 2,
    "for_s": 300,
    "max_input_age_s": 300,
    "action": {"actuator": "valve-a", "on_for_s": 480},
}

MORNING_WATER_A: dict[str, Any] = {
    "id": "morning-water-khu-a",
    "kind": "schedule",
    "priority": 40,
    "cron": "0 6,16 * * *",
    "misfire_grace_s": 900,
    "action": {"actuator": "valve-a", "on_for_s": 360},
    "skip_if": [{"metric": {"sensors": ["soil-a1", "soil-a2"]}, "above": 38}],
}


def ruleset(*rules: dict[str, Any], version: int = 1) -> RuleSet:
    return RuleSet.model_validate({"version": version, "rules": list(rules)})


def at(seconds: float, start: datetime = T0) -> datetime:
    return start + timedelta(seconds=seconds)


def reading(
    sensor: str,
    value: float | None,
    ts: datetime,
    quality: Quality = Quality.GOOD,
    kind: SensorKind = SensorKind.SOIL_VWC_PCT,
) -> Reading:
    return Reading(sensor=sensor, kind=kind, value=value, ts=ts, quality=quality)


def soil_a(a1: float, a2: float, ts: datetime, quality: Quality = Quality.GOOD) -> dict[str, Reading]:
    """Both zone-A soil sensors, read at ``ts``."""
    return {"soil-a1": reading("soil-a1", a1, ts, quality), "soil-a2": reading("soil-a2", a2, ts, quality)}


class Replay:
    """Evaluates the rules one poll at a time, as the edge agent does, carrying the state along."""

    def __init__(self, rules: RuleSet, state: EngineState | None = None) -> None:
        self.rules = rules
        self.state = state or EngineState()

    def step(self, now: datetime, latest: Mapping[str, Reading]) -> Evaluation:
        result = evaluate(self.rules, self.state, latest, now, SAPA)
        self.state = result.state
        return result

    def fire_times(
        self, times: list[datetime], latest_at: Callable[[datetime], Mapping[str, Reading]]
    ) -> list[datetime]:
        """When decisions came out, polling at ``times`` with readings ``latest_at(now)``."""
        return [now for now in times if self.step(now, latest_at(now)).decisions]


def every(seconds: float, until: float, start: datetime = T0) -> list[datetime]:
    """Poll times from ``start`` up to and including ``start + until``."""
    return [at(s, start) for s in range(0, int(until) + 1, int(seconds))]


def template_fields(reason: Reason) -> set[str]:
    """The parameters a reason's Vietnamese and English texts use (both must agree)."""
    vi, en = (set(re.findall(r"\{(\w+)\}", render(reason, {}, lang))) for lang in ("vi", "en"))
    assert vi == en
    return vi


def assert_exact_params(outcome: Decision | Suppression | Alert) -> None:
    assert set(outcome.reason_params) - MODIFIERS == template_fields(outcome.reason)
