"""The writer between the spool and the history store: repeats stored once, new batches never taken for
repeats, and a row that cannot be stored set aside with its reason while the rows behind it flow on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from contract.clock import Clock
from contract.kinds import Quality
from contract.messages import Reading, TelemetryBatch
from contract.site_file import load_site
from gateway.ingest.spool import Received, Spool
from gateway.ingest.writer import Writer
from gateway.live.registry import Registry
from gateway.storage.influx import InfluxV1Store
from gateway.storage.model import Store
from gateway.storage.points import PointMapper
from gateway.storage.sqlite import SqliteStore
from tests.conftest import EXAMPLE_SITE
from tests.support.influxd import Influxd

SITE = load_site(EXAMPLE_SITE)
HOUSE = SITE.greenhouses[0]
SENSOR = next(iter(HOUSE.sensors.values()))
T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _batch(seq: int, sent_at: datetime, value: float) -> bytes:
    reading = Reading(sensor=SENSOR.id, kind=SENSOR.kind, value=value, ts=sent_at, quality=Quality.GOOD)
    return TelemetryBatch(
        site=SITE.cooperative.id, greenhouse=HOUSE.id, seq=seq, sent_at=sent_at, readings=[reading]
    ).to_json()


def _stored_values(store: Store) -> list[float]:
    rows = store.rows("reading", {"greenhouse": HOUSE.id}, T0 - timedelta(days=1), T0 + timedelta(days=60), 1000)
    return [float(p.fields["value"]) for p in rows]


def test_a_repeated_batch_is_stored_once_and_a_renumbered_edge_is_not_a_repeat(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3")
    store = SqliteStore(tmp_path / "history.sqlite3")
    writer = Writer(spool, store, PointMapper(SITE), Registry(SITE), Clock())
    first = _batch(1, T0, 21.5)
    later = T0 + timedelta(days=3)
    # The broker delivers batch 1 twice (at least once); then the edge, its outbox wiped, numbers from 1 again.
    spool.commit([Received("telemetry", p) for p in (first, first, _batch(1, later, 23.0))], [])
    while writer.drain_once():
        pass
    assert writer.duplicates == 1
    assert _stored_values(store) == [21.5, 23.0]
    assert spool.depth() == 0


def _written(store: Store, spooled: list[bytes], tmp_path: Path) -> Spool:
    """Spool these payloads as the receiver would, run the writer until the spool is empty; return the spool."""
    spool = Spool(tmp_path / "spool.sqlite3")
    writer = Writer(spool, store, PointMapper(SITE), Registry(SITE), Clock())
    spool.commit([Received("telemetry", p) for p in spooled], [])
    while writer.drain_once():
        pass
    assert spool.depth() == 0
    return spool


def test_a_row_that_no_longer_reads_is_set_aside_with_why_and_the_next_is_stored(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "history.sqlite3")
    # Spooled by an older gateway version whose contract had no readings list.
    old = b'{"site": "x", "greenhouse": "gh", "seq": 7}'
    spool = _written(store, [old, _batch(8, T0, 19.0)], tmp_path)
    assert _stored_values(store) == [19.0]
    (rejected,) = spool.recent_rejects()
    assert (rejected.reason, rejected.payload) == ("invalid", old)
    # Named as the receiver names what it refuses: the first field at fault, and how many more.
    assert rejected.detail == "no longer a valid telemetry message: sent_at: Field required (+1 more)"
    assert spool.reject_counts() == {"invalid": 1}


def test_what_influxdb_refuses_is_set_aside_and_the_rest_is_stored(tmp_path: Path, influxd: Influxd) -> None:
    store = InfluxV1Store(influxd.url, "greenhouse")
    # A string in the same field and shard (a week) as the first batch: InfluxDB refuses its float.
    store.write_lines([f'reading,greenhouse=elsewhere value="broken" {int(T0.timestamp() * 1000)}'])
    refused, fine = _batch(1, T0, 21.5), _batch(2, T0 + timedelta(days=30), 22.0)
    spool = _written(store, [refused, fine], tmp_path)
    assert _stored_values(store) == [22.0]
    (rejected,) = spool.recent_rejects()
    assert (rejected.reason, rejected.payload) == ("store_refused", refused)
    assert "field type conflict" in rejected.detail
