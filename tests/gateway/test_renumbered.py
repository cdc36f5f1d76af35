"""An edge whose telemetry numbering starts again (a lower number, sent later) is noticed by the real gateway:
its batches are all stored, its health says so, and the alerts list tells people in Vietnamese and English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from contract.clock import Clock
from contract.kinds import Quality
from contract.messages import Reading, Severity, TelemetryBatch
from contract.mqtt import BrokerUrl
from contract.site_file import load_site
from gateway.ingest.spool import Received
from gateway.live.alerts import AlertBoard
from gateway.live.registry import Renumbering
from gateway.service import Gateway, GatewaySettings
from gateway.storage.sqlite import SqliteStore
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
GH = SITE.greenhouses[0]
T0 = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 10:00 in Mộc Châu


def _batch(seq: int, minutes: float) -> TelemetryBatch:
    at = T0 + timedelta(minutes=minutes)
    readings = [Reading(sensor=s.id, kind=s.kind, value=20.0, ts=at, quality=Quality.GOOD) for s in GH.sensors.values()]
    return TelemetryBatch(site=SITE.cooperative.id, greenhouse=GH.id, seq=seq, sent_at=at, readings=readings)


def _gateway(tmp_path: Path) -> Gateway:
    settings = GatewaySettings(broker=BrokerUrl.parse("mqtt://127.0.0.1:1"), data_dir=tmp_path / "gw")
    store = SqliteStore(tmp_path / "history.sqlite3")
    return Gateway(SITE, store, settings, Clock(origin=T0 + timedelta(hours=1)))


def _receive(gateway: Gateway, *batches: TelemetryBatch) -> None:
    """As the receiver does, then the writer: spooled, then stored and applied to the registry."""
    gateway.spool.commit([Received("telemetry", b.to_json()) for b in batches], [])
    while gateway.writer.drain_once():
        pass


def test_numbering_that_starts_again_is_stored_noticed_and_an_alert_for_people(tmp_path: Path) -> None:
    gateway = _gateway(tmp_path)
    _receive(gateway, *(_batch(seq, seq) for seq in range(1, 6)))
    # The edge lost its outbox and its memory: it numbers from 1 again, two minutes later.
    _receive(gateway, _batch(1, 7), _batch(2, 8))
    # A batch of the old numbering, sent before, arrives late (a backlog resent): not a second renumbering.
    _receive(gateway, _batch(4, 4), _batch(3, 9))

    stored = gateway.store.rows("reading", {"greenhouse": GH.id, "sensor": "air-temp"}, T0, T0 + timedelta(hours=1), 99)
    assert len(stored) == 8, "every batch kept: a renumbered edge's data is not taken for repeats"
    health = gateway.registry.house_health(GH.id, T0 + timedelta(minutes=10))
    assert health.renumbered == Renumbering(at=T0 + timedelta(minutes=7), seq_before=5, seq_after=1)
    assert health.last_seq == 3

    board = AlertBoard(SITE, gateway.store)
    [alert] = [a for a in board.alerts(GH.id, health) if a.source == "renumbered"]
    assert (alert.severity, alert.active, alert.raised_at) == (Severity.WARNING, True, T0 + timedelta(minutes=7))
    assert "10:07 10/03" in alert.text_vi and "10:07 10/03" in alert.text_en
    for text in (alert.text_vi, alert.text_en):  # words for a farmer, no code and no internal number
        assert "renumbered" not in text and "seq" not in text and "{" not in text
    acked = board.acknowledge(GH.id, alert.id, "nong-dan", T0 + timedelta(minutes=11), health)
    assert acked is not None and acked.acked_by == "nong-dan"
    gateway.spool.close()
    gateway.store.close()


def test_numbers_that_go_on_with_repeats_and_a_backlog_are_not_a_renumbering(tmp_path: Path) -> None:
    gateway = _gateway(tmp_path)
    _receive(gateway, *(_batch(seq, seq) for seq in range(1, 4)))
    _receive(gateway, _batch(3, 3), _batch(2, 2))  # resent after a reconnect
    _receive(gateway, _batch(4, 4))
    health = gateway.registry.house_health(GH.id, T0 + timedelta(minutes=5))
    assert (health.renumbered, health.last_seq) == (None, 4)
    assert not [a for a in AlertBoard(SITE, gateway.store).alerts(GH.id, health) if a.source == "renumbered"]
    gateway.spool.close()
    gateway.store.close()
