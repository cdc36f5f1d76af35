"""VPD rules: misting pulses while the air is too dry, venting while it is too humid, the band's hysteresis,
the misting window and temperature floors, unusable inputs and restarts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from contract.reasons import Reason, render
from rules.engine import Evaluation
from tests.rules.builders import Replay, assert_exact_params, ruleset
from tests.rules.irrigation_builders import air, local, polls, refusal, restarted

NOON = local(1, 15, 12)
VPD: dict[str, Any] = {
    "id": "vpd",
    "kind": "vpd",
    "priority": 40,
    "air_temp": {"sensors": ["air-temp"]},
    "air_rh": {"sensors": ["air-rh"]},
    "low_kpa": 0.4,
    "high_kpa": 1.2,
    "hysteresis_kpa": 0.1,
    "misting": {"actuators": ["mister"], "on_s": 20, "off_s": 100},
    "venting": {"actuators": ["roof-vent"], "position_pct": 20},
}


def _replay(**changes: Any) -> Replay:
    return Replay(ruleset({**VPD, **changes}))


def _asked(evaluation: Evaluation) -> dict[str, float | None]:
    return {d.actuator: d.position_pct for d in evaluation.decisions}


def test_the_vpd_is_fao_56_es_minus_ea_and_dry_air_is_misted_in_pulses() -> None:
    replay = _replay()
    times = polls(NOON, NOON + timedelta(minutes=5), 10)
    # 25 °C: e° = 3.168 kPa (FAO-56 Annex 2, table 2.3); at 60 % RH the deficit is 0.4 × 3.168 = 1.267 kPa.
    fired = [now for now in times if replay.step(now, air(now, 25.0, 60.0)).decisions]
    # A 20 s pulse, then 100 s for the mist to evaporate: one pulse every 2 minutes.
    assert fired == [NOON, NOON + timedelta(minutes=2), NOON + timedelta(minutes=4)]
    six = NOON + timedelta(minutes=6)
    [pulse] = replay.step(six, air(six, 25.0, 60.0)).decisions
    assert (pulse.actuator, pulse.duration_s, pulse.position_pct, pulse.reason) == (
        "mister",
        20,
        None,
        Reason.RULE_VPD_MISTING,
    )
    assert pulse.reason_params["vpd_kpa"] == "1.267111"
    assert {k: v for k, v in pulse.reason_params.items() if k != "vpd_kpa"} == {
        "rule": "vpd",
        "limit_kpa": "1.2",
        "on_s": "20",
    }
    assert pulse.inputs["vpd_kpa"] == pytest.approx(1.267, abs=0.001)
    assert_exact_params(pulse)
    assert (
        render(pulse.reason, pulse.reason_params, "en")
        == "vpd: air too dry (VPD, the air's drying power, 1.27 kPa, above 1.20 kPa): misting for 20 s"
    )


def test_misting_goes_on_until_the_vpd_is_back_past_the_hysteresis_and_a_new_dry_spell_starts_at_once() -> None:
    replay = _replay(misting={**VPD["misting"], "off_s": 40})  # one pulse a minute
    # 25 °C: 62 % RH is 1.204 kPa (dry), 63 % 1.172 kPa (still dry: not below 1.1), 66 % 1.077 kPa (back).
    rh_by_minute = [62.0, 63.0, 63.0, 66.0, 66.0, 62.0]
    fired = [
        bool(replay.step(NOON + timedelta(minutes=i), air(NOON, 25.0, rh)).decisions)
        for i, rh in enumerate(rh_by_minute)
    ]
    assert fired == [True, True, True, False, False, True]


@pytest.mark.parametrize(
    ("when", "temp_c", "why"),
    [(local(1, 15, 19), 25.0, "after sunset"), (NOON, 11.0, "colder than min_temp_c 12 °C")],
)
def test_no_misting_outside_its_window_or_in_coldair(when: datetime, temp_c: float, why: str) -> None:
    replay = _replay()
    assert replay.step(when, air(when, temp_c, 20.0)).decisions == [], why


def test_misting_at_any_hour_when_its_window_is_switched_off() -> None:
    replay = _replay(misting={**VPD["misting"], "window": False})
    evening = local(1, 15, 19)
    assert _asked(replay.step(evening, air(evening, 25.0, 20.0))) == {"mister": None}


def test_humid_air_holds_the_vents_open_until_the_vpd_is_back_past_the_hysteresis() -> None:
    replay = _replay()
    # 20 °C: e° = 2.338 kPa; 80 % RH is 0.468 kPa (in the band), 90 % is 0.234 kPa (humid),
    # 82 % 0.421 kPa (humid still: not yet above 0.5), 75 % 0.585 kPa (back in the band).
    evaluations = [
        replay.step(NOON + timedelta(minutes=i), air(NOON + timedelta(minutes=i), 20.0, rh))
        for i, rh in enumerate([80.0, 90.0, 82.0, 75.0])
    ]
    assert [_asked(e) for e in evaluations] == [{}, {"roof-vent": 20}, {"roof-vent": 20}, {}]
    vent = evaluations[1].decisions[0]
    assert (vent.duration_s, vent.reason) == (120, Reason.RULE_VPD_VENTING)
    assert (vent.reason_params["limit_kpa"], vent.reason_params["position_pct"]) == ("0.4", "20")
    assert render(vent.reason, vent.reason_params, "vi").startswith("vpd: không khí quá ẩm (độ khô VPD 0,23 kPa")
    assert_exact_params(vent)


def test_no_humidity_venting_in_air_colder_than_its_floor() -> None:
    replay = _replay(venting={**VPD["venting"], "min_temp_c": 8})
    night = local(1, 15, 3)
    assert replay.step(night, air(night, 6.0, 98.0)).decisions == []
    assert _asked(replay.step(night, air(night, 9.0, 98.0))) == {"roof-vent": 20}


def test_an_unusable_humidity_reading_stops_the_rule_and_the_cycle_starts_afresh_when_it_is_back() -> None:
    replay = _replay(misting={**VPD["misting"], "off_s": 280})  # one pulse in 5 minutes
    assert replay.step(NOON, air(NOON, 25.0, 50.0)).decisions
    broken = replay.step(NOON + timedelta(minutes=1), air(NOON + timedelta(minutes=1), 25.0, None))
    assert broken.decisions == []
    assert [(a.reason, a.reason_params["unusable"]) for a in broken.alerts] == [
        (Reason.RULE_INPUT_UNUSABLE, "air-rh:no_reading")
    ]
    back = replay.step(NOON + timedelta(minutes=2), air(NOON + timedelta(minutes=2), 25.0, 50.0))
    assert _asked(back) == {"mister": None}
    assert [a.reason for a in back.alerts] == [Reason.RULE_INPUT_RESTORED]


def test_the_misting_cycle_survives_a_restart() -> None:
    replay = _replay()
    replay.step(NOON, air(NOON, 25.0, 50.0))
    resumed = restarted(replay)
    assert resumed.step(NOON + timedelta(seconds=110), air(NOON, 25.0, 50.0)).decisions == []
    assert _asked(resumed.step(NOON + timedelta(seconds=120), air(NOON, 25.0, 50.0))) == {"mister": None}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"low_kpa": 1.0, "high_kpa": 1.1}, "must be further apart than twice hysteresis_kpa"),
        ({"misting": None, "venting": None}, "give the rule something to drive"),
    ],
)
def test_a_bad_vpd_rule_is_refused_with_what_is_wrong(changes: dict[str, Any], message: str) -> None:
    loc, msg = refusal({**VPD, **changes})
    assert loc == ("rules", 0)
    assert message in msg
