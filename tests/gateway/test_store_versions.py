"""The gateway's spool, accounts and history files carry their schema version: a file of the code before
versions opens as version 1 with its rows, one at the current version opens unchanged, and one of a newer
release is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contract.schema_versions import StoreSchema, StoreTooNew
from gateway.accounts import db as accounts_db
from gateway.accounts.db import AccountsDb
from gateway.accounts.users import Users
from gateway.ingest import spool
from gateway.ingest.spool import Queued, Spool
from gateway.storage import sqlite
from gateway.storage.sqlite import SqliteStore
from tests.support.store_versions import set_version, version_of, write_file

T0 = datetime(2026, 1, 15, 5, 0, tzinfo=UTC)

# Each file as the code before versions wrote it, with rows.
SPOOL_ROWS = """
INSERT INTO inbox (id, channel, payload) VALUES (11, 'telemetry', x'7b7d');
INSERT INTO inbox (id, channel, payload) VALUES (12, 'event', x'5b5d');
INSERT INTO reject_counts VALUES ('bad_json', 2);
"""
SHIPPED_SPOOL = f"""
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
{SPOOL_ROWS}
"""
# The accounts file has had a version since its sign-in failures changed layout; its tables made, the code before
# versions set it in a transaction of its own, so a power cut between the two leaves today's tables at version 0.
ACCOUNTS_ROWS = """
INSERT INTO users (name, role, cooperative, password_hash, created_at)
    VALUES ('nong-dan', 'farmer', 'htx-moc-chau', '$argon2id$…', '2026-01-15T05:00:00+00:00');
"""
SHIPPED_ACCOUNTS = f"""
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    cooperative TEXT NOT NULL,
    greenhouses TEXT,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name),
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions(expires_at);
CREATE TABLE IF NOT EXISTS failed_sign_ins (
    user TEXT,
    address TEXT,
    device TEXT,
    at REAL NOT NULL,
    user_held INTEGER NOT NULL DEFAULT 1,
    address_held INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS failed_sign_ins_by_user ON failed_sign_ins(user, at);
CREATE INDEX IF NOT EXISTS failed_sign_ins_by_address ON failed_sign_ins(address, at);
CREATE INDEX IF NOT EXISTS failed_sign_ins_by_time ON failed_sign_ins(at);
CREATE TABLE IF NOT EXISTS known_clients (
    user TEXT NOT NULL,
    client TEXT NOT NULL,
    last_sign_in REAL NOT NULL,
    PRIMARY KEY (user, client)
);
{ACCOUNTS_ROWS}
"""
HISTORY_ROWS = f"""
INSERT INTO series VALUES (1, 'climate', '[["greenhouse","gh-1"]]');
INSERT INTO series_tag VALUES ('greenhouse', 'gh-1', 1);
INSERT INTO field VALUES (1, 'climate', 'air_temp_c', 'float');
INSERT INTO sample VALUES (1, {int(T0.timestamp() * 1000)}, 1, 21.5);
"""
SHIPPED_HISTORY = f"""
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    measurement TEXT NOT NULL,
    tags TEXT NOT NULL,
    UNIQUE (measurement, tags)
);
CREATE TABLE IF NOT EXISTS series_tag (
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    series_id INTEGER NOT NULL REFERENCES series (id),
    PRIMARY KEY (key, value, series_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS field (
    id INTEGER PRIMARY KEY,
    measurement TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    UNIQUE (measurement, name)
);
CREATE TABLE IF NOT EXISTS sample (
    series_id INTEGER NOT NULL,
    ts_ms INTEGER NOT NULL,
    field_id INTEGER NOT NULL,
    value NOT NULL,
    PRIMARY KEY (series_id, ts_ms, field_id)
) WITHOUT ROWID;
{HISTORY_ROWS}
"""


def _spool_rows(path: Path) -> tuple[list[Queued], dict[str, int]]:
    store = Spool(path)
    try:
        return store.take(10, 10_000), store.reject_counts()
    finally:
        store.close()


def _user_names(path: Path) -> list[str]:
    store = AccountsDb(path)
    try:
        return [u.name for u in Users(store, lambda: T0).all()]
    finally:
        store.close()


def _history(path: Path) -> list[tuple[dict[str, str], dict[str, object]]]:
    store = SqliteStore(path)
    try:
        points = store.rows("climate", {"greenhouse": "gh-1"}, T0, datetime(2027, 1, 1, tzinfo=UTC), 10)
        return [(p.tags, dict(p.fields)) for p in points]
    finally:
        store.close()


# Rows spooled before their readings were counted count as one reading each.
SPOOL = ([Queued(11, "telemetry", b"{}", 1), Queued(12, "event", b"[]", 1)], {"bad_json": 2})
HISTORY = [({"greenhouse": "gh-1"}, {"air_temp_c": 21.5})]
# By store: its schema, the file the code before versions left, its rows alone, and what the store reads of them.
STORES: dict[str, tuple[StoreSchema, str, str, Callable[[Path], object], object]] = {
    "spool": (spool.SCHEMA, SHIPPED_SPOOL, SPOOL_ROWS, _spool_rows, SPOOL),
    "accounts": (accounts_db.SCHEMA, SHIPPED_ACCOUNTS, ACCOUNTS_ROWS, _user_names, ["nong-dan"]),
    "history": (sqlite.SCHEMA, SHIPPED_HISTORY, HISTORY_ROWS, _history, HISTORY),
}


@pytest.mark.parametrize("store", list(STORES))
def test_a_file_of_the_code_before_versions_opens_at_the_current_version_with_its_rows(
    tmp_path: Path, store: str
) -> None:
    schema, shipped, _, read, rows = STORES[store]
    path = tmp_path / f"{store}.sqlite3"
    write_file(path, shipped)
    assert read(path) == rows
    assert version_of(path) == schema.version


def _made_by_the_store(path: Path, store: str) -> None:
    """A file the store made, holding the same rows."""
    schema, _, rows, read, _ = STORES[store]
    read(path)
    write_file(path, rows, schema.version)


@pytest.mark.parametrize("store", list(STORES))
def test_a_store_at_the_current_version_opens_unchanged(tmp_path: Path, store: str) -> None:
    schema, _, _, read, rows = STORES[store]
    path = tmp_path / f"{store}.sqlite3"
    _made_by_the_store(path, store)
    assert version_of(path) == schema.version
    before = path.read_bytes()
    assert read(path) == rows
    assert path.read_bytes() == before, "opened, read and closed: not a byte written"


@pytest.mark.parametrize("store", list(STORES))
def test_a_store_of_a_newer_release_is_refused_naming_the_file_and_versions(tmp_path: Path, store: str) -> None:
    schema, _, _, read, _ = STORES[store]
    path = tmp_path / f"{store}.sqlite3"
    _made_by_the_store(path, store)
    set_version(path, schema.version + 1)
    before = path.read_bytes()
    with pytest.raises(StoreTooNew) as refused:
        read(path)
    assert str(refused.value).startswith(
        f"{path}: schema version {schema.version + 1} is newer than this program knows (version {schema.version})"
    )
    assert path.read_bytes() == before
