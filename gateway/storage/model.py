"""What the history store holds and how it is asked; the rules every store follows.

Both stores (InfluxDB and SQLite) must give identical answers, so the rules live
here: timestamps at millisecond precision; a point with the same measurement,
tag set and timestamp overwrites an earlier one field by field (InfluxDB's rule,
which makes replays idempotent); names that the line protocol cannot carry are
refused up front rather than mangled by one store and not the other.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Protocol

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
# InfluxDB keeps nanoseconds since the epoch in an int64: roughly 1677-09-21 to 2262-04-11.
MIN_MS = -9_223_372_036_854
MAX_MS = 9_223_372_036_854
_INT64 = (-(2**63), 2**63 - 1)
_MAX_STRING_BYTES = 64 * 1024  # InfluxDB's limit for a string field value
_AMBIGUOUS_BACKSLASH = re.compile(r"\\(?:[ ,=]|\Z)")


class StoreError(Exception):
    pass


class StoreUnavailable(StoreError):
    """The store cannot be reached or is not usable right now; retry the same data later."""


class StoreRejected(StoreError):
    """The store refused the data or the query itself; retrying the same thing will not help."""


def to_ms(ts: datetime) -> int:
    """Milliseconds since the epoch, rounded down."""
    d = ts - EPOCH
    return d.days * 86_400_000 + d.seconds * 1000 + d.microseconds // 1000


def from_ms(ms: int) -> datetime:
    return EPOCH + ms * _MS


def _ceil_ms(ts: datetime) -> int:
    return -((EPOCH - ts) // _MS)


def _name(value: str) -> str:
    """A measurement, tag key, tag value or field key that the line protocol can carry unambiguously."""
    if not value:
        raise ValueError("names and tag values must not be empty")
    if "\n" in value or "\r" in value:
        raise ValueError(f"line breaks cannot be written in the line protocol: {value!r}")
    # The line protocol cannot escape a backslash: one that ends a name or precedes a space,
    # comma or equals sign would be read as an escape and corrupt the line.
    if "\\" in value and _AMBIGUOUS_BACKSLASH.search(value):
        raise ValueError(f"a backslash at the end or before a space, comma or '=' cannot be written: {value!r}")
    return value


def _measurement(value: str) -> str:
    if value.startswith("#"):
        raise ValueError(f"a line starting with '#' is a comment in the line protocol: {value!r}")
    return value


def _key(value: str) -> str:
    if value == "time":
        raise ValueError("'time' cannot be a tag or field key in InfluxDB")
    return value


def _field_value(value: float | int | bool | str) -> float | int | bool | str:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"InfluxDB cannot store {value}")
    if isinstance(value, int) and not isinstance(value, bool) and not _INT64[0] <= value <= _INT64[1]:
        raise ValueError(f"integer out of the int64 range: {value}")
    if isinstance(value, str) and len(value.encode()) > _MAX_STRING_BYTES:
        raise ValueError(f"string field longer than {_MAX_STRING_BYTES} bytes")
    return value


def _point_ts(ts: datetime) -> datetime:
    ts = ts.astimezone(UTC)
    ts = ts.replace(microsecond=ts.microsecond // 1000 * 1000)
    if not MIN_MS <= to_ms(ts) <= MAX_MS:
        raise ValueError(f"timestamp outside what InfluxDB can store: {ts.isoformat()}")
    return ts


Name = Annotated[str, AfterValidator(_name)]
Measurement = Annotated[Name, AfterValidator(_measurement)]
Key = Annotated[Name, AfterValidator(_key)]
Tags = dict[Key, Name]
FieldValue = Annotated[float | int | bool | str, AfterValidator(_field_value)]


class Point(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    measurement: Measurement
    tags: Tags = Field(default_factory=dict)
    fields: dict[Key, FieldValue] = Field(min_length=1)
    # Normalised to UTC and rounded down to the millisecond: what the stores keep.
    ts: Annotated[AwareDatetime, AfterValidator(_point_ts)]


class _Range(BaseModel):
    """A time range, start inclusive, end exclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    measurement: Measurement
    start: AwareDatetime
    end: AwareDatetime

    # Rounded up: stored times are whole milliseconds, so this keeps exactly the points in [start, end).
    # Clamped: a range reaching past what InfluxDB can store still means "everything" there.
    @property
    def start_ms(self) -> int:
        return min(max(_ceil_ms(self.start), MIN_MS), MAX_MS)

    @property
    def end_ms(self) -> int:
        return min(max(_ceil_ms(self.end), MIN_MS), MAX_MS)


class BucketQuery(_Range):
    field: Key
    tags: Tags = Field(default_factory=dict)  # equality filters
    bucket_s: int = Field(ge=1)


class RowsQuery(_Range):
    tags: Tags = Field(default_factory=dict)
    limit: int = Field(ge=1)


class TagValuesQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    measurement: Measurement
    tag: Key
    filters: Tags = Field(default_factory=dict)


class Bucket(BaseModel):
    """Aggregates of one numeric field over [start, start + bucket_s), buckets aligned to the epoch."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: AwareDatetime
    mean: float
    min: float
    max: float
    count: int


def stored_point(
    measurement: str, tags: dict[str, str], fields: dict[str, float | int | bool | str], ts_ms: int
) -> Point:
    """A point read back from a store: it was validated when written, and validating again would
    triple the time of a large export. Built as ``Point.model_construct`` builds it, without its
    per-call field bookkeeping, which costs twice the rest for backtests reading millions of rows."""
    point = Point.__new__(Point)
    values = {"measurement": measurement, "tags": tags, "fields": fields, "ts": from_ms(ts_ms)}
    object.__setattr__(point, "__dict__", values)
    object.__setattr__(point, "__pydantic_fields_set__", set(_POINT_FIELDS))
    object.__setattr__(point, "__pydantic_extra__", None)
    object.__setattr__(point, "__pydantic_private__", None)
    return point


_POINT_FIELDS = frozenset(Point.model_fields)


def in_time_order(points: Iterable[Point], limit: int) -> list[Point]:
    """The first ``limit`` points by time, ties broken by tag set: the one order both stores return."""
    return sorted(points, key=lambda p: (p.ts, sorted(p.tags.items())))[:limit]


class Store(Protocol):
    def write(self, points: Sequence[Point]) -> None:
        """All or nothing is not promised: on an error, write the same points again (it is idempotent)."""

    def buckets(self, q: BucketQuery) -> list[Bucket]:
        """Mean/min/max/count per bucket in time order, empty buckets left out."""

    def rows(
        self, measurement: str, tags: Mapping[str, str], start: datetime, end: datetime, limit: int
    ) -> list[Point]:
        """Raw points in [start, end) matching the tags, in time order (ties by tag set), at most ``limit``."""

    def tag_values(self, measurement: str, tag: str, filters: Mapping[str, str] | None = None) -> list[str]:
        """The distinct values of ``tag`` among the series matching ``filters``, sorted."""

    def close(self) -> None: ...
