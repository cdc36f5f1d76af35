from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from gateway.storage.model import BucketQuery, Point, from_ms, in_time_order, to_ms

HANOI = timezone(timedelta(hours=7))


def test_timestamps_are_utc_and_rounded_down_to_the_millisecond() -> None:
    p = Point(measurement="m", fields={"x": 1}, ts=datetime(2025, 1, 1, 7, 0, 0, 123_999, tzinfo=HANOI))
    assert p.ts == datetime(2025, 1, 1, 0, 0, 0, 123_000, tzinfo=UTC)
    assert p.ts.tzinfo is UTC
    assert from_ms(to_ms(p.ts)) == p.ts


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValidationError):
        Point(measurement="m", fields={"x": 1}, ts=datetime(2025, 1, 1))


@pytest.mark.parametrize(
    ("measurement", "tags", "fields"),
    [
        ("", {}, {"x": 1}),
        ("#m", {}, {"x": 1}),
        ("m", {"t": ""}, {"x": 1}),
        ("m", {"": "v"}, {"x": 1}),
        ("m", {"time": "v"}, {"x": 1}),
        ("m", {}, {"time": 1}),
        ("m", {}, {}),
        ("m", {"t": "line\nbreak"}, {"x": 1}),
        ("m", {"t": "ends\\"}, {"x": 1}),
        ("m", {"t": "a\\ b"}, {"x": 1}),
        ("m", {}, {"x": float("nan")}),
        ("m", {}, {"x": float("inf")}),
        ("m", {}, {"x": 2**63}),
        ("m", {}, {"x": "x" * (64 * 1024 + 1)}),
    ],
)
def test_what_the_line_protocol_cannot_carry_is_refused(
    measurement: str, tags: dict[str, str], fields: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        Point(measurement=measurement, tags=tags, fields=fields, ts=datetime(2025, 1, 1, tzinfo=UTC))


def test_field_types_are_kept() -> None:
    p = Point(measurement="m", fields={"f": 1.0, "i": 1, "b": True, "s": "1"}, ts=datetime(2025, 1, 1, tzinfo=UTC))
    assert [type(v) for v in p.fields.values()] == [float, int, bool, str]


def test_query_bounds_round_up_to_whole_milliseconds() -> None:
    start = datetime(2025, 1, 1, 0, 0, 0, 500, tzinfo=UTC)
    q = BucketQuery(measurement="m", field="x", start=start, end=start + timedelta(milliseconds=1), bucket_s=60)
    assert q.start_ms == to_ms(start) + 1
    assert q.end_ms == to_ms(start) + 2


def test_query_bounds_are_clamped_to_what_influxdb_can_store() -> None:
    q = BucketQuery(
        measurement="m",
        field="x",
        start=datetime(1, 1, 1, tzinfo=UTC),
        end=datetime(9999, 1, 1, tzinfo=UTC),
        bucket_s=60,
    )
    assert q.start_ms == -9_223_372_036_854
    assert q.end_ms == 9_223_372_036_854


def test_time_order_breaks_ties_by_tag_set() -> None:
    ts = datetime(2025, 1, 1, tzinfo=UTC)
    b, a, early = (
        Point(measurement="m", tags={"s": "b"}, fields={"x": 1}, ts=ts),
        Point(measurement="m", tags={"s": "a"}, fields={"x": 1}, ts=ts),
        Point(measurement="m", tags={"s": "z"}, fields={"x": 1}, ts=ts - timedelta(milliseconds=1)),
    )
    assert in_time_order([b, a, early], 2) == [early, a]
