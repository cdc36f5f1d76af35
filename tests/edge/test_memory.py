"""What the edge keeps across a restart: running timers resume to their end, safety limits hold across it,
and an unreadable memory means a fail-safe start, never a guess."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract.kinds import ControlSource, Quality, SensorKind
from contract.messages import AckOutcome, Command, CommandAction, Reading
from contract.reasons import Reason
from contract.site_file import load_site
from edge.control import Controller
from edge.memory import EdgeMemory, MemoryFile
from rules.engine import EngineState
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
GH = SITE.greenhouses[0]
T0 = datetime(2026, 1, 15, 5, 0, tzinfo=UTC)


def _tank_full(now: datetime) -> dict[str, Reading]:
    reading = Reading(sensor="tank-level", kind=SensorKind.TANK_LEVEL_PCT, value=80, ts=now, quality=Quality.GOOD)
    return {"tank-level": reading}


def _override(controller: Controller, actuator: str, now: datetime, duration_s: float) -> AckOutcome:
    cmd = Command(
        id=f"c-{now.timestamp():.0f}",
        actuator=actuator,
        action=CommandAction.ON,
        duration_s=duration_s,
        issued_at=now,
        expires_at=now + timedelta(minutes=5),
        reason="test",
    )
    return controller.command(cmd, _tank_full(now), now).outcome


def _restart(controller: Controller, now: datetime) -> Controller:
    return Controller(SITE.cooperative.id, GH, now, controller.memory())


def test_a_run_resumes_after_a_restart_and_ends_when_it_was_due() -> None:
    before = Controller(SITE.cooperative.id, GH, T0)
    assert _override(before, "valve-a", T0, 600) is AckOutcome.ACCEPTED

    after = _restart(before, T0 + timedelta(seconds=200))
    run = after.runs["valve-a"]
    assert (run.on, run.since, run.until, run.source) == (True, T0, T0 + timedelta(seconds=600), ControlSource.OVERRIDE)
    assert after.running() == {"valve-a", "pump"}, "the zone pump goes on with its valve; all else is fail-safe"
    assert ("valve-a", "resumed") in [(e.actuator, e.action) for e in after.take_events()]

    after.tick(_tank_full(T0 + timedelta(seconds=599)), T0 + timedelta(seconds=599))
    assert after.running() == {"valve-a", "pump"}
    after.tick(_tank_full(T0 + timedelta(seconds=600)), T0 + timedelta(seconds=600))
    assert after.running() == set()
    assert after.runs["valve-a"].reason is Reason.RUN_FINISHED  # a manual watering that did its time


def test_a_run_that_ended_during_the_restart_is_not_resumed() -> None:
    before = Controller(SITE.cooperative.id, GH, T0)
    _override(before, "valve-a", T0, 120)
    after = _restart(before, T0 + timedelta(seconds=121))
    assert after.running() == set()
    assert after.runs["valve-a"].reason is Reason.FAIL_SAFE_START


def test_max_on_time_counts_the_whole_run_across_the_restart() -> None:
    before = Controller(SITE.cooperative.id, GH, T0)
    _override(before, "valve-a", T0, 1800)  # valve-a: max_on_s 1800
    after = _restart(before, T0 + timedelta(seconds=1000))
    after.tick(_tank_full(T0 + timedelta(seconds=1800)), T0 + timedelta(seconds=1800))
    assert "valve-a" not in after.running()


def test_starts_per_hour_survive_a_restart() -> None:
    controller = Controller(SITE.cooperative.id, GH, T0)
    now = T0
    for _ in range(4):  # valve-a: max 4 starts per hour, min off 120 s
        assert _override(controller, "valve-a", now, 60) is AckOutcome.ACCEPTED
        now += timedelta(seconds=61)
        controller.tick(_tank_full(now), now)
        now += timedelta(seconds=121)
    restarted = _restart(controller, now)
    assert _override(restarted, "valve-a", now, 60) is AckOutcome.REFUSED
    assert restarted.take_events()[-1].reason is Reason.MAX_STARTS


def test_min_off_time_holds_across_a_restart() -> None:
    controller = Controller(SITE.cooperative.id, GH, T0)
    _override(controller, "valve-a", T0, 60)
    controller.tick(_tank_full(T0 + timedelta(seconds=60)), T0 + timedelta(seconds=60))
    restarted = _restart(controller, T0 + timedelta(seconds=90))
    assert _override(restarted, "valve-a", T0 + timedelta(seconds=90), 60) is AckOutcome.REFUSED


def test_memory_round_trips_through_its_file(tmp_path: Path) -> None:
    controller = Controller(SITE.cooperative.id, GH, T0)
    _override(controller, "valve-b", T0, 300)
    memory = EdgeMemory(saved_at=T0, rules=EngineState(), control=controller.memory())
    file = MemoryFile(tmp_path / "memory.sqlite3", GH.id)
    file.save(memory)
    file.close()
    assert MemoryFile(tmp_path / "memory.sqlite3", GH.id).load() == memory


@pytest.mark.parametrize("document", ["{not json", '{"v": 99}', '{"v": 1, "saved_at": "yesterday"}'])
def test_an_unreadable_memory_means_a_fail_safe_start(
    tmp_path: Path, document: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "memory.sqlite3"
    MemoryFile(path, GH.id).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO memory VALUES (?, ?)", (GH.id, document))
    assert MemoryFile(path, GH.id).load() is None
    assert "saved memory unreadable" in caplog.text


def test_each_greenhouse_has_its_own_memory(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite3"
    controller = Controller(SITE.cooperative.id, GH, T0)
    MemoryFile(path, GH.id).save(EdgeMemory(saved_at=T0, rules=EngineState(), control=controller.memory()))
    assert MemoryFile(path, "rau-1").load() is None
