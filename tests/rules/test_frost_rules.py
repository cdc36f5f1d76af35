"""Frost rules: the risk alert and its escalation, protection with hysteresis, fogging pulses, the night window,
the sunrise wash-off (waiting for warmer air, dropped when it never comes), unusable inputs and restarts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from contract.kinds import Quality
from contract.messages import Severity
from contract.reasons import Reason, render
from contract.site_file import load_site
from rules.engine import Evaluation
from rules.model import check_against_site
from tests.conftest import EXAMPLE_SITE
from tests.rules.builders import Replay, assert_exact_params, ruleset
from tests.rules.irrigation_builders import air, local, refusal, restarted

FROST: dict[str, Any] = {
    "id": "frost",
    "name": "Chống sương muối",
    "kind": "frost",
    "priority": 90,
    "air_temp": {"sensors": ["air-temp"]},
    "air_rh": {"sensors": ["air-rh"]},
    "alert_below_c": 2,
    "hysteresis_c": 1,
    "protect": {
        "below_c": 1,
        "heaters": ["heater"],
        "close": ["side-curtain"],
        "screens": ["shade"],
        "fogging": {"actuators": ["mister"], "on_s": 60, "off_s": 240},
    },
    # Sunrise in Sa Pa on 15 January 2026 is 06:42:22, so the wash-off time is 06:57:22.
    "wash_off": {
        "sun": {"event": "sunrise", "offset_min": 15},
        "actions": [{"actuator": "valve-a", "on_for_s": 300}],
        "min_air_temp_c": 0.5,
        "wait_max_min": 60,
    },
    "hold_s": 120,
}
NIGHT = local(1, 15, 2)
# Air temperature and humidity, with the Stull (2011) wet bulb each gives.
MILD = (4.0, 90.0)  # wet bulb 3.01 °C: no risk
CHILLY = (3.0, 80.0)  # 1.21 °C: below the alert limit, above the protection limit
FREEZING = (2.0, 85.0)  # 0.64 °C: protect
HARD_FROST = (1.5, 80.0)  # -0.23 °C


def _replay(**changes: Any) -> Replay:
    return Replay(ruleset({**FROST, **changes}))


def _run(replay: Replay, start: datetime, airs: list[tuple[float, float]]) -> list[Evaluation]:
    """One poll a minute from ``start``, each with the next of ``airs`` read at that poll."""
    times = [start + timedelta(minutes=i) for i in range(len(airs))]
    return [replay.step(now, air(now, *a)) for now, a in zip(times, airs, strict=True)]


def _asked(evaluation: Evaluation) -> dict[str, float | None]:
    return {d.actuator: d.position_pct for d in evaluation.decisions}


def test_a_chilly_night_warns_the_farmer_once_and_a_freezing_one_protects_and_escalates() -> None:
    mild, chilly, chilly_again, freezing = _run(_replay(), NIGHT, [MILD, CHILLY, CHILLY, FREEZING])
    assert (mild.alerts, mild.decisions) == ([], [])

    [risk] = chilly.alerts
    assert (risk.raised, risk.severity, risk.reason) == (True, Severity.WARNING, Reason.RULE_FROST_RISK)
    assert risk.reason_params == {"value": "1.208052", "limit": "2"}
    assert render(risk.reason, risk.reason_params) == "Nguy cơ sương muối: 1,2 °C, dưới 2 °C"
    assert risk.inputs["wet_bulb_c"] == pytest.approx(1.21)
    assert chilly.decisions == [] and chilly_again.alerts == []

    [protecting] = freezing.alerts
    assert (protecting.severity, protecting.reason) == (Severity.CRITICAL, Reason.RULE_FROST_PROTECTING)
    assert render(protecting.reason, protecting.reason_params, "en") == (
        "Frost: 0.6 °C, below 1 °C — protection on"
    )
    # Heating on, the curtain shut, the screen drawn to keep the warmth in, and a fog pulse.
    assert _asked(freezing) == {"heater": None, "side-curtain": 0, "shade": 100, "mister": None}
    reasons = {d.actuator: (d.reason, d.duration_s, d.priority) for d in freezing.decisions}
    assert reasons == {
        "heater": (Reason.RULE_FROST_HEATING, 120, 90),
        "side-curtain": (Reason.RULE_FROST_CLOSING, 120, 90),
        "shade": (Reason.RULE_FROST_SCREEN, 120, 90),
        "mister": (Reason.RULE_FROST_FOGGING, 60, 90),
    }
    for outcome in [risk, protecting, *freezing.decisions]:
        assert_exact_params(outcome)


def test_fog_pulses_every_on_plus_off_seconds_while_heating_and_shutting_are_asked_at_every_poll() -> None:
    evaluations = _run(_replay(), NIGHT, [FREEZING] * 11)
    fogged = [i for i, e in enumerate(evaluations) if "mister" in _asked(e)]
    assert fogged == [0, 5, 10]  # 60 s on, 240 s off: a pulse every 5 minutes
    assert all({"heater", "side-curtain", "shade"} <= set(_asked(e)) for e in evaluations)


def test_protection_and_alert_end_only_past_their_hysteresis_and_the_alert_is_cleared_once() -> None:
    # 1.21 °C is above the protection limit 1 °C but inside its 1 °C hysteresis; 3.01 °C is past both.
    freezing, chilly, mild, mild_again = _run(_replay(), NIGHT, [FREEZING, CHILLY, MILD, MILD])
    assert "heater" in _asked(freezing) and "heater" in _asked(chilly)
    assert chilly.alerts == []
    assert mild.decisions == []
    [cleared] = mild.alerts
    assert (cleared.raised, cleared.severity, cleared.reason) == (False, Severity.INFO, Reason.RULE_FROST_CLEARED)
    assert render(cleared.reason, cleared.reason_params, "en") == "Frost risk over (3 °C)"
    assert mild_again.alerts == []


def test_outside_the_night_window_nothing_happens_unless_the_window_is_switched_off() -> None:
    noon = local(1, 15, 12)
    assert _run(_replay(), noon, [FREEZING]) == _run(_replay(), noon, [MILD])
    [evaluation] = _run(_replay(), noon, [FREEZING])
    assert (evaluation.alerts, evaluation.decisions) == ([], [])
    # The default window runs to two hours after sunrise (08:42): at 08:30 the night still counts.
    [late] = _run(_replay(), local(1, 15, 8, 30), [FREEZING])
    assert "heater" in _asked(late)
    [any_time] = _run(_replay(window=False), noon, [FREEZING])
    assert "heater" in _asked(any_time)


def test_the_dew_point_or_the_air_temperature_can_be_the_indicator() -> None:
    # 3 °C at 80 % RH: dew point -0.12 °C (Magnus), below the alert limit.
    [dew] = _run(_replay(indicator="dew_point"), NIGHT, [CHILLY])
    assert dew.alerts[0].inputs["dew_point_c"] == pytest.approx(-0.12, abs=0.01)
    assert render(dew.alerts[0].reason, dew.alerts[0].reason_params) == "Nguy cơ sương muối: -0,1 °C, dưới 2 °C"
    # The air itself, 3 °C, is above 2 °C: no risk by the air temperature; no humidity sensor needed.
    rule = {**FROST, "indicator": "air_temp"}
    del rule["air_rh"]
    replay = Replay(ruleset(rule))
    assert replay.step(NIGHT, air(NIGHT, *CHILLY)).alerts == []
    [risk] = replay.step(NIGHT + timedelta(minutes=1), air(NIGHT, 1.5, 80.0)).alerts
    assert risk.reason_params["value"] == "1.5"


def _frost_night_then_morning(replay: Replay, morning: list[tuple[float, float]]) -> list[Evaluation]:
    """A hard frost at 03:00, then polls every minute from 06:50 with ``morning``'s air."""
    _run(replay, local(1, 15, 3), [HARD_FROST])
    return _run(replay, local(1, 15, 6, 50), morning)


def test_after_a_frost_night_the_crop_is_washed_off_once_at_its_morning_time() -> None:
    evaluations = _frost_night_then_morning(_replay(), [(1.0, 90.0)] * 20)
    washes = [(i, d) for i, e in enumerate(evaluations) for d in e.decisions if d.actuator == "valve-a"]
    [(minute, wash)] = washes
    assert minute == 8  # 06:58, the first poll after 06:57:22
    assert (wash.reason, wash.duration_s) == (Reason.RULE_FROST_WASH_OFF, 300)
    assert wash.reason_params == {"rule": "Chống sương muối", "at": "06:57", "min_c": "-0.232096"}
    assert render(wash.reason, wash.reason_params) == (
        "Chống sương muối: tưới phá sương lúc 06:57 sau đêm sương muối (thấp nhất -0,2 °C)"
    )
    assert_exact_params(wash)


def test_no_wash_off_after_a_night_without_frost() -> None:
    replay = _replay()
    _run(replay, local(1, 15, 3), [MILD])
    evaluations = _run(replay, local(1, 15, 6, 50), [MILD] * 20)
    assert [d for e in evaluations for d in e.decisions] == []


def test_the_wash_off_waits_for_the_air_to_warm_and_says_so_once() -> None:
    cold, warm = (0.2, 95.0), (0.8, 95.0)
    evaluations = _frost_night_then_morning(_replay(), [cold] * 15 + [warm] * 3)
    waiting = [s for e in evaluations for s in e.suppressions]
    [told] = waiting
    assert told.reason is Reason.RULE_FROST_WASH_WAITING
    assert render(told.reason, told.reason_params, "en") == (
        "Chống sương muối: frost wash-off (06:57) waits: air 0.2 °C, needs 0.5 °C"
    )
    assert_exact_params(told)
    washed_at = [i for i, e in enumerate(evaluations) if "valve-a" in _asked(e)]
    assert washed_at == [15]  # the first poll with the air at 0.8 °C


def test_a_wash_off_whose_air_never_warms_is_dropped_after_wait_max_min() -> None:
    evaluations = _frost_night_then_morning(_replay(), [(0.2, 95.0)] * 70)
    reasons = [s.reason for e in evaluations for s in e.suppressions]
    assert reasons == [Reason.RULE_FROST_WASH_WAITING, Reason.RULE_FROST_WASH_MISSED]
    dropped_at = next(i for i, e in enumerate(evaluations) if e.suppressions and i > 8)
    assert dropped_at == 68  # 07:58, the first poll more than 60 minutes after 06:57:22
    assert not any("valve-a" in _asked(e) for e in evaluations)


def test_a_restart_mid_protection_neither_re_alerts_nor_forgets_the_wash_off() -> None:
    replay = _replay()
    _run(replay, local(1, 15, 3), [HARD_FROST, HARD_FROST])
    replay = restarted(replay)
    [after] = _run(replay, local(1, 15, 3, 2), [HARD_FROST])
    assert after.alerts == [] and "heater" in _asked(after)
    morning = _run(replay, local(1, 15, 6, 50), [(1.0, 90.0)] * 10)
    assert [i for i, e in enumerate(morning) if "valve-a" in _asked(e)] == [8]


def test_an_unusable_humidity_drives_nothing_raises_the_input_alert_and_runs_the_fallback() -> None:
    fallback = {"every_s": 1800, "action": {"actuator": "heater", "on_for_s": 900}}
    replay = _replay(fallback=fallback)
    flagged = air(NIGHT, 2.0, 85.0, Quality.OUT_OF_RANGE)
    evaluation = replay.step(NIGHT, flagged)
    [alert] = evaluation.alerts
    assert alert.reason is Reason.RULE_INPUT_UNUSABLE and alert.reason_params["unusable"] == "air-rh:out_of_range"
    assert evaluation.decisions == []
    later = replay.step(NIGHT + timedelta(minutes=30), flagged)
    assert [(d.actuator, d.reason) for d in later.decisions] == [("heater", Reason.RULE_FALLBACK)]


@pytest.mark.parametrize(
    ("changes", "loc", "message"),
    [
        ({"air_rh": None}, (), "indicator wet_bulb needs the air humidity: give air_rh"),
        ({"protect": {**FROST["protect"], "below_c": 3}}, (), "protect.below_c (3) must not be above alert_below_c"),
        ({"window": {"from": {"event": "sunrise"}}}, ("window",), "a night runs from an evening sun time"),
        ({"protect": {"below_c": 1}}, ("protect",), "give the protection something to drive"),
        (
            {"wash_off": {**FROST["wash_off"], "actions": [{"actuator": "heater", "on_for_s": 60}]}},
            (),
            "actuator(s) heater named in more than one part of the rule",
        ),
        ({"wash_off": {"actions": [{"actuator": "valve-a", "on_for_s": 60}]}}, ("wash_off",), "give the rule a timer"),
    ],
)
def test_a_bad_frost_rule_is_refused_at_the_field_at_fault(changes: dict[str, Any], loc: tuple, message: str) -> None:
    rule = {k: v for k, v in {**FROST, **changes}.items() if v is not None}
    where, why = refusal(rule)
    assert where == ("rules", 0, *loc)
    assert message in why


def test_the_site_check_names_actuators_of_the_wrong_kind() -> None:
    greenhouse = load_site(EXAMPLE_SITE).greenhouse("ca-chua-1")
    wrong = {
        **FROST,
        "protect": {"below_c": 1, "heaters": ["fan"], "close": ["shade"]},
        "wash_off": {**FROST["wash_off"], "actions": [{"actuator": "mister", "on_for_s": 60}]},
    }
    assert check_against_site(ruleset(wrong), greenhouse) == [
        "rule 'frost': 'fan' is a fan: this part of the rule drives a heater",
        "rule 'frost': 'shade' is a shade_screen: this part of the rule drives a side_curtain or vent",
        "rule 'frost': 'mister' is a mister: this part of the rule drives a valve",
    ]
    assert check_against_site(ruleset(FROST), greenhouse) == []
