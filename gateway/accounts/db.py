"""The accounts file: one SQLite database in the gateway's data dir, opened by the gateway and the CLI alike."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from contract.durable import open_queue_db

ACCOUNTS_FILE = "accounts.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    cooperative TEXT NOT NULL,
    greenhouses TEXT,               -- JSON list of ids; NULL: every greenhouse of the cooperative
    password_hash TEXT NOT NULL,    -- argon2id, never the password
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,    -- sha256 of the cookie's token: a stolen file opens no session
    user TEXT NOT NULL REFERENCES users(name),
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions(expires_at);
CREATE TABLE IF NOT EXISTS sign_in_failures (
    key TEXT NOT NULL,              -- 'user:<name>' or 'address:<client address>'
    at REAL NOT NULL                -- unix time
);
CREATE INDEX IF NOT EXISTS sign_in_failures_by_key ON sign_in_failures(key, at);
CREATE INDEX IF NOT EXISTS sign_in_failures_by_time ON sign_in_failures(at);
"""


def accounts_path(data_dir: Path) -> Path:
    return data_dir / ACCOUNTS_FILE


class AccountsDb:
    """One connection shared by threads, serialised here; WAL lets the CLI write while the gateway reads."""

    def __init__(self, path: Path) -> None:
        # Fsync on every commit, as for the queues: a password change or a disabled user must not come undone.
        self._db = open_queue_db(path, _SCHEMA)
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
