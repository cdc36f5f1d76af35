"""The gateway's durable queue between the broker and the history store, and its rejects log.

A received message is acknowledged to the broker only after the transaction that
stores it (or its rejection) has committed, so a gateway killed at any moment
loses nothing it acknowledged. Messages wait here, in arrival order, while the
store is down or slow.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from contract.durable import open_queue_db

_SCHEMA = """
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
# The rejects log keeps the most recent entries; the counts are kept for ever.
_KEEP_REJECTS = 10_000
_PAYLOAD_HEAD = 512


@dataclass(frozen=True)
class Received:
    channel: str
    payload: bytes


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


class Spool:
    """Thread-safe: the receiver appends, the writer takes and removes."""

    def __init__(self, path: Path) -> None:
        # Every commit is fsynced: what the broker was told is safe must survive a power cut;
        # group commit keeps that cheap.
        self._db = open_queue_db(path, _SCHEMA)
        self._lock = threading.Lock()

    def commit(self, accepted: Sequence[Received], rejected: Sequence[Rejection]) -> None:
        """Store one group of messages in a single transaction."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT INTO inbox (channel, payload) VALUES (?, ?)", [(r.channel, r.payload) for r in accepted]
            )
            if rejected:
                self._log_rejects(rejected)

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
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM inbox WHERE id = ?", [(r.id,) for r in rows])
            self._log_rejects(rejected)

    def take(self, limit: int) -> list[Queued]:
        with self._lock:
            rows = self._db.execute("SELECT id, channel, payload FROM inbox ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [Queued(r[0], r[1], bytes(r[2])) for r in rows]

    def done(self, rows: Sequence[Queued]) -> None:
        if not rows:
            return
        with self._lock:
            # Rows are taken in id order and finished together: one range delete.
            self._db.execute("DELETE FROM inbox WHERE id BETWEEN ? AND ?", (rows[0].id, rows[-1].id))

    def depth(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0])

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
