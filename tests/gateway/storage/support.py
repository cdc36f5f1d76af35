"""Builders shared by the storage tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.storage.model import Point

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def point(
    ms: int, measurement: str = "reading", tags: dict[str, str] | None = None, **fields: float | int | bool | str
) -> Point:
    return Point(measurement=measurement, tags=tags or {"greenhouse": "gh1"}, fields=fields, ts=at(ms))
