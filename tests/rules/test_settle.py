"""The engine steps only the rules its kinds' settlers cannot settle (``Steps.settler``): what it decides, says and
keeps must be what stepping every rule gives, at every evaluation, through the edges a settler judges — values at
the limit and at the release limit, for-times running out, pulses ending, fire times, inputs going and coming back."""

from __future__ import annotations

import pickle
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from contract.kinds import Quality, SensorKind
from contract.messages import Observed, Reading, Sample
from rules.context import Context
from rules.engine import EngineState, Evaluation, evaluate
from rules.model import RuleSet
from tests.rules.builders import SAPA, SIX_AM, ruleset

SOIL = ["soil-a1", "soil-a2"]


def _rules() -> RuleSet:
    rules: list[dict[str, Any]] = []
    for i, (limit, hysteresis, for_s) in enumerate([(28, 2, 300), (30, 0, 60), (26, 1.5, 120), (32, 3, 600)]):
        rules.append(
            {
                "id": f"below-{i}",
                "kind": "threshold",
                "priority": 50 + i,
                "metric": {"sensors": SOIL, "aggregate": ["mean", "min", "max"][i % 3]},
                "below": limit,
                "hysteresis": hysteresis,
                "for_s": for_s,
                "action": {"actuator": "valve-a", "on_for_s": 180},
            }
        )
        rules.append(
            {
                "id": f"above-{i}",
                "kind": "threshold",
                "metric": {"sensors": ["soil-a1"]},
                "above": limit,
                "hysteresis": hysteresis,
                "for_s": for_s,
                "max_input_age_s": 120,
                "action": {"actuator": "valve-b", "on_for_s": 240},
            }
        )
    rules.append(
        {
            "id": "fallback",
            "kind": "threshold",
            "metric": {"sensors": ["soil-a2"]},
            "below": 29,
            "for_s": 60,
            "action": {"actuator": "valve-b", "on_for_s": 60},
            "fallback": {"every_s": 60},
        }
    )
    for i, cron in enumerate(["*/7 * * * *", "0 6,7 * * *", "30 * * * *"]):
        rules.append(
            {
                "id": f"cron-{i}",
                "kind": "schedule",
                "cron": cron,
                "misfire_grace_s": 300,
                "action": {"actuator": "fan", "on_for_s": 120},
                "skip_if": [{"metric": {"sensors": SOIL}, "above": 33}],
            }
        )
    rules.append(
        {
            "id": "every",
            "kind": "schedule",
            "every_s": 1200,
            "action": {"actuator": "fan", "on_for_s": 60},
        }
    )
    rules.append(
        {
            "id": "sunrise",
            "kind": "schedule",
            "sun": {"event": "sunrise"},
            "action": {"actuator": "fan", "on_for_s": 60},
        }
    )
    rules.append(
        {
            "id": "off",
            "kind": "threshold",
            "enabled": False,
            "metric": {"sensors": SOIL},
            "below": 40,
            "for_s": 60,
            "action": {"actuator": "valve-a", "on_for_s": 60},
        }
    )
    return ruleset(*rules)


def _latest(rnd: random.Random, now: datetime, light: bool) -> dict[str, Observed]:
    latest: dict[str, Observed] = {}
    for sensor in SOIL:
        roll = rnd.random()
        if roll < 0.04:
            continue  # no reading
        # Often exactly at a limit or release limit, where < and <= part.
        value = float(rnd.choice([24, 26, 27.5, 28, 29, 30, 32, 33, 35])) if rnd.random() < 0.4 else rnd.uniform(22, 36)
        quality = Quality.SPIKE if roll < 0.07 else Quality.GOOD
        ts = now - timedelta(seconds=200) if roll < 0.1 else now  # too old for some rules, not for others
        made = Reading(sensor=sensor, kind=SensorKind.SOIL_VWC_PCT, value=value, ts=ts, quality=quality)
        latest[sensor] = made.sample() if light else made
    return latest


def _said(result: Evaluation) -> tuple[object, ...]:
    return (
        result.state.model_dump(),
        [d.model_dump() for d in result.decisions],
        [s.model_dump() for s in result.suppressions],
        [a.model_dump() for a in result.alerts],
    )


@pytest.mark.parametrize("light", [False, True], ids=["reading", "sample"])
def test_settling_rules_changes_nothing_the_engine_decides_says_or_keeps(light: bool) -> None:
    rules = _rules()
    assert len(rules.settlers) == 2  # thresholds and schedules settle
    every_rule_stepped = rules.model_copy()
    every_rule_stepped.__dict__["settlers"] = ()  # what the cached property holds: no settler, every rule stepped
    rnd = random.Random(17)
    settled, stepped = EngineState(), EngineState()
    now = SIX_AM - timedelta(hours=2)
    seen: Counter[str] = Counter()
    for _ in range(3000):
        now += timedelta(seconds=rnd.choice([30, 60, 60, 60, 90, 300]))
        latest = _latest(rnd, now, light)
        fast = evaluate(rules, settled, latest, now, SAPA)
        slow = evaluate(every_rule_stepped, stepped, latest, now, SAPA)
        assert _said(fast) == _said(slow), now
        settled, stepped = fast.state, slow.state
        seen.update(d.reason.value for d in fast.decisions)
        seen.update(s.reason.value for s in fast.suppressions)
        seen.update(a.reason.value for a in fast.alerts)
    # The walk went through what a settler must tell apart: pulses, fire times, skips, inputs lost and back.
    assert {"rule_threshold", "rule_schedule", "rule_schedule_skipped", "rule_fallback"} <= set(seen), seen
    assert {"rule_input_unusable", "rule_input_restored"} <= set(seen), seen


def test_a_quiet_evaluation_steps_no_rule() -> None:
    """What the settlers are for: between changes, every rule is settled and none is stepped."""
    rules = _rules()
    state = EngineState()
    start = SIX_AM + timedelta(minutes=37)  # between the fire times of every rule
    for minute in range(4):
        t = start + timedelta(minutes=minute)
        latest: dict[str, Observed] = {s: Sample(s, SensorKind.SOIL_VWC_PCT, 31.0, t, Quality.GOOD) for s in SOIL}
        state = evaluate(rules, state, latest, t, SAPA).state
    t = start + timedelta(minutes=4)
    latest = {s: Sample(s, SensorKind.SOIL_VWC_PCT, 31.0, t, Quality.GOOD) for s in SOIL}
    into: dict[str, BaseModel | None] = dict.fromkeys(rules.enabled_ids)
    for settler in rules.settlers:
        settler(state.rules, Context(latest, t, SAPA), into)
    assert [rule for rule, kept in into.items() if kept is None] == []


def test_a_rule_set_the_engine_has_used_still_pickles() -> None:
    """Its settlers are kept on the rule set: they must not stop it being copied to another process."""
    rules = _rules()
    t = SIX_AM + timedelta(minutes=37)
    latest: dict[str, Observed] = {s: Sample(s, SensorKind.SOIL_VWC_PCT, 31.0, t, Quality.GOOD) for s in SOIL}
    first = evaluate(rules, EngineState(), latest, t, SAPA)
    copied = pickle.loads(pickle.dumps(rules))
    assert copied == rules and _said(evaluate(copied, EngineState(), latest, t, SAPA)) == _said(first)
