"""The notifier's memory (SQLite, versioned): every incident, and every attempt to tell somebody, claimed before it
is made. A restart finds each escalation where it was; a send claimed and not known to have gone (a crash in
between) is made again under the same key, which the channels use to make the repeat harmless (the SMS outbox
file and the push topic are named by it)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import AwareDatetime, BaseModel

from contract.durable import open_queue_db
from contract.schema_versions import StoreSchema
from gateway.notify.incidents import Incident
from gateway.notify.planner import Send

_VERSION_1 = """
CREATE TABLE IF NOT EXISTS incident (
    id TEXT PRIMARY KEY,
    greenhouse TEXT NOT NULL,
    source TEXT NOT NULL,
    is_open INTEGER NOT NULL,
    closed_ms INTEGER,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incident_open ON incident (greenhouse, source, is_open);
CREATE INDEX IF NOT EXISTS incident_closed ON incident (closed_ms);
CREATE TABLE IF NOT EXISTS attempt (
    key TEXT PRIMARY KEY,
    incident TEXT NOT NULL,
    status TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    detail TEXT,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempt_incident ON attempt (incident, at_ms);
"""
SCHEMA = StoreSchema(version_1=_VERSION_1)


class AttemptStatus(StrEnum):
    SENDING = "sending"  # claimed; not yet known to have gone
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # the person cannot be reached on that channel (no phone with notifications on)


class Attempt(BaseModel):
    send: Send
    status: AttemptStatus
    at: AwareDatetime
    detail: str | None = None  # the channel's error, for the incident's timeline


class NotifyStore:
    def __init__(self, path: Path) -> None:
        self._db = open_queue_db(path, SCHEMA).db
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- incidents ----------------------------------------------------------------------------
    def save(self, incident: Incident) -> None:
        with self._lock:
            closed = _ms(incident.resolved_at) if incident.resolved_at is not None else None
            self._db.execute(
                "INSERT OR REPLACE INTO incident (id, greenhouse, source, is_open, closed_ms, body)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (incident.id, incident.greenhouse, incident.source, int(incident.open), closed,
                 incident.model_dump_json()),
            )

    def open_incident(self, greenhouse: str, source: str) -> Incident | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM incident WHERE greenhouse = ? AND source = ? AND is_open = 1", (greenhouse, source)
            ).fetchone()
        return Incident.model_validate_json(row[0]) if row else None

    def open_incidents(self) -> list[Incident]:
        with self._lock:
            rows = self._db.execute("SELECT body FROM incident WHERE is_open = 1 ORDER BY id").fetchall()
        return [Incident.model_validate_json(r[0]) for r in rows]

    def closed_since(self, since: datetime) -> list[Incident]:
        """Incidents resolved after ``since``: their "cleared" messages may still be due."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM incident WHERE closed_ms >= ? ORDER BY closed_ms", (_ms(since),)
            ).fetchall()
        return [Incident.model_validate_json(r[0]) for r in rows]

    def incident(self, incident_id: str) -> Incident | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM incident WHERE id = ?", (incident_id,)).fetchone()
        return Incident.model_validate_json(row[0]) if row else None

    def incident_since(self, greenhouse: str, source: str, since: datetime) -> Incident | None:
        """The first incident of ``greenhouse``'s ``source`` opened at or after ``since``: the one an alert raised
        then became (it opens when the notifier first sees the alert, never before it was raised)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM incident WHERE greenhouse = ? AND source = ?", (greenhouse, source)
            ).fetchall()
        found = [Incident.model_validate_json(r[0]) for r in rows]
        after = [i for i in found if i.opened_at >= since]
        return min(after, key=lambda i: i.opened_at, default=None)

    # --- attempts -----------------------------------------------------------------------------
    def claim(self, send: Send, at: datetime) -> bool:
        """Take ``send`` for sending; False when it was taken before (sent, failed or in flight): never twice."""
        attempt = Attempt(send=send, status=AttemptStatus.SENDING, at=at)
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO attempt (key, incident, status, at_ms, detail, body) VALUES (?, ?, ?, ?, ?, ?)",
                (send.key, send.incident, attempt.status.value, _ms(at), None, send.model_dump_json()),
            )
        return cursor.rowcount == 1

    def finish(self, send: Send, status: AttemptStatus, at: datetime, detail: str | None = None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE attempt SET status = ?, at_ms = ?, detail = ? WHERE key = ?",
                (status.value, _ms(at), detail, send.key),
            )

    def unfinished(self) -> list[Send]:
        """Sends claimed and never finished: the process stopped between the claim and the answer."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM attempt WHERE status = ? ORDER BY at_ms", (AttemptStatus.SENDING.value,)
            ).fetchall()
        return [Send.model_validate_json(r[0]) for r in rows]

    def attempts(self, incident_id: str) -> list[Attempt]:
        """The incident's timeline: every attempt, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body, status, at_ms, detail FROM attempt WHERE incident = ? ORDER BY at_ms, key",
                (incident_id,),
            ).fetchall()
        return [
            Attempt(send=Send.model_validate_json(body), status=AttemptStatus(status), at=_at(ms), detail=detail)
            for body, status, ms, detail in rows
        ]


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
