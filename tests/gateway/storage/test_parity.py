"""InfluxDB and SQLite give the same answers for the same seeded, messy history.

The dataset has several greenhouses and sensors, readings that share a
timestamp across series (one poll, one time), gaps, dropouts, flagged values
kept apart as raw values, and re-sent points (some identical, some corrected).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from gateway.storage.influx import InfluxV1Store
from gateway.storage.model import BucketQuery, Point
from gateway.storage.sqlite import SqliteStore
from tests.gateway.storage.support import T0, at
from tests.support.influxd import Influxd

GREENHOUSES = ["gh1", "gh2", "gh3"]
SENSORS = {
    "t1": ("air_temp_c", None),
    "h1": ("air_rh_pct", None),
    "s1": ("soil_vwc_pct", "z1"),
    "s2": ("soil_vwc_pct", "z2"),
}
HOURS = 6
FILTERS: list[dict[str, str]] = [
    {},
    {"greenhouse": "gh2"},
    {"greenhouse": "gh1", "sensor": "s1"},
    {"zone": "z2"},
    {"kind": "air_temp_c", "site": "coop"},
    {"greenhouse": "gh9"},
]
RANGES = [
    (T0 - timedelta(hours=1), T0 + timedelta(days=1)),
    (T0 + timedelta(hours=1, microseconds=123_456), T0 + timedelta(hours=3, minutes=7, microseconds=1)),
    (T0 + timedelta(minutes=10), T0 + timedelta(minutes=10, seconds=30)),
]


def history(seed: int = 20250301) -> list[list[Point]]:
    """Write batches in arrival order: mostly time order, re-sent points arriving later."""
    rng = random.Random(seed)
    points: list[Point] = []
    for gh in GREENHOUSES:
        gap_start = rng.uniform(1, HOURS - 2) * 3600
        gap = (gap_start, gap_start + rng.uniform(1800, 5400))
        base = {"site": "coop", "greenhouse": gh}
        t, seq = 0.0, 0
        while t < HOURS * 3600:
            t += 30 + rng.uniform(-2, 2)
            if gap[0] <= t < gap[1]:
                continue
            seq += 1
            ms = round(t * 1000)
            points.append(Point(measurement="batch", tags=base, fields={"seq": seq, "readings": 4}, ts=at(ms)))
            for sensor, (kind, zone) in SENSORS.items():
                if sensor == "h1" and rng.random() < 0.1:
                    continue  # dropout
                tags = {**base, "sensor": sensor, "kind": kind} | ({"zone": zone} if zone else {})
                value = round(rng.gauss(25, 6), rng.choice([1, 2, 6]))
                good = rng.random() > 0.05
                fields = {"quality": "good" if good else "spike", "value" if good else "raw_value": value}
                points.append(Point(measurement="reading", tags=tags, fields=fields, ts=at(ms)))
    points.sort(key=lambda p: p.ts)
    batches = [points[i : i + 500] for i in range(0, len(points), 500)]
    for p in rng.sample(points, len(points) // 30):
        again = p if rng.random() < 0.5 else p.model_copy(update={"fields": {"value": rng.uniform(-5, 45)}})
        rng.choice(batches).append(again)
    return batches


@pytest.fixture(scope="module")
def stores(
    shared_influxd: Influxd, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[InfluxV1Store, SqliteStore]]:
    influx = InfluxV1Store(shared_influxd.url, "parity")
    sqlite = SqliteStore(tmp_path_factory.mktemp("parity") / "history.sqlite3")
    for batch in history():
        influx.write(batch)
        sqlite.write(batch)
    yield influx, sqlite
    influx.close()
    sqlite.close()


@pytest.mark.parametrize("bucket_s", [1, 60, 300, 3600, 86_400])
@pytest.mark.parametrize(("measurement", "field"), [("reading", "value"), ("reading", "raw_value"), ("batch", "seq")])
def test_buckets(stores: tuple[InfluxV1Store, SqliteStore], bucket_s: int, measurement: str, field: str) -> None:
    influx, sqlite = stores
    for start, end in RANGES:
        for tags in FILTERS:
            if measurement == "batch":
                tags = {k: v for k, v in tags.items() if k in ("site", "greenhouse")}
            q = BucketQuery(measurement=measurement, field=field, tags=tags, start=start, end=end, bucket_s=bucket_s)
            expected, got = influx.buckets(q), sqlite.buckets(q)
            assert [(b.start, b.count, b.min, b.max) for b in got] == [
                (b.start, b.count, b.min, b.max) for b in expected
            ]
            assert [b.mean for b in got] == pytest.approx([b.mean for b in expected], rel=1e-9)
            if tags.get("greenhouse") != "gh9" and start < T0:
                assert expected, "the full range has data"


@pytest.mark.parametrize("limit", [1, 7, 250, 1_000_000])
def test_rows(stores: tuple[InfluxV1Store, SqliteStore], limit: int) -> None:
    influx, sqlite = stores
    for measurement in ("reading", "batch"):
        for start, end in RANGES:
            for tags in FILTERS[:3]:
                assert sqlite.rows(measurement, tags, start, end, limit) == influx.rows(
                    measurement, tags, start, end, limit
                )


def test_the_replayed_corrections_won(stores: tuple[InfluxV1Store, SqliteStore]) -> None:
    influx, _ = stores
    latest: dict[tuple[str, datetime], dict[str, object]] = {}
    for batch in history():
        for p in batch:
            if p.measurement == "reading":
                latest.setdefault((str(sorted(p.tags.items())), p.ts), {}).update(p.fields)
    rows = influx.rows("reading", {}, RANGES[0][0], RANGES[0][1], 1_000_000)
    assert {(str(sorted(p.tags.items())), p.ts): p.fields for p in rows} == latest


@pytest.mark.parametrize("tag", ["greenhouse", "sensor", "kind", "zone", "site", "missing"])
def test_tag_values(stores: tuple[InfluxV1Store, SqliteStore], tag: str) -> None:
    influx, sqlite = stores
    for measurement in ("reading", "batch"):
        for filters in FILTERS:
            assert sqlite.tag_values(measurement, tag, filters) == influx.tag_values(measurement, tag, filters)
