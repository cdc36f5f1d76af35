"""The live side over a real Mosquitto and a real edge agent: the picture of a greenhouse now, manual commands
answered by the greenhouse (accepted, refused in plain words, or no answer), and changes waited on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.kinds import ControlSource
from contract.messages import Availability, CommandAction
from firmware_sim.physics import InitialConditions
from gateway.live.models import ActuatorNow, CommandOutcome, CommandRequest, GreenhouseNow, Level
from gateway.live.service import Live, UnknownActuator
from gateway.storage.sqlite import SqliteStore
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeThread, Stack, one_greenhouse_site, rules_yaml, stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
GH = "ca-chua-1"
START = datetime(2026, 3, 10, 9, 0, tzinfo=TZ)


@contextmanager
def _live(
    tmp_path: Path, mosquitto: Mosquitto, initial: InitialConditions | None = None
) -> Iterator[tuple[Stack, Live]]:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    with stack(tmp_path, mosquitto, site, START, speed=30, initial=initial) as s:
        live = Live(site, SqliteStore(tmp_path / "history.sqlite3"), s.url, s.clock, "1")
        live.start()
        edge = EdgeThread(s)
        try:
            s.probe.wait(lambda: _now(live).state_ts is not None and _sensor(live, "air-temp") is not None, 20, "live")
            yield s, live
        finally:
            edge.stop()
            live.stop()


def _now(live: Live) -> GreenhouseNow:
    return live.greenhouse(GH)


def _sensor(live: Live, sensor: str) -> float | None:
    return next(s.value for s in _now(live).sensors if s.sensor == sensor)


def _valve(live: Live) -> ActuatorNow:
    return next(a for a in _now(live).actuators if a.actuator == "valve-a")


def test_the_picture_now_has_every_sensor_with_its_band_and_every_actuator_with_why(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    with _live(tmp_path, mosquitto) as (_s, live):
        now = _now(live)
        assert (now.name, now.availability, now.silent) == ("Nhà màng cà chua 1", Availability.ONLINE, False)
        soil = next(s for s in now.sensors if s.sensor == "soil-a1")
        assert (soil.zone, soil.unit, soil.level, soil.band and soil.band.low) == ("khu-a", "%", Level.OK, 25)
        assert soil.age_s is not None and soil.age_s < 120
        assert now.climate.vpd_kpa is not None and now.climate.vpd_level is not Level.STALE
        valve = next(a for a in now.actuators if a.actuator == "valve-a")
        # At rest once the rules have spoken (it started in its fail-safe state), and the phone is told so.
        assert (valve.zone, valve.zone_name, valve.on) == ("khu-a", "Khu A", False)
        # Both names travel (one picture for every reader); the English app shows the site file's English ones.
        assert (now.name_en, valve.name_en, valve.zone_name_en) == ("Tomato house 1", "Zone A valve", "Zone A")
        assert (soil.name, soil.name_en) == ("Ẩm đất A1", "Soil moisture A1")
        assert valve.text_en == "Not needed now"
        assert {a.actuator for a in now.actuators} == set(live.site.greenhouse(GH).actuators)


def test_a_manual_run_is_accepted_by_the_greenhouse_and_shows_until_when(tmp_path: Path, mosquitto: Mosquitto) -> None:
    with _live(tmp_path, mosquitto) as (s, live):
        version, _ = live.registry.changed_since(0, 0)
        answer = live.command(GH, CommandRequest(actuator="valve-a", action=CommandAction.ON, duration_s=600), "lan")
        assert (answer.outcome, answer.text_vi) == (CommandOutcome.ACCEPTED, "Đã nhận lệnh của lan")
        s.probe.wait(lambda: _valve(live).on, 10, "valve open in the live picture")
        valve = _valve(live)
        assert valve.source is ControlSource.OVERRIDE
        assert valve.until is not None and (valve.until - valve.since).total_seconds() == pytest.approx(600, abs=1)
        # A change was there to wait for: the stream's phones are told at once.
        later, changed = live.registry.changed_since(version, 5)
        assert later > version and GH in changed
        back = live.command(GH, CommandRequest(actuator="valve-a", action=CommandAction.AUTO), "lan")
        assert back.outcome is CommandOutcome.ACCEPTED
        s.probe.wait(lambda: not _valve(live).on, 10, "valve closed again")


def test_a_refused_command_says_why_in_plain_words(tmp_path: Path, mosquitto: Mosquitto) -> None:
    with _live(tmp_path, mosquitto, InitialConditions(tank_level_pct=8.0)) as (_s, live):
        answer = live.command(GH, CommandRequest(actuator="valve-a", action=CommandAction.ON, duration_s=300), "lan")
        assert answer.outcome is CommandOutcome.REFUSED
        assert answer.text_vi == "Mực nước bể đang 8 %, dưới ngưỡng an toàn 15 % — không chạy được"
        with pytest.raises(UnknownActuator):
            live.command(GH, CommandRequest(actuator="sprinkler", action=CommandAction.ON), "lan")


def test_a_greenhouse_that_does_not_answer_is_said_so(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    with stack(tmp_path, mosquitto, site, START, speed=30) as s:
        live = Live(site, SqliteStore(tmp_path / "history.sqlite3"), s.url, s.clock, "1")
        live.start()
        try:
            assert live.feed.connected.wait(10)
            answer = live.command(GH, CommandRequest(actuator="fan", action=CommandAction.ON), "lan", wait_s=1)
            assert answer.outcome is CommandOutcome.NO_ANSWER
            assert answer.text_en == "The greenhouse has not answered (offline?) — the command expires in 2 min"
            [offline] = live.alerts(GH, include_cleared=False)
            assert offline.source == "offline"
            # Nothing reported yet: every actuator reads as off and out of reach, and says why.
            valve = _valve(live)
            assert (valve.on, valve.reachable, valve.since, valve.text_en) == (
                False,
                False,
                None,
                "No state reported yet",
            )
        finally:
            live.stop()
