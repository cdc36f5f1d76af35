"""Actuator safety on the example site's pump and valves: limits, interlocks (fail closed), stops, fail-safe."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from contract.kinds import ActuatorKind, Quality, SensorKind
from contract.messages import Reading
from contract.reasons import Reason, render
from contract.site import Actuator, FailSafe, Safety, SensorInterlock
from contract.site_file import load_site
from edge.safety import ActuatorGuard, SafetyVerdict, fail_safe_command
from tests.conftest import EXAMPLE_SITE

T0 = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)
GH = load_site(EXAMPLE_SITE).greenhouse("ca-chua-1")
SENSORS = GH.sensors
ACTUATORS = GH.actuators
# The pump: max_on 2400 s, min_off 60 s, 6 starts an hour, tank-level ≥ 15, and valve-a or valve-b on.
PUMP = ACTUATORS["pump"]
VALVE_OPEN = frozenset({"valve-a"})


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _tank(value: float | None, ts: datetime = T0, quality: Quality = Quality.GOOD) -> dict[str, Reading]:
    return {
        "tank-level": Reading(sensor="tank-level", kind=SensorKind.TANK_LEVEL_PCT, value=value, ts=ts, quality=quality)
    }


def _full(at_s: float = 0) -> dict[str, Reading]:
    """A fresh, good, full-tank reading taken at ``at_s``."""
    return _tank(80.0, ts=_at(at_s))


def _pump_guard(started_at: datetime | None = None) -> ActuatorGuard:
    return ActuatorGuard(PUMP, SENSORS, started_at=started_at)


def _texts(verdict: SafetyVerdict) -> tuple[str, str]:
    reason, params = verdict.reason, verdict.reason_params
    return render(reason, params, "vi", GH), render(reason, params, "en", GH)


def _start_pump(guard: ActuatorGuard, at_s: float, latest: Mapping[str, Reading] | None = None) -> SafetyVerdict:
    return guard.check_start(_at(at_s), 600, _full(at_s) if latest is None else latest, VALVE_OPEN)


def test_a_start_within_every_limit_is_accepted_as_asked() -> None:
    verdict = _start_pump(_pump_guard(), 0)
    assert verdict == SafetyVerdict(allowed=True, duration_s=600, reason=Reason.ACCEPTED, reason_params={})


def test_a_run_longer_than_max_on_is_clipped() -> None:
    verdict = _pump_guard().check_start(T0, 3600, _full(), VALVE_OPEN)
    assert (verdict.allowed, verdict.duration_s, verdict.reason) == (True, 2400, Reason.CLIPPED_MAX_ON)
    assert verdict.reason_params == {"duration_s": "2400.0"}
    vi, en = _texts(verdict)
    assert "chỉ chạy 40 phút" in vi and "runs only 40 min" in en


def test_extending_a_run_is_clipped_to_what_is_left_of_max_on_and_refused_once_it_is_used_up() -> None:
    guard = _pump_guard()
    guard.record_on(T0)
    extended = guard.check_start(_at(1800), 1800, _full(1800), VALVE_OPEN)
    assert (extended.allowed, extended.duration_s, extended.reason_params) == (True, 600, {"duration_s": "600.0"})
    used_up = guard.check_start(_at(2400), 60, _full(2400), VALVE_OPEN)
    assert (used_up.allowed, used_up.reason, used_up.reason_params) == (
        False,
        Reason.MAX_ON_REACHED,
        {"max_on_min": "40"},
    )


def test_extending_a_run_counts_no_start_and_ignores_min_off() -> None:
    guard = _pump_guard()
    for start_s in range(0, 6 * 600, 600):  # six starts, the last one off at 3060 s: the hour's budget is spent
        guard.record_on(_at(start_s))
        guard.record_off(_at(start_s + 60))
    guard.record_on(_at(3070))  # the controller may switch on regardless, e.g. to a fail-safe state that is on
    guard.record_on(_at(3075))  # already on: not a second start
    assert guard.starts_in_last_hour(_at(3080)) == 7
    # A fresh start here would be refused twice over (10 s after a stop, 7 starts); extending the run is not.
    assert guard.check_start(_at(3080), 300, _full(3080), VALVE_OPEN).reason is Reason.ACCEPTED


def test_a_restart_within_min_off_is_refused_with_the_remaining_wait() -> None:
    guard = _pump_guard()
    guard.record_on(T0)
    guard.record_off(_at(100))
    verdict = _start_pump(guard, 115)
    assert (verdict.allowed, verdict.duration_s, verdict.reason) == (False, None, Reason.MIN_OFF_TIME)
    assert verdict.reason_params == {"wait_s": "45"}
    vi, en = _texts(verdict)
    assert "45 giây" in vi and "45 s" in en
    assert _start_pump(guard, 160).allowed


def test_recording_off_twice_does_not_restart_min_off() -> None:
    guard = _pump_guard()
    guard.record_on(T0)
    guard.record_off(_at(100))
    guard.record_off(_at(150))
    assert _start_pump(guard, 160).allowed


def test_min_off_counts_from_start_up_only_when_started_at_is_given() -> None:
    assert _start_pump(_pump_guard(started_at=T0), 30).reason_params == {"wait_s": "30"}
    assert _start_pump(_pump_guard(), 30).allowed


def test_the_seventh_start_inside_an_hour_is_refused_until_the_first_leaves_the_window() -> None:
    guard = _pump_guard()
    for start_s in range(0, 6 * 600, 600):  # 0, 600, …, 3000
        assert _start_pump(guard, start_s).allowed
        guard.record_on(_at(start_s))
        guard.record_off(_at(start_s + 60))
    verdict = _start_pump(guard, 3300)
    assert (verdict.allowed, verdict.reason, verdict.reason_params) == (
        False,
        Reason.MAX_STARTS,
        {"starts": "6", "max_starts": "6"},
    )
    vi, en = _texts(verdict)
    assert "6 lần" in vi and "(tối đa 6)" in vi and "Started 6 times" in en
    # One hour after the first start it no longer counts.
    assert guard.starts_in_last_hour(_at(3600)) == 5
    assert _start_pump(guard, 3600).allowed


def test_check_start_changes_nothing() -> None:
    guard = _pump_guard()
    for _ in range(10):
        assert _start_pump(guard, 0).allowed
    assert (guard.is_on, guard.on_since, guard.starts_in_last_hour(T0)) == (False, None, 0)


def test_the_pump_is_refused_when_the_tank_is_below_its_minimum() -> None:
    verdict = _start_pump(_pump_guard(), 0, _tank(8.0))
    assert (verdict.allowed, verdict.reason) == (False, Reason.INTERLOCK_SENSOR)
    assert verdict.reason_params == {
        "sensor": "tank-level",
        "kind": "tank_level_pct",
        "value": "8.0",
        "op": "<",
        "limit": "15.0",
    }
    vi, en = _texts(verdict)
    assert vi == "Mực nước bể đang 8 %, dưới ngưỡng an toàn 15 % — không chạy được"
    assert en == "Tank level is 8 %, below its safe limit of 15 % — cannot run"


def test_a_tank_exactly_at_its_minimum_is_enough() -> None:
    assert _start_pump(_pump_guard(), 0, _tank(15.0)).allowed


@pytest.mark.parametrize(
    "latest",
    [
        pytest.param(_tank(80.0, ts=_at(-301)), id="older-than-max-age"),
        pytest.param(_tank(80.0, quality=Quality.SPIKE), id="flagged-spike"),
        pytest.param(_tank(80.0, quality=Quality.FLATLINE), id="flagged-flatline"),
        pytest.param(_tank(None, quality=Quality.STALE), id="node-silent"),
        pytest.param({}, id="never-read"),
    ],
)
def test_the_pump_is_refused_without_a_usable_tank_reading(latest: dict[str, Reading]) -> None:
    verdict = _start_pump(_pump_guard(), 0, latest)
    assert (verdict.allowed, verdict.reason, verdict.reason_params) == (
        False,
        Reason.INTERLOCK_SENSOR_UNKNOWN,
        {"sensor": "tank-level"},
    )
    vi, en = _texts(verdict)
    assert "Mực nước bể" in vi and "Tank level" in en


def test_an_upper_bound_interlock_names_its_condition() -> None:
    heater = Actuator(
        id="heater-2",
        kind=ActuatorKind.HEATER,
        coil=9,
        safety=Safety(sensor_interlocks=[SensorInterlock(sensor="air-temp", max=35)]),
    )
    hot = {"air-temp": Reading(sensor="air-temp", kind=SensorKind.AIR_TEMP_C, value=36.44, ts=T0, quality=Quality.GOOD)}
    verdict = ActuatorGuard(heater, SENSORS).check_start(T0, 600, hot, set())
    assert _texts(verdict)[1] == "Temperature is 36.4 °C, above its safe limit of 35.0 °C — cannot run"


def test_the_pump_is_refused_without_an_open_valve() -> None:
    verdict = _pump_guard().check_start(T0, 600, _full(), {"fan", "pump"})
    assert (verdict.allowed, verdict.reason, verdict.reason_params) == (
        False,
        Reason.INTERLOCK_ACTUATOR,
        {"actuators": "valve-a,valve-b"},
    )
    assert _texts(verdict) == (
        "Cần mở Van khu A hoặc Van khu B trước",
        "Needs Zone A valve or Zone B valve running first",
    )
    assert _pump_guard().check_start(T0, 600, _full(), {"valve-b"}).allowed


def test_without_a_site_the_interlock_names_ids() -> None:
    verdict = ActuatorGuard(PUMP, SENSORS).check_start(T0, 600, _full(), set())
    assert render(verdict.reason, verdict.reason_params, "en") == "Needs valve-a or valve-b running first"


def test_an_interlock_on_an_unconfigured_sensor_fails_at_construction() -> None:
    with pytest.raises(KeyError, match="interlock sensor 'tank-level' is not configured"):
        ActuatorGuard(PUMP, {})


def test_must_stop_says_nothing_for_an_actuator_that_is_off() -> None:
    assert _pump_guard().must_stop(T0, {}, set()) is None


def test_must_stop_when_max_on_is_reached() -> None:
    guard = _pump_guard()
    guard.record_on(T0)
    assert guard.must_stop(_at(2399), _full(2399), VALVE_OPEN | {"pump"}) is None
    verdict = guard.must_stop(_at(2400), _full(2400), VALVE_OPEN | {"pump"})
    assert verdict is not None
    assert (verdict.allowed, verdict.reason, verdict.reason_params) == (
        False,
        Reason.MAX_ON_REACHED,
        {"max_on_min": "40"},
    )
    vi, en = _texts(verdict)
    assert "40 phút" in vi and "40 min" in en


@pytest.mark.parametrize(
    ("latest", "running", "reason"),
    [
        pytest.param(_tank(10.0, ts=_at(600)), VALVE_OPEN, Reason.INTERLOCK_SENSOR, id="tank-ran-low"),
        pytest.param(_full(), VALVE_OPEN, Reason.INTERLOCK_SENSOR_UNKNOWN, id="tank-reading-went-stale"),
        pytest.param(_full(600), frozenset(), Reason.INTERLOCK_ACTUATOR, id="valves-closed"),
    ],
)
def test_must_stop_when_an_interlock_is_lost_mid_run(
    latest: dict[str, Reading], running: frozenset[str], reason: Reason
) -> None:
    guard = _pump_guard()
    assert _start_pump(guard, 0).allowed
    guard.record_on(T0)
    verdict = guard.must_stop(_at(600), latest, running | {"pump"})
    assert verdict is not None
    assert (verdict.allowed, verdict.reason) == (False, reason)


def test_positional_actuators_get_interlocks_but_no_timing_limits() -> None:
    vent = ACTUATORS["roof-vent"]
    guard = ActuatorGuard(vent, SENSORS)
    ten_hours = 10 * 3600.0
    assert guard.check_start(T0, ten_hours, {}, set()) == SafetyVerdict(
        allowed=True, duration_s=ten_hours, reason=Reason.ACCEPTED
    )
    guard.record_on(T0)
    assert guard.must_stop(_at(ten_hours), {}, {"roof-vent"}) is None
    # A vent that must stay shut in strong wind is still held to its interlock.
    wind_shy = vent.model_copy(update={"safety": Safety(sensor_interlocks=[SensorInterlock(sensor="wind", max=10)])})
    gale = {"wind": Reading(sensor="wind", kind=SensorKind.WIND_M_S, value=14.0, ts=T0, quality=Quality.GOOD)}
    verdict = ActuatorGuard(wind_shy, SENSORS).check_start(T0, 600, gale, set())
    assert not verdict.allowed
    assert _texts(verdict)[0] == "Gió đang 14,0 m/s, trên ngưỡng an toàn 10,0 m/s — không chạy được"


def test_fail_safe_commands() -> None:
    assert fail_safe_command(ACTUATORS["pump"]) == (False, None)
    assert fail_safe_command(ACTUATORS["roof-vent"]) == (False, 0.0)
    fan_on = Actuator(id="fan-2", kind=ActuatorKind.FAN, coil=9, safety=Safety(fail_safe=FailSafe(on=True)))
    assert fail_safe_command(fan_on) == (True, None)
    curtain = Actuator(id="curtain-2", kind=ActuatorKind.SIDE_CURTAIN, holding_register=9)
    assert fail_safe_command(curtain) == (False, 0.0)  # no position configured: closed
    vent_ajar = Actuator(
        id="vent-2", kind=ActuatorKind.VENT, holding_register=9, safety=Safety(fail_safe=FailSafe(position_pct=30))
    )
    assert fail_safe_command(vent_ajar) == (True, 30.0)
