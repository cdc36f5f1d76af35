"""End-to-end delivery: a reading leaves an edge's outbox only when the gateway holds it. Ten broker restarts
under load — half of them with the broker's memory wiped, so that it forgets the gateway's shared subscription
and its queued messages — and every reading the edges produced is stored exactly once (real Mosquitto, the real
gateway, real edge outboxes and links)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract.kinds import Quality
from contract.messages import Reading, TelemetryBatch
from contract.mqtt import BrokerUrl
from contract.site import Greenhouse
from contract.site_file import load_site
from contract.topics import Channel, topic
from edge.mqtt_link import MqttLink
from edge.outbox import Outbox
from gateway.storage.sqlite import SqliteStore
from tests.conftest import EXAMPLE_SITE
from tests.support.gateway import started_gateway
from tests.support.mosquitto import Mosquitto

pytestmark = pytest.mark.slow
SITE = load_site(EXAMPLE_SITE)
SITE_ID = SITE.cooperative.id
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
EVERYTHING = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


class _Edge:
    """One greenhouse's outbox and link, producing a batch every few milliseconds on its own thread (the link
    is used from one thread, as the agent does)."""

    def __init__(self, url: BrokerUrl, gh: Greenhouse, data_dir: Path) -> None:
        self.gh = gh
        self.outbox = Outbox(data_dir / f"{gh.id}-outbox.sqlite3")
        self.link = MqttLink(url, SITE_ID, gh.id, self.outbox, resend_after_s=2.0)
        self.produced = 0
        self._producing = threading.Event()
        self._producing.set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _batch(self, seq: int) -> bytes:
        ts = START + timedelta(seconds=30 * seq)
        readings = [
            Reading(sensor=s.id, kind=s.kind, value=20.0 + i, ts=ts, quality=Quality.GOOD)
            for i, s in enumerate(self.gh.sensors.values())
        ]
        return TelemetryBatch(site=SITE_ID, greenhouse=self.gh.id, seq=seq, sent_at=ts, readings=readings).to_json()

    def _run(self) -> None:
        self.link.start()
        telemetry = topic(SITE_ID, self.gh.id, Channel.TELEMETRY)
        while not self._stop.is_set():
            if self._producing.is_set():
                self.produced = self.outbox.put_numbered("telemetry", telemetry, self._batch)
            self.link.pump()
            time.sleep(0.03)

    def start(self) -> None:
        self._thread.start()

    def stop_producing(self) -> None:
        self._producing.clear()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.link.stop()


def _stored(store: SqliteStore, gh: str) -> list[int]:
    return [int(p.fields["seq"]) for p in store.rows("batch", {"greenhouse": gh}, *EVERYTHING, 1_000_000)]


@pytest.mark.timeout(240)
def test_ten_broker_restarts_under_load_lose_nothing_and_store_each_batch_once(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    url = BrokerUrl.parse(mosquitto.url)
    history = tmp_path / "history.sqlite3"
    gateway = started_gateway(SITE, history, url, tmp_path)
    edges = [_Edge(url, gh, tmp_path) for gh in SITE.greenhouses[:2]]
    for edge in edges:
        edge.start()
    try:
        for restart in range(10):
            time.sleep(1.0)
            mosquitto.stop()
            if restart % 2 == 0:
                # The broker forgets everything: the gateway's session and shared subscription, and what it queued.
                for kept in (mosquitto.workdir / "data").iterdir():
                    kept.unlink()
            time.sleep(0.3)
            mosquitto.start()
        time.sleep(1.0)
        for edge in edges:
            edge.stop_producing()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (
            any(e.outbox.depth() for e in edges) or gateway.spool.depth()
        ):
            time.sleep(0.5)
        depths = {e.gh.id: e.outbox.depth() for e in edges}
        assert not any(depths.values()), f"outboxes not drained: {depths}, spool {gateway.spool.depth()}"
    finally:
        for edge in edges:
            edge.stop()
        gateway.stop()
    check = SqliteStore(history)
    for edge in edges:
        stored = _stored(check, edge.gh.id)
        assert edge.produced > 100
        assert sorted(stored) == list(range(1, edge.produced + 1)), f"{edge.gh.id}: {edge.produced} produced"
    check.close()
