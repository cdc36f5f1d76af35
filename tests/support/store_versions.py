"""A store's file as an earlier or a later program left it, made and read with sqlite3 alone (not with the code
under test): its tables and rows, the schema version in its header, and its bytes."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path


def write_file(path: Path, script: str, version: int = 0) -> None:
    """A file made by ``script`` (its tables and rows), with ``version`` in its header (0: none)."""
    with closing(sqlite3.connect(path)) as db:
        db.executescript(script)
        db.execute(f"PRAGMA user_version = {version}")


def version_of(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def set_version(path: Path, version: int) -> None:
    """As a newer release leaves the file it migrated."""
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version = {version}")

