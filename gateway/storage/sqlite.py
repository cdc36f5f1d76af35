"""History in one SQLite file, for machines with nothing installed; same answers as InfluxDB.

Layout: a series is a measurement plus its tag set; a sample is one field of one
point. The primary key (series, time, field) and INSERT OR REPLACE give
InfluxDB's rule that a point overwrites an earlier one field by field. Like
InfluxDB, a field keeps the type it was first written with, and a write of
another type is refused (the whole batch here, not only the offending point).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from contract.schema_versions import StoreSchema, bring_up_to_date, refuse_newer
from gateway.storage.model import (
    Bucket,
    BucketQuery,
    Point,
    RowsQuery,
    StoreRejected,
    StoreUnavailable,
    TagValuesQuery,
    from_ms,
    in_time_order,
    stored_point,
    to_ms,
)

_VERSION_1 = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    measurement TEXT NOT NULL,
    tags TEXT NOT NULL,  -- canonical: JSON of the sorted [key, value] pairs
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
    kind TEXT NOT NULL,  -- InfluxDB's names: float, integer, boolean, string
    UNIQUE (measurement, name)
);
CREATE TABLE IF NOT EXISTS sample (
    series_id INTEGER NOT NULL,
    ts_ms INTEGER NOT NULL,
    field_id INTEGER NOT NULL,
    value NOT NULL,  -- no declared type: integers, reals and text are kept as given
    PRIMARY KEY (series_id, ts_ms, field_id)
) WITHOUT ROWID;
"""
# A change of layout is a migration added at the end (contract.schema_versions), never an edit of version 1.
SCHEMA = StoreSchema(version_1=_VERSION_1)
_NUMERIC = ("float", "integer")
_Value = float | int | bool | str


def _kind(value: _Value) -> str:
    if isinstance(value, bool):  # before int: True is an int in Python
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return "float" if isinstance(value, float) else "string"


def _decode(value: float | int | str, kind: str) -> _Value:
    match kind:
        case "float":
            return float(value)
        case "boolean":
            return bool(value)
        case _:
            return value


def _canonical(tags: Mapping[str, str]) -> str:
    return json.dumps(sorted(tags.items()), ensure_ascii=False, separators=(",", ":"))


def _series_ids(measurement: str, tags: Mapping[str, str]) -> tuple[str, list[str]]:
    """SQL selecting the ids of the series of ``measurement`` carrying every tag in ``tags``, and its parameters."""
    sql = "SELECT id FROM series WHERE measurement = ?"
    params = [measurement]
    for key, value in sorted(tags.items()):
        sql += " AND id IN (SELECT series_id FROM series_tag WHERE key = ? AND value = ?)"
        params += [key, value]
    return sql, params


class SqliteStore:
    def __init__(self, path: Path | str) -> None:
        # One connection behind a lock: the writer thread and the API threads share it.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        try:
            # First: a newer release's file is left as it was (contract.schema_versions), and nothing open on it.
            refuse_newer(self._db, path, SCHEMA)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: the writer deletes spooled messages once a write returns, so a return must survive power loss.
            self._db.execute("PRAGMA synchronous=FULL")
            bring_up_to_date(self._db, path, SCHEMA)
        except BaseException:
            self._db.close()
            raise
        self._series: dict[tuple[str, str], int] = {}
        self._fields: dict[tuple[str, str], tuple[int, str]] = {}

    def write(self, points: Sequence[Point]) -> None:
        if not points:
            return
        with self._locked():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                samples = [
                    (self._series_id(p), to_ms(p.ts), self._field_id(p.measurement, name, value), value)
                    for p in points
                    for name, value in p.fields.items()
                ]
                self._db.executemany("INSERT OR REPLACE INTO sample VALUES (?, ?, ?, ?)", samples)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                # The ids of series and fields made in this transaction are gone with it.
                self._series.clear()
                self._fields.clear()
                raise

    def buckets(self, q: BucketQuery) -> list[Bucket]:
        with self._locked():
            found = self._db.execute(
                "SELECT id, kind FROM field WHERE measurement = ? AND name = ?", (q.measurement, q.field)
            ).fetchone()
            if found is None or q.start_ms >= q.end_ms:
                return []
            field_id, kind = found
            if kind not in _NUMERIC:
                raise StoreRejected(f"cannot average the {kind} field {q.field!r}")
            series_sql, params = _series_ids(q.measurement, q.tags)
            width = q.bucket_s * 1000
            # Rounded down to a multiple of the width even before 1970, where SQLite's % is negative.
            rows = self._db.execute(
                f"""SELECT ts_ms - ((ts_ms % ?) + ?) % ? AS bucket,
                           avg(value), min(value), max(value), count(*)
                    FROM sample
                    WHERE series_id IN ({series_sql}) AND field_id = ? AND ts_ms >= ? AND ts_ms < ?
                    GROUP BY bucket ORDER BY bucket""",
                [width, width, width, *params, field_id, q.start_ms, q.end_ms],
            ).fetchall()
        return [Bucket(start=from_ms(b), mean=mean, min=low, max=high, count=n) for b, mean, low, high, n in rows]

    def rows(
        self, measurement: str, tags: Mapping[str, str], start: datetime, end: datetime, limit: int
    ) -> list[Point]:
        q = RowsQuery(measurement=measurement, tags=dict(tags), start=start, end=end, limit=limit)
        series_sql, params = _series_ids(q.measurement, q.tags)
        with self._locked():
            # The time of the limit-th point bounds the answer; every point at that time is fetched,
            # so that ties are cut in the same order as every other store.
            last = self._db.execute(
                f"""SELECT ts_ms FROM sample WHERE series_id IN ({series_sql}) AND ts_ms >= ? AND ts_ms < ?
                    GROUP BY series_id, ts_ms ORDER BY ts_ms LIMIT 1 OFFSET ?""",
                [*params, q.start_ms, q.end_ms, q.limit - 1],
            ).fetchone()
            end_ms = q.end_ms if last is None else last[0] + 1
            samples = self._db.execute(
                f"""SELECT s.tags, x.ts_ms, f.name, f.kind, x.value
                    FROM sample x JOIN series s ON s.id = x.series_id JOIN field f ON f.id = x.field_id
                    WHERE x.series_id IN ({series_sql}) AND x.ts_ms >= ? AND x.ts_ms < ?
                    ORDER BY x.series_id, x.ts_ms""",
                [*params, q.start_ms, end_ms],
            ).fetchall()
        points: dict[tuple[str, int], dict[str, _Value]] = {}
        for series_tags, ts_ms, name, kind, value in samples:
            points.setdefault((series_tags, ts_ms), {})[name] = _decode(value, kind)
        tag_sets = {t: json.loads(t) for t, _ in points}  # decoded once per series, copied per point
        return in_time_order(
            (stored_point(q.measurement, dict(tag_sets[t]), fields, ts_ms) for (t, ts_ms), fields in points.items()),
            q.limit,
        )

    def tag_values(self, measurement: str, tag: str, filters: Mapping[str, str] | None = None) -> list[str]:
        q = TagValuesQuery(measurement=measurement, tag=tag, filters=dict(filters or {}))
        series_sql, params = _series_ids(q.measurement, q.filters)
        with self._locked():
            rows = self._db.execute(
                f"SELECT DISTINCT value FROM series_tag WHERE key = ? AND series_id IN ({series_sql})",
                [q.tag, *params],
            ).fetchall()
        return sorted(value for (value,) in rows)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            try:
                yield
            except sqlite3.OperationalError as exc:  # disk full, I/O error, locked by another process
                raise StoreUnavailable(f"SQLite: {exc}") from exc

    def _series_id(self, point: Point) -> int:
        key = (point.measurement, _canonical(point.tags))
        if key not in self._series:
            found = self._db.execute("SELECT id FROM series WHERE measurement = ? AND tags = ?", key).fetchone()
            if found is None:
                series_id = self._db.execute("INSERT INTO series (measurement, tags) VALUES (?, ?)", key).lastrowid
                self._db.executemany(
                    "INSERT INTO series_tag VALUES (?, ?, ?)", [(k, v, series_id) for k, v in point.tags.items()]
                )
                found = (series_id,)
            self._series[key] = found[0]
        return self._series[key]

    def _field_id(self, measurement: str, name: str, value: _Value) -> int:
        key = (measurement, name)
        if key not in self._fields:
            found = self._db.execute("SELECT id, kind FROM field WHERE measurement = ? AND name = ?", key).fetchone()
            if found is None:
                field_id = self._db.execute(
                    "INSERT INTO field (measurement, name, kind) VALUES (?, ?, ?)", (*key, _kind(value))
                ).lastrowid
                found = (field_id, _kind(value))
            self._fields[key] = found
        field_id, kind = self._fields[key]
        if kind != _kind(value):
            raise StoreRejected(
                f"field type conflict: {name!r} on {measurement!r} is {_kind(value)}, already exists as {kind}"
            )
        return field_id
