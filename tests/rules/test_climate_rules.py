"""Climate rules: period setpoints and their ramps, heating with hysteresis, vents over a P-band with a
deadband and rain and wind limits, staged fans, the shade screen, and what unusable inputs do."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from contract.kinds import Quality, SensorKind
from contract.messages import Reading
from contract.reasons import Reason, render
from contract.site_file import load_site
from rules.engine import Evaluation
from rules.model import check_against_site
from rules.periods import DayPeriod, setpoints_at
from rules.sun import SunEvent, sun_time
from tests.conftest import EXAMPLE_SITE
from tests.rules.builders import SAPA, Replay, assert_exact_params, reading, ruleset
from tests.rules.irrigation_builders import local, refusal, restarted

# Sunrise in Sa Pa on 15 January 2026 by rules.sun (see test_sun.py): 06:42:22 local time.
SUNRISE = sun_time(SAPA, local(1, 15, 0).date(), SunEvent.SUNRISE)
NOON = local(1, 15, 12)

PERIODS: list[dict[str, Any]] = [
    {"from": {"sun": {"event": "sunrise"}}, "heating_c": 14, "ventilation_c": 24, "ramp_min": 60},
    {"from": {"clock": "17:00"}, "heating_c": 10, "ventilation_c": 20, "ramp_min": 30},
]
CLIMATE: dict[str, Any] = {
    "id": "climate",
    "kind": "climate",
    "priority": 60,
    "air_temp": {"sensors": ["air-temp"]},
    "periods": PERIODS,
}
VENTS: dict[str, Any] = {"actuators": ["roof-vent", "side-curtain"], "p_band_c": 4}


def _rule(**parts: Any) -> dict[str, Any]:
    return {**CLIMATE, **parts}


def _air(ts: datetime, temp_c: float | None, **others: float | None) -> dict[str, Reading]:
    kinds = {"rain": SensorKind.RAIN_MM_H, "wind": SensorKind.WIND_M_S, "solar": SensorKind.SOLAR_W_M2}
    latest = {"air-temp": reading("air-temp", temp_c, ts, kind=SensorKind.AIR_TEMP_C)}
    for sensor, value in others.items():
        latest[sensor] = reading(sensor, value, ts, kind=kinds[sensor])
    return latest


def _outputs(evaluation: Evaluation) -> dict[str, float | None]:
    """What each actuator is asked for: its position, or None for on."""
    return {d.actuator: d.position_pct for d in evaluation.decisions}


def _temps(replay: Replay, start: datetime, temps: list[float], every_s: int = 60, **others: float) -> list[Evaluation]:
    return [
        replay.step(start + timedelta(seconds=i * every_s), _air(start + timedelta(seconds=i * every_s), t, **others))
        for i, t in enumerate(temps)
    ]


# --- periods and ramps ------------------------------------------------------------------------------


def test_setpoints_ramp_linearly_from_the_previous_period_from_each_start() -> None:
    periods = [DayPeriod.model_validate(p) for p in PERIODS]
    at_sunrise = setpoints_at(periods, SUNRISE, SAPA)
    assert (at_sunrise.heating_c, at_sunrise.ventilation_c, at_sunrise.period) == (10, 20, 0)
    halfway = setpoints_at(periods, SUNRISE + timedelta(minutes=30), SAPA)
    assert (halfway.heating_c, halfway.ventilation_c, halfway.ramping) == pytest.approx((12, 22, True))
    assert setpoints_at(periods, SUNRISE + timedelta(minutes=60), SAPA)[:2] == (14, 24)
    # The evening period ramps down over 30 min from 17:00, and holds through the night until sunrise.
    assert setpoints_at(periods, local(1, 15, 17, 15), SAPA)[:2] == pytest.approx((12, 22))
    assert setpoints_at(periods, local(1, 15, 3), SAPA)[:3] == (10, 20, 1)
    assert setpoints_at(periods, SUNRISE - timedelta(seconds=1), SAPA)[:3] == (10, 20, 1)


def test_the_order_of_the_day_is_the_order_of_the_times_not_of_the_file() -> None:
    reversed_periods = [DayPeriod.model_validate(p) for p in reversed(PERIODS)]
    assert setpoints_at(reversed_periods, NOON, SAPA)[:2] == (14, 24)
    assert setpoints_at(reversed_periods, local(1, 15, 21), SAPA)[:2] == (10, 20)


def test_a_single_period_holds_all_day() -> None:
    [period] = [DayPeriod.model_validate(PERIODS[1])]
    assert setpoints_at([period], NOON, SAPA)[:2] == (10, 20)


# --- heating ----------------------------------------------------------------------------------------


def test_heaters_come_on_below_the_heating_setpoint_and_go_off_only_past_its_hysteresis() -> None:
    replay = Replay(ruleset(_rule(heating={"actuators": ["heater"], "hysteresis_c": 1.0})))
    evaluations = _temps(replay, NOON, [14.0, 13.9, 14.5, 14.9, 15.0])
    assert [_outputs(e) for e in evaluations] == [{}, {"heater": None}, {"heater": None}, {"heater": None}, {}]
    [decision] = evaluations[1].decisions
    assert (decision.duration_s, decision.priority, decision.reason) == (120, 60, Reason.RULE_CLIMATE_HEATING)
    assert decision.reason_params == {"rule": "climate", "temp_c": "13.9", "setpoint_c": "14"}
    assert_exact_params(decision)
    assert decision.inputs == {"air-temp": 13.9}


def test_the_heating_setpoint_follows_the_morning_ramp() -> None:
    replay = Replay(ruleset(_rule(heating={"actuators": ["heater"]})))
    # 30 min after sunrise the heating setpoint is half way from 10 to 14 °C.
    [evaluation] = _temps(replay, SUNRISE + timedelta(minutes=30), [11.9])
    assert evaluation.decisions[0].reason_params["setpoint_c"] == "12"
    [evaluation] = _temps(Replay(replay.rules), SUNRISE + timedelta(minutes=30), [12.1])
    assert evaluation.decisions == []


# --- ventilation ------------------------------------------------------------------------------------


def test_vents_open_in_proportion_over_the_p_band_and_move_only_past_the_deadband() -> None:
    replay = Replay(ruleset(_rule(ventilation=VENTS)))
    temps = [24.0, 25.0, 25.1, 25.15, 26.0, 28.0, 30.0, 27.0]
    positions = [_outputs(e).get("roof-vent") for e in _temps(replay, NOON, temps)]
    # Setpoint 24 °C, P-band 4 °C: 25 °C is 25 %, 26 °C 50 %, 28 °C and above fully open. 25.1 and 25.15 °C
    # want 27.5 and 28.75 %, within the 5 % deadband of 25 %: the vents stay where they are.
    assert positions == [None, 25, 25, 25, 50, 100, 100, 75]
    decision = _temps(replay, NOON + timedelta(minutes=20), [26.0])[0].decisions[0]
    assert (decision.actuator, decision.reason, decision.duration_s) == ("roof-vent", Reason.RULE_CLIMATE_VENTING, 120)
    assert decision.reason_params == {"rule": "climate", "temp_c": "26", "setpoint_c": "24", "position_pct": "50"}
    assert_exact_params(decision)


def test_vents_are_closed_once_when_no_longer_wanted_then_left_to_other_rules() -> None:
    replay = Replay(ruleset(_rule(ventilation=VENTS)))
    evaluations = _temps(replay, NOON, [26.0, 23.0, 22.0, 21.0])
    assert [_outputs(e) for e in evaluations] == [
        {"roof-vent": 50, "side-curtain": 50},
        {"roof-vent": 0, "side-curtain": 0},
        {},
        {},
    ]


def test_max_position_scales_the_p_band() -> None:
    replay = Replay(ruleset(_rule(ventilation={**VENTS, "max_position_pct": 60})))
    assert [_outputs(e).get("roof-vent") for e in _temps(replay, NOON, [26.0, 29.0])] == [30, 60]


def test_rain_holds_the_vents_at_its_limit_and_for_clear_after_s_after_the_last_rain() -> None:
    rain = {"metric": {"sensors": ["rain"]}, "above_mm_h": 0.5, "max_position_pct": 10, "clear_after_s": 600}
    replay = Replay(ruleset(_rule(ventilation={**VENTS, "rain": rain})))
    dry = _temps(replay, NOON, [27.0], rain=0)
    assert _outputs(dry[0])["roof-vent"] == 75
    shower = _temps(replay, NOON + timedelta(minutes=1), [27.0], rain=3.2)[0]
    assert _outputs(shower) == {"roof-vent": 10, "side-curtain": 10}
    assert shower.decisions[0].reason is Reason.RULE_CLIMATE_RAIN_LIMIT
    assert shower.decisions[0].reason_params == {
        "rule": "climate",
        "rain_mm_h": "3.2",
        "position_pct": "10",
        "until": "12:11",
    }
    assert_exact_params(shower.decisions[0])
    # Dry again at 12:02: still held until 10 min after the last rain, then the vents open to 75 % at once.
    after = _temps(replay, NOON + timedelta(minutes=2), [27.0] * 10, rain=0)
    assert [_outputs(e)["roof-vent"] for e in after] == [10] * 9 + [75]


def test_the_tighter_of_rain_and_wind_holds_and_a_limit_holds_vents_closed_even_when_not_wanted() -> None:
    rain = {"metric": {"sensors": ["rain"]}, "max_position_pct": 20}
    wind = {"metric": {"sensors": ["wind"]}, "above_m_s": 8, "max_position_pct": 0}
    replay = Replay(ruleset(_rule(ventilation={**VENTS, "rain": rain, "wind": wind})))
    storm = _temps(replay, NOON, [27.0], rain=5, wind=12)[0]
    assert _outputs(storm) == {"roof-vent": 0, "side-curtain": 0}
    assert storm.decisions[0].reason is Reason.RULE_CLIMATE_WIND_LIMIT
    # Cool and windy: the rule keeps asking for closed vents, so that a lower-priority rule cannot open them.
    cool = _temps(replay, NOON + timedelta(minutes=1), [20.0, 20.0], rain=0, wind=12)
    assert [_outputs(e) for e in cool] == [{"roof-vent": 0, "side-curtain": 0}] * 2


def test_an_unreadable_rain_sensor_is_treated_as_rain_and_alerted_once() -> None:
    rain = {"metric": {"sensors": ["rain"]}, "max_position_pct": 10}
    replay = Replay(ruleset(_rule(ventilation={**VENTS, "rain": rain})))
    broken = [
        replay.step(NOON + timedelta(minutes=i), _air(NOON + timedelta(minutes=i), 27.0)) for i in range(3)
    ]  # no rain reading at all
    assert [_outputs(e)["roof-vent"] for e in broken] == [10, 10, 10]
    assert broken[0].decisions[0].reason is Reason.RULE_CLIMATE_WEATHER_UNKNOWN
    assert broken[0].decisions[0].reason_params == {"rule": "climate", "metric": "rain", "position_pct": "10"}
    assert [(a.raised, a.reason) for a in broken[0].alerts] == [(True, Reason.RULE_INPUT_UNUSABLE)]
    assert broken[1].alerts == [] and broken[2].alerts == []
    back = _temps(replay, NOON + timedelta(minutes=3), [27.0], rain=0)[0]
    assert [(a.raised, a.reason) for a in back.alerts] == [(False, Reason.RULE_INPUT_RESTORED)]
    assert _outputs(back)["roof-vent"] == 75


# --- fans and shade ---------------------------------------------------------------------------------


def test_fan_stages_come_on_one_after_another_above_the_ventilation_setpoint() -> None:
    fans = [{"actuator": "fan-1", "above_c": 2}, {"actuator": "fan-2", "above_c": 4, "hysteresis_c": 1.5}]
    replay = Replay(ruleset(_rule(fans=fans)))
    evaluations = _temps(replay, NOON, [26.0, 26.5, 28.5, 27.0, 26.4, 25.0])
    assert [sorted(_outputs(e)) for e in evaluations] == [
        [],
        ["fan-1"],
        ["fan-1", "fan-2"],
        ["fan-1", "fan-2"],  # stage 2 on at 28 °C, off only below 26.5 °C
        ["fan-1"],
        [],  # stage 1 on above 26 °C, and on until 25 °C
    ]
    stage_two = next(d for d in evaluations[2].decisions if d.actuator == "fan-2")
    assert stage_two.reason_params == {"rule": "climate", "temp_c": "28.5", "on_c": "28", "stage": "2"}
    assert_exact_params(stage_two)


def test_the_shade_screen_is_drawn_in_strong_sun_and_opened_once_when_it_weakens() -> None:
    shade = {"actuator": "shade", "metric": {"sensors": ["solar"]}, "above_w_m2": 700, "position_pct": 80}
    replay = Replay(ruleset(_rule(shade=shade)))
    suns = [650.0, 720.0, 650.0, 590.0, 500.0]
    evaluations = [
        replay.step(NOON + timedelta(minutes=i), _air(NOON + timedelta(minutes=i), 22.0, solar=w))
        for i, w in enumerate(suns)
    ]
    assert [_outputs(e) for e in evaluations] == [{}, {"shade": 80}, {"shade": 80}, {"shade": 0}, {}]
    drawn, opened = evaluations[1].decisions[0], evaluations[3].decisions[0]
    assert (drawn.reason, drawn.reason_params["limit_w_m2"]) == (Reason.RULE_CLIMATE_SHADE, "700")
    assert (opened.reason, opened.reason_params["limit_w_m2"]) == (Reason.RULE_CLIMATE_SHADE_OPEN, "600")
    assert_exact_params(drawn)
    assert_exact_params(opened)
    assert (
        render(opened.reason, opened.reason_params, "vi")
        == "climate: nắng 590 W/m² đã dưới 600 W/m²: thu lưới che nắng"
    )


# --- inputs and state -------------------------------------------------------------------------------


def test_without_a_usable_air_temperature_nothing_is_driven_and_the_fallback_runs() -> None:
    rule = _rule(
        heating={"actuators": ["heater"]},
        ventilation=VENTS,
        fallback={"every_s": 1800, "action": {"actuator": "roof-vent", "on_for_s": 900, "position_pct": 20}},
    )
    replay = Replay(ruleset(rule))
    stale = {"air-temp": reading("air-temp", 30.0, NOON - timedelta(hours=1), kind=SensorKind.AIR_TEMP_C)}
    flagged = {"air-temp": reading("air-temp", 30.0, NOON, Quality.SPIKE, SensorKind.AIR_TEMP_C)}
    first = replay.step(NOON, stale)
    assert first.decisions == [] and [a.reason for a in first.alerts] == [Reason.RULE_INPUT_UNUSABLE]
    assert replay.step(NOON + timedelta(minutes=29), flagged).decisions == []
    [fallback] = replay.step(NOON + timedelta(minutes=30), flagged).decisions
    assert (fallback.actuator, fallback.position_pct, fallback.reason) == ("roof-vent", 20, Reason.RULE_FALLBACK)


def test_the_state_survives_a_restart_mid_rain_hold_and_mid_heating() -> None:
    rain = {"metric": {"sensors": ["rain"]}, "max_position_pct": 10}
    rule = _rule(heating={"actuators": ["heater"]}, ventilation={**VENTS, "rain": rain})
    replay = Replay(ruleset(rule))
    _temps(replay, NOON, [13.0], rain=4)
    resumed = restarted(replay)
    # 14.5 °C keeps the heater on (hysteresis); the rain hold goes on though it has stopped.
    [evaluation] = _temps(resumed, NOON + timedelta(minutes=1), [14.5], rain=0)
    assert _outputs(evaluation) == {"heater": None, "roof-vent": 0, "side-curtain": 0}
    assert evaluation.decisions[1].reason is Reason.RULE_CLIMATE_RAIN_LIMIT


# --- the file and the site --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        (
            {"periods": [{**PERIODS[0], "heating_c": 25}]},
            ("periods", 0),
            "heating_c (25 °C) must be below ventilation_c (24 °C)",
        ),
        ({"periods": []}, ("periods",), "at least 1 item"),
        (
            {"periods": [{**PERIODS[0], "from": {"clock": "06:00", "sun": {"event": "sunrise"}}}]},
            ("periods", 0, "from"),
            "give the period start one time",
        ),
        ({"periods": [{**PERIODS[0], "from": {"clock": 600}}]}, ("periods", 0, "from", "clock"), "in quotes"),
        (
            {"fans": [{"actuator": "fan-1", "above_c": 4}, {"actuator": "fan-2", "above_c": 2}]},
            ("fans",),
            "from the lowest above_c to the highest",
        ),
        ({}, (), "give the rule something to drive"),
        (
            {"heating": {"actuators": ["fan"]}, "fans": [{"actuator": "fan", "above_c": 2}]},
            (),
            "fan named in more than one part",
        ),
        ({"ventilation": {**VENTS, "p_band_c": 0}}, ("ventilation", "p_band_c"), "greater than 0"),
    ],
)
def test_a_bad_climate_rule_is_refused_at_the_field_at_fault(
    changes: dict[str, Any], where: tuple[object, ...], message: str
) -> None:
    loc, msg = refusal(_rule(**changes))
    assert loc == ("rules", 0, *where)
    assert message in msg


def test_the_site_check_names_actuators_and_sensors_of_the_wrong_kind() -> None:
    rule = _rule(
        hold_s=50,
        heating={"actuators": ["fan"]},
        ventilation={**VENTS, "actuators": ["roof-vent", "heater"], "rain": {"metric": {"sensors": ["wind"]}}},
        air_temp={"sensors": ["leaf-temp"]},
    )
    problems = check_against_site(ruleset(rule), load_site(EXAMPLE_SITE).greenhouse("ca-chua-1"))
    assert problems == [
        "rule 'climate': hold_s 50 s must be at least twice the greenhouse's poll_interval_s (30 s)",
        "rule 'climate': 'leaf-temp' is a leaf_temp_c sensor: air_temp needs air_temp_c sensors",
        "rule 'climate': 'wind' is a wind_m_s sensor: the rain limit needs rain_mm_h sensors",
        "rule 'climate': 'fan' is a fan: this part of the rule drives a heater",
        "rule 'climate': 'heater' is a heater: this part of the rule drives a side_curtain or vent",
        "rule 'climate': 'heater' switches on and off: remove action.position_pct",
    ]
