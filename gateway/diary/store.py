"""The record book's memory (SQLite, versioned): entries, harvest lots, and the harvests the pre-harvest interval
guard refused.

Append-only by construction: the database itself refuses to change or delete an entry (triggers), so no code path
— a bug, a careless migration, a clean-up job — can make a record age out or be rewritten. VietGAP asks for two
years at least; the book keeps everything. An entry sent twice (a phone's offline queue sent again after a lost
answer) is stored once: the phone names each entry before it leaves."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

from pydantic import AwareDatetime, BaseModel

from contract.diary import Entry, Lot
from contract.durable import open_queue_db
from contract.schema_versions import StoreSchema

_VERSION_1 = """
CREATE TABLE IF NOT EXISTS entry (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    greenhouse TEXT,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    corrects TEXT,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entry_day ON entry (day);
CREATE INDEX IF NOT EXISTS entry_greenhouse ON entry (greenhouse, day);
CREATE TRIGGER IF NOT EXISTS entry_never_changes BEFORE UPDATE ON entry
BEGIN SELECT RAISE(ABORT, 'diary entries are never changed: add a correction'); END;
CREATE TRIGGER IF NOT EXISTS entry_never_deleted BEFORE DELETE ON entry
BEGIN SELECT RAISE(ABORT, 'diary entries are never deleted: add a correction'); END;
CREATE TABLE IF NOT EXISTS lot (
    code TEXT PRIMARY KEY,
    greenhouse TEXT NOT NULL,
    published INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS lot_never_deleted BEFORE DELETE ON lot
BEGIN SELECT RAISE(ABORT, 'harvest lots are never deleted'); END;
CREATE TABLE IF NOT EXISTS refusal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL
);
"""
SCHEMA = StoreSchema(version_1=_VERSION_1, migrations=())
DIARY_FILE = "diary.sqlite3"  # in the gateway's data folder


class Refusal(BaseModel):
    """A harvest or a label the pre-harvest interval guard refused: who asked, for what, and from when it is
    allowed."""

    at: AwareDatetime
    by: str
    greenhouse: str
    zone: str
    day: date
    allowed_from: date
    product: str


class Added(BaseModel):
    entry: Entry
    new: bool  # False: this id was stored before (the stored entry is returned, the one sent is dropped)


class DiaryStore:
    def __init__(self, path: Path) -> None:
        self._db = open_queue_db(path, SCHEMA).db
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, entry: Entry) -> Added:
        """Store ``entry`` unless its id is stored already; either way, the stored one."""
        with self._lock, self._db:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO entry (id, greenhouse, day, kind, corrects, body) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    entry.id,
                    entry.greenhouse,
                    entry.day.isoformat(),
                    entry.detail.kind.value,
                    entry.corrects,
                    entry.model_dump_json(),
                ),
            )
            if cur.rowcount == 1:
                return Added(entry=entry, new=True)
            row = self._db.execute("SELECT body FROM entry WHERE id = ?", (entry.id,)).fetchone()
        return Added(entry=Entry.model_validate_json(row[0]), new=False)

    def entry(self, entry_id: str) -> Entry | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM entry WHERE id = ?", (entry_id,)).fetchone()
        return Entry.model_validate_json(row[0]) if row else None

    def entries(self, first: date | None = None, last: date | None = None) -> list[Entry]:
        """Every entry of the days [first, last] (either open), in the order they were recorded."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM entry WHERE day >= ? AND day <= ? ORDER BY seq",
                ((first or date.min).isoformat(), (last or date.max).isoformat()),
            ).fetchall()
        return [Entry.model_validate_json(r[0]) for r in rows]

    def ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT id FROM entry")}

    # --- lots ------------------------------------------------------------------------------------
    def add_lot(self, lot: Lot) -> bool:
        """False when a lot of that code exists already (a code names one lot, for good)."""
        with self._lock, self._db:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO lot (code, greenhouse, published, body) VALUES (?, ?, ?, ?)",
                (lot.code, lot.greenhouse, int(lot.published), lot.model_dump_json()),
            )
        return cur.rowcount == 1

    def replace_lot(self, lot: Lot) -> None:
        """A lot's harvest corrected: its weight, day or zone as the correction says; published as it was."""
        with self._lock, self._db:
            row = self._db.execute("SELECT published FROM lot WHERE code = ?", (lot.code,)).fetchone()
            if row is None:
                return
            kept = lot.model_copy(update={"published": bool(row[0])})
            self._db.execute(
                "UPDATE lot SET greenhouse = ?, body = ? WHERE code = ?",
                (kept.greenhouse, kept.model_dump_json(), kept.code),
            )

    def lot(self, code: str) -> Lot | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM lot WHERE code = ?", (code,)).fetchone()
        return Lot.model_validate_json(row[0]) if row else None

    def lots(self) -> list[Lot]:
        with self._lock:
            rows = self._db.execute("SELECT body FROM lot ORDER BY code").fetchall()
        return [Lot.model_validate_json(r[0]) for r in rows]

    def lot_codes_like(self, prefix: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT code FROM lot WHERE substr(code, 1, ?) = ?", (len(prefix), prefix)
            ).fetchall()
        return [r[0] for r in rows]

    def publish(self, code: str, published: bool) -> Lot | None:
        """Show the lot to consumers (or stop); None when there is no such lot."""
        lot = self.lot(code)
        if lot is None:
            return None
        changed = lot.model_copy(update={"published": published})
        with self._lock, self._db:
            self._db.execute(
                "UPDATE lot SET published = ?, body = ? WHERE code = ?",
                (int(published), changed.model_dump_json(), code),
            )
        return changed

    # --- refusals --------------------------------------------------------------------------------
    def refused(self, refusal: Refusal) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT INTO refusal (body) VALUES (?)", (refusal.model_dump_json(),))

    def refusals(self, since: datetime | None = None) -> list[Refusal]:
        with self._lock:
            rows = self._db.execute("SELECT body FROM refusal ORDER BY seq").fetchall()
        found = [Refusal.model_validate_json(r[0]) for r in rows]
        start = since or datetime.min.replace(tzinfo=UTC)
        return [r for r in found if r.at >= start]
