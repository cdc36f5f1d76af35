"""What delivery and set-up rest on: SQLite for the local stores (edge outbox and memory, gateway spool,
accounts), and files replaced whole (rule sets, the site file).

A local store that SQLite cannot read (truncated, overwritten, its header or its write-ahead log damaged) does
not stop the program: the file is kept aside as ``<name>.damaged-<UTC time>`` with its ``-wal`` and ``-shm``,
whatever rows of the known tables can still be read are copied into a new file, and the caller is told
(``StoreRecovery``) so that it can say so to people. The new file is made at the store's current schema version.

Each store's file carries its schema version, and an older one is migrated as it is opened; one written by a newer
release is refused (``contract.schema_versions``).
"""

from __future__ import annotations

import logging
import mmap
import os
import shutil
import sqlite3
import struct
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict

from contract.schema_versions import StoreSchema, bring_up_to_date, refuse_newer

log = logging.getLogger(__name__)

_SIDECARS = ("-wal", "-shm")
# SQLite's own words for a file it cannot read; anything else (locked, no permission, disk full) is not damage.
_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
# Rowids tried one by one past a damaged page, per table: enough for any queue these stores hold after an
# outage, and bounded so that a file damaged at its root does not keep the program from starting.
_PROBES = 200_000
_MIN_ROWID, _MAX_ROWID = -(2**63), 2**63 - 1
_WAL_MAGIC = (0x377F0682, 0x377F0683)
_WAL_VERSION = 3007000
_WAL_HEADER, _WAL_FRAME_HEADER = 32, 24
_PAGE_SIZES = (4096, 1024, 2048, 8192, 16384, 32768, 65536, 512)


class Opened(StrEnum):
    """What ``open_queue_db`` found at the path."""

    NEW = "new"  # no file: a first start, or a file deleted
    EMPTY = "empty"  # a file of zero bytes: whatever it held is gone, and nothing can be salvaged
    READ = "read"  # a readable store
    RECOVERED = "recovered"  # unreadable: kept aside, and what could be read of it copied into a new one


class StoreRecovery(BaseModel):
    """A store that could not be read, and what was saved of it."""

    model_config = ConfigDict(frozen=True)

    path: str
    kept_as: str  # the damaged file, kept for whoever wants to look at it; its -wal and -shm beside it
    problem: str  # what was wrong, in SQLite's words
    at: AwareDatetime
    salvaged: dict[str, int]  # rows copied into the new file, by table
    lost: dict[str, int]  # rows known to be lost, by table, where the damaged file could still count them

    @property
    def salvaged_rows(self) -> int:
        return sum(self.salvaged.values())


@dataclass(frozen=True)
class QueueDb:
    """An opened store: its connection, what was found at the path, and what was saved if it was unreadable."""

    db: sqlite3.Connection
    opened: Opened
    recovery: StoreRecovery | None = None


class _Damaged(Exception):
    pass


@dataclass(frozen=True)
class _Table:
    name: str
    columns: tuple[str, ...]  # the known columns, the rowid's alias (INTEGER PRIMARY KEY) left out


def open_queue_db(path: Path, schema: StoreSchema) -> QueueDb:
    """Autocommit connection (atomic writes use explicit transactions), WAL, and fsync on every commit:
    a row reported as stored must survive a power cut. Usable from any thread; callers serialise.

    The file is checked first (``PRAGMA quick_check``, the columns of the known tables, the write-ahead log);
    one SQLite cannot read is recovered as the module says, and the program goes on with the new file. Then it
    is brought to the schema's version; ``StoreTooNew`` if it is of a newer one, the file left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    opened = Opened.NEW if not path.exists() else Opened.EMPTY if path.stat().st_size == 0 else Opened.READ
    tables = _known_tables(schema)
    try:
        return QueueDb(_open_checked(path, schema, tables), opened)
    except _Damaged as exc:
        problem = str(exc)
    except sqlite3.DatabaseError as exc:
        if _error_code(exc) not in _DAMAGE_CODES:
            raise
        problem = str(exc)
    recovery = _recover(path, schema, tables, problem)
    log.warning(
        "local store unreadable: kept aside, readable rows copied into a new one",
        extra={"store": str(path), **recovery.model_dump(mode="json", exclude={"path", "at"})},
    )
    return QueueDb(_open_checked(path, schema, tables), Opened.RECOVERED, recovery)


def _error_code(exc: sqlite3.Error) -> int:
    """SQLite's primary result code; 0 for an error raised by Python's module rather than by SQLite."""
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def _open_checked(path: Path, schema: StoreSchema, tables: list[_Table]) -> sqlite3.Connection:
    # The log is checked before SQLite opens the file: SQLite would drop a damaged one on closing.
    _check_wal(path)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        # First: a newer release's file is left as it was, its tables not this one's to judge damaged.
        refuse_newer(db, path, schema)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        problems = [str(row[0]) for row in db.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            raise _Damaged("; ".join(problems))
        _check_columns(db, tables)
        bring_up_to_date(db, path, schema)
    except BaseException:
        db.close()
        raise
    return db


def _known_tables(schema: StoreSchema) -> list[_Table]:
    """The tables of the schema's current version, made by the same steps as a file's."""
    with closing(sqlite3.connect(":memory:", isolation_level=None)) as db:
        bring_up_to_date(db, ":memory:", schema)
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")]
        tables = []
        for name in names:
            if name.startswith("sqlite_"):
                continue
            info = db.execute(f'PRAGMA table_info("{name}")').fetchall()  # (cid, name, type, notnull, default, pk)
            keys = [c for c in info if c[5]]
            alias = keys[0][1] if len(keys) == 1 and str(keys[0][2]).upper() == "INTEGER" else None
            tables.append(_Table(name, tuple(c[1] for c in info if c[1] != alias)))
        return tables


def _check_columns(db: sqlite3.Connection, tables: list[_Table]) -> None:
    """A known table with none of its known columns is not this store's (another program's file in its place).
    Some missing is an older version's file, which its migrations bring up to date."""
    for table in tables:
        present = _columns(db, table.name)
        if present and not present & set(table.columns):
            raise _Damaged(f"table {table.name} has none of the columns {', '.join(table.columns)}")


# --- the write-ahead log ------------------------------------------------------------------------------
# https://sqlite.org/fileformat.html#the_write_ahead_log
@dataclass(frozen=True)
class _Wal:
    header_ok: bool
    page_size: int = 0
    # Transactions SQLite would drop: their commit frames lie past the first frame it cannot read.
    dropped: int = 0


def _read_wal(path: Path) -> _Wal | None:
    """The log as SQLite will read it; None when there is none, or nothing in it."""
    try:
        f = _sidecar(path, "-wal").open("rb")
    except FileNotFoundError:
        return None
    with f:
        if os.fstat(f.fileno()).st_size <= _WAL_HEADER:
            return None  # no frame: nothing to read, nothing to lose
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _wal_of(data)


def _wal_of(data: mmap.mmap) -> _Wal:
    magic, version, page_size, _checkpoint, salt1, salt2, sum1, sum2 = struct.unpack_from(">8I", data)
    order = ">" if magic & 1 else "<"
    if magic not in _WAL_MAGIC or version != _WAL_VERSION or page_size < 512 or page_size & (page_size - 1):
        return _Wal(False)
    sums = _wal_checksum(data[:24], order, (0, 0))
    if sums != (sum1, sum2):
        return _Wal(False)
    frame_size = _WAL_FRAME_HEADER + page_size
    readable, dropped = True, 0
    for start in range(_WAL_HEADER, len(data) - frame_size + 1, frame_size):
        page, commit, s1, s2, c1, c2 = struct.unpack_from(">6I", data, start)
        ours = (s1, s2) == (salt1, salt2)  # other frames are left over from before the log restarted
        if readable:
            header_and_page = data[start : start + 8] + data[start + _WAL_FRAME_HEADER : start + frame_size]
            sums = _wal_checksum(header_and_page, order, sums)
            readable = ours and page != 0 and sums == (c1, c2)
        if not readable and ours and commit:
            dropped += 1
    return _Wal(True, page_size, dropped)


def _wal_checksum(data: bytes, order: str, sums: tuple[int, int]) -> tuple[int, int]:
    """SQLite's running checksum, on 32-bit words in the byte order the log's magic number names."""
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    s1, s2 = sums
    for a, b in zip(words[0::2], words[1::2], strict=True):
        s1 = (s1 + a + s2) & 0xFFFFFFFF
        s2 = (s2 + b + s1) & 0xFFFFFFFF
    return s1, s2


def _check_wal(path: Path) -> None:
    wal = _read_wal(path)
    if wal is None:
        return
    if not wal.header_ok:
        raise _Damaged("write-ahead log header unreadable: SQLite would drop every transaction in it")
    # The last transaction may be torn by a power cut: its commit had not returned, so nothing was reported
    # stored. A committed transaction dropped before another one is damage.
    if wal.dropped > 1:
        raise _Damaged(f"write-ahead log damaged: SQLite would drop {wal.dropped} committed transactions")


# --- recovery --------------------------------------------------------------------------------------------
_Row = tuple[object, ...]  # (rowid, *values)


@dataclass
class _Salvage:
    rows: dict[str, tuple[list[str], list[_Row]]] = field(default_factory=dict)  # the columns read, and the rows
    counted: dict[str, int] = field(default_factory=dict)  # rows each table had, where it can still be counted
    # The last id each AUTOINCREMENT table gave: the new file goes on above, a lost row's id is not given again.
    last_ids: dict[str, int] = field(default_factory=dict)


def _recover(path: Path, schema: StoreSchema, tables: list[_Table], problem: str) -> StoreRecovery:
    """Salvage into a new file beside the damaged one, keep the damaged one aside, put the new one in place.
    The damaged files are read only through a scratch copy: what is kept is what was found."""
    at = datetime.now(UTC)
    kept = _free_name(path, at.strftime("%Y%m%dT%H%M%SZ"))
    scratch, fresh = path.with_name(f".{path.name}.salvage"), path.with_name(f".{path.name}.new")
    for leftover in (scratch, fresh):  # from a recovery cut short
        _remove(leftover)
    for suffix in ("", "-wal"):
        if _sidecar(path, suffix).exists():
            shutil.copyfile(_sidecar(path, suffix), _sidecar(scratch, suffix))
    try:
        found = _salvage(scratch, tables)
    finally:
        _remove(scratch)
    salvaged = _write_new(fresh, schema, found)
    # Linked, not moved: until the new file replaces it, the path never stands empty.
    try:
        os.link(path, kept)
    except OSError:
        shutil.copy2(path, kept)
    for suffix in _SIDECARS:
        if _sidecar(path, suffix).exists():
            os.replace(_sidecar(path, suffix), _sidecar(kept, suffix))
    os.replace(fresh, path)
    _fsync_folder(path.parent)
    lost = {t: n - salvaged.get(t, 0) for t, n in found.counted.items() if n > salvaged.get(t, 0)}
    return StoreRecovery(path=str(path), kept_as=str(kept), problem=problem, at=at, salvaged=salvaged, lost=lost)


def _salvage(scratch: Path, tables: list[_Table]) -> _Salvage:
    """The rows of the known tables, in their known columns."""
    found = _Salvage()
    db = _open_scratch(scratch)
    if db is None:
        return found
    with closing(db):
        present = {name: _columns(db, name) for name in _table_names(db)}
        with suppress(sqlite3.DatabaseError):  # no AUTOINCREMENT table, or its page lost
            found.last_ids = {str(n): int(v) for n, v in db.execute("SELECT name, seq FROM sqlite_sequence")}
        for table in tables:
            if table.name not in present:
                continue
            columns = [c for c in table.columns if c in present[table.name]]
            rows = _salvage_table(db, table.name, columns, found.last_ids.get(table.name))
            found.rows[table.name] = (columns, rows)
            # Where the damage is in this table, how many rows it had cannot be told.
            with suppress(sqlite3.DatabaseError):
                found.counted[table.name] = int(db.execute(f'SELECT COUNT(*) FROM "{table.name}"').fetchone()[0])
    return found


def _open_scratch(scratch: Path) -> sqlite3.Connection | None:
    """The copy opened so that as much of it reads as can; None when not even its list of tables can be read.
    A smashed header is written anew, with the page size that makes the most tables read."""
    db = _connect_scratch(scratch)
    try:
        _table_names(db)
        return db
    except sqlite3.DatabaseError as exc:
        db.close()
        if _error_code(exc) != sqlite3.SQLITE_NOTADB:
            return None
    wal = _read_wal(scratch)
    wal_mode = wal is not None and wal.header_ok
    sizes = [*([wal.page_size] if wal is not None and wal.header_ok else []), *_PAGE_SIZES]
    scores = {}
    for size in dict.fromkeys(sizes):
        _write_header(scratch, size, wal_mode)
        scores[size] = _readable_tables(scratch)
    best = max(scores, key=lambda s: scores[s])
    if scores[best] < 0:
        return None
    _write_header(scratch, best, wal_mode)
    return _connect_scratch(scratch)


def _readable_tables(scratch: Path) -> int:
    """How many tables of the copy can be counted; -1 if its list of tables cannot be read."""
    with closing(_connect_scratch(scratch)) as db:
        try:
            names = _table_names(db)
        except sqlite3.DatabaseError:
            return -1
        readable = 0
        for name in names:
            try:
                db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()
                readable += 1
            except sqlite3.DatabaseError:
                pass
        return readable


def _write_header(scratch: Path, page_size: int, wal_mode: bool) -> None:
    """A valid database header (https://sqlite.org/fileformat.html#the_database_header); the size in pages
    is left to be taken from the file, and the free-page list is forgotten (its pages hold no rows)."""
    header = bytearray(100)
    header[0:16] = b"SQLite format 3\x00"
    struct.pack_into(">H", header, 16, 1 if page_size == 65536 else page_size)
    header[18] = header[19] = 2 if wal_mode else 1
    header[21:24] = bytes((64, 32, 32))
    struct.pack_into(">I", header, 24, 1)  # change counter; 92 differs, so the size comes from the file
    struct.pack_into(">I", header, 40, 1)  # schema cookie
    struct.pack_into(">I", header, 44, 4)  # schema format
    struct.pack_into(">I", header, 56, 1)  # UTF-8
    major, minor, patch = sqlite3.sqlite_version_info
    struct.pack_into(">I", header, 96, major * 1_000_000 + minor * 1000 + patch)
    with scratch.open("r+b") as f:
        f.write(header)


def _connect_scratch(scratch: Path) -> sqlite3.Connection:
    db = sqlite3.connect(scratch, isolation_level=None)
    # Read a truncated file up to its end instead of refusing it whole; check each cell, so that a page of
    # garbage stops a read rather than passing for rows.
    db.execute("PRAGMA writable_schema=ON")
    db.execute("PRAGMA cell_size_check=ON")
    return db


def _table_names(db: sqlite3.Connection) -> list[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return [str(r[0]) for r in rows]


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[1]) for r in db.execute(f'PRAGMA table_info("{table}")')}


def _salvage_table(db: sqlite3.Connection, table: str, columns: list[str], last_id: int | None) -> list[_Row]:
    """Read in rowid order up to a damaged page, and from the end back down to one; between them, rowid by
    rowid until one reads again, then on in order from there. No row lies above ``last_id``, where known."""
    select = f'SELECT rowid{_column_list(columns)} FROM "{table}"'
    found: dict[int, _Row] = {}
    ceiling, whole = _scan(db, f"{select} WHERE rowid < ? ORDER BY rowid DESC", (_MAX_ROWID,), found)
    if last_id is not None:
        ceiling = min(ceiling, last_id + 1)
    position, budget = _MIN_ROWID, _PROBES
    while not whole:
        last, whole = _scan(db, f"{select} WHERE rowid > ? AND rowid < ? ORDER BY rowid", (position, ceiling), found)
        if whole:
            break
        if last < position:
            # A row outside the range asked (a rowid of 0 seen on a truncated outbox): the pages from here on are
            # not to be trusted row by row either (their cells come back half zeroed). Stepping back instead
            # probed the same row again and again, 200,000 times, for nothing.
            break
        position = last
        start = max(position, 0) + 1
        rowids = range(start, min(ceiling, start + budget))
        position = _probe(db, f"{select} WHERE rowid = ?", rowids, found)
        if position < 0:
            break
        budget -= position - start + 1
    return [found[k] for k in sorted(found)]


def _scan(db: sqlite3.Connection, sql: str, args: tuple[int, ...], into: dict[int, _Row]) -> tuple[int, bool]:
    """Rows into ``into`` until the end or a damaged page: the last rowid read (else the first argument),
    and whether the end was reached."""
    last = args[0]
    try:
        for row in db.execute(sql, args):
            last = int(row[0])
            into[last] = tuple(row)
    except sqlite3.DatabaseError:
        return last, False
    return last, True


def _probe(db: sqlite3.Connection, sql: str, rowids: range, into: dict[int, _Row]) -> int:
    """The first of ``rowids`` that reads, its row put into ``into``; -1 if none does."""
    for rowid in rowids:
        try:
            row = db.execute(sql, (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            continue
        if row is not None:
            into[rowid] = tuple(row)
            return rowid
    return -1


def _column_list(columns: list[str]) -> str:
    return "".join(f', "{c}"' for c in columns)


def _write_new(fresh: Path, schema: StoreSchema, found: _Salvage) -> dict[str, int]:
    """The new file, at the schema's current version, with the salvaged rows under their old rowids (so queues
    keep their order); a row that breaks a constraint of the schema (a page of garbage read as a row) is left
    out."""
    salvaged: dict[str, int] = {}
    with closing(sqlite3.connect(fresh, isolation_level=None)) as db:
        bring_up_to_date(db, fresh, schema)
        db.execute("BEGIN")
        for table, (columns, rows) in found.rows.items():
            marks = ", ?" * len(columns)
            before = db.total_changes
            db.executemany(f'INSERT OR IGNORE INTO "{table}" (rowid{_column_list(columns)}) VALUES (?{marks})', rows)
            salvaged[table] = db.total_changes - before
        sequenced = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone() is not None
        for table, last in found.last_ids.items():
            if sequenced and table in found.rows:
                given = db.execute("SELECT MAX(seq) FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()[0]
                db.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
                db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, max(last, given or 0)))
        db.execute("COMMIT")
    with fresh.open("rb+") as f:
        os.fsync(f.fileno())
    return salvaged


def _free_name(path: Path, stamp: str) -> Path:
    kept, n = path.with_name(f"{path.name}.damaged-{stamp}"), 1
    while any(_sidecar(kept, s).exists() for s in ("", *_SIDECARS)):
        n += 1
        kept = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    return kept


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _remove(path: Path) -> None:
    for suffix in ("", *_SIDECARS):
        _sidecar(path, suffix).unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside ``path``, fsync, rename over it, fsync the folder: a power cut leaves the old or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    _fsync_folder(path.parent)
