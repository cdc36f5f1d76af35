"""Two gateway instances split the stream through an MQTT 5 shared subscription: together they store everything once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contract.clock import Clock
from contract.mqtt import BrokerUrl
from contract.site_file import load_site
from gateway.service import Gateway, GatewaySettings
from gateway.storage.sqlite import SqliteStore
from tests.conftest import EXAMPLE_SITE
from tests.support.load import BatchLoad
from tests.support.mosquitto import Mosquitto

SITE = load_site(EXAMPLE_SITE)
EVERYTHING = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def _batches(path: Path) -> list[tuple[str, int]]:
    store = SqliteStore(path)
    found = [
        (gh.id, int(p.fields["seq"]))
        for gh in SITE.greenhouses
        for p in store.rows("batch", {"greenhouse": gh.id}, *EVERYTHING, 100_000)
    ]
    store.close()
    return found


def test_two_instances_share_the_stream(tmp_path: Path, mosquitto: Mosquitto) -> None:
    url = BrokerUrl.parse(mosquitto.url)
    gateways = [
        Gateway(
            SITE,
            SqliteStore(tmp_path / f"history-{n}.sqlite3"),
            GatewaySettings(broker=url, data_dir=tmp_path / f"gw-{n}", instance=n),
            Clock(),
        )
        for n in ("a", "b")
    ]
    for g in gateways:
        g.start()
    for g in gateways:  # until then the broker would take batches for nobody, or for one of them only
        assert g.receiver.subscribed.wait(10)
    load = BatchLoad(url, SITE, datetime.now(UTC) - timedelta(days=1))
    load.start(batches_per_s=60)
    time.sleep(5)
    acked = load.stop()

    def all_written() -> bool:
        accepted = sum(g.receiver.counters.accepted for g in gateways)
        return accepted >= len(acked) and all(g.spool.depth() == 0 for g in gateways)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all_written():
        time.sleep(0.2)
    for g in gateways:
        g.stop()
    a, b = _batches(tmp_path / "history-a.sqlite3"), _batches(tmp_path / "history-b.sqlite3")
    assert set(a) | set(b) == acked  # every batch stored
    assert not set(a) & set(b)  # by exactly one instance
    assert min(len(a), len(b)) > len(acked) / 4  # and the work really is shared
