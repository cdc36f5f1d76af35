"""Quality flags: calibration, each flag and its priority, spikes against real step changes, stuck sensors."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from contract.kinds import Quality, SensorKind
from contract.site import Calibration, PhysicalRange, Sensor
from contract.site_file import load_site
from edge.quality import QualityChecker
from tests.conftest import EXAMPLE_SITE

T0 = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)
SENSORS = load_site(EXAMPLE_SITE).greenhouse("ca-chua-1").sensors
# air-temp: range -10..60 °C, spike_delta 8, flatline_after_s 7200; tank-level has neither check.
AIR = "air-temp"


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _checker(*extra: Sensor) -> QualityChecker:
    return QualityChecker([*SENSORS.values(), *extra])


def _feed(checker: QualityChecker, sensor_id: str, values: list[float], step_s: float = 30) -> list[Quality]:
    """Read ``values`` one poll apart from T0; the flag of each."""
    return [checker.assess(sensor_id, v, _at(i * step_s), True).quality for i, v in enumerate(values)]


def test_calibration_is_applied_and_the_reading_is_complete() -> None:
    probe = Sensor(
        id="soil-probe",
        kind=SensorKind.SOIL_VWC_PCT,
        input_register=0,
        calibration=Calibration(scale=0.1, offset=-2.0),
        range=PhysicalRange(min=0, max=60),
    )
    reading = _checker(probe).assess("soil-probe", 300.0, T0, True)
    assert reading.value == pytest.approx(28.0)
    assert reading.quality is Quality.GOOD
    assert (reading.sensor, reading.kind, reading.ts) == ("soil-probe", SensorKind.SOIL_VWC_PCT, T0)


def test_range_is_checked_on_the_calibrated_value() -> None:
    # Raw 550 is out of range as it stands, but 55 % once scaled.
    probe = Sensor(
        id="soil-probe",
        kind=SensorKind.SOIL_VWC_PCT,
        input_register=0,
        calibration=Calibration(scale=0.1),
        range=PhysicalRange(min=0, max=60),
    )
    assert _checker(probe).assess("soil-probe", 550.0, T0, True).quality is Quality.GOOD


def test_a_node_that_did_not_answer_gives_stale_without_value_even_if_a_value_is_passed() -> None:
    reading = _checker().assess(AIR, 21.0, T0, False)
    assert (reading.value, reading.quality) == (None, Quality.STALE)
    assert _checker().assess(AIR, None, T0, False).quality is Quality.STALE


@pytest.mark.parametrize("raw", [None, math.nan, math.inf])
def test_a_dropout_is_missing_without_value(raw: float | None) -> None:
    reading = _checker().assess(AIR, raw, T0, True)
    assert (reading.value, reading.quality) == (None, Quality.MISSING)


def test_out_of_range_keeps_the_value_and_wins_over_spike_and_flatline() -> None:
    checker = _checker()
    assert checker.assess(AIR, 20.0, T0, True).quality is Quality.GOOD
    reading = checker.assess(AIR, 75.0, _at(30), True)  # also a jump of 55 > spike_delta
    assert (reading.value, reading.quality) == (75.0, Quality.OUT_OF_RANGE)
    # Stuck above the range for longer than flatline_after_s: still out of range first.
    assert checker.assess(AIR, 75.0, _at(3 * 3600), True).quality is Quality.OUT_OF_RANGE


def test_a_lone_jump_is_a_spike_and_the_next_normal_value_is_good() -> None:
    checker = _checker()
    assert _feed(checker, AIR, [20.0, 20.5]) == [Quality.GOOD, Quality.GOOD]
    spike = checker.assess(AIR, 35.0, _at(60), True)
    assert (spike.value, spike.quality) == (35.0, Quality.SPIKE)
    assert checker.assess(AIR, 21.0, _at(90), True).quality is Quality.GOOD


def test_a_real_step_change_is_accepted_from_its_second_reading() -> None:
    flags = _feed(_checker(), AIR, [20.0, 30.0, 30.2, 30.4, 20.5])
    # The drop back after the step is a jump from the new good value: a spike again.
    assert flags == [Quality.GOOD, Quality.SPIKE, Quality.GOOD, Quality.GOOD, Quality.SPIKE]


def test_a_change_within_spike_delta_is_good() -> None:
    assert _feed(_checker(), AIR, [20.0, 27.9, 20.0]) == [Quality.GOOD] * 3


def test_spikes_are_not_checked_without_spike_delta() -> None:
    assert _feed(_checker(), "tank-level", [90.0, 10.0, 90.0]) == [Quality.GOOD] * 3


def test_an_unchanged_value_is_flatline_after_the_configured_time_and_recovers_when_it_moves() -> None:
    checker = _checker()
    every_30_min = [checker.assess(AIR, 22.0, _at(m * 60), True).quality for m in (0, 30, 60, 90, 119)]
    assert every_30_min == [Quality.GOOD] * 5
    stuck = checker.assess(AIR, 22.0, _at(7200), True)
    assert (stuck.value, stuck.quality) == (22.0, Quality.FLATLINE)
    assert checker.assess(AIR, 22.0, _at(9000), True).quality is Quality.FLATLINE
    assert checker.assess(AIR, 22.3, _at(9030), True).quality is Quality.GOOD
    # The clock starts again from the change.
    assert checker.assess(AIR, 22.3, _at(9030 + 7199), True).quality is Quality.GOOD


def test_tiny_real_changes_are_not_a_flatline() -> None:
    checker = _checker()
    flags = [checker.assess(AIR, 22.0 + (m % 2) * 0.01, _at(m * 600), True).quality for m in range(20)]
    assert flags == [Quality.GOOD] * 20


def test_a_dropout_does_not_restart_the_flatline_clock() -> None:
    checker = _checker()
    checker.assess(AIR, 22.0, T0, True)
    assert checker.assess(AIR, None, _at(3600), True).quality is Quality.MISSING
    assert checker.assess(AIR, 22.0, _at(7200), False).quality is Quality.STALE
    assert checker.assess(AIR, 22.0, _at(7230), True).quality is Quality.FLATLINE


def test_flatline_is_not_checked_without_flatline_after_s() -> None:
    checker = _checker()
    assert [checker.assess("tank-level", 80.0, _at(d * 86400), True).quality for d in range(5)] == [Quality.GOOD] * 5


def test_sensors_keep_separate_histories() -> None:
    checker = _checker()
    checker.assess(AIR, 20.0, T0, True)
    # A first leaf temperature far from the air temperature is not a spike.
    assert checker.assess("leaf-temp", 35.0, T0, True).quality is Quality.GOOD


def test_an_unknown_sensor_is_a_clear_key_error() -> None:
    with pytest.raises(KeyError, match="no sensor 'air-tmp' is configured"):
        _checker().assess("air-tmp", 20.0, T0, True)
