"""Threshold rules: hysteresis, the for-timer, pulses and the wait after them, and unusable inputs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from contract.kinds import Quality, SensorKind
from contract.messages import Reading, Severity
from contract.reasons import Reason, render
from tests.rules.builders import DRY_SOIL_A, Replay, assert_exact_params, at, every, reading, ruleset, soil_a


def _dry_soil(**changes: object) -> Replay:
    return Replay(ruleset({**DRY_SOIL_A, **changes}))


def test_acts_once_the_soil_has_been_dry_for_for_s_with_the_reason_and_inputs() -> None:
    replay = _dry_soil()
    for s in range(0, 300, 30):
        assert replay.step(at(s), soil_a(26.0, 26.8, at(s))).decisions == []
    result = replay.step(at(300), soil_a(26.0, 26.8, at(300)))

    [decision] = result.decisions
    assert (decision.rule, decision.actuator, decision.on) == ("dry-soil-khu-a", "valve-a", True)
    assert (decision.duration_s, decision.position_pct, decision.priority) == (480, None, 50)
    assert decision.reason is Reason.RULE_THRESHOLD
    assert decision.reason_params == {
        "rule": "Đất khô khu A",
        "metric": "soil-a1,soil-a2",
        "aggregate": "mean",
        "kind": "soil_vwc_pct",
        "value": "26.4",
        "op": "<",
        "threshold": "28",
        "for_min": "5",
    }
    assert_exact_params(decision)
    # Without a site the sensors go by their ids; the number is in the reader's locale, as the tile shows it.
    assert render(decision.reason, decision.reason_params) == (
        "Đất khô khu A: độ ẩm đất trung bình soil-a1 và soil-a2 26 %, dưới 28 % đã 5 phút"
    )
    assert decision.inputs == pytest.approx({"soil-a1": 26.0, "soil-a2": 26.8, "mean(soil-a1, soil-a2)": 26.4})
    assert result.suppressions == []


def test_a_dip_shorter_than_for_s_does_not_act() -> None:
    replay = _dry_soil()
    dips = {0: 27.0, 150: 27.0, 270: 27.0, 300: 31.0, 330: 31.0}
    assert replay.fire_times([at(s) for s in dips], lambda now: soil_a(dips[_s(now)], dips[_s(now)], now)) == []


def test_noise_around_the_limit_inside_the_hysteresis_band_keeps_the_timer() -> None:
    # 29 at the start is inside the band but was never below 28: it does not count.
    values = [29.0, 29.5, 27.9, 28.4, 29.6, 28.1, 27.5, 29.9, 28.8, 29.2, 28.6, 29.4, 28.0]
    replay = _dry_soil()
    times = [at(30 * i) for i in range(len(values))]
    fired = replay.fire_times(times, lambda now: soil_a(values[_s(now) // 30], values[_s(now) // 30], now))
    # Below 28 first at 60 s; every later value stays under the release limit of 30.
    assert fired == [at(360)]


def test_crossing_the_release_limit_resets_the_timer() -> None:
    values = {0: 27.0, 60: 27.0, 120: 30.0, 180: 27.0, 240: 27.0, 300: 27.0, 420: 27.0, 450: 27.0, 480: 27.0}
    replay = _dry_soil()
    fired = replay.fire_times([at(s) for s in values], lambda now: soil_a(values[_s(now)], values[_s(now)], now))
    assert fired == [at(480)]  # 300 s after it fell below 28 again at 180 s, not at 300 s


def test_inside_the_band_the_reason_names_the_release_limit_so_it_reads_true() -> None:
    replay = _dry_soil()
    replay.step(at(0), soil_a(27.0, 27.0, at(0)))
    [decision] = replay.step(at(300), soil_a(29.0, 29.0, at(300))).decisions
    assert (decision.reason_params["value"], decision.reason_params["threshold"]) == ("29", "30")


@pytest.mark.parametrize(
    ("value", "shown"),
    [(27.96, ("27.96 %", "28 %")), (29.96, ("29.96 %", "30 %")), (-0.01, ("0 %", "28 %")), (27.0, ("27 %", "28 %"))],
)
def test_a_value_is_never_shown_equal_to_the_limit_it_passed(value: float, shown: tuple[str, str]) -> None:
    replay = _dry_soil()
    replay.step(at(0), soil_a(27.0, 27.0, at(0)))
    [decision] = replay.step(at(300), soil_a(value, value, at(300))).decisions
    said = render(decision.reason, decision.reason_params, "en")
    assert f" {shown[0]}, below {shown[1]} " in said, said


def test_pulses_while_dry_with_for_s_counted_from_the_end_of_each_pulse() -> None:
    replay = _dry_soil()
    fired = replay.fire_times(every(30, 2400), lambda now: soil_a(25.0, 25.0, now))
    # 300 s of dryness, a 480 s pulse, then 300 s more of dryness after it ends, and so on.
    assert fired == [at(300), at(1080), at(1860)]


def test_wet_during_the_pulse_and_dry_again_waits_for_s_after_the_pulse_ends() -> None:
    values = {s: (31.0 if 390 <= s < 510 else 25.0) for s in range(0, 1500, 30)}
    replay = _dry_soil()
    fired = replay.fire_times([at(s) for s in values], lambda now: soil_a(values[_s(now)], values[_s(now)], now))
    assert fired == [at(300), at(1080)]  # pulse ends at 780; dry again since 510 < 780


def test_dry_again_after_the_pulse_ended_counts_from_when_it_became_dry() -> None:
    values = {s: (31.0 if 390 <= s < 900 else 25.0) for s in range(0, 1500, 30)}
    replay = _dry_soil()
    fired = replay.fire_times([at(s) for s in values], lambda now: soil_a(values[_s(now)], values[_s(now)], now))
    assert fired == [at(300), at(1200)]


def test_an_above_rule_mirrors_the_hysteresis() -> None:
    hot = {
        "id": "hot-air",
        "kind": "threshold",
        "metric": {"sensors": ["air-temp"]},
        "above": 35,
        "hysteresis": 1,
        "for_s": 120,
        "action": {"actuator": "fan", "on_for_s": 600},
    }
    replay = Replay(ruleset(hot))
    temps = {0: 35.5, 30: 34.2, 60: 35.1, 90: 34.0, 120: 35.2, 150: 34.5, 180: 35.9, 240: 35.0}
    fired = replay.fire_times(
        [at(s) for s in temps],
        lambda now: {"air-temp": reading("air-temp", temps[_s(now)], now, kind=SensorKind.AIR_TEMP_C)},
    )
    # 34.2 stays above the release limit 34; 34.0 does not, so the timer restarts at 120 s.
    assert fired == [at(240)]
    assert replay.state.rules["hot-air"].model_dump()["true_since"] == at(120)


def _spiking_a1(a2: float) -> Callable[[datetime], dict[str, Reading]]:
    def latest_at(now: datetime) -> dict[str, Reading]:
        return {"soil-a1": reading("soil-a1", 5.0, now, Quality.SPIKE), "soil-a2": reading("soil-a2", a2, now)}

    return latest_at


def test_a_single_unusable_sensor_is_left_out_of_the_aggregate() -> None:
    # With the spike the mean would be 17: dry. Without it, 29 is not below 28.
    assert _dry_soil().fire_times(every(30, 600), _spiking_a1(29.0)) == []

    replay = _dry_soil()
    replay.fire_times(every(30, 270), _spiking_a1(27.0))
    [decision] = replay.step(at(300), _spiking_a1(27.0)(at(300))).decisions
    assert decision.inputs == {"soil-a2": 27.0, "mean(soil-a1, soil-a2)": 27.0}


@pytest.mark.parametrize(
    ("latest_at", "why"),
    [
        (lambda now: soil_a(20.0, 20.0, now - timedelta(seconds=301)), "soil-a1:too_old,soil-a2:too_old"),
        (lambda now: soil_a(20.0, 20.0, now, Quality.SPIKE), "soil-a1:spike,soil-a2:spike"),
        (lambda now: soil_a(20.0, 20.0, now, Quality.OUT_OF_RANGE), "soil-a1:out_of_range,soil-a2:out_of_range"),
        (lambda now: soil_a(20.0, 20.0, now, Quality.FLATLINE), "soil-a1:flatline,soil-a2:flatline"),
        (
            lambda now: {"soil-a1": reading("soil-a1", None, now, Quality.STALE)},
            "soil-a1:stale,soil-a2:no_reading",
        ),
        (lambda now: {}, "soil-a1:no_reading,soil-a2:no_reading"),
    ],
    ids=["too-old", "spike", "out-of-range", "flatline", "stale-and-absent", "absent"],
)
def test_unusable_inputs_never_act_and_are_reported_once(
    latest_at: Callable[[datetime], dict[str, Reading]], why: str
) -> None:
    replay = _dry_soil()
    results = [replay.step(now, latest_at(now)) for now in every(30, 3600)]

    assert [d for r in results for d in r.decisions] == []
    [alert] = [a for r in results for a in r.alerts]
    assert (alert.rule, alert.raised, alert.severity) == ("dry-soil-khu-a", True, Severity.WARNING)
    assert alert.reason is Reason.RULE_INPUT_UNUSABLE
    assert alert.reason_params == {"rule": "Đất khô khu A", "unusable": why}
    assert_exact_params(alert)
    assert results[0].alerts == [alert]


def test_flagged_values_are_kept_in_the_alert_for_the_audit_trail() -> None:
    result = _dry_soil().step(at(0), soil_a(95.0, 20.0, at(0), Quality.SPIKE))
    assert result.alerts[0].inputs == {"soil-a1": 95.0, "soil-a2": 20.0}


def test_inputs_becoming_unusable_reset_the_timer_and_are_reported_again_next_time() -> None:
    def latest_at(now: datetime) -> dict[str, Reading]:
        s = _s(now)
        stale = 210 <= s < 270 or 1500 <= s < 1560
        return soil_a(25.0, 25.0, now - timedelta(seconds=400) if stale else now)

    replay = _dry_soil()
    results = {now: replay.step(now, latest_at(now)) for now in every(30, 1800)}

    fired = [now for now, r in results.items() if r.decisions]
    # 300 s after fresh readings came back at 270 s (not at 300 s), then 300 s after that pulse.
    assert fired == [at(570), at(1350)]
    raised = [now for now, r in results.items() for a in r.alerts if a.raised]
    cleared = [now for now, r in results.items() for a in r.alerts if not a.raised]
    assert (raised, cleared) == ([at(210), at(1500)], [at(270), at(1560)])
    assert all(a.reason is Reason.RULE_INPUT_RESTORED for r in results.values() for a in r.alerts if not a.raised)


def _s(now: datetime) -> int:
    """Seconds since the start of a scenario, for looking up its scripted values."""
    return int((now - at(0)).total_seconds())
