"""The accounts file: one SQLite database in the gateway's data dir, opened by the gateway and the CLI alike."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from contract.durable import Opened, QueueDb, StoreRecovery, open_queue_db
from contract.schema_versions import StoreSchema

log = logging.getLogger(__name__)

ACCOUNTS_FILE = "accounts.sqlite3"

_VERSION_1 = """
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
-- One row per failed sign-in, so that a name can be held off from one address and not from every other.
CREATE TABLE IF NOT EXISTS failed_sign_ins (
    user TEXT,                      -- the name tried, known or not (NULL: a row of version 0 for an address)
    address TEXT,                   -- the client's address (NULL: a row of version 0 for a name)
    device TEXT,                    -- sha256 of a device cookie the name signed in with before; NULL otherwise
    at REAL NOT NULL,               -- unix time
    user_held INTEGER NOT NULL DEFAULT 1,     -- 0: the name was unlocked (by an admin, or its owner signing in)
    address_held INTEGER NOT NULL DEFAULT 1   -- 0: an admin unlocked the address
);
CREATE INDEX IF NOT EXISTS failed_sign_ins_by_user ON failed_sign_ins(user, at);
CREATE INDEX IF NOT EXISTS failed_sign_ins_by_address ON failed_sign_ins(address, at);
CREATE INDEX IF NOT EXISTS failed_sign_ins_by_time ON failed_sign_ins(at);
CREATE TABLE IF NOT EXISTS known_clients (
    user TEXT NOT NULL,
    client TEXT NOT NULL,           -- 'device:<sha256 of the device cookie>' or 'address:<client address>'
    last_sign_in REAL NOT NULL,     -- unix time; forgotten some months after
    PRIMARY KEY (user, client)
);
"""


def _from_version_0(db: sqlite3.Connection) -> None:
    """Version 0 kept one row per counter, 'user:<name>' and 'address:<address>', in sign_in_failures. Its rows
    are carried over once; the table is left (emptied) for a gateway of version 0 still running on the same file."""
    old = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sign_in_failures'")
    if old.fetchone() is None:
        return
    db.execute(
        """INSERT INTO failed_sign_ins (user, address, at)
            SELECT CASE WHEN key LIKE 'user:%' THEN substr(key, 6) END,
                   CASE WHEN key LIKE 'address:%' THEN substr(key, 9) END, at
            FROM sign_in_failures"""
    )
    db.execute("DELETE FROM sign_in_failures")


# Brought up to date on open, in one transaction (contract.schema_versions): an interrupted upgrade leaves the file
# as it was. A change of layout is a migration added at the end, never an edit of version 1.
SCHEMA = StoreSchema(version_1=_VERSION_1, adopt=_from_version_0)


def _say_what_was_found(path: Path, opened: QueueDb) -> None:
    """Signing in rests on this file: one lost, emptied or damaged is said loudly, never passed over."""
    where = {"path": str(path)}
    if opened.recovery is not None:
        saved, lost = opened.recovery.salvaged.get("users", 0), opened.recovery.lost.get("users")
        extra = {**where, "kept_as": opened.recovery.kept_as, "users_saved": saved, "users_lost": lost}
        log.error("accounts file damaged: kept aside, and the users that could be read saved", extra=extra)
    elif opened.opened is Opened.EMPTY:
        log.error("accounts file empty: every user is gone; add an admin with 'greenhouse users add'", extra=where)
    elif opened.opened is Opened.NEW and _ran_here_before(path):
        log.warning("no accounts file: a new one is made, with no users", extra=where)
    elif opened.opened is Opened.NEW:
        log.info("first start here: a new accounts file is made", extra=where)


# The gateway's other files in its data folder (gateway/service.py, gateway/main.py); the folder may be shared.
_GATEWAY_FILES = ("gateway-*-spool.sqlite3", "history-*.sqlite3")


def _ran_here_before(path: Path) -> bool:
    """The gateway's spool or history is already there: the accounts file was lost, not yet to be made."""
    return any(next(path.parent.glob(pattern), None) is not None for pattern in _GATEWAY_FILES)


def accounts_path(data_dir: Path) -> Path:
    return data_dir / ACCOUNTS_FILE


class AccountsDb:
    """One connection shared by threads, serialised here; WAL lets the CLI write while the gateway reads."""

    def __init__(self, path: Path) -> None:
        # Fsync on every commit, as for the queues: a password change or a disabled user must not come undone.
        opened = open_queue_db(path, SCHEMA)
        self._db = opened.db
        # A file that could not be read at start: what was saved of it (the ingest report shows it).
        self.recovery: StoreRecovery | None = opened.recovery
        _say_what_was_found(path, opened)
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
