"""Store-and-forward: every outgoing message is on disk before it is sent.

A numbered row (telemetry, events) leaves the outbox only when the gateway says it
holds it durably (``DeliveryAck``), not when the broker took it: a broker restart,
a lost subscription or a killed agent costs time, never data. Rows go out in the
order they were written. Telemetry sequence numbers are allocated here, in the same
transaction as the row, so they survive restarts and never repeat.

On a metered link polls are held (``hold``) and sent as one batch per period: they wait on disk, in the ``held``
table, and become one numbered row in the transaction that deletes them (``put_held``), so a restart loses none.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import TypeAdapter

from contract.durable import StoreRecovery, open_queue_db
from contract.messages import Reading
from contract.schema_versions import StoreSchema, sql_script
from contract.site import Uplink

_VERSION_1 = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    retain INTEGER NOT NULL DEFAULT 0,
    seq INTEGER
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    payload: bytes
    retain: bool
    seq: int | None = None  # the number the gateway acknowledges it by; None: gone on the broker's PUBACK


def _add_seq_column(db: sqlite3.Connection) -> None:
    """Outboxes written before rows carried their number: their rows keep NULL and leave on PUBACK."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
    if "seq" not in columns:
        db.execute("ALTER TABLE outbox ADD COLUMN seq INTEGER")


# Version 2: polls held for a batch (issue 17), each row one poll's readings as JSON.
_HELD = """
CREATE TABLE held (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    at TEXT NOT NULL,
    readings BLOB NOT NULL
);
"""
# A change of layout is a migration added at the end (contract.schema_versions), never an edit of version 1.
SCHEMA = StoreSchema(version_1=_VERSION_1, adopt=_add_seq_column, migrations=(sql_script(_HELD),))
_READINGS = TypeAdapter(list[Reading])


class Outbox:
    def __init__(self, path: Path) -> None:
        # Built on one thread and used by the agent's loop thread, never by two at once.
        opened = open_queue_db(path, SCHEMA)
        self._db = opened.db
        # A file that could not be read at start: what was saved of it.
        self.recovery: StoreRecovery | None = opened.recovery

    def last_values(self) -> dict[str, int]:
        """The last number each counter gave."""
        return {str(name): int(value) for name, value in self._db.execute("SELECT name, value FROM counters")}

    def highest_seq(self, topic: str) -> int:
        """The highest number a row of ``topic`` carries (0: none): a salvaged outbox may hold rows whose
        counter was lost."""
        return int(self._db.execute("SELECT MAX(seq) FROM outbox WHERE topic = ?", (topic,)).fetchone()[0] or 0)

    def number_above(self, counter: str, floor: int) -> int:
        """Numbering of ``counter`` goes on above ``floor`` (never down); the last number it had given."""
        last = self.next_value(counter) - 1
        if floor > last:
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = ?",
                (counter, floor, floor),
            )
        return last

    def next_value(self, counter: str) -> int:
        row = self._db.execute("SELECT value FROM counters WHERE name = ?", (counter,)).fetchone()
        return (row[0] if row else 0) + 1

    def put(self, topic: str, payload: bytes, retain: bool = False, seq: int | None = None) -> None:
        self._db.execute(
            "INSERT INTO outbox (topic, payload, retain, seq) VALUES (?, ?, ?, ?)", (topic, payload, int(retain), seq)
        )

    def put_numbered(self, counter: str, topic: str, make_payload: Callable[[int], bytes]) -> int:
        """Allocate the next number of ``counter`` and store the payload built with it, atomically."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            number = self.next_value(counter)
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (counter, number),
            )
            self.put(topic, make_payload(number), seq=number)
        return number

    def hold(self, topic: str, at: datetime, readings: list[Reading]) -> None:
        """Keep one poll's readings for the next batch of ``topic``."""
        self._db.execute(
            "INSERT INTO held (topic, at, readings) VALUES (?, ?, ?)",
            (topic, at.isoformat(), _READINGS.dump_json(readings)),
        )

    def held(self, topic: str) -> tuple[datetime | None, int]:
        """When the oldest poll held for ``topic`` was taken (None: none held), and how many readings are held."""
        rows = self._db.execute("SELECT at, readings FROM held WHERE topic = ? ORDER BY id", (topic,)).fetchall()
        if not rows:
            return None, 0
        return datetime.fromisoformat(rows[0][0]), sum(len(_READINGS.validate_json(r[1])) for r in rows)

    def put_held(self, counter: str, topic: str, make_payload: Callable[[int, list[Reading]], bytes]) -> int | None:
        """The polls held for ``topic`` as one numbered row, built from their readings in the order taken; they
        leave ``held`` in the same transaction. None when nothing was held."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            rows = self._db.execute("SELECT id, readings FROM held WHERE topic = ? ORDER BY id", (topic,)).fetchall()
            if not rows:
                return None
            readings = [reading for r in rows for reading in _READINGS.validate_json(r[1])]
            number = self.next_value(counter)
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (counter, number),
            )
            self.put(topic, make_payload(number, readings), seq=number)
            self._db.executemany("DELETE FROM held WHERE id = ?", [(r[0],) for r in rows])
        return number

    def pending(self, after_id: int, limit: int) -> list[OutboxRow]:
        rows = self._db.execute(
            "SELECT id, topic, payload, retain, seq FROM outbox WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
        ).fetchall()
        return [OutboxRow(r[0], r[1], bytes(r[2]), bool(r[3]), r[4]) for r in rows]

    def newest(self, topic: str) -> int | None:
        """The id of the newest row of ``topic`` (None: none)."""
        row = self._db.execute("SELECT MAX(id) FROM outbox WHERE topic = ?", (topic,)).fetchone()
        return int(row[0]) if row[0] is not None else None

    def remove(self, row_ids: Iterable[int]) -> None:
        ids = [(i,) for i in row_ids]
        if not ids:  # an acknowledgement of rows already gone: no transaction to open
            return
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM outbox WHERE id = ?", ids)

    def depth(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class TelemetryHold:
    """Polls held for one telemetry batch on the technician's period and size (``greenhouse.uplink``), on disk in
    the outbox. A batch goes when the next poll would fall past its period (at once with no period), before a poll
    that would take it past its period or its size, and at ``tick`` once its period is over whatever the polls do.
    Only telemetry waits here: events, alerts, status and state never do."""

    def __init__(
        self,
        outbox: Outbox,
        topic: str,
        uplink: Uplink,
        poll_interval_s: float,
        make_payload: Callable[[int, datetime, list[Reading]], bytes],
    ) -> None:
        self._outbox, self._topic, self._make = outbox, topic, make_payload
        self._period = timedelta(seconds=uplink.batch_period_s)
        self._max_readings = uplink.batch_max_readings
        self._poll_interval = timedelta(seconds=poll_interval_s)
        self._since, self._readings = outbox.held(topic)  # what a restart found held

    def poll(self, now: datetime, readings: list[Reading]) -> None:
        if self._since is not None and (
            now >= self._since + self._period or self._readings + len(readings) > self._max_readings
        ):
            self.send(now)
        self._outbox.hold(self._topic, now, readings)
        self._since = self._since or now
        self._readings += len(readings)
        if now + self._poll_interval >= self._since + self._period:
            self.send(now)

    def tick(self, now: datetime) -> None:
        """Send what is held once its period is over: polls may have stopped coming."""
        if self._since is not None and now >= self._since + self._period:
            self.send(now)

    def send(self, now: datetime) -> None:
        """Whatever is held, as one numbered batch sent at ``now``."""
        self._outbox.put_held("telemetry", self._topic, lambda seq, readings: self._make(seq, now, readings))
        self._since, self._readings = None, 0
