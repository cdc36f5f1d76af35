"""A local store that SQLite cannot read is kept aside, what can be read of it is salvaged in order, and the
program goes on; a damaged write-ahead log is noticed, and a torn last transaction is not taken for damage."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from contract.durable import Opened, open_queue_db
from contract.schema_versions import StoreSchema
from tests.support.damage import (
    Damage,
    crash_copy,
    damage,
    kept_aside,
    overwrite_wal_frame,
    smash_wal_header,
    tear_last_frame,
)

SCHEMA = StoreSchema(
    version_1="""
CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_by_topic ON queue(topic);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
)
N = 3000  # about 180 pages: damage in the middle hits rows, not only the schema
Row = tuple[int, str, bytes]


def _fill(path: Path) -> list[Row]:
    rows = [(i, f"t/{i % 3}", json.dumps({"seq": i}).encode() + b" " * 200) for i in range(1, N + 1)]
    db = open_queue_db(path, SCHEMA).db
    with db:
        db.execute("BEGIN")
        db.executemany("INSERT INTO queue (id, topic, payload) VALUES (?, ?, ?)", rows)
        db.execute("INSERT INTO counters VALUES ('queue', ?)", (N,))
    db.close()
    return rows


def _rows(db: sqlite3.Connection) -> list[Row]:
    return [(r[0], r[1], bytes(r[2])) for r in db.execute("SELECT id, topic, payload FROM queue ORDER BY id")]


# How many rows each damage leaves readable, at least: a smashed header hides none of them.
AT_LEAST = {Damage.TRUNCATED: N * 45 // 100, Damage.OVERWRITTEN: N - 60, Damage.OVERWRITTEN_TWICE: N - 60}
AT_LEAST[Damage.HEADER_SMASHED] = N


@pytest.mark.parametrize("how", list(AT_LEAST))
def test_an_unreadable_store_is_kept_aside_and_its_readable_rows_salvaged_in_order(tmp_path: Path, how: Damage) -> None:
    path = tmp_path / "queue.sqlite3"
    written = _fill(path)
    damaged = damage(path, how)

    opened = open_queue_db(path, SCHEMA)
    report = opened.recovery
    assert opened.opened is Opened.RECOVERED and report is not None
    [kept] = kept_aside(path)
    assert Path(report.kept_as) == kept and kept.read_bytes() == damaged, "kept as it was found"
    salvaged = _rows(opened.db)
    assert set(salvaged) <= set(written), "nothing made up from garbage"
    assert len(salvaged) >= AT_LEAST[how]
    assert report.salvaged == {"queue": len(salvaged), "counters": 1}
    assert report.lost.get("queue", N - len(salvaged)) == N - len(salvaged), "lost rows, where countable, are right"
    if how is Damage.OVERWRITTEN:  # the index still counts the rows the damaged pages held
        assert report.lost == {"queue": N - len(salvaged)}

    # The new file is whole and takes writes; rows keep their ids, so a queue keeps its order.
    assert opened.db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    opened.db.execute("INSERT INTO queue (topic, payload) VALUES ('t/0', x'00')")
    assert _rows(opened.db)[-1][0] == N + 1
    opened.db.close()
    assert open_queue_db(path, SCHEMA).opened is Opened.READ


def test_a_file_of_zero_bytes_starts_empty_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    _fill(path)
    damage(path, Damage.ZERO_BYTES)
    opened = open_queue_db(path, SCHEMA)
    assert (opened.opened, opened.recovery, kept_aside(path)) == (Opened.EMPTY, None, [])
    assert _rows(opened.db) == []
    assert open_queue_db(tmp_path / "new.sqlite3", SCHEMA).opened is Opened.NEW


def _crashed_with_log(tmp_path: Path) -> Path:
    """A store of 50 transactions, all still in its write-ahead log, as a power cut leaves it."""
    live = tmp_path / "live.sqlite3"
    db = open_queue_db(live, SCHEMA).db
    for i in range(1, 51):
        db.execute("INSERT INTO queue (id, topic, payload) VALUES (?, 't/0', x'00')", (i,))
    path = tmp_path / "queue.sqlite3"
    crash_copy(live, path)
    db.close()
    return path


@pytest.mark.parametrize("harm", [smash_wal_header, lambda path: overwrite_wal_frame(path, 20)])
def test_a_damaged_write_ahead_log_is_noticed_and_kept(tmp_path: Path, harm: object) -> None:
    # SQLite itself drops such a log, or its transactions after the damage, without a word.
    path = _crashed_with_log(tmp_path)
    harm(path)  # type: ignore[operator]
    wal = Path(f"{path}-wal").read_bytes()
    opened = open_queue_db(path, SCHEMA)
    assert opened.opened is Opened.RECOVERED and opened.recovery is not None
    assert "write-ahead log" in opened.recovery.problem
    [kept] = kept_aside(path)
    assert Path(f"{kept}-wal").read_bytes() == wal
    ids = [r[0] for r in _rows(opened.db)]
    assert ids == list(range(1, len(ids) + 1)) and len(ids) < 50, "what SQLite could read of it, in order"


def test_a_last_transaction_torn_by_a_power_cut_is_not_taken_for_damage(tmp_path: Path) -> None:
    # Its commit had not returned: nothing was reported stored, so nothing is lost.
    path = _crashed_with_log(tmp_path)
    tear_last_frame(path)
    opened = open_queue_db(path, SCHEMA)
    assert (opened.opened, opened.recovery, kept_aside(path)) == (Opened.READ, None, [])
    assert [r[0] for r in _rows(opened.db)] == list(range(1, 50))


@pytest.mark.parametrize(
    ("table", "row", "found"),
    [
        # Another program's file in its place: kept aside.
        ("queue (colour TEXT, size INTEGER)", "('red', 3)", Opened.RECOVERED),
        # An older version's, a column fewer: read, and its caller brings it up to date.
        ("queue (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL)", "(1, 't/0')", Opened.READ),
    ],
)
def test_a_known_table_is_told_by_its_columns(tmp_path: Path, table: str, row: str, found: Opened) -> None:
    path = tmp_path / "queue.sqlite3"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(f"CREATE TABLE {table}")
        db.execute(f"INSERT INTO queue VALUES {row}")
    opened = open_queue_db(path, SCHEMA)
    assert opened.opened is found
    assert len(kept_aside(path)) == (found is Opened.RECOVERED)
