"""Telemetry batched on the technician's period (greenhouse.uplink): polls wait on disk and leave as one batch,
each reading with its own time, in the encoding set; an alert is never held back by it."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contract.clock import Clock
from contract.compact import COMPACT_V1, UplinkEncoding, encode
from contract.kinds import Quality, SensorKind
from contract.messages import Event, EventKind, Reading, Severity, TelemetryBatch
from contract.mqtt import BrokerUrl
from contract.reasons import Reason
from contract.site import Uplink
from contract.site_file import load_site
from contract.wire import decode
from edge.agent import EdgeAgent
from edge.fieldbus.field import FieldIO
from edge.outbox import Outbox, TelemetryHold
from greenhouse.runtime_site import on_free_ports
from tests.conftest import EXAMPLE_SITE

T0 = datetime(2026, 1, 15, 5, 0, tzinfo=UTC)
TOPIC = "gh/v1/s/g/telemetry"
MAX = 256 * 1024


def _poll(at: datetime, n: int = 17) -> list[Reading]:
    return [
        Reading(sensor=f"s{i}", kind=SensorKind.AIR_TEMP_C, value=20 + i / 10, ts=at, quality=Quality.GOOD)
        for i in range(n)
    ]


def _payload(encoding: UplinkEncoding, seq: int, at: datetime, readings: list[Reading]) -> bytes:
    return encode(TelemetryBatch(site="s", greenhouse="g", seq=seq, sent_at=at, readings=readings), encoding)


def _hold(outbox: Outbox, uplink: Uplink) -> TelemetryHold:
    return TelemetryHold(outbox, TOPIC, uplink, 30, lambda seq, at, rs: _payload(uplink.encoding, seq, at, rs))


def _batches(outbox: Outbox) -> list[TelemetryBatch]:
    rows = outbox.pending(0, 1000)
    got = [decode(TelemetryBatch, r.payload, MAX) for r in rows]
    assert all(isinstance(b, TelemetryBatch) for b in got), got
    return [b for b in got if isinstance(b, TelemetryBatch)]


def test_polls_are_held_for_the_period_and_leave_as_one_compact_batch(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    hold = _hold(outbox, Uplink(batch_period_s=300, encoding=UplinkEncoding.DEFLATE))
    for i in range(9):
        hold.poll(T0 + timedelta(seconds=30 * i), _poll(T0 + timedelta(seconds=30 * i)))
    assert outbox.pending(0, 10) == [], "nothing leaves before the period is over"
    hold.poll(T0 + timedelta(seconds=270), _poll(T0 + timedelta(seconds=270)))  # the next poll would be past it
    rows = outbox.pending(0, 10)
    assert len(rows) == 1 and rows[0].seq == 1 and rows[0].payload.startswith(COMPACT_V1)
    (batch,) = _batches(outbox)
    assert len(batch.readings) == 170
    assert sorted({r.ts for r in batch.readings}) == [T0 + timedelta(seconds=30 * i) for i in range(10)]
    assert batch.sent_at == T0 + timedelta(seconds=270)
    outbox.close()


def test_no_period_is_each_poll_at_once_in_json_as_before(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    hold = _hold(outbox, Uplink())
    hold.poll(T0, _poll(T0))
    hold.poll(T0 + timedelta(seconds=30), _poll(T0 + timedelta(seconds=30)))
    rows = outbox.pending(0, 10)
    assert [r.seq for r in rows] == [1, 2] and all(r.payload.startswith(b"{") for r in rows)
    assert [len(b.readings) for b in _batches(outbox)] == [17, 17]
    outbox.close()


def test_a_batch_leaves_before_it_would_grow_past_its_size(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    hold = _hold(outbox, Uplink(batch_period_s=600, batch_max_readings=40))
    for i in range(5):
        hold.poll(T0 + timedelta(seconds=30 * i), _poll(T0 + timedelta(seconds=30 * i)))
    assert [len(b.readings) for b in _batches(outbox)] == [34, 34]  # the fifth poll waits for the next
    outbox.close()


def test_held_polls_survive_a_restart_and_leave_when_their_period_is_over(tmp_path: Path) -> None:
    uplink = Uplink(batch_period_s=300)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    hold = _hold(outbox, uplink)
    for i in range(3):
        hold.poll(T0 + timedelta(seconds=30 * i), _poll(T0 + timedelta(seconds=30 * i)))
    outbox.close()
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    hold = _hold(outbox, uplink)
    hold.tick(T0 + timedelta(seconds=299))
    assert outbox.pending(0, 10) == []
    hold.tick(T0 + timedelta(seconds=300))  # no poll came: the period's end sends them all the same
    assert [len(b.readings) for b in _batches(outbox)] == [51]
    outbox.close()


class _Manual(Clock):
    """A clock the test moves."""

    at: list[datetime]

    def now(self) -> datetime:
        return self.at[0]


def test_an_alert_leaves_at_once_while_telemetry_waits_for_its_period(tmp_path: Path) -> None:
    # Nothing listens on the Modbus ports nor the broker: every node is silent, and is lost after 120 s.
    site = on_free_ports(load_site(EXAMPLE_SITE), Path("/nonexistent/tty"))
    gh = site.greenhouses[0].model_copy(update={"uplink": Uplink(batch_period_s=900)})
    clock = _Manual(at=[T0])
    agent = EdgeAgent(site, gh, BrokerUrl.parse("mqtt://127.0.0.1:1"), tmp_path, clock, FieldIO(gh), None)
    try:
        for i in range(8):  # polls every 30 s for 210 s
            clock.at[0] = T0 + timedelta(seconds=30 * i)
            agent.step()
            deadline = time.monotonic() + 10
            while not agent.field.io.poll_done() and time.monotonic() < deadline:
                time.sleep(0.005)
            agent.step()
        rows = _rows(tmp_path / f"{site.cooperative.id}-{gh.id}-outbox.sqlite3")
        assert not [p for t, p in rows if t.endswith("/telemetry")], "telemetry waits for its period"
        alerts = [Event.model_validate_json(p) for t, p in rows if t.endswith("/events")]
        lost = [a for a in alerts if a.kind is EventKind.ALERT and a.reason is Reason.NODE_UNREACHABLE]
        assert lost and all(a.severity is Severity.CRITICAL for a in lost), "the alert is queued to leave at once"
        clock.at[0] = T0 + timedelta(seconds=900)
        agent.step()
        rows = _rows(tmp_path / f"{site.cooperative.id}-{gh.id}-outbox.sqlite3")
        (batch,) = [TelemetryBatch.model_validate_json(p) for t, p in rows if t.endswith("/telemetry")]
        assert len({r.ts for r in batch.readings}) == 8 and len(batch.readings) == 8 * len(gh.sensors)
    finally:
        agent.outbox.close()
        agent.memory.close()
        agent.field.close()


def _rows(path: Path) -> list[tuple[str, bytes]]:
    with closing(sqlite3.connect(path)) as db:
        return [(r[0], bytes(r[1])) for r in db.execute("SELECT topic, payload FROM outbox ORDER BY id")]
