"""Schedule rules: crontab times in the site's zone, one fire for missed times within grace, and skip_if."""

from __future__ import annotations

from datetime import datetime, timedelta

from contract.kinds import Quality
from contract.messages import Reading
from contract.reasons import Reason
from rules.engine import EngineState
from tests.rules.builders import (
    MORNING_WATER_A,
    SIX_AM,
    Replay,
    assert_exact_params,
    at,
    every,
    ruleset,
    soil_a,
)

FOUR_PM = SIX_AM + timedelta(hours=10)


def _moist(now: datetime) -> dict[str, Reading]:
    return soil_a(30.0, 32.0, now)


def _water(**changes: object) -> Replay:
    return Replay(ruleset({**MORNING_WATER_A, **changes}))


def test_fires_at_six_and_four_local_time_which_is_twenty_three_and_nine_utc() -> None:
    replay = _water()
    day = every(30, 24 * 3600, start=SIX_AM - timedelta(hours=1))
    assert replay.fire_times(day, _moist) == [SIX_AM, FOUR_PM]


def test_the_decision_says_when_and_what_the_soil_was() -> None:
    replay = _water()
    replay.step(SIX_AM - timedelta(seconds=30), _moist(SIX_AM))
    result = replay.step(SIX_AM + timedelta(seconds=12), _moist(SIX_AM))

    [decision] = result.decisions
    assert (decision.rule, decision.actuator, decision.duration_s, decision.priority) == (
        "morning-water-khu-a",
        "valve-a",
        360,
        40,
    )
    assert decision.reason is Reason.RULE_SCHEDULE
    assert decision.reason_params == {"rule": "morning-water-khu-a", "at": "06:00"}
    assert_exact_params(decision)
    assert decision.inputs == {"soil-a1": 30.0, "soil-a2": 32.0, "mean(soil-a1, soil-a2)": 31.0}


def test_the_first_evaluation_only_looks_and_never_fires_for_the_time_before_it() -> None:
    replay = _water()
    assert replay.step(SIX_AM, _moist(SIX_AM)).decisions == []
    assert replay.state.rules["morning-water-khu-a"].model_dump() == {"kind": "schedule", "last_checked": SIX_AM}
    assert replay.step(SIX_AM + timedelta(seconds=30), _moist(SIX_AM)).decisions == []


def test_missed_fires_within_grace_come_out_as_one_decision_for_the_latest() -> None:
    replay = _water(cron="*/5 * * * *")
    replay.step(SIX_AM - timedelta(seconds=1), _moist(SIX_AM))
    # Down from 05:59:59 to 06:14:30: 06:00, 06:05 and 06:10 were missed.
    [decision] = replay.step(SIX_AM + timedelta(minutes=14, seconds=30), _moist(SIX_AM)).decisions
    assert decision.reason_params["at"] == "06:10"


def test_a_fire_missed_by_more_than_the_grace_is_dropped_and_the_next_one_still_fires() -> None:
    replay = _water()
    replay.step(SIX_AM - timedelta(minutes=10), _moist(SIX_AM))
    assert replay.step(SIX_AM + timedelta(seconds=901), _moist(SIX_AM)).decisions == []
    assert replay.fire_times(every(60, 11 * 3600, start=SIX_AM + timedelta(seconds=960)), _moist) == [FOUR_PM]


def test_a_fire_missed_by_exactly_the_grace_is_still_done() -> None:
    replay = _water()
    replay.step(SIX_AM - timedelta(minutes=10), _moist(SIX_AM))
    [decision] = replay.step(SIX_AM + timedelta(seconds=900), _moist(SIX_AM)).decisions
    assert decision.reason_params["at"] == "06:00"


def test_an_outage_past_one_fire_and_into_the_next_fires_once_for_the_recent_one() -> None:
    replay = _water()
    replay.step(SIX_AM - timedelta(minutes=10), _moist(SIX_AM))
    [decision] = replay.step(FOUR_PM + timedelta(minutes=5), _moist(FOUR_PM)).decisions
    assert decision.reason_params["at"] == "16:00"


def test_a_restart_with_persisted_state_catches_up_within_grace() -> None:
    before = _water()
    before.step(SIX_AM - timedelta(seconds=30), _moist(SIX_AM))
    stored = before.state.model_dump_json()

    after = Replay(before.rules, EngineState.model_validate_json(stored))
    assert len(after.step(SIX_AM + timedelta(minutes=4), _moist(SIX_AM)).decisions) == 1


def test_wet_soil_skips_the_watering_with_a_reason() -> None:
    replay = _water()
    replay.step(SIX_AM - timedelta(seconds=30), soil_a(39.0, 40.0, SIX_AM))
    result = replay.step(SIX_AM, soil_a(39.0, 40.0, SIX_AM))

    assert result.decisions == []
    [skipped] = result.suppressions
    assert skipped.rule == "morning-water-khu-a"
    assert skipped.reason is Reason.RULE_SCHEDULE_SKIPPED
    assert skipped.reason_params == {
        "rule": "morning-water-khu-a",
        "at": "06:00",
        "metric": "mean(soil-a1, soil-a2)",
        "value": "39.5",
        "op": ">",
        "threshold": "38",
    }
    assert_exact_params(skipped)
    assert skipped.inputs == {"soil-a1": 39.0, "soil-a2": 40.0, "mean(soil-a1, soil-a2)": 39.5}
    # Skipped is done: the next poll does not water either.
    assert replay.step(SIX_AM + timedelta(seconds=30), soil_a(30.0, 30.0, SIX_AM)).decisions == []


def test_the_skip_is_not_applied_when_its_input_is_stale_or_flagged() -> None:
    for latest in (soil_a(39.0, 40.0, SIX_AM - timedelta(hours=1)), soil_a(39.0, 40.0, SIX_AM, Quality.SPIKE), {}):
        replay = _water()
        replay.step(SIX_AM - timedelta(seconds=30), latest)
        result = replay.step(SIX_AM, latest)
        assert [d.rule for d in result.decisions] == ["morning-water-khu-a"]
        assert result.decisions[0].inputs == {}
        assert result.suppressions == []


def test_the_clock_stepping_back_fires_nothing_and_resumes_from_the_new_time() -> None:
    replay = _water()
    replay.step(SIX_AM + timedelta(hours=1), _moist(SIX_AM))
    assert replay.step(SIX_AM - timedelta(minutes=1), _moist(SIX_AM)).decisions == []
    assert replay.fire_times([SIX_AM - timedelta(seconds=30), SIX_AM], _moist) == [SIX_AM]


def test_a_rule_set_without_rules_decides_nothing() -> None:
    result = Replay(ruleset()).step(at(0), {})
    assert (result.decisions, result.suppressions, result.state) == ([], [], EngineState())
