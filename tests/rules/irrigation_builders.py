"""Builders for the irrigation-timing tests: local times in Sa Pa, weather and solar readings, replays."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from contract.kinds import Quality, SensorKind
from contract.messages import Reading
from rules.engine import EngineState, Evaluation
from tests.rules.builders import HCM, Replay, reading, ruleset, soil_a

Readings = Callable[[datetime], Mapping[str, Reading]]

# The three skip conditions technicians ask for, on the example greenhouse's sensors.
SOIL_WET = {"metric": {"sensors": ["soil-a1", "soil-a2"]}, "above": 38}
RAINING = {"metric": {"sensors": ["rain"]}, "above": 0}
FROST = {"metric": {"sensors": ["air-temp"]}, "below": 4}


def local(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A local time in 2026 at the site (Asia/Ho_Chi_Minh, UTC+7)."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=HCM)


def polls(start: datetime, end: datetime, every_s: float) -> list[datetime]:
    """Poll times from ``start`` to ``end``, both included."""
    count = int((end - start).total_seconds() // every_s)
    return [start + timedelta(seconds=i * every_s) for i in range(count + 1)]


def solar(w_m2: float | None, ts: datetime, quality: Quality = Quality.GOOD) -> dict[str, Reading]:
    return {"solar": reading("solar", w_m2, ts, quality, SensorKind.SOLAR_W_M2)}


def weather(
    ts: datetime, soil_vwc_pct: float = 30.0, rain_mm_h: float = 0.0, air_temp_c: float = 15.0
) -> dict[str, Reading]:
    """Zone-A soil, rain and air temperature, all read at ``ts``."""
    return {
        **soil_a(soil_vwc_pct, soil_vwc_pct, ts),
        "rain": reading("rain", rain_mm_h, ts, kind=SensorKind.RAIN_MM_H),
        "air-temp": reading("air-temp", air_temp_c, ts, kind=SensorKind.AIR_TEMP_C),
    }


def air(ts: datetime, temp_c: float, rh_pct: float | None, quality: Quality = Quality.GOOD) -> dict[str, Reading]:
    """The greenhouse's air temperature and humidity, read at ``ts``."""
    return {
        "air-temp": reading("air-temp", temp_c, ts, kind=SensorKind.AIR_TEMP_C),
        "air-rh": reading("air-rh", rh_pct, ts, quality, SensorKind.AIR_RH_PCT),
    }


def replay_of(*rules: dict[str, Any]) -> Replay:
    return Replay(ruleset(*rules))


def run(replay: Replay, times: list[datetime], latest_at: Readings) -> list[Evaluation]:
    return [replay.step(now, latest_at(now)) for now in times]


def restarted(replay: Replay) -> Replay:
    """The same rules with the engine state as the edge stores and reloads it across a restart."""
    stored = replay.state.model_dump_json()
    return Replay(replay.rules, EngineState.model_validate_json(stored))


def outputs(evaluations: list[Evaluation]) -> list[tuple[object, ...]]:
    """What the edge acts on and reports, comparable between two runs."""
    return [(e.decisions, e.suppressions, e.alerts) for e in evaluations]


def refusal(rule: dict[str, Any]) -> tuple[tuple[int | str, ...], str]:
    """Where and why a rule set holding only ``rule`` is refused; it must be refused for exactly one reason."""
    with pytest.raises(ValidationError) as caught:
        ruleset(rule)
    [error] = caught.value.errors()
    return error["loc"], error["msg"]
