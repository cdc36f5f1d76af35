"""InfluxDB line protocol, at millisecond precision (write with ``precision=ms``).

Escaping follows the line protocol reference: measurements escape commas and
spaces; tag keys, tag values and field keys escape commas, equals signs and
spaces; string field values escape double quotes and backslashes. Names the
protocol cannot carry at all are refused earlier, by the ``Point`` model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Protocol, runtime_checkable

from gateway.storage.model import MAX_MS, MIN_MS, Point, to_ms

FieldValue = float | int | bool | str


@runtime_checkable
class LineStore(Protocol):
    """A store that also takes line protocol ready made: the fast path for points known to be valid."""

    def write_lines(self, lines: Sequence[str]) -> None:
        """Lines at millisecond precision; idempotent like ``Store.write``."""


_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ "})
_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
_STRING = str.maketrans({'"': r"\"", "\\": r"\\"})


def escape_measurement(name: str) -> str:
    return name.translate(_MEASUREMENT)


@lru_cache(maxsize=16_384)  # the same few names come back in every line
def escape_key(name: str) -> str:
    """For tag keys, tag values and field keys."""
    return name.translate(_KEY)


def field_value(value: FieldValue) -> str:
    # bool before int: True is an int in Python.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"InfluxDB cannot store the float {value}")
        return repr(value)  # the shortest text that reads back as the same float
    return f'"{value.translate(_STRING)}"'


def line(point: Point) -> str:
    return f"{series_key(point.measurement, point.tags)} {field_set(point.fields)} {to_ms(point.ts)}"


def trusted_line(series: str, fields: Mapping[str, FieldValue], ts: datetime) -> str:
    """The line of a point of ``series`` (see ``series_key``) without building the ``Point``: for names and
    values that its checks are known to pass (contract ids, enums, finite floats); the time is still checked."""
    return f"{series} {field_set(fields)} {trusted_ms(ts)}"


def trusted_ms(ts: datetime) -> str:
    """A line's timestamp, checked to be one InfluxDB can store."""
    ms = to_ms(ts)
    if not MIN_MS <= ms <= MAX_MS:
        raise ValueError(f"timestamp outside what InfluxDB can store: {ts.isoformat()}")
    return str(ms)


def series_key(measurement: str, tags: Mapping[str, str]) -> str:
    """The measurement and its tags, escaped and sorted, as they start a line."""
    return _series_key(measurement, tuple(sorted(tags.items())))


def field_set(fields: Mapping[str, FieldValue]) -> str:
    return ",".join([f"{escape_key(k)}={field_value(v)}" for k, v in fields.items()])


@lru_cache(maxsize=65_536)
def _series_key(measurement: str, tags: tuple[tuple[str, str], ...]) -> str:
    # Tags sorted by key, as InfluxDB recommends.
    return escape_measurement(measurement) + "".join(f",{escape_key(k)}={escape_key(v)}" for k, v in tags)


def bodies(points: Iterable[Point], max_lines: int, max_bytes: int) -> Iterator[bytes]:
    """Newline-separated lines in request bodies of at most ``max_lines`` lines and about ``max_bytes`` bytes."""
    return line_bodies((line(p) for p in points), max_lines, max_bytes)


def line_bodies(lines: Iterable[str], max_lines: int, max_bytes: int) -> Iterator[bytes]:
    body: list[bytes] = []
    size = 0
    for text in lines:
        encoded = text.encode()
        if body and (len(body) == max_lines or size + len(encoded) > max_bytes):
            yield b"\n".join(body)
            body, size = [], 0
        body.append(encoded)
        size += len(encoded) + 1
    if body:
        yield b"\n".join(body)
