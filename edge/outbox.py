"""Store-and-forward: every outgoing message is on disk before it is sent.

A numbered row (telemetry, events) leaves the outbox only when the gateway says it
holds it durably (``DeliveryAck``), not when the broker took it: a broker restart,
a lost subscription or a killed agent costs time, never data. Rows go out in the
order they were written. Telemetry sequence numbers are allocated here, in the same
transaction as the row, so they survive restarts and never repeat.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from contract.durable import StoreRecovery, open_queue_db
from contract.schema_versions import StoreSchema

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


# A change of layout is a migration added at the end (contract.schema_versions), never an edit of version 1.
SCHEMA = StoreSchema(version_1=_VERSION_1, adopt=_add_seq_column)


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

    def pending(self, after_id: int, limit: int) -> list[OutboxRow]:
        rows = self._db.execute(
            "SELECT id, topic, payload, retain, seq FROM outbox WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
        ).fetchall()
        return [OutboxRow(r[0], r[1], bytes(r[2]), bool(r[3]), r[4]) for r in rows]

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
