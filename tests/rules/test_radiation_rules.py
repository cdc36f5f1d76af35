"""Radiation rules: the solar sum against hand-computed integrals, min and max intervals, daylight, restarts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from contract.kinds import Quality
from contract.reasons import Reason
from tests.rules.builders import assert_exact_params, ruleset
from tests.rules.irrigation_builders import local, outputs, polls, refusal, replay_of, restarted, run, solar

RADIATION_A: dict[str, Any] = {
    "id": "radiation-khu-a",
    "kind": "radiation",
    "priority": 45,
    "metric": {"sensors": ["solar"]},
    "radiation_j_cm2": 180,
    "min_interval_s": 1800,
    "action": {"actuator": "valve-a", "on_for_s": 180},
}
# Sunrise and sunset in Sa Pa by rules.sun (see test_sun.py): 15 January 06:42:22 to 17:45:40,
# 16 January from 06:42:23.
NINE_AM = local(1, 15, 9)


def _rule(**changes: object) -> dict[str, Any]:
    return {**RADIATION_A, **changes}


def _constant(w_m2: float) -> Any:
    return lambda now: solar(w_m2, now)


def _sum(replay: Any) -> float:
    return replay.state.rules["radiation-khu-a"].sum_j_cm2


def test_500_w_m2_for_an_hour_is_180_j_cm2_and_waters_on_the_poll_that_reaches_it() -> None:
    replay = replay_of(_rule())
    hour = polls(NINE_AM, NINE_AM + timedelta(hours=1), 30)
    # 500 W/m² × 3600 s = 1.8 MJ/m² = 180 J/cm².
    assert replay.fire_times(hour[:-1], _constant(500)) == []
    assert _sum(replay) == pytest.approx(180 - 500 * 30 * 1e-4)
    [decision] = replay.step(hour[-1], solar(500, hour[-1])).decisions

    assert (decision.actuator, decision.duration_s, decision.priority) == ("valve-a", 180, 45)
    assert decision.reason is Reason.RULE_RADIATION
    assert decision.reason_params == {"rule": "radiation-khu-a", "sum_j_cm2": "180", "threshold_j_cm2": "180"}
    assert_exact_params(decision)
    assert decision.inputs == {"solar": 500.0}
    assert _sum(replay) == 0  # the sum starts again from the watering


def test_a_linear_morning_ramp_sums_as_its_trapezoid_integral() -> None:
    replay = replay_of(_rule(radiation_j_cm2=1000))
    # 0 → 800 W/m² over an hour: the mean 400 W/m² × 3600 s = 144 J/cm², exact for a trapezoid sum.
    ramp = polls(NINE_AM, NINE_AM + timedelta(hours=1), 60)
    run(replay, ramp, lambda now: solar(800 * (now - NINE_AM).total_seconds() / 3600, now))
    assert _sum(replay) == pytest.approx(144)


def test_night_readings_below_zero_take_nothing_off_the_sum() -> None:
    replay = replay_of(_rule(daylight_only=False))
    run(replay, polls(NINE_AM, NINE_AM + timedelta(minutes=10), 60), _constant(500))
    summed = _sum(replay)
    run(replay, polls(NINE_AM + timedelta(minutes=11), NINE_AM + timedelta(minutes=30), 60), _constant(-4))
    # Only the step from 500 to 0 (clamped) adds: (500 + 0) / 2 × 60 s.
    assert _sum(replay) == pytest.approx(summed + 250 * 60 * 1e-4)


def test_an_outage_counts_for_at_most_max_gap_s_and_the_engine_raises_and_clears_the_input_alert() -> None:
    replay = replay_of(_rule(max_gap_s=600))
    replay.step(NINE_AM, solar(500, NINE_AM))
    # Two hours without a usable reading: stale, then flagged, then none at all.
    stale = replay.step(NINE_AM + timedelta(minutes=30), solar(500, NINE_AM))
    assert [(a.reason, a.raised) for a in stale.alerts] == [(Reason.RULE_INPUT_UNUSABLE, True)]
    replay.step(NINE_AM + timedelta(hours=1), solar(900, NINE_AM + timedelta(hours=1), Quality.SPIKE))
    replay.step(NINE_AM + timedelta(hours=1, minutes=30), {})
    assert _sum(replay) == 0

    back = replay.step(NINE_AM + timedelta(hours=2), solar(500, NINE_AM + timedelta(hours=2)))
    assert [(a.reason, a.raised) for a in back.alerts] == [(Reason.RULE_INPUT_RESTORED, False)]
    # 500 W/m² × 600 s, not × 7200 s (which would be 360 J/cm² and a watering).
    assert _sum(replay) == pytest.approx(30)
    assert back.decisions == []


def test_while_the_input_is_unusable_the_fallback_timer_waters() -> None:
    replay = replay_of(_rule(fallback={"every_s": 3600}))
    replay.step(NINE_AM, solar(500, NINE_AM))
    fired = replay.fire_times(polls(NINE_AM + timedelta(seconds=30), NINE_AM + timedelta(hours=2), 30), lambda _: {})
    assert fired == [NINE_AM + timedelta(seconds=30 + 3600)]


def test_a_sum_reached_too_soon_is_held_once_with_when_and_waters_when_the_min_interval_is_over() -> None:
    replay = replay_of(_rule(radiation_j_cm2=30, min_interval_s=1800))
    # 1000 W/m²: 30 J/cm² every 300 s.
    first = replay.fire_times(polls(NINE_AM, NINE_AM + timedelta(seconds=570), 30), _constant(1000))
    assert first == [NINE_AM + timedelta(seconds=300)]

    # 30 J/cm² again at 09:10, only 5 minutes after the watering.
    results = run(replay, polls(NINE_AM + timedelta(seconds=600), NINE_AM + timedelta(minutes=35), 30), _constant(1000))
    held = [s for r in results for s in r.suppressions]
    assert len(held) == 1  # said once, not at every poll
    assert held[0].reason is Reason.RULE_RADIATION_TOO_SOON
    assert held[0].reason_params == {
        "rule": "radiation-khu-a",
        "sum_j_cm2": "30",
        "threshold_j_cm2": "30",
        "since_min": "5",
        "at": "09:35",
    }
    assert_exact_params(held[0])
    [watered] = [r for r in results if r.decisions]
    assert watered.decisions[0].reason_params["sum_j_cm2"] == "180"  # 1000 W/m² × 1800 s
    assert results.index(watered) == (300 + 1800 - 600) // 30  # at 09:35


def test_the_max_interval_waters_on_a_dull_day_and_says_so() -> None:
    replay = replay_of(_rule(radiation_j_cm2=300, max_interval_s=7200))
    fired = replay.fire_times(polls(NINE_AM, NINE_AM + timedelta(hours=5), 60), _constant(50))
    # Counted from the rule's first look until it has watered, then from each watering.
    assert fired == [NINE_AM + timedelta(hours=2), NINE_AM + timedelta(hours=4)]

    replay = replay_of(_rule(radiation_j_cm2=300, max_interval_s=7200))
    [result] = [r for r in run(replay, polls(NINE_AM, NINE_AM + timedelta(hours=2), 60), _constant(50)) if r.decisions]
    [decision] = result.decisions
    assert decision.reason is Reason.RULE_RADIATION_MAX_INTERVAL
    # 50 W/m² × 7200 s = 36 J/cm².
    assert decision.reason_params == {
        "rule": "radiation-khu-a",
        "interval_min": "120",
        "sum_j_cm2": "36",
        "threshold_j_cm2": "300",
    }
    assert_exact_params(decision)


def test_after_sunset_a_reached_sum_waits_for_sunrise_and_the_max_interval_does_not_water_at_night() -> None:
    replay = replay_of(_rule(radiation_j_cm2=100, max_interval_s=7200))
    evening = local(1, 15, 16, 30)
    # 200 W/m² reaches 100 J/cm² after 5000 s, at 17:53:20: after sunset (17:45:40); the poll at 17:53:30
    # has summed 200 W/m² × 5010 s = 100.2 J/cm².
    dusk = polls(evening, local(1, 15, 18), 30)
    results = run(replay, dusk, lambda now: solar(200 if now < local(1, 15, 18) else 0, now))
    assert [r for r in results if r.decisions] == []
    [held] = [s for r in results for s in r.suppressions]
    assert held.reason is Reason.RULE_RADIATION_OUTSIDE_DAYLIGHT
    assert held.reason_params == {
        "rule": "radiation-khu-a",
        "sum_j_cm2": "100.2",
        "threshold_j_cm2": "100",
        "at": "06:42",
    }
    assert_exact_params(held)

    night = polls(local(1, 15, 18, 1), local(1, 16, 7), 60)
    fired = replay.fire_times(night, _constant(0))
    assert fired == [local(1, 16, 6, 43)]  # the first poll after sunrise, 06:42:23


def test_daylight_only_false_waters_at_any_hour_and_a_window_can_be_narrowed_with_offsets() -> None:
    late = polls(local(1, 15, 19), local(1, 15, 20), 60)
    assert replay_of(_rule(daylight_only=False)).fire_times(late, _constant(500)) == [local(1, 15, 20)]

    narrow = {"from": {"event": "sunrise", "offset_min": 60}, "to": {"event": "sunset", "offset_min": -90}}
    replay = replay_of(_rule(radiation_j_cm2=10, min_interval_s=60, daylight_only=narrow))
    # From 07:42:22 to 16:15:40 on 15 January.
    fired = replay.fire_times(polls(local(1, 15, 6), local(1, 15, 18), 60), _constant(1000))
    assert (fired[0], fired[-1]) == (local(1, 15, 7, 43), local(1, 15, 16, 15))


def _day_of_sums(replay: Any, times: list[datetime]) -> list[Any]:
    # A cloudy day: radiation that changes every poll, so that the sum depends on every sample.
    return run(replay, times, lambda now: solar(300 + 200 * ((now.minute * 7) % 5), now))


def test_a_restart_mid_sum_through_stored_json_gives_the_same_decisions_as_running_on() -> None:
    morning = polls(NINE_AM, NINE_AM + timedelta(hours=1, minutes=17), 30)
    afternoon = polls(morning[-1] + timedelta(seconds=30), local(1, 15, 16), 30)
    rules = _rule(radiation_j_cm2=150, min_interval_s=1800, max_interval_s=5400)

    straight = replay_of(rules)
    _day_of_sums(straight, morning)
    assert 0 < _sum(straight) < 150  # stopped mid-sum
    expected = outputs(_day_of_sums(straight, afternoon))

    before = replay_of(rules)
    _day_of_sums(before, morning)
    after = restarted(before)
    assert outputs(_day_of_sums(after, afternoon)) == expected
    assert any(d for d, _, _ in expected)


@pytest.mark.parametrize(
    ("changes", "loc", "why"),
    [
        ({"min_interval_s": 3600, "max_interval_s": 1800}, (), "max_interval_s (1800 s) must be longer"),
        ({"radiation_j_cm2": 0}, ("radiation_j_cm2",), "greater than 0"),
        (
            {"daylight_only": {"from": {"event": "sunset"}, "to": {"event": "sunrise"}}},
            ("daylight_only",),
            "from (sunset +0 min) must come before to (sunrise +0 min)",
        ),
        (
            {"daylight_only": {"from": {"event": "noon", "offset_min": 30}, "to": {"event": "noon"}}},
            ("daylight_only",),
            "must come before",
        ),
        ({"daylight_only": {"form": {"event": "sunrise"}}}, ("daylight_only", "form"), "Extra inputs"),
    ],
)
def test_a_bad_radiation_rule_is_refused_naming_the_field(
    changes: dict[str, object], loc: tuple[str, ...], why: str
) -> None:
    where, message = refusal(_rule(**changes))
    assert where == ("rules", 0, *loc)
    assert why in message


def test_daylight_only_true_is_sunrise_to_sunset_and_false_is_any_time() -> None:
    default, on, off = (ruleset(_rule(**c)).rules[0] for c in ({}, {"daylight_only": True}, {"daylight_only": False}))
    assert default.daylight_only == on.daylight_only
    assert (on.daylight_only.from_.event, on.daylight_only.to.event) == ("sunrise", "sunset")
    assert off.daylight_only is None
