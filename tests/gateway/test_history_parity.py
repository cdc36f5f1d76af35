"""The history API gives the same answers from InfluxDB (a real influxd) and from the embedded SQLite store."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract.kinds import Quality
from contract.messages import Reading, TelemetryBatch
from contract.site_file import load_site
from gateway.api.history import HistoryRequest, csv_rows, history
from gateway.ingest.derived_points import Deriver
from gateway.storage.influx import InfluxV1Store
from gateway.storage.points import PointMapper
from gateway.storage.sqlite import SqliteStore
from tests.conftest import EXAMPLE_SITE
from tests.support.influxd import Influxd

SITE = load_site(EXAMPLE_SITE)
GH = SITE.greenhouse("ca-chua-1")
T0 = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=12)


def _batches() -> list[TelemetryBatch]:
    rnd = random.Random(5)
    batches = []
    for seq in range(1, 12 * 60 + 1):  # twelve hours of one-minute polls
        ts = T0 + timedelta(minutes=seq, milliseconds=rnd.randint(0, 999))
        readings = []
        for sensor in GH.sensors.values():
            quality = Quality.SPIKE if rnd.random() < 0.02 else Quality.GOOD
            value = None if rnd.random() < 0.01 else rnd.uniform(sensor.range.min, sensor.range.max / 2)
            readings.append(
                Reading(
                    sensor=sensor.id,
                    kind=sensor.kind,
                    value=value,
                    ts=ts,
                    quality=Quality.MISSING if value is None else quality,
                )
            )
        batches.append(
            TelemetryBatch(site=SITE.cooperative.id, greenhouse=GH.id, seq=seq, sent_at=ts, readings=readings)
        )
    return batches


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[InfluxV1Store, SqliteStore]:
    tmp: Path = tmp_path_factory.mktemp("parity")
    server = Influxd(tmp / "influxd")
    server.start()
    influx, sqlite = InfluxV1Store(server.url, "parity"), SqliteStore(tmp / "history.sqlite3")
    mapper, derive_a, derive_b = PointMapper(SITE), Deriver(SITE), Deriver(SITE)
    for batch in _batches():
        influx.write(mapper.telemetry(batch) + derive_a(batch))
        sqlite.write(mapper.telemetry(batch) + derive_b(batch))
    yield influx, sqlite
    server.stop()


@pytest.mark.parametrize(
    "req",
    [
        HistoryRequest(),
        HistoryRequest(kind="soil_vwc_pct", bucket_s=900),
        HistoryRequest(zone="khu-b", start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=5, minutes=7)),
        HistoryRequest(sensor=["air-temp", "par"], metric=["vpd_kpa", "dew_point_c", "dli_mol_m2_d"], bucket_s=60),
        HistoryRequest(metric=["vpd_kpa"], bucket_s=3600),
    ],
    ids=["default", "soil-15min", "zone-window", "sensors-and-metrics", "metric-hourly"],
)
def test_history_is_the_same_from_both_stores(stores: tuple[InfluxV1Store, SqliteStore], req: HistoryRequest) -> None:
    influx, sqlite = stores
    from_influx, from_sqlite = history(influx, GH, req, NOW, "vi"), history(sqlite, GH, req, NOW, "vi")
    assert from_influx.window == from_sqlite.window
    assert [s.name for s in from_influx.series] == [s.name for s in from_sqlite.series]
    for a, b in zip(from_influx.series, from_sqlite.series, strict=True):
        assert [x.start for x in a.buckets] == [x.start for x in b.buckets]
        assert [x.count for x in a.buckets] == [x.count for x in b.buckets]
        for x, y in zip(a.buckets, b.buckets, strict=True):
            assert x.mean == pytest.approx(y.mean, rel=1e-9)
            assert (x.min, x.max) == (y.min, y.max)
    assert any(s.buckets for s in from_influx.series)


def test_csv_export_is_the_same_from_both_stores(stores: tuple[InfluxV1Store, SqliteStore]) -> None:
    influx, sqlite = stores
    req = HistoryRequest(sensor=["soil-a1", "air-temp"], start=T0, end=T0 + timedelta(hours=3))
    a = "".join(csv_rows(influx, GH, req, NOW, 100_000, tz=SITE.cooperative.tz, lang="vi"))
    b = "".join(csv_rows(sqlite, GH, req, NOW, 100_000, tz=SITE.cooperative.tz, lang="vi"))
    assert a == b
    lines = a.splitlines()
    assert len(lines) == 1 + 2 * 179  # polls 1..179; poll 180 lands just after the window ends
    assert any(line.endswith(",spike") for line in lines)  # flagged readings are exported with their flag
