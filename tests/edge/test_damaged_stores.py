"""The real edge agent over damaged and lost local files: a damaged outbox is kept aside and what can be read
of it goes out first, a damaged memory means a fail-safe start, an outbox lost while the memory remembers its
numbers goes on numbering above them, and each of these is an alert for people, in Vietnamese and English."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract.clock import Clock
from contract.kinds import Quality, SensorKind
from contract.messages import Command, CommandAction, Event, EventKind, Reading, Severity, TelemetryBatch
from contract.mqtt import BrokerUrl
from contract.reasons import Reason, render
from contract.site_file import load_site
from edge.agent import EdgeAgent
from edge.control import Controller
from edge.fieldbus.field import FieldIO
from edge.memory import EdgeMemory, MemoryFile
from greenhouse.runtime_site import on_free_ports
from rules.engine import EngineState
from tests.conftest import EXAMPLE_SITE
from tests.support.damage import Damage, damage, kept_aside

# Nothing listens on the site's Modbus ports, nor on the broker's: the nodes are unplugged and the uplink is down,
# and the agent must work all the same.
SITE = on_free_ports(load_site(EXAMPLE_SITE), Path("/nonexistent/tty"))
GH = SITE.greenhouses[0]
BROKER = BrokerUrl.parse("mqtt://127.0.0.1:1")
T0 = datetime(2026, 1, 15, 5, 0, tzinfo=UTC)
OUTBOX = f"{SITE.cooperative.id}-{GH.id}-outbox.sqlite3"
MEMORY = f"{SITE.cooperative.id}-{GH.id}-memory.sqlite3"


def _agent(data: Path, at: datetime, speed: float = 1.0) -> EdgeAgent:
    return EdgeAgent(SITE, GH, BROKER, data, Clock(origin=at, speed=speed), FieldIO(GH), None)


def _close(agent: EdgeAgent) -> None:
    agent.outbox.close()
    agent.memory.close()
    agent.field.close()


def _poll(agent: EdgeAgent) -> None:
    """A pass that starts a poll, and the pass that takes its reads in (the buses run in threads of their own)."""
    agent.step()
    deadline = time.monotonic() + 10
    while not agent.field.io.poll_done() and time.monotonic() < deadline:
        time.sleep(0.005)
    agent.step()


def _lived(data: Path, passes: int) -> None:
    """An agent that polled ``passes`` times (its clock runs fast enough for a poll at every pass), then stopped."""
    agent = _agent(data, T0, speed=100_000)
    for _ in range(passes):
        _poll(agent)
    _close(agent)


def _outbox(data: Path) -> list[tuple[str, bytes]]:
    with closing(sqlite3.connect(data / OUTBOX)) as db:
        return [(r[0], bytes(r[1])) for r in db.execute("SELECT topic, payload FROM outbox ORDER BY id")]


def _telemetry(rows: list[tuple[str, bytes]]) -> list[int]:
    return [TelemetryBatch.model_validate_json(p).seq for t, p in rows if t.endswith("/telemetry")]


def _events(rows: list[tuple[str, bytes]]) -> list[Event]:
    return [Event.model_validate_json(p) for t, p in rows if t.endswith("/events")]


def _alert(rows: list[tuple[str, bytes]], reason: Reason) -> Event:
    [alert] = [e for e in _events(rows) if e.reason is reason]
    assert (alert.kind, alert.severity, alert.action) == (EventKind.ALERT, Severity.WARNING, "raised")
    for lang in ("vi", "en"):  # every parameter its text needs is there: no {name} left for a farmer to read
        assert "{" not in render(alert.reason, alert.reason_params, lang)
    return alert


@pytest.mark.parametrize("how", [Damage.TRUNCATED, Damage.OVERWRITTEN, Damage.HEADER_SMASHED])
def test_a_damaged_outbox_is_kept_aside_and_what_it_held_goes_out_first_without_a_number_given_twice(
    tmp_path: Path, how: Damage
) -> None:
    data = tmp_path / "edge"
    _lived(data, passes=150)
    before = _outbox(data)
    damaged = damage(data / OUTBOX, how)

    agent = _agent(data, T0 + timedelta(hours=1))  # before this change: sqlite3.DatabaseError, and exit 1
    report = agent.outbox.recovery
    assert report is not None
    [kept] = kept_aside(data / OUTBOX)
    assert kept.read_bytes() == damaged
    _poll(agent)
    _close(agent)

    after = _outbox(data)
    saved = report.salvaged["outbox"]
    salvaged, new = after[:saved], after[saved:]
    assert saved > 0 and set(salvaged) <= set(before)
    assert sorted(salvaged, key=before.index) == salvaged, "in the order they were written"
    # Numbers go on above every one given before, salvaged or lost: none is given twice.
    assert _telemetry(new) == [max(_telemetry(before)) + 1]
    assert min(e.seq or 0 for e in _events(new)) > max(e.seq or 0 for e in _events(before))
    assert _alert(new, Reason.OUTBOX_DAMAGED).reason_params == {"saved": str(saved)}


def _running_valve(data: Path, counters: dict[str, int]) -> None:
    """A memory in which valve A runs for ten minutes from T0 (a manual run), and numbers given so far."""
    controller = Controller(SITE.cooperative.id, GH, T0)
    tank = Reading(sensor="tank-level", kind=SensorKind.TANK_LEVEL_PCT, value=80, ts=T0, quality=Quality.GOOD)
    run = Command(
        id="c-1",
        actuator="valve-a",
        action=CommandAction.ON,
        duration_s=600,
        issued_at=T0,
        expires_at=T0 + timedelta(minutes=5),
        reason="test",
    )
    controller.command(run, {"tank-level": tank}, T0)
    file = MemoryFile(data / MEMORY, GH.id)
    file.save(EdgeMemory(saved_at=T0, rules=EngineState(), control=controller.memory(), counters=counters))
    file.close()


def test_a_damaged_memory_means_a_fail_safe_start_its_numbers_kept_and_an_alert(tmp_path: Path) -> None:
    data = tmp_path / "edge"
    data.mkdir()
    _running_valve(data, {"telemetry": 40, "events": 9})
    reading = MemoryFile(data / MEMORY, GH.id)
    assert reading.load() is not None, "whole, this memory resumes valve A"
    reading.close()
    damaged = damage(data / MEMORY, Damage.HEADER_SMASHED)  # its one row can still be read back

    agent = _agent(data, T0 + timedelta(seconds=200))
    assert agent.controller.running() == set(), "a run read back from a damaged file is not resumed"
    assert agent.memory.recovery is not None and kept_aside(data / MEMORY)[0].read_bytes() == damaged
    _close(agent)
    # Restarted before any save: still fail-safe, and the damage is not told twice.
    agent = _agent(data, T0 + timedelta(seconds=210))
    assert agent.controller.running() == set() and agent.memory.recovery is None
    _poll(agent)
    _close(agent)

    rows = _outbox(data)
    assert _telemetry(rows) == [41], "numbering goes on above what the damaged memory remembered"
    assert _alert(rows, Reason.MEMORY_DAMAGED).reason_params == {"saved": "1"}
    _alert(rows, Reason.OUTBOX_LOST)  # the memory remembers numbers this (absent) outbox never gave


@pytest.mark.parametrize("lose", ["deleted", "zero_bytes"])
def test_an_outbox_lost_while_the_memory_remembers_numbers_on_above_them_and_says_so(tmp_path: Path, lose: str) -> None:
    data = tmp_path / "edge"
    _lived(data, passes=20)
    before = _outbox(data)
    if lose == "deleted":
        (data / OUTBOX).unlink()
    else:
        damage(data / OUTBOX, Damage.ZERO_BYTES)

    agent = _agent(data, T0 + timedelta(hours=1))
    _poll(agent)
    _close(agent)

    after = _outbox(data)
    assert _telemetry(after) == [21], "not 1 again"
    assert min(e.seq or 0 for e in _events(after)) > max(e.seq or 0 for e in _events(before))
    assert _alert(after, Reason.OUTBOX_LOST).reason_params == {}


def test_an_outbox_and_memory_as_they_were_raise_no_alert(tmp_path: Path) -> None:
    data = tmp_path / "edge"
    _lived(data, passes=5)
    agent = _agent(data, T0 + timedelta(hours=1))
    _poll(agent)
    _close(agent)
    rows = _outbox(data)
    assert _telemetry(rows) == [1, 2, 3, 4, 5, 6]
    stores = {Reason.OUTBOX_DAMAGED, Reason.OUTBOX_LOST, Reason.MEMORY_DAMAGED}
    assert not [e for e in _events(rows) if e.reason in stores]
