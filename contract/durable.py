"""SQLite opened for the local queues that delivery guarantees rest on (edge outbox, gateway spool)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_queue_db(path: Path, schema: str) -> sqlite3.Connection:
    """Autocommit connection (atomic writes use explicit transactions), WAL, and fsync on every commit:
    a row reported as stored must survive a power cut. Usable from any thread; callers serialise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(schema)
    return db
