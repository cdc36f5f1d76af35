"""The edge's outbox and memory files carry their schema version: a file of the code before versions opens as
version 1 with its rows, one at the current version opens unchanged, and one of a newer release is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from contract.schema_versions import StoreSchema, StoreTooNew
from edge import memory, outbox
from edge.memory import MemoryFile
from edge.outbox import Outbox, OutboxRow
from tests.support.store_versions import set_version, version_of, write_file

# The outbox as the code before versions wrote it, with two rows waiting and the telemetry counter at 7.
SHIPPED_OUTBOX = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    retain INTEGER NOT NULL DEFAULT 0,
    seq INTEGER
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO outbox VALUES (4, 'gh/telemetry', x'7b7d', 0, 7);
INSERT INTO outbox VALUES (5, 'gh/status', x'5b5d', 1, NULL);
INSERT INTO counters VALUES ('telemetry', 7);
"""
# Older still: before rows carried their number.
SHIPPED_OUTBOX_WITHOUT_SEQ = """
CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload BLOB NOT NULL,
    retain INTEGER NOT NULL DEFAULT 0);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO outbox VALUES (4, 'gh/telemetry', x'7b7d', 0);
INSERT INTO outbox VALUES (5, 'gh/status', x'5b5d', 1);
INSERT INTO counters VALUES ('telemetry', 7);
"""
MEMORY_ROW = """INSERT INTO memory VALUES ('gh-1', '{"counters": {"telemetry": 7, "events": 3}}');"""
SHIPPED_MEMORY = f"""
CREATE TABLE IF NOT EXISTS memory (greenhouse TEXT PRIMARY KEY, document TEXT NOT NULL);
{MEMORY_ROW}
"""


def _outbox_rows(path: Path) -> tuple[list[OutboxRow], dict[str, int]]:
    store = Outbox(path)
    try:
        return store.pending(0, 10), store.last_values()
    finally:
        store.close()


def _memory_counters(path: Path) -> dict[str, int]:
    store = MemoryFile(path, "gh-1")
    try:
        return store.counters()
    finally:
        store.close()


def test_an_outbox_of_the_code_before_versions_opens_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    write_file(path, SHIPPED_OUTBOX)
    rows = [OutboxRow(4, "gh/telemetry", b"{}", False, 7), OutboxRow(5, "gh/status", b"[]", True, None)]
    assert _outbox_rows(path) == (rows, {"telemetry": 7})
    assert version_of(path) == outbox.SCHEMA.version  # adopted as version 1, then migrated (2: held polls)


def test_an_outbox_from_before_numbered_rows_opens_its_rows_unnumbered(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    write_file(path, SHIPPED_OUTBOX_WITHOUT_SEQ)
    rows = [OutboxRow(4, "gh/telemetry", b"{}", False, None), OutboxRow(5, "gh/status", b"[]", True, None)]
    assert _outbox_rows(path) == (rows, {"telemetry": 7})
    assert version_of(path) == outbox.SCHEMA.version  # adopted as version 1, then migrated (2: held polls)
    store = Outbox(path)
    assert store.put_numbered("telemetry", "gh/telemetry", lambda n: b"%d" % n) == 8, "it takes numbered rows"
    store.close()


def test_a_memory_of_the_code_before_versions_opens_as_version_1_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite3"
    write_file(path, SHIPPED_MEMORY)
    assert _memory_counters(path) == {"telemetry": 7, "events": 3}
    assert version_of(path) == 1


def _fill_outbox(path: Path) -> None:
    store = Outbox(path)
    store.put_numbered("telemetry", "gh/telemetry", lambda n: b"%d" % n)
    store.close()


def _fill_memory(path: Path) -> None:
    MemoryFile(path, "gh-1").close()
    write_file(path, MEMORY_ROW, memory.SCHEMA.version)


STORES: dict[str, tuple[StoreSchema, Callable[[Path], None], Callable[[Path], object]]] = {
    "outbox": (outbox.SCHEMA, _fill_outbox, _outbox_rows),
    "memory": (memory.SCHEMA, _fill_memory, _memory_counters),
}


@pytest.mark.parametrize("store", list(STORES))
def test_a_store_at_the_current_version_opens_unchanged(tmp_path: Path, store: str) -> None:
    schema, fill, read = STORES[store]
    path = tmp_path / f"{store}.sqlite3"
    fill(path)
    assert version_of(path) == schema.version
    before, rows = path.read_bytes(), read(path)
    assert rows == read(path)
    assert path.read_bytes() == before, "opened, read and closed: not a byte written"


@pytest.mark.parametrize("store", list(STORES))
def test_a_store_of_a_newer_release_is_refused_naming_the_file_and_versions(tmp_path: Path, store: str) -> None:
    schema, fill, read = STORES[store]
    path = tmp_path / f"{store}.sqlite3"
    fill(path)
    set_version(path, schema.version + 1)
    before = path.read_bytes()
    with pytest.raises(StoreTooNew) as refused:
        read(path)
    assert str(refused.value).startswith(
        f"{path}: schema version {schema.version + 1} is newer than this program knows (version {schema.version})"
    )
    assert path.read_bytes() == before
