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
from contract.schema_versions import StoreSchema, sql_script
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
# Version 2: the message each attempt went in (several sends to one person grouped into one SMS share it), and its
# person and channel as columns, so that the SMS of the last hour and the last minute are counted in SQL. An older
# attempt was a message of its own.
_TO_2 = """
ALTER TABLE attempt ADD COLUMN message TEXT;
ALTER TABLE attempt ADD COLUMN person TEXT;
ALTER TABLE attempt ADD COLUMN channel TEXT;
UPDATE attempt SET message = key, person = json_extract(body, '$.person'), channel = json_extract(body, '$.channel');
CREATE INDEX IF NOT EXISTS attempt_channel ON attempt (channel, at_ms);
"""
SCHEMA = StoreSchema(version_1=_VERSION_1, migrations=(sql_script(_TO_2),))


class AttemptStatus(StrEnum):
    SENDING = "sending"  # claimed; not yet known to have gone
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # the person cannot be reached on that channel (no phone with notifications on)
    HELD = "held"  # not told: its greenhouse, or the whole farm, is offline, and that incident was told instead
    OVER_BUDGET = "over_budget"  # not sent by SMS: the person had their hour's SMS; the app and other channels tell


# A message given to its channel, or about to be: what the SMS budget and the modem's rate count (a failed one
# reached nobody and did not leave the modem).
_GIVEN = (AttemptStatus.SENDING.value, AttemptStatus.SENT.value)


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
    def claim(self, send: Send, at: datetime, message: str | None = None) -> bool:
        """Take ``send`` for sending, in the message named ``message`` (its own key when it goes alone); False when
        it was taken before (sent, failed, in flight or declined): never twice."""
        return self._insert(send.key, send, AttemptStatus.SENDING, at, None, message or send.key)

    def decline(self, send: Send, status: AttemptStatus, at: datetime, detail: str) -> bool:
        """Take ``send`` for good without sending it (``OVER_BUDGET``): it will not go later either."""
        return self._insert(send.key, send, status, at, detail, None)

    def hold(self, send: Send, at: datetime, detail: str) -> None:
        """Note in the timeline that ``send`` was held, without taking it: once the hold ends and the incident is
        still open, its steps are told under their own keys."""
        self._insert(f"{send.key}|held", send, AttemptStatus.HELD, at, detail, None)

    def _insert(
        self, key: str, send: Send, status: AttemptStatus, at: datetime, detail: str | None, message: str | None
    ) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO attempt (key, incident, status, at_ms, detail, body, message, person, channel)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, send.incident, status.value, _ms(at), detail, send.model_dump_json(), message, send.person,
                 send.channel.value),
            )
        return cursor.rowcount == 1

    def finish(self, send: Send, status: AttemptStatus, at: datetime, detail: str | None = None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE attempt SET status = ?, at_ms = ?, detail = ? WHERE key = ?",
                (status.value, _ms(at), detail, send.key),
            )

    def taken(self, keys: list[str]) -> set[str]:
        """Which of ``keys`` were claimed or declined already."""
        found: set[str] = set()
        with self._lock:
            for start in range(0, len(keys), 500):  # SQLite's limit on the parameters of one statement
                chunk = keys[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key FROM attempt WHERE key IN ({marks})", chunk).fetchall()
                found.update(r[0] for r in rows)
        return found

    def unfinished(self) -> list[list[Send]]:
        """Messages claimed and never finished (the process stopped between the claim and the answer), each as its
        sends, in the order they were claimed: each goes again as the one message it was."""
        with self._lock:
            rows = self._db.execute(
                "SELECT message, body FROM attempt WHERE status = ? ORDER BY at_ms, rowid",
                (AttemptStatus.SENDING.value,),
            ).fetchall()
        messages: dict[str, list[Send]] = {}
        for message, body in rows:
            messages.setdefault(message, []).append(Send.model_validate_json(body))
        return list(messages.values())

    def messages_since(self, channel: str, since: datetime, person: str | None = None) -> int:
        """How many messages went to ``channel`` (to ``person``, or to anyone) after ``since``: a grouped SMS counts
        once, whatever it held."""
        query = (
            "SELECT COUNT(DISTINCT message) FROM attempt WHERE channel = ? AND at_ms > ? AND message IS NOT NULL"
            f" AND status IN ({', '.join('?' * len(_GIVEN))})"
        )
        params: list[object] = [channel, _ms(since), *_GIVEN]
        if person is not None:
            query += " AND person = ?"
            params.append(person)
        with self._lock:
            return int(self._db.execute(query, params).fetchone()[0])

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
