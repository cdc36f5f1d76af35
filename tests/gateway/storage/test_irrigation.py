"""Water per zone: each valve run as its open time and litres, from the actuation events, stored by the
gateway when the valve closes — for the irrigation dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract.messages import Event, EventKind
from contract.reasons import Reason
from contract.site_file import load_site
from gateway.accounts.roles import Role
from gateway.storage.irrigation import IRRIGATION, IrrigationTally
from gateway.storage.model import Point
from gateway.storage.sqlite import SqliteStore
from tests.conftest import EXAMPLE_SITE
from tests.support.mosquitto import Mosquitto
from tests.support.phone import serve_phone

SITE = load_site(EXAMPLE_SITE)
T0 = datetime(2026, 1, 15, 23, 0, tzinfo=UTC)


def _actuation(actuator: str, action: str, seconds: float) -> Event:
    return Event(
        site="htx-moc-chau",
        greenhouse="ca-chua-1",
        ts=T0 + timedelta(seconds=seconds),
        kind=EventKind.ACTUATION,
        actuator=actuator,
        action=action,
        reason=Reason.RULE_SCHEDULE,
    )


def test_a_valve_run_is_its_open_time_and_the_litres_of_its_nominal_flow() -> None:
    tally = IrrigationTally(SITE)
    assert tally(_actuation("valve-a", "on", 0)) == []
    assert tally(_actuation("valve-a", "on", 60)) == []  # renewed by another rule: the same run
    [run] = tally(_actuation("valve-a", "off", 300))
    assert run.measurement == IRRIGATION
    assert run.tags == {"site": "htx-moc-chau", "greenhouse": "ca-chua-1", "zone": "khu-a", "valve": "valve-a"}
    assert run.fields == {"open_s": 300.0, "water_l": pytest.approx(125.0)}  # 5 min at 25 l/min
    assert run.ts == T0 + timedelta(seconds=300)


def test_only_zone_valves_and_only_runs_whose_opening_was_seen_count() -> None:
    tally = IrrigationTally(SITE)
    assert tally(_actuation("valve-b", "off", 10)) == []  # opened before the gateway started
    assert tally(_actuation("pump", "on", 0)) == [] and tally(_actuation("pump", "off", 300)) == []
    assert tally(_actuation("roof-vent", "position 40%", 0)) == []


def test_the_gateway_stores_the_water_of_a_run_from_the_phone(tmp_path: Path, mosquitto: Mosquitto) -> None:
    farmer = {"nong-dan": (Role.FARMER, "htx-moc-chau", None)}
    with serve_phone(tmp_path, mosquitto, [], farmer) as phone:
        client = phone.login("nong-dan")
        run = {"actuator": "valve-a", "action": "on", "duration_s": 120}
        assert client.post("/api/v1/greenhouses/ca-chua-1/commands", json=run).json()["outcome"] == "accepted"
        store = SqliteStore(tmp_path / "history.sqlite3")
        try:

            def stored() -> list[Point]:
                start, end = phone.stack.clock.now() - timedelta(hours=1), phone.stack.clock.now()
                return store.rows(IRRIGATION, {"zone": "khu-a"}, start, end, 10)

            phone.stack.probe.wait(lambda: bool(stored()), 30, "the run's water stored")
            [point] = stored()
            assert point.fields["open_s"] == pytest.approx(120, abs=31)  # closed at the first pass after 120 s
            assert point.fields["water_l"] == pytest.approx(point.fields["open_s"] / 60 * 25)
        finally:
            store.close()
