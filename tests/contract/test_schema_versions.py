"""A store's file carries its schema version: an older one is migrated on open, step by step in one transaction
(a failing step leaves it as it was), an unversioned one is taken as version 1, and a newer one is refused."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from contract.durable import Opened, open_queue_db
from contract.schema_versions import StoreSchema, StoreTooNew, sql_script
from tests.support.damage import Damage, damage, kept_aside

VERSION_1 = """
CREATE TABLE IF NOT EXISTS plant (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,  -- a ';' in a comment; is not the end of the statement
    height_mm INTEGER NOT NULL
);
"""
ROWS_1 = [(1, "cải; xanh", 120), (2, "cà chua", 455), (3, "dưa lưới", 80)]

# Version 2 measures in centimetres; version 3 sorts each plant by height, from the centimetres of version 2:
# run out of order, step 3 finds no height_cm and fails.
TO_2 = sql_script("""
ALTER TABLE plant ADD COLUMN height_cm REAL;
UPDATE plant SET height_cm = height_mm / 10.0;
ALTER TABLE plant DROP COLUMN height_mm;
""")


def to_3(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE plant ADD COLUMN tall INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE plant SET tall = height_cm >= 30")


def broken_to_3(db: sqlite3.Connection) -> None:
    to_3(db)
    raise RuntimeError("migration 2 -> 3 failed half way")


CHAIN = StoreSchema(version_1=VERSION_1, migrations=(TO_2, to_3))
ROWS_3 = [(1, "cải; xanh", 12.0, 0), (2, "cà chua", 45.5, 1), (3, "dưa lưới", 8.0, 0)]


def _write(path: Path, script: str, rows: list[tuple[object, ...]], version: int) -> None:
    """A file as an earlier program left it: its tables, its rows, and the version it wrote (0: none)."""
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(script)
        marks = ", ".join("?" * len(rows[0]))
        db.executemany(f"INSERT INTO plant VALUES ({marks})", rows)
        db.execute(f"PRAGMA user_version = {version}")


def _read(path: Path) -> tuple[int, list[str], list[tuple[object, ...]]]:
    """The file's version, the plant table's columns and its rows, read without the code under test."""
    with closing(sqlite3.connect(path)) as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        columns = [r[1] for r in db.execute("PRAGMA table_info(plant)")]
        return version, columns, db.execute("SELECT * FROM plant ORDER BY id").fetchall()


@pytest.mark.parametrize("found", [0, 1], ids=["no version: the code before versions", "version 1"])
def test_a_file_of_version_1_is_migrated_step_by_step_to_the_newest_with_its_rows(tmp_path: Path, found: int) -> None:
    path = tmp_path / "plants.sqlite3"
    _write(path, VERSION_1, ROWS_1, found)
    opened = open_queue_db(path, CHAIN)
    assert opened.opened is Opened.READ
    assert opened.db.execute("SELECT * FROM plant ORDER BY id").fetchall() == ROWS_3
    opened.db.close()
    assert _read(path) == (3, ["id", "name", "height_cm", "tall"], ROWS_3)
    assert kept_aside(path) == []


def test_a_file_of_version_2_takes_only_the_steps_after_it(tmp_path: Path) -> None:
    path = tmp_path / "plants.sqlite3"
    version_2 = "CREATE TABLE plant (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, height_cm REAL);"
    _write(path, version_2, [(r[0], r[1], r[2]) for r in ROWS_3], 2)
    open_queue_db(path, CHAIN).db.close()
    assert _read(path) == (3, ["id", "name", "height_cm", "tall"], ROWS_3)


def test_a_new_file_is_made_at_the_newest_version(tmp_path: Path) -> None:
    path = tmp_path / "plants.sqlite3"
    opened = open_queue_db(path, CHAIN)
    assert opened.opened is Opened.NEW
    opened.db.close()
    assert _read(path) == (3, ["id", "name", "height_cm", "tall"], [])


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "plants.sqlite3"
    _write(path, VERSION_1, ROWS_1, 1)
    with pytest.raises(RuntimeError, match="half way"):
        open_queue_db(path, StoreSchema(version_1=VERSION_1, migrations=(TO_2, broken_to_3)))
    # Step 2 had run, and step 3 half: both undone.
    assert _read(path) == (1, ["id", "name", "height_mm"], ROWS_1)
    assert kept_aside(path) == [], "a failing migration is not damage"
    # The program fixed, the same file migrates.
    open_queue_db(path, CHAIN).db.close()
    assert _read(path) == (3, ["id", "name", "height_cm", "tall"], ROWS_3)


def test_a_file_of_a_newer_version_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "plants.sqlite3"
    _write(path, VERSION_1, ROWS_1, 4)
    before = path.read_bytes()
    with pytest.raises(StoreTooNew) as refused:
        open_queue_db(path, CHAIN)
    assert (refused.value.path, refused.value.found, refused.value.known) == (str(path), 4, 3)
    assert str(refused.value).startswith(f"{path}: schema version 4 is newer than this program knows (version 3)")
    assert path.read_bytes() == before and kept_aside(path) == []


def test_a_newer_file_is_refused_even_where_this_version_would_take_it_for_another_programs(tmp_path: Path) -> None:
    # Its tables are not this program's to judge: kept aside as damage, it would be replaced by an older layout.
    path = tmp_path / "plants.sqlite3"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE plant (plant_id INTEGER PRIMARY KEY, label TEXT)")
        db.execute("PRAGMA user_version = 9")
    with pytest.raises(StoreTooNew):
        open_queue_db(path, CHAIN)
    assert kept_aside(path) == []


def test_a_damaged_file_is_salvaged_into_the_newest_version(tmp_path: Path) -> None:
    path = tmp_path / "plants.sqlite3"
    open_queue_db(path, CHAIN).db.close()
    with closing(sqlite3.connect(path)) as db, db:
        db.executemany("INSERT INTO plant VALUES (?, ?, ?, ?)", ROWS_3)
    damage(path, Damage.HEADER_SMASHED)  # the version in the header is lost with it
    opened = open_queue_db(path, CHAIN)
    assert opened.opened is Opened.RECOVERED and opened.recovery is not None
    assert opened.recovery.salvaged == {"plant": 3}
    opened.db.close()
    assert _read(path) == (3, ["id", "name", "height_cm", "tall"], ROWS_3)


def test_a_script_without_its_last_semicolon_is_refused_not_cut_short() -> None:
    with pytest.raises(ValueError, match="closing ';'"):
        sql_script("ALTER TABLE plant ADD COLUMN x; UPDATE plant SET x = 1")
