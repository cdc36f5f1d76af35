"""Alert rules: the delay before raising, repeats while it lasts, clearing by hysteresis or by a clear condition
held for a while, unusable inputs and restarts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from contract.kinds import Quality, SensorKind
from contract.messages import Reading, Severity
from contract.reasons import Reason, render
from rules.engine import Evaluation
from tests.rules.builders import Replay, assert_exact_params, reading, ruleset
from tests.rules.irrigation_builders import local, refusal, restarted

NOON = local(1, 15, 12)
TOO_HOT: dict[str, Any] = {
    "id": "too-hot",
    "name": "Quá nóng",
    "kind": "alert",
    "severity": "critical",
    "metric": {"sensors": ["air-temp"]},
    "above": 35,
    "hysteresis": 2,
    "for_s": 300,
    "repeat_s": 1800,
}
TANK_LOW: dict[str, Any] = {
    "id": "tank-low",
    "name": "Bể nước sắp cạn",
    "kind": "alert",
    "metric": {"sensors": ["tank-level"]},
    "below": 20,
    "clear_when": {"metric": {"sensors": ["tank-level"]}, "above": 50},
}


def _temp(ts: datetime, value: float | None, quality: Quality = Quality.GOOD) -> dict[str, Reading]:
    return {"air-temp": reading("air-temp", value, ts, quality, SensorKind.AIR_TEMP_C)}


def _tank(ts: datetime, value: float) -> dict[str, Reading]:
    return {"tank-level": reading("tank-level", value, ts, kind=SensorKind.TANK_LEVEL_PCT)}


def _by_minute(replay: Replay, values: list[float], start: datetime = NOON) -> list[Evaluation]:
    times = [start + timedelta(minutes=i) for i in range(len(values))]
    return [replay.step(now, _temp(now, v)) for now, v in zip(times, values, strict=True)]


def _alerts(evaluations: list[Evaluation]) -> list[tuple[int, Reason]]:
    return [(minute, a.reason) for minute, e in enumerate(evaluations) for a in e.alerts]


def test_raised_after_its_delay_repeated_while_it_lasts_and_cleared_past_the_hysteresis() -> None:
    # Hot from 12:00; 34 °C (minute 40) is still inside the 2 °C hysteresis; 32 °C (minute 42) is past it.
    values = [36.0] * 40 + [34.0, 34.0, 32.0, 32.0]
    evaluations = _by_minute(Replay(ruleset(TOO_HOT)), values)
    assert _alerts(evaluations) == [
        (5, Reason.RULE_ALERT),  # five minutes after it started
        (35, Reason.RULE_ALERT_REPEATED),  # 30 minutes after it was raised
        (42, Reason.RULE_ALERT_CLEARED),
    ]
    raised, repeated, cleared = (a for e in evaluations for a in e.alerts)
    assert (raised.raised, raised.severity) == (True, Severity.CRITICAL)
    assert render(raised.reason, raised.reason_params) == "air-temp 36,0 °C — trên 35,0 °C, từ 12:00"
    said = render(repeated.reason, repeated.reason_params, "en")
    assert said == "Still so: air-temp 36.0 °C — above 35.0 °C, since 12:00"
    assert (cleared.raised, cleared.severity) == (False, Severity.INFO)
    assert render(cleared.reason, cleared.reason_params, "en") == "Over: air-temp back to 32.0 °C"
    assert raised.inputs == {"air-temp": 36.0}
    for alert in (raised, repeated, cleared):
        assert_exact_params(alert)
    assert all(e.decisions == [] for e in evaluations)  # an alert drives nothing


def test_one_odd_reading_alerts_nobody_the_delay_starts_again_after_it() -> None:
    evaluations = _by_minute(Replay(ruleset(TOO_HOT)), [36.0, 36.0, 36.0, 30.0] + [36.0] * 6)
    assert _alerts(evaluations) == [(9, Reason.RULE_ALERT)]  # five minutes after minute 4
    assert evaluations[9].alerts[0].reason_params["since"] == "12:04"


def test_without_repeat_s_it_is_raised_once_and_without_for_s_at_once() -> None:
    rule = {k: v for k, v in TOO_HOT.items() if k not in ("repeat_s", "for_s")}
    evaluations = _by_minute(Replay(ruleset(rule)), [36.0] * 120)
    assert _alerts(evaluations) == [(0, Reason.RULE_ALERT)]


def test_clear_for_s_must_hold_and_a_relapse_neither_clears_nor_re_raises() -> None:
    rule = {**TOO_HOT, "clear_for_s": 600, "repeat_s": None}
    # Raised at minute 5; cool from minute 10 but hot again at minute 15; cool for good from minute 16.
    values = [36.0] * 10 + [30.0] * 5 + [36.0] + [30.0] * 12
    evaluations = _by_minute(Replay(ruleset({k: v for k, v in rule.items() if v is not None})), values)
    assert _alerts(evaluations) == [(5, Reason.RULE_ALERT), (26, Reason.RULE_ALERT_CLEARED)]


def test_a_clear_condition_of_its_own_keeps_the_alert_until_it_holds() -> None:
    replay = Replay(ruleset(TANK_LOW))
    levels = [15.0, 30.0, 45.0, 55.0, 15.0]
    times = [NOON + timedelta(minutes=i) for i in range(len(levels))]
    evaluations = [replay.step(now, _tank(now, v)) for now, v in zip(times, levels, strict=True)]
    assert _alerts(evaluations) == [
        (0, Reason.RULE_ALERT),
        (3, Reason.RULE_ALERT_CLEARED),  # only once the tank is above 50 %, not when above 20 %
        (4, Reason.RULE_ALERT),
    ]
    assert evaluations[0].alerts[0].severity is Severity.WARNING  # the default
    assert render(evaluations[0].alerts[0].reason, evaluations[0].alerts[0].reason_params, "en") == (
        "tank-level 15 % — below 20 %, since 12:00"
    )


def test_an_unusable_input_neither_raises_nor_clears_and_the_input_alert_says_why() -> None:
    replay = Replay(ruleset(TOO_HOT))
    _by_minute(replay, [36.0] * 6)  # raised at minute 5
    dead = replay.step(NOON + timedelta(minutes=6), _temp(NOON, 20.0, Quality.FLATLINE))
    assert [(a.reason, a.raised) for a in dead.alerts] == [(Reason.RULE_INPUT_UNUSABLE, True)]
    back = replay.step(NOON + timedelta(minutes=7), _temp(NOON + timedelta(minutes=7), 36.0))
    # Still standing: not raised a second time; the input alert is cleared.
    assert [(a.reason, a.raised) for a in back.alerts] == [(Reason.RULE_INPUT_RESTORED, False)]


def test_a_standing_alert_survives_a_restart_without_being_raised_again() -> None:
    replay = Replay(ruleset(TOO_HOT))
    _by_minute(replay, [36.0] * 10)
    replay = restarted(replay)
    evaluations = _by_minute(replay, [36.0] * 30, start=NOON + timedelta(minutes=10))
    # The repeat still counts from the raise at 12:05: at 12:35, minute 25 of this run.
    assert _alerts(evaluations) == [(25, Reason.RULE_ALERT_REPEATED)]


@pytest.mark.parametrize(
    ("changes", "loc", "message"),
    [
        ({"below": 10}, ("above",), "give either below or above, not both"),
        ({"repeat_s": 0}, ("repeat_s",), "greater than 0"),
        ({"severity": "loud"}, ("severity",), "'info', 'warning' or 'critical'"),
        ({"clear_when": {"metric": {"sensors": ["air-temp"]}}}, ("clear_when",), "give a limit: below or above"),
    ],
)
def test_a_bad_alert_rule_is_refused_at_the_field_at_fault(changes: dict[str, Any], loc: tuple, message: str) -> None:
    where, why = refusal({**TOO_HOT, **changes})
    assert where == ("rules", 0, *loc)
    assert message in why
