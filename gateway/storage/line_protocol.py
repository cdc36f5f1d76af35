"""InfluxDB line protocol, at millisecond precision (write with ``precision=ms``).

Escaping follows the line protocol reference: measurements escape commas and
spaces; tag keys, tag values and field keys escape commas, equals signs and
spaces; string field values escape double quotes and backslashes. Names the
protocol cannot carry at all are refused earlier, by the ``Point`` model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from functools import lru_cache

from gateway.storage.model import Point, to_ms

_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ "})
_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
_STRING = str.maketrans({'"': r"\"", "\\": r"\\"})


def escape_measurement(name: str) -> str:
    return name.translate(_MEASUREMENT)


@lru_cache(maxsize=16_384)  # the same few names come back in every line
def escape_key(name: str) -> str:
    """For tag keys, tag values and field keys."""
    return name.translate(_KEY)


def field_value(value: float | int | bool | str) -> str:
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
    fields = ",".join(f"{escape_key(k)}={field_value(v)}" for k, v in point.fields.items())
    return f"{_series_key(point.measurement, tuple(sorted(point.tags.items())))} {fields} {to_ms(point.ts)}"


@lru_cache(maxsize=16_384)
def _series_key(measurement: str, tags: tuple[tuple[str, str], ...]) -> str:
    # Tags sorted by key, as InfluxDB recommends.
    return escape_measurement(measurement) + "".join(f",{escape_key(k)}={escape_key(v)}" for k, v in tags)


def bodies(points: Iterable[Point], max_lines: int, max_bytes: int) -> Iterator[bytes]:
    """Newline-separated lines in request bodies of at most ``max_lines`` lines and about ``max_bytes`` bytes."""
    body: list[bytes] = []
    size = 0
    for point in points:
        encoded = line(point).encode()
        if body and (len(body) == max_lines or size + len(encoded) > max_bytes):
            yield b"\n".join(body)
            body, size = [], 0
        body.append(encoded)
        size += len(encoded) + 1
    if body:
        yield b"\n".join(body)
