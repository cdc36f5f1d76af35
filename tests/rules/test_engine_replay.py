"""The engine is a pure function: same inputs, same outputs; its state survives JSON; the input state is untouched."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from contract.messages import Reading
from rules.engine import EngineState, Evaluation, evaluate
from tests.rules.builders import DRY_SOIL_A, MORNING_WATER_A, SAPA, SIX_AM, every, ruleset, soil_a

RULES = ruleset(
    DRY_SOIL_A,
    MORNING_WATER_A,
    {**DRY_SOIL_A, "id": "dry-soil-early", "priority": 70, "for_s": 60},
    {**DRY_SOIL_A, "id": "a-dry-soil-backup", "priority": 50, "action": {"actuator": "valve-b", "on_for_s": 60}},
)
DAY = every(30, 6 * 3600, start=SIX_AM - timedelta(hours=3))


def _soil(now: datetime) -> dict[str, Reading]:
    """Dries slowly, is watered, sometimes goes stale."""
    minute = int((now - DAY[0]).total_seconds()) // 60
    stale = 100 <= minute < 110
    return soil_a(24.0 + (minute % 90) / 10, 25.0, now - timedelta(seconds=600) if stale else now)


def _run(through_json: bool) -> list[Evaluation]:
    state, results = EngineState(), []
    for now in DAY:
        if through_json:
            state = EngineState.model_validate_json(state.model_dump_json())
        result = evaluate(RULES, state, _soil(now), now, SAPA)
        results.append(result)
        state = result.state
    return results


def test_the_same_inputs_give_identical_outputs() -> None:
    first, second = _run(through_json=False), _run(through_json=False)
    assert [r.model_dump_json() for r in first] == [r.model_dump_json() for r in second]
    assert sum(len(r.decisions) for r in first) > 5 and sum(len(r.alerts) for r in first) >= 2


def test_state_round_trips_through_json_without_changing_any_outcome() -> None:
    assert _run(through_json=True) == _run(through_json=False)


def test_the_given_state_is_not_changed() -> None:
    state = EngineState()
    for now in DAY[:20]:
        before = state.model_dump_json()
        result = evaluate(RULES, state, _soil(now), now, SAPA)
        assert state.model_dump_json() == before
        state = result.state


def test_decisions_come_highest_priority_first_then_by_rule_id() -> None:
    scrambled = ruleset(
        *({**DRY_SOIL_A, "id": i, "priority": p} for i, p in [("c", 50), ("a", 50), ("z", 90), ("b", 10)])
    )
    state = evaluate(scrambled, EngineState(), soil_a(25.0, 25.0, DAY[0]), DAY[0], SAPA).state
    later = DAY[0] + timedelta(seconds=300)
    result = evaluate(scrambled, state, soil_a(25.0, 25.0, later), later, SAPA)
    assert [d.rule for d in result.decisions] == ["z", "a", "c", "b"]


def test_the_state_keeps_only_rules_of_the_current_set_and_restarts_a_rule_whose_kind_changed() -> None:
    state = evaluate(RULES, EngineState(), _soil(DAY[0]), DAY[0], SAPA).state
    renamed = ruleset({**MORNING_WATER_A, "id": "dry-soil-khu-a"})
    state = evaluate(renamed, state, _soil(DAY[1]), DAY[1], SAPA).state
    assert state.model_dump()["rules"] == {"dry-soil-khu-a": {"kind": "schedule", "last_checked": DAY[1]}}


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(RULES, EngineState(), {}, datetime(2026, 1, 15, 6, 0), SAPA)
