"""Schedule rules: crontab, interval and sun times in the site's zone, one fire for missed times within grace,
and skip_if."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from contract.config_file import ConfigError
from contract.kinds import Quality
from contract.messages import Reading
from contract.reasons import Reason
from rules.engine import EngineState, Evaluation
from rules.model import load_rules
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
from tests.rules.irrigation_builders import FROST, RAINING, SOIL_WET, local, polls, refusal, restarted, weather

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
        "metric": "soil-a1,soil-a2",
        "aggregate": "mean",
        "kind": "soil_vwc_pct",
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


# --- every_s and sun timers -------------------------------------------------------------------------------


def _timed(**timer: object) -> Replay:
    """MORNING_WATER_A with ``timer`` in place of its cron line."""
    rule = {k: v for k, v in MORNING_WATER_A.items() if k != "cron"}
    return Replay(ruleset({**rule, **timer}))


def _at_params(result: Evaluation) -> list[str]:
    return [d.reason_params["at"] for d in result.decisions]


def test_every_s_in_a_window_fires_from_the_window_start_up_to_and_including_its_end() -> None:
    replay = _timed(every_s=5400, between={"from": "06:30", "to": "11:00"})
    two_days = polls(local(1, 15, 5), local(1, 16, 12), 30)
    fired = replay.fire_times(two_days, _moist)
    morning = [local(1, 15, 6, 30), local(1, 15, 8), local(1, 15, 9, 30), local(1, 15, 11)]
    assert fired == [*morning, *(t + timedelta(days=1) for t in morning)]


def test_every_s_without_a_window_keeps_one_grid_from_local_midnight_whenever_the_edge_started() -> None:
    for first_look in (local(1, 15, 5, 17), local(1, 15, 5, 59, 30)):
        replay = _timed(every_s=5400)
        fired = replay.fire_times(polls(first_look, local(1, 15, 10, 30), 30), _moist)
        # 00:00, 01:30, 03:00, 04:30, 06:00, 07:30 … in steps of 90 minutes.
        assert fired == [local(1, 15, 6), local(1, 15, 7, 30), local(1, 15, 9), local(1, 15, 10, 30)]


def test_the_interval_says_its_grid_time_and_fires_once_for_missed_times_within_grace() -> None:
    replay = _timed(every_s=600, between={"from": "06:00", "to": "18:00"})
    replay.step(local(1, 15, 6, 1), _moist(SIX_AM))
    # Down from 06:01 to 06:34:30: 06:10, 06:20 and 06:30 were missed; 06:30 is within the 15-minute grace.
    assert _at_params(replay.step(local(1, 15, 6, 34, 30), _moist(SIX_AM))) == ["06:30"]
    # Down until 06:56: 06:40 is 16 minutes late, past grace, and 06:50 is the latest anyway.
    assert _at_params(replay.step(local(1, 15, 6, 56), _moist(SIX_AM))) == ["06:50"]


def test_the_first_evaluation_of_an_interval_only_looks_even_on_a_grid_time() -> None:
    replay = _timed(every_s=3600)
    assert replay.step(local(1, 15, 7), _moist(SIX_AM)).decisions == []
    assert replay.fire_times(polls(local(1, 15, 7, 0, 30), local(1, 15, 8), 30), _moist) == [local(1, 15, 8)]


# Sunrise in Sa Pa (SAPA: 22.34 N, 103.84 E, 1500 m) by rules.sun, tested against published times in
# test_sun.py: 06:42:22.6 on 15 January, 05:15:58.1 on 15 June; sunset 17:45:40.4 on 15 January.
@pytest.mark.parametrize(
    ("second_before", "at"),
    [(local(1, 15, 7, 12, 22), "07:12"), (local(6, 15, 5, 45, 58), "05:45")],
    ids=["january", "june"],
)
def test_thirty_minutes_after_sunrise_in_sa_pa_is_an_hour_and_a_half_earlier_in_june(
    second_before: datetime, at: str
) -> None:
    replay = _timed(sun={"event": "sunrise", "offset_min": 30})
    replay.step(second_before - timedelta(hours=2), _moist(second_before))
    assert replay.step(second_before, _moist(second_before)).decisions == []
    second_after = second_before + timedelta(seconds=1)
    assert _at_params(replay.step(second_after, _moist(second_after))) == [at]
    # Once a day: the rest of the day fires nothing more.
    rest_of_day = polls(second_after + timedelta(minutes=1), second_after + timedelta(hours=20), 60)
    assert replay.fire_times(rest_of_day, _moist) == []


def test_an_hour_before_sunset_fires_once_a_day_at_the_days_own_time() -> None:
    replay = _timed(sun={"event": "sunset", "offset_min": -60})
    fired = replay.fire_times(polls(local(1, 15, 12), local(1, 16, 18), 60), _moist)
    # 16:45:40 on the 15th, 16:46:22 on the 16th: the first poll after each.
    assert fired == [local(1, 15, 16, 46), local(1, 16, 16, 47)]


def test_a_sun_time_missed_within_grace_is_caught_up_after_a_restart_and_one_missed_longer_is_dropped() -> None:
    before = _timed(sun={"event": "sunrise", "offset_min": 30})
    before.step(local(1, 15, 7), _moist(SIX_AM))
    after = restarted(before)
    assert _at_params(after.step(local(1, 15, 7, 27), _moist(SIX_AM))) == ["07:12"]

    late = restarted(before)
    assert late.step(local(1, 15, 7, 28), _moist(SIX_AM)).decisions == []


# --- skip conditions technicians ask for: wet soil, rain, frost ----------------------------------------------


@pytest.mark.parametrize(
    ("weather_now", "metric", "value", "op", "threshold"),
    [
        ({"soil_vwc_pct": 41.0}, {"metric": "soil-a1,soil-a2", "aggregate": "mean"}, "41", ">", "38"),
        ({"rain_mm_h": 0.4}, {"metric": "rain"}, "0.4", ">", "0"),
        ({"air_temp_c": 2.5}, {"metric": "air-temp"}, "2.5", "<", "4"),
    ],
    ids=["soil-wet", "raining", "frost"],
)
def test_wet_soil_rain_and_frost_each_skip_a_sun_timed_watering(
    weather_now: dict[str, float], metric: dict[str, str], value: str, op: str, threshold: str
) -> None:
    replay = _timed(sun={"event": "sunrise", "offset_min": 30}, skip_if=[SOIL_WET, RAINING, FROST])
    replay.step(local(1, 15, 7), weather(local(1, 15, 7)))
    result = replay.step(local(1, 15, 7, 13), weather(local(1, 15, 7, 13), **weather_now))

    assert result.decisions == []
    [skipped] = result.suppressions
    assert skipped.reason is Reason.RULE_SCHEDULE_SKIPPED
    assert skipped.reason_params == {
        "rule": "morning-water-khu-a",
        "at": "07:12",
        **metric,
        "kind": next(iter(weather_now)),
        "value": value,
        "op": op,
        "threshold": threshold,
    }
    assert_exact_params(skipped)


def test_dry_soil_no_rain_and_no_frost_waters_and_records_all_three_inputs() -> None:
    replay = _timed(sun={"event": "sunrise", "offset_min": 30}, skip_if=[SOIL_WET, RAINING, FROST])
    replay.step(local(1, 15, 7), weather(local(1, 15, 7)))
    [decision] = replay.step(local(1, 15, 7, 13), weather(local(1, 15, 7, 13))).decisions
    assert decision.inputs == {
        "soil-a1": 30.0,
        "soil-a2": 30.0,
        "mean(soil-a1, soil-a2)": 30.0,
        "rain": 0.0,
        "air-temp": 15.0,
    }


# --- what a technician is told about a bad timer ------------------------------------------------------------


@pytest.mark.parametrize(
    ("timer", "loc", "why"),
    [
        ({}, (), "give the rule a timer: cron, every_s or sun"),
        ({"cron": "0 6 * * *", "sun": {"event": "sunrise"}}, (), "only one timer of cron, every_s or sun"),
        ({"cron": "0 6 * * *", "every_s": 600}, (), "this rule has cron and every_s"),
        ({"cron": "0 6 * * *", "between": {"from": "06:00", "to": "09:00"}}, (), "between: only for every_s"),
        ({"every_s": 600, "between": {"from": "17:00", "to": "06:00"}}, ("between",), "must be earlier than to"),
        ({"every_s": 600, "between": {"from": 1020, "to": "18:00"}}, ("between", "from"), "in quotes"),
        ({"every_s": 600, "between": {"from": "6:00", "to": "18:00"}}, ("between", "from"), '"HH:MM"'),
        ({"every_s": 600, "between": {"from": "06:00", "to": "24:00"}}, ("between", "to"), '"HH:MM"'),
        ({"every_s": 0}, ("every_s",), "greater than 0"),
        ({"sun": {"event": "sunrise", "offset_min": 400}}, ("sun", "offset_min"), "less than or equal to 360"),
        ({"sun": {"event": "moonrise"}}, ("sun", "event"), "'dawn', 'sunrise', 'noon', 'sunset' or 'dusk'"),
    ],
)
def test_a_bad_timer_is_refused_naming_the_field_and_what_is_wrong(
    timer: dict[str, object], loc: tuple[str, ...], why: str
) -> None:
    rule = {k: v for k, v in MORNING_WATER_A.items() if k != "cron"}
    where, message = refusal({**rule, **timer})
    assert where == ("rules", 0, *loc)
    assert why in message


def test_an_unquoted_time_of_day_in_a_rule_file_is_pointed_at_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: 1\nrules:\n  - id: water\n    kind: schedule\n    every_s: 3600\n"
        "    between: {from: '06:00', to: 17:00}\n    action: {actuator: valve-a, on_for_s: 300}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}:6: rules[0].between.to: "), problem
    assert 'write the time of day in quotes, e.g. "17:00"' in problem
