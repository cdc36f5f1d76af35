"""The gateway's durable queue between the broker and the history store, and its rejects log.

A received message is acknowledged to the broker only after the transaction that
stores it (or its rejection) has committed, so a gateway killed at any moment
loses nothing it acknowledged. Messages wait here while the store is down or
slow, and are taken in arrival order, live ones before those that came late
(the backlog lane).

The rows are the truth; beside them, the messages this process validated on the
way in are kept in memory (up to a bound) and handed to the writer with their
rows, so that it need not parse and validate each payload a second time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from contract.durable import StoreRecovery, open_queue_db
from contract.messages import TelemetryBatch
from contract.schema_versions import StoreSchema, sql_script
from gateway.ingest.validate import Ingested

_VERSION_1 = """
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS rejects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    topic TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    payload_head BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS reject_counts (reason TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""
# Version 2 (issue 17): each row's readings, so that the queue's depth is known in writer work, not in rows of any
# size (rows spooled before count as one reading each); and whether it came late (the backlog lane), so that the
# writer stores live rows first.
_VERSION_2 = """
ALTER TABLE inbox ADD COLUMN readings INTEGER NOT NULL DEFAULT 1;
ALTER TABLE inbox ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
CREATE INDEX inbox_in_turn ON inbox (late, id);
"""
# A change of layout is a migration added at the end (contract.schema_versions), never an edit of version 1.
SCHEMA = StoreSchema(version_1=_VERSION_1, migrations=(sql_script(_VERSION_2),))
# The rejects log keeps the most recent entries; the counts are kept for ever.
_KEEP_REJECTS = 10_000
_PAYLOAD_HEAD = 512
# Queued rows whose validated message is also kept in memory, at most (a 20-reading batch takes about 23 kB), and
# their readings at most: more than the receiver's backpressure lets the spool hold at the knee (1 s of 80,000
# readings/s); rows beyond, or left from before a restart, are parsed again when written. Bounded in readings:
# every model kept is one more object for Python's garbage collector to walk, and with the default collector
# settings a few hundred thousand of them made each reading's validation three times as slow (docs/benchmarks.md).
_KEEP_MESSAGES = 4_000
_KEEP_READINGS = 250_000


@dataclass(frozen=True)
class Received:
    channel: str
    payload: bytes
    message: Ingested | None = None  # the payload as the receiver validated it
    late: bool = False  # from the backlog lane: stored after every live row

    @property
    def readings(self) -> int:
        """What writing it costs, in readings: a status or an event counts as one."""
        return len(self.message.readings) if isinstance(self.message, TelemetryBatch) else 1


@dataclass(frozen=True)
class Rejection:
    ts: datetime
    topic: str
    reason: str
    detail: str
    payload: bytes


@dataclass(frozen=True)
class Queued:
    id: int
    channel: str
    payload: bytes
    readings: int
    # The validated message, when this process received the row: the writer need not parse the payload again.
    message: Ingested | None = None


class Spool:
    """Thread-safe: the receiver appends, the writer takes and removes."""

    def __init__(self, path: Path) -> None:
        # Every commit is fsynced: what the broker was told is safe must survive a power cut;
        # group commit keeps that cheap.
        opened = open_queue_db(path, SCHEMA)
        self._db = opened.db
        # A file that could not be read at start: what was saved of it (the ingest report shows it).
        self.recovery: StoreRecovery | None = opened.recovery
        self._lock = threading.Lock()
        self._messages: dict[int, Ingested] = {}  # by inbox id, for rows committed by this process
        self._kept_readings = 0
        # Counted once, then kept up to date: COUNT(*) reads the whole table (tens of ms for a long backlog).
        depth, readings = self._db.execute("SELECT COUNT(*), COALESCE(SUM(readings), 0) FROM inbox").fetchone()
        self._depth, self._readings = int(depth), int(readings)

    def commit(self, accepted: Sequence[Received], rejected: Sequence[Rejection]) -> None:
        """Store one group of messages in a single transaction."""
        with self._lock:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT INTO inbox (channel, payload, readings, late) VALUES (?, ?, ?, ?)",
                    [(r.channel, r.payload, r.readings, r.late) for r in accepted],
                )
                last_id = int(self._db.execute("SELECT last_insert_rowid()").fetchone()[0])
                if rejected:
                    self._log_rejects(rejected)
            readings = sum(r.readings for r in accepted)
            self._depth += len(accepted)
            self._readings += readings
            self._keep_messages(accepted, readings, last_id)

    def _keep_messages(self, accepted: Sequence[Received], readings: int, last_id: int) -> None:
        # One transaction under the lock: its rows took consecutive ids, ending at the last one.
        if len(self._messages) + len(accepted) > _KEEP_MESSAGES or self._kept_readings + readings > _KEEP_READINGS:
            return
        self._kept_readings += readings
        first_id = last_id - len(accepted) + 1
        for offset, r in enumerate(accepted):
            if r.message is not None:
                self._messages[first_id + offset] = r.message

    def _log_rejects(self, rejected: Sequence[Rejection]) -> None:
        self._db.executemany(
            "INSERT INTO rejects (ts, topic, reason, detail, payload_head) VALUES (?, ?, ?, ?, ?)",
            [(r.ts.isoformat(), r.topic[:300], r.reason, r.detail[:1000], r.payload[:_PAYLOAD_HEAD]) for r in rejected],
        )
        self._db.executemany(
            "INSERT INTO reject_counts (reason, n) VALUES (?, 1) ON CONFLICT(reason) DO UPDATE SET n = n + 1",
            [(r.reason,) for r in rejected],
        )
        self._db.execute("DELETE FROM rejects WHERE id <= (SELECT MAX(id) FROM rejects) - ?", (_KEEP_REJECTS,))

    def quarantine(self, rows: Sequence[Queued], rejected: Sequence[Rejection]) -> None:
        """Move rows the store refused out of the queue and into the rejects log."""
        with self._lock:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                removed = self._db.executemany("DELETE FROM inbox WHERE id = ?", [(r.id,) for r in rows]).rowcount
                self._log_rejects(rejected)
            # Taken by the writer, the only one who removes rows: each was still queued.
            self._forget(rows, removed, sum(r.readings for r in rows))

    def take(self, limit: int, max_readings: int) -> list[Queued]:
        """The next rows to store, live ones first, each lane oldest first: at most ``limit`` of them and no more
        readings than ``max_readings`` (but always the first row, however large). While a backlog drains, live rows
        spooled behind it are stored first: a greenhouse's live readings never wait for another's day of them."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, channel, payload, readings FROM inbox ORDER BY late, id LIMIT ?", (limit,)
            ).fetchall()
            taken: list[Queued] = []
            readings = 0
            for r in rows:
                readings += r[3]
                if taken and readings > max_readings:
                    break
                taken.append(Queued(r[0], r[1], bytes(r[2]), r[3], self._messages.get(r[0])))
            return taken

    def done(self, rows: Sequence[Queued]) -> None:
        if not rows:
            return
        with self._lock:
            # Some may have been set aside already (quarantine): count what is still there.
            ids = ",".join(str(r.id) for r in rows)  # ints from the spool itself
            still = self._db.execute(f"SELECT COALESCE(SUM(readings), 0) FROM inbox WHERE id IN ({ids})")
            readings = int(still.fetchone()[0])
            removed = self._db.execute(f"DELETE FROM inbox WHERE id IN ({ids})")
            self._forget(rows, removed.rowcount, readings)

    def _forget(self, rows: Sequence[Queued], removed: int, readings: int) -> None:
        self._depth -= removed
        self._readings -= readings
        for r in rows:
            if self._messages.pop(r.id, None) is not None:
                self._kept_readings -= r.readings

    def depth(self) -> int:
        with self._lock:
            return self._depth

    def queued_readings(self) -> int:
        """The readings waiting for the history store (a status or an event counts as one)."""
        return self._readings  # one int read: no lock needed

    def reject_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT reason, n FROM reject_counts").fetchall())

    def recent_rejects(self, limit: int = 100) -> list[Rejection]:
        with self._lock:
            rows = self._db.execute(
                "SELECT ts, topic, reason, detail, payload_head FROM rejects ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [Rejection(datetime.fromisoformat(r[0]), r[1], r[2], r[3], bytes(r[4])) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
