"""Store-and-forward: every outgoing message is on disk before it is sent.

A row leaves the outbox only when the broker has acknowledged it (PUBACK), so a
broker outage or a killed agent loses nothing; rows go out in the order they
were written. Telemetry sequence numbers are allocated here, in the same
transaction as the row, so they survive restarts and never repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contract.durable import open_queue_db

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    retain INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    payload: bytes
    retain: bool


class Outbox:
    def __init__(self, path: Path) -> None:
        # Built on one thread and used by the agent's loop thread, never by two at once.
        self._db = open_queue_db(path, _SCHEMA)

    def next_value(self, counter: str) -> int:
        row = self._db.execute("SELECT value FROM counters WHERE name = ?", (counter,)).fetchone()
        return (row[0] if row else 0) + 1

    def put(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self._db.execute("INSERT INTO outbox (topic, payload, retain) VALUES (?, ?, ?)", (topic, payload, int(retain)))

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
            self.put(topic, make_payload(number))
        return number

    def pending(self, after_id: int, limit: int) -> list[OutboxRow]:
        rows = self._db.execute(
            "SELECT id, topic, payload, retain FROM outbox WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
        ).fetchall()
        return [OutboxRow(r[0], r[1], bytes(r[2]), bool(r[3])) for r in rows]

    def remove(self, row_id: int) -> None:
        self._db.execute("DELETE FROM outbox WHERE id = ?", (row_id,))

    def depth(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        self._db.close()
