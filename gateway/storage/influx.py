"""History in InfluxDB over the v1 HTTP API (``/write``, ``/query``), which 1.x, 2.x and 3.x all serve.

Authentication: a token (``Authorization: Token …``, for the v1-compatible
endpoints of 2.x and 3.x) or a user name and password (1.x). Errors are sorted
for the writer: bad data (400, 413, 422) is ``StoreRejected`` so it can be
quarantined; everything else (no connection, timeouts, 5xx, and also 401, 403,
404, 429, which are configuration or load problems, not bad data) is
``StoreUnavailable`` so the data waits and is retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from gateway.storage import influxql
from gateway.storage.line_protocol import line, line_bodies
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
)

log = logging.getLogger(__name__)

_LINES_PER_WRITE = 5000
_MAX_BODY_BYTES = 8_000_000  # well under the 25 MB max-body-size of 1.x
_ROWS_PER_CHUNK = 10_000
_BAD_DATA = {400, 413, 422}
_DATABASE_NOT_FOUND = "database not found"
_T = TypeVar("_T")


class _DatabaseMissing(Exception):
    """The database is gone (first use, or the server was reset): create it and try again."""


class _Series(BaseModel):
    name: str = ""
    tags: dict[str, str] = {}
    columns: list[str]
    values: list[list[Any]] = []


class _Result(BaseModel):
    series: list[_Series] = []
    error: str | None = None


class _Response(BaseModel):
    results: list[_Result] = []
    error: str | None = None


def _convert(value: Any, kind: str) -> float | int | bool | str:
    # JSON loses the float/integer distinction (20.0 arrives as 20): SHOW FIELD KEYS has it.
    match kind:
        case "float":
            return float(value)
        case "integer":
            return int(value)
        case "boolean":
            return bool(value)
        case _:
            return str(value)


class InfluxV1Store:
    def __init__(
        self,
        url: str,
        database: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        if token and username:
            raise ValueError("give a token or a user name and password, not both")
        self._database = database
        headers = {"Authorization": f"Token {token}"} if token else {}
        auth = (username, password or "") if username else None
        self._http = httpx.Client(base_url=url, headers=headers, auth=auth, timeout=timeout_s)
        # Created on first use, not here: the gateway must start even while InfluxDB is down.
        self._database_ready = False

    def write(self, points: Sequence[Point]) -> None:
        try:
            lines = [line(p) for p in points]
        except ValueError as exc:  # a point the line protocol cannot carry
            raise StoreRejected(str(exc)) from exc
        self.write_lines(lines)

    def write_lines(self, lines: Sequence[str]) -> None:
        for body in line_bodies(lines, _LINES_PER_WRITE, _MAX_BODY_BYTES):
            self._with_database(lambda body=body: self._write(body))

    def buckets(self, q: BucketQuery) -> list[Bucket]:
        if q.start_ms >= q.end_ms:
            return []
        field = f"{influxql.ident(q.field)}::field"
        where = " AND ".join(filter(None, [influxql.time_range(q.start_ms, q.end_ms), influxql.tag_filters(q.tags)]))
        statement = (
            f"SELECT mean({field}), min({field}), max({field}), count({field}) FROM {influxql.ident(q.measurement)}"
            f" WHERE {where} GROUP BY time({q.bucket_s}s) fill(none)"
        )
        buckets = [
            Bucket(start=from_ms(t), mean=mean, min=low, max=high, count=count)
            for series in self._query(statement)
            for t, mean, low, high, count in series.values
        ]
        return sorted(buckets, key=lambda b: b.start)

    def rows(
        self, measurement: str, tags: Mapping[str, str], start: datetime, end: datetime, limit: int
    ) -> list[Point]:
        q = RowsQuery(measurement=measurement, tags=dict(tags), start=start, end=end, limit=limit)
        if q.start_ms >= q.end_ms:
            return []
        where = " AND ".join(filter(None, [influxql.time_range(q.start_ms, q.end_ms), influxql.tag_filters(q.tags)]))
        # LIMIT applies per series here; the first `limit` overall are among them and are picked below,
        # in the same order as every other store.
        statement = (
            f"SELECT *::field FROM {influxql.ident(q.measurement)} WHERE {where}"
            f" GROUP BY * ORDER BY time ASC LIMIT {q.limit}"
        )
        found = self._query(statement)
        # Asked after the SELECT, so it knows every field the SELECT returned.
        kinds = {
            key: kind
            for series in self._query(f"SHOW FIELD KEYS FROM {influxql.ident(q.measurement)}")
            for key, kind in series.values
        }
        points = []
        for series in found:
            point_tags = {k: v for k, v in series.tags.items() if v}  # "" is GROUP BY *'s "series has no such tag"
            names = series.columns[1:]
            for t, *values in series.values:
                fields = {n: _convert(v, kinds[n]) for n, v in zip(names, values, strict=True) if v is not None}
                if fields:
                    points.append(stored_point(q.measurement, point_tags, fields, t))
        return in_time_order(points, q.limit)

    def tag_values(self, measurement: str, tag: str, filters: Mapping[str, str] | None = None) -> list[str]:
        q = TagValuesQuery(measurement=measurement, tag=tag, filters=dict(filters or {}))
        statement = f"SHOW TAG VALUES FROM {influxql.ident(q.measurement)} WITH KEY = {influxql.ident(q.tag)}"
        if q.filters:
            statement += f" WHERE {influxql.tag_filters(q.filters, cast=False)}"
        return sorted({value for series in self._query(statement) for _key, value in series.values})

    def close(self) -> None:
        self._http.close()

    def _with_database(self, call: Callable[[], _T]) -> _T:
        if not self._database_ready:
            self._create_database()
        try:
            return call()
        except _DatabaseMissing:
            self._create_database()
        try:
            return call()
        except _DatabaseMissing as exc:
            raise StoreUnavailable(f"database {self._database!r} does not exist and could not be created") from exc

    def _create_database(self) -> None:
        response = self._post("/query", data={"q": f"CREATE DATABASE {influxql.ident(self._database)}"})
        if response.status_code >= 500:
            raise StoreUnavailable(f"CREATE DATABASE: HTTP {response.status_code}: {_detail(response)}")
        if not response.is_success or '"error"' in response.text:
            # 2.x and 3.x refuse it (buckets and databases are made there by other means); writes will tell.
            log.info("InfluxDB did not create the database", extra={"detail": _detail(response)})
        self._database_ready = True

    def _write(self, body: bytes) -> None:
        response = self._post("/write", params={"db": self._database, "precision": "ms"}, content=body)
        if response.status_code == 404 and _DATABASE_NOT_FOUND in response.text:
            raise _DatabaseMissing
        _raise_for_status(response)

    def _query(self, statement: str) -> list[_Series]:
        return self._with_database(lambda: self._run_query(statement))

    def _run_query(self, statement: str) -> list[_Series]:
        params = {"db": self._database, "epoch": "ms", "chunked": "true", "chunk_size": str(_ROWS_PER_CHUNK)}
        response = self._post("/query", params=params, data={"q": statement})
        _raise_for_status(response)
        series: list[_Series] = []
        for chunk in _chunks(response):
            for error in [chunk.error, *(r.error for r in chunk.results)]:
                if error is not None and error.startswith(_DATABASE_NOT_FOUND):
                    raise _DatabaseMissing
                if error is not None:
                    raise StoreRejected(f"InfluxDB refused the query: {error}")
            series += [s for r in chunk.results for s in r.series]
        return series

    def _post(self, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.post(path, **kwargs)
        except httpx.TransportError as exc:
            raise StoreUnavailable(f"InfluxDB at {self._http.base_url} unreachable: {exc!r}") from exc


def _chunks(response: httpx.Response) -> Iterator[_Response]:
    """Chunked answers are one JSON document per line; an unchunked one is a single line."""
    for text in response.text.splitlines():
        if text.strip():
            try:
                yield _Response.model_validate_json(text)
            except ValidationError as exc:
                raise StoreUnavailable(f"unexpected answer from InfluxDB: {text[:200]!r}") from exc


def _raise_for_status(response: httpx.Response) -> None:
    if response.is_success:
        return
    message = f"HTTP {response.status_code}: {_detail(response)}"
    raise StoreRejected(message) if response.status_code in _BAD_DATA else StoreUnavailable(message)


def _detail(response: httpx.Response) -> str:
    return response.headers.get("X-Influxdb-Error") or response.text[:500]
