"""What the notifier keeps of the phones (SQLite, versioned): each web-app account's push subscriptions — one per
phone where its owner turned notifications on — and the tokens a notification's "Đã biết" button acknowledges
with, each for one person and one incident, so that the button works without a session."""

from __future__ import annotations

import secrets
import threading
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from contract.durable import open_queue_db
from contract.schema_versions import StoreSchema
from gateway.notify.webpush import PushSubscription

_VERSION_1 = """
CREATE TABLE IF NOT EXISTS push_subscription (
    endpoint TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    body TEXT NOT NULL,
    added_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS push_subscription_account ON push_subscription (account);
CREATE TABLE IF NOT EXISTS ack_token (
    token TEXT PRIMARY KEY,
    incident TEXT NOT NULL,
    person TEXT NOT NULL,
    added_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ack_token_for ON ack_token (incident, person);
"""
SCHEMA = StoreSchema(version_1=_VERSION_1)
PHONE_BOOK_FILE = "notify-phones.sqlite3"  # in the gateway's data dir


class AckToken(BaseModel):
    token: str
    incident: str
    person: str


class PhoneBook:
    def __init__(self, path: Path) -> None:
        self._db = open_queue_db(path, SCHEMA).db
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def subscribe(self, account: str, sub: PushSubscription, at: datetime) -> None:
        """A phone of ``account`` takes notifications; the same phone subscribing again (or for another account,
        after a change of user on it) replaces its entry."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO push_subscription (endpoint, account, body, added_ms) VALUES (?, ?, ?, ?)",
                (sub.endpoint, account, sub.model_dump_json(by_alias=True), int(at.timestamp() * 1000)),
            )

    def unsubscribe(self, endpoint: str, account: str | None = None) -> bool:
        """Forget one phone: asked by its account (None: the push service said it is gone)."""
        with self._lock:
            if account is None:
                cursor = self._db.execute("DELETE FROM push_subscription WHERE endpoint = ?", (endpoint,))
            else:
                cursor = self._db.execute(
                    "DELETE FROM push_subscription WHERE endpoint = ? AND account = ?", (endpoint, account)
                )
        return cursor.rowcount > 0

    def phones(self, account: str) -> list[PushSubscription]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM push_subscription WHERE account = ? ORDER BY added_ms", (account,)
            ).fetchall()
        return [PushSubscription.model_validate_json(r[0]) for r in rows]

    def ack_token(self, incident: str, person: str, at: datetime) -> str:
        """The token of ``person``'s button for ``incident``: the same for every message of the incident."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO ack_token (token, incident, person, added_ms) VALUES (?, ?, ?, ?)",
                (secrets.token_urlsafe(18), incident, person, int(at.timestamp() * 1000)),
            )
            row = self._db.execute(
                "SELECT token FROM ack_token WHERE incident = ? AND person = ?", (incident, person)
            ).fetchone()
        return str(row[0])

    def by_token(self, token: str) -> AckToken | None:
        with self._lock:
            row = self._db.execute("SELECT incident, person FROM ack_token WHERE token = ?", (token,)).fetchone()
        return AckToken(token=token, incident=row[0], person=row[1]) if row else None
