"""Building InfluxQL safely: every name and value from outside goes through a quoting function."""

from __future__ import annotations

from collections.abc import Mapping


def ident(name: str) -> str:
    """A double-quoted identifier (measurement, tag key, field key)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def literal(value: str) -> str:
    """A single-quoted string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def time_range(start_ms: int, end_ms: int) -> str:
    return f"time >= {int(start_ms)}ms AND time < {int(end_ms)}ms"


def tag_filters(tags: Mapping[str, str], cast: bool = True) -> str:
    """``AND``-joined equality filters; ``cast`` says "the tag", not a field of the same name (not in SHOW)."""
    suffix = "::tag" if cast else ""
    return " AND ".join(f"{ident(k)}{suffix} = {literal(v)}" for k, v in sorted(tags.items()))
