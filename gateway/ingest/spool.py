"""The gateway's durable queue between the broker and the history store, and its rejects log.

A received message is acknowledged to the broker only after the transaction that
stores it (or its rejection) has committed, so a gateway killed at any moment
loses nothing it acknowledged. Messages wait here, in arrival order, while the
store is down or slow.

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
from contract.schema_versions import StoreSchema
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
# A change of layout is a migration added at the end (contract.schema_versions), never an edit of version 1.
SCHEMA = StoreSchema(version_1=_VERSION_1)
# The rejects log keeps the most recent entries; the counts are kept for ever.
_KEEP_REJECTS = 10_000
_PAYLOAD_HEAD = 512
# Queued rows whose validated message is also kept in memory, at most (a 20-reading batch takes about 23 kB):
# the writer keeps up in normal operation; the rows of a longer backlog are parsed again when written.
_KEEP_MESSAGES = 4_000


@dataclass(frozen=True)
class Received:
    channel: str
    payload: bytes
    message: Ingested | None = None  # the payload as the receiver validated it


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
        # Counted once, then kept up to date: COUNT(*) reads the whole table (tens of ms for a long backlog).
        self._depth = int(self._db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0])

    def commit(self, accepted: Sequence[Received], rejected: Sequence[Rejection]) -> None:
        """Store one group of messages in a single transaction."""
        with self._lock:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT INTO inbox (channel, payload) VALUES (?, ?)", [(r.channel, r.payload) for r in accepted]
                )
                last_id = int(self._db.execute("SELECT last_insert_rowid()").fetchone()[0])
                if rejected:
                    self._log_rejects(rejected)
            self._depth += len(accepted)
            self._keep_messages(accepted, last_id)

    def _keep_messages(self, accepted: Sequence[Received], last_id: int) -> None:
        # One transaction under the lock: its rows took consecutive ids, ending at the last one.
        if len(self._messages) + len(accepted) > _KEEP_MESSAGES:
            return
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
            self._forget(rows, removed)

    def take(self, limit: int) -> list[Queued]:
        with self._lock:
            rows = self._db.execute("SELECT id, channel, payload FROM inbox ORDER BY id LIMIT ?", (limit,)).fetchall()
            return [Queued(r[0], r[1], bytes(r[2]), self._messages.get(r[0])) for r in rows]

    def done(self, rows: Sequence[Queued]) -> None:
        if not rows:
            return
        with self._lock:
            # Rows are taken in id order and finished together: one range delete.
            removed = self._db.execute("DELETE FROM inbox WHERE id BETWEEN ? AND ?", (rows[0].id, rows[-1].id))
            self._forget(rows, removed.rowcount)

    def _forget(self, rows: Sequence[Queued], removed: int) -> None:
        self._depth -= removed
        for r in rows:
            self._messages.pop(r.id, None)

    def depth(self) -> int:
        with self._lock:
            return self._depth

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
