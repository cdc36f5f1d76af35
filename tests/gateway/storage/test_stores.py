"""What every store promises, checked against a real InfluxDB and against SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.storage.model import Bucket, BucketQuery, Point, Store, StoreRejected, from_ms, to_ms
from tests.gateway.storage.support import T0, at, point

DAY = timedelta(days=1)


def query(
    field: str = "value", bucket_s: int = 60, start_ms: int = 0, end_ms: int = 86_400_000, **tags: str
) -> BucketQuery:
    return BucketQuery(
        measurement="reading", field=field, tags=tags, start=at(start_ms), end=at(end_ms), bucket_s=bucket_s
    )


def all_rows(store: Store, measurement: str = "reading", **tags: str) -> list[Point]:
    return store.rows(measurement, tags, T0 - DAY, T0 + DAY, 100_000)


def test_round_trip_keeps_types_tags_and_milliseconds(store: Store) -> None:
    written = [
        point(1, value=21.5, quality="good", ok=True, seq=7),
        point(999, tags={"greenhouse": "gh1", "sensor": "t1"}, value=-3.25),
        point(60_000, tags={"greenhouse": "gh2"}, value=1e-5, big=2**62),
    ]
    store.write(written)
    assert all_rows(store) == written


def test_empty_answers_before_anything_is_written(store: Store) -> None:
    assert store.buckets(query()) == []
    assert all_rows(store) == []
    assert store.tag_values("reading", "greenhouse") == []
    store.write([])


def test_replaying_the_same_points_changes_nothing(store: Store) -> None:
    points = [point(i * 1000, value=float(i)) for i in range(100)]
    store.write(points)
    store.write(points)
    store.write(points[10:20])
    assert all_rows(store) == points
    assert sum(b.count for b in store.buckets(query())) == 100


def test_same_series_and_time_overwrites_field_by_field(store: Store) -> None:
    store.write([point(5, value=1.0, quality="good")])
    store.write([point(5, value=2.0), point(5, raw_value=9.0)])
    assert all_rows(store) == [point(5, value=2.0, quality="good", raw_value=9.0)]
    # Within one write too, the last one wins.
    store.write([point(6, value=1.0), point(6, value=3.0)])
    assert all_rows(store)[-1] == point(6, value=3.0)


def test_another_tag_set_is_another_series(store: Store) -> None:
    store.write([point(5, value=1.0), point(5, tags={"greenhouse": "gh1", "sensor": "s"}, value=2.0)])
    assert len(all_rows(store)) == 2


def test_field_type_conflicts_are_rejected(store: Store) -> None:
    store.write([point(1, value=1.0)])
    with pytest.raises(StoreRejected, match="conflict"):
        store.write([point(2, value=2)])
    assert all_rows(store) == [point(1, value=1.0)]


def test_buckets_are_aligned_to_the_epoch_start_inclusive_end_exclusive(store: Store) -> None:
    # T0 is midnight UTC, a multiple of every bucket width used here.
    store.write(
        [point(ms, value=float(v)) for ms, v in [(0, 1), (59_999, 3), (60_000, 10), (61_000, 20), (185_000, 5)]]
    )
    assert store.buckets(query()) == [
        Bucket(start=at(0), mean=2.0, min=1.0, max=3.0, count=2),
        Bucket(start=at(60_000), mean=15.0, min=10.0, max=20.0, count=2),
        Bucket(start=at(180_000), mean=5.0, min=5.0, max=5.0, count=1),  # the empty 120 s bucket is left out
    ]
    # A range starting mid-bucket: the bucket keeps its aligned start but counts only what is in range.
    assert store.buckets(query(start_ms=59_999, end_ms=61_000)) == [
        Bucket(start=at(0), mean=3.0, min=3.0, max=3.0, count=1),
        Bucket(start=at(60_000), mean=10.0, min=10.0, max=10.0, count=1),
    ]
    # Aligned to multiples of the width since the epoch, not to the start of the range.
    sevens = store.buckets(query(bucket_s=7, start_ms=0, end_ms=62_000))
    assert sevens[-1] == Bucket(start=from_ms(to_ms(at(61_000)) // 7000 * 7000), mean=11.0, min=3.0, max=20.0, count=3)
    assert sevens[0].start == from_ms(to_ms(T0) // 7000 * 7000) != T0
    assert store.buckets(query(start_ms=185_000, end_ms=185_000)) == []


def test_buckets_before_1970_round_down(store: Store) -> None:
    ts = datetime(1969, 12, 31, 23, 59, 30, tzinfo=UTC)
    store.write([Point(measurement="old", fields={"x": 1.0}, ts=ts)])
    q = BucketQuery(measurement="old", field="x", start=ts - DAY, end=T0, bucket_s=60)
    assert [b.start for b in store.buckets(q)] == [datetime(1969, 12, 31, 23, 59, tzinfo=UTC)]


def test_integer_fields_aggregate_and_text_fields_do_not(store: Store) -> None:
    store.write([point(0, seq=1, quality="good"), point(1, seq=4, quality="bad")])
    assert store.buckets(query(field="seq")) == [Bucket(start=at(0), mean=2.5, min=1, max=4, count=2)]
    assert store.buckets(query(field="nothing")) == []
    with pytest.raises(StoreRejected):
        store.buckets(query(field="quality"))


def test_tag_filters_are_equality(store: Store) -> None:
    store.write(
        [
            point(0, tags={"greenhouse": "gh1", "sensor": "a"}, value=1.0),
            point(0, tags={"greenhouse": "gh1", "sensor": "b"}, value=2.0),
            point(0, tags={"greenhouse": "gh10", "sensor": "a"}, value=4.0),
            point(0, tags={"greenhouse": "gh2"}, value=8.0),
        ]
    )
    assert [b.mean for b in store.buckets(query())] == [3.75]
    assert [b.mean for b in store.buckets(query(greenhouse="gh1"))] == [1.5]
    assert [b.mean for b in store.buckets(query(greenhouse="gh1", sensor="a"))] == [1.0]
    assert store.buckets(query(greenhouse="gh")) == []
    assert [p.fields["value"] for p in all_rows(store, sensor="a")] == [1.0, 4.0]
    assert store.tag_values("reading", "greenhouse") == ["gh1", "gh10", "gh2"]
    assert store.tag_values("reading", "greenhouse", {"sensor": "a"}) == ["gh1", "gh10"]
    assert store.tag_values("reading", "sensor", {"greenhouse": "gh1"}) == ["a", "b"]
    assert store.tag_values("reading", "sensor", {"greenhouse": "nowhere"}) == []


HOSTILE = [
    "Nhà kính số 1, khu A",
    "a=b",
    'say "hi"',
    "it's",
    "C:\\path\\x",
    "Hà Nội 🌱",
    "x' OR '1'='1",
    '"quoted"',
    "=,= ,",
]


def test_hostile_names_survive_a_round_trip(store: Store) -> None:
    measurement = "đo lường, nhiệt độ"
    tags = [{"khu vực, tỉnh": v, "sensor": str(i)} for i, v in enumerate(HOSTILE)]
    written = [
        Point(measurement=measurement, tags=t, fields={"giá trị = x, y": float(i), "ghi chú": HOSTILE[i]}, ts=at(i))
        for i, t in enumerate(tags)
    ]
    store.write(written)
    assert store.rows(measurement, {}, T0, T0 + DAY, 1000) == written
    assert store.tag_values(measurement, "khu vực, tỉnh") == sorted(HOSTILE)
    for i, value in enumerate(HOSTILE):
        assert store.rows(measurement, {"khu vực, tỉnh": value}, T0, T0 + DAY, 1000) == [written[i]]
        q = BucketQuery(
            measurement=measurement,
            field="giá trị = x, y",
            tags={"khu vực, tỉnh": value},
            start=T0,
            end=T0 + DAY,
            bucket_s=3600,
        )
        assert [b.mean for b in store.buckets(q)] == [float(i)]


def test_rows_limit_cuts_in_time_then_tag_order(store: Store) -> None:
    sensors = ["c", "a", "b"]
    store.write([point(ms, tags={"greenhouse": "gh1", "sensor": s}, value=1.0) for ms in (10, 0) for s in sensors])
    got = store.rows("reading", {}, T0, T0 + DAY, 4)
    assert [(p.ts, p.tags["sensor"]) for p in got] == [(at(0), "a"), (at(0), "b"), (at(0), "c"), (at(10), "a")]
    assert store.rows("reading", {}, at(1), at(10), 10) == []


def test_ranges_beyond_what_influxdb_can_store_mean_everything(store: Store) -> None:
    store.write([point(0, value=1.0)])
    start, end = datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)
    assert store.rows("reading", {}, start, end, 10) == [point(0, value=1.0)]
    q = BucketQuery(measurement="reading", field="value", start=start, end=end, bucket_s=86_400)
    assert store.buckets(q) == [Bucket(start=T0, mean=1.0, min=1.0, max=1.0, count=1)]
