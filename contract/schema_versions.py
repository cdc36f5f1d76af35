"""Versions of the local stores' schemas: each SQLite file carries its version in ``PRAGMA user_version``, and a
file of an older version is brought up to date when it is opened, before anything reads or writes it.

Version 1 is the schema each store had when versions came in. A file with no version (0) is new, or was written
by the code before versions: its missing tables are made, the store's own adoption step brings a still older
layout up to version 1 (a column added before there were versions), and the migrations run on from there, all in
one transaction: a migration that fails leaves the file as it was, and of two processes opening it at once, the
second finds it done. A change to a schema is a migration added at the end of the store's list, never an edit of
version 1 or of an earlier step: the farms' files of every version must still open.

A file of a version newer than the program knows was written by a newer release (a server downgraded by mistake):
it is refused, unchanged (``StoreTooNew``), since this program does not know what its tables now mean.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contract.wording import Lang, pick

log = logging.getLogger(__name__)

# One step, run inside the open transaction: ``execute`` only (``executescript`` would commit half of it).
Migration = Callable[[sqlite3.Connection], None]


def sql_script(script: str) -> Migration:
    """A migration written as SQL: its statements run one by one, inside the transaction."""
    statements = _statements(script)

    def run(db: sqlite3.Connection) -> None:
        for statement in statements:
            db.execute(statement)

    return run


@dataclass(frozen=True)
class StoreSchema:
    """A store's layout: version 1 (``CREATE ... IF NOT EXISTS``), what a file of the code before versions needs
    to be version 1 (None: nothing), and the migrations in order: ``migrations[0]`` takes version 1 to 2, and on."""

    version_1: str
    adopt: Migration | None = None
    migrations: tuple[Migration, ...] = ()

    @property
    def version(self) -> int:
        """The newest version this program knows, the one every file it opens is brought to."""
        return 1 + len(self.migrations)


class StoreTooNew(Exception):
    """A store written by a newer release than this one."""

    def __init__(self, path: Path | str, found: int, known: int) -> None:
        super().__init__(
            f"{path}: schema version {found} is newer than this program knows (version {known}): it was written by"
            " a newer release; run that release, or restore a copy this one wrote"
        )
        self.path = str(path)
        self.found = found
        self.known = known

    def said(self, lang: Lang) -> str:
        """The refusal in the reader's language, for the technician at the command line."""
        return pick(
            (
                f"{self.path}: tệp được ghi bởi phiên bản phần mềm mới hơn (cấu trúc {self.found}, phiên bản này chỉ"
                f" biết đến {self.known}); hãy chạy phiên bản mới đó, hoặc khôi phục bản sao do phiên bản này ghi",
                str(self),
            ),
            lang,
        )


def refuse_newer(db: sqlite3.Connection, path: Path | str, schema: StoreSchema) -> int:
    """The file's version; ``StoreTooNew`` if it is newer than ``schema`` knows."""
    found = int(db.execute("PRAGMA user_version").fetchone()[0])
    if found > schema.version:
        raise StoreTooNew(path, found, schema.version)
    return found


def bring_up_to_date(db: sqlite3.Connection, path: Path | str, schema: StoreSchema) -> None:
    """Make a new file, or migrate an older one, to ``schema.version``, in one transaction; a file already there
    is only read. ``db`` is in autocommit mode (``isolation_level=None``); ``path`` names the file in errors."""
    if refuse_newer(db, path, schema) == schema.version:
        return  # no write lock taken: opening a store at its version never waits for another process
    db.execute("BEGIN IMMEDIATE")
    try:
        found = refuse_newer(db, path, schema)  # read again under the lock: another process may have done it
        if found == 0:
            for statement in _statements(schema.version_1):
                db.execute(statement)
            if schema.adopt is not None:
                schema.adopt(db)
        if found < schema.version:
            for step in schema.migrations[max(found, 1) - 1 :]:
                step(db)
            db.execute(f"PRAGMA user_version = {schema.version}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    if 0 < found < schema.version:
        extra = {"store": str(path), "from_version": found, "to_version": schema.version}
        log.info("local store migrated", extra=extra)


def _statements(script: str) -> list[str]:
    """The statements of ``script``, split where SQLite says one is complete (not at a ';' in a string or a
    comment). A last statement without its ';' is refused rather than left out."""
    statements: list[str] = []
    start = 0
    for end, char in enumerate(script):
        if char == ";" and sqlite3.complete_statement(script[start : end + 1]):
            statements.append(script[start : end + 1].strip())
            start = end + 1
    rest = [line.strip() for line in script[start:].splitlines()]
    if any(line and not line.startswith("--") for line in rest):
        raise ValueError(f"SQL without its closing ';': {' '.join(rest).strip()[:80]}")
    return statements
