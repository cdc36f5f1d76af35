"""What delivery and set-up rest on: SQLite for the local queues (edge outbox, gateway spool), and files
replaced whole (rule sets, the site file)."""

from __future__ import annotations

import os
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


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside ``path``, fsync, rename over it, fsync the folder: a power cut leaves the old or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
