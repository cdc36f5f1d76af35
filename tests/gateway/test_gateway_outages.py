"""Nothing lost: InfluxDB down under load, and the gateway killed under load (real Mosquitto, real influxd)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract.clock import Clock
from contract.mqtt import BrokerUrl
from contract.site_file import load_site
from gateway.service import Gateway, GatewaySettings
from gateway.storage.influx import InfluxV1Store
from greenhouse.runtime_site import write_site
from tests.conftest import EXAMPLE_SITE
from tests.support.influxd import Influxd
from tests.support.load import BatchLoad
from tests.support.mosquitto import Mosquitto
from tests.support.stack import REPO

pytestmark = pytest.mark.slow
SITE = load_site(EXAMPLE_SITE)
SENSORS_PER_BATCH = len(SITE.greenhouses[0].sensors)
EVERYTHING = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def _stored_batches(store: InfluxV1Store) -> set[tuple[str, int]]:
    found = set()
    for gh in SITE.greenhouses:
        rows = store.rows("batch", {"greenhouse": gh.id}, *EVERYTHING, 1_000_000)
        found |= {(gh.id, int(p.fields["seq"])) for p in rows}
    return found


def _reading_count(store: InfluxV1Store) -> int:
    return sum(len(store.rows("reading", {"greenhouse": gh.id}, *EVERYTHING, 10_000_000)) for gh in SITE.greenhouses)


def _wait_until(predicate: Callable[[], bool], timeout_s: float, what: str, state: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s} s: {what}; {state()}")


def _missing(store: InfluxV1Store, acked: set[tuple[str, int]]) -> str:
    missing = sorted(acked - _stored_batches(store))
    return f"{len(missing)} of {len(acked)} acknowledged batches not stored, first {missing[:5]}"


def _gateway_state(gateway: Gateway) -> str:
    w, c = gateway.writer, gateway.receiver.counters
    return (
        f"spool depth {gateway.spool.depth()}, store down {w.store_down}, points written {w.written_points},"
        f" duplicates {w.duplicates}, received {c.received}, accepted {c.accepted}, rejected {c.by_reason}"
    )


# Its own waits add up to 146 s (20 s down, then up to two minutes for the backlog): near the 180 s default.
@pytest.mark.timeout(300)
def test_influxdb_down_for_twenty_seconds_under_load_loses_nothing(
    tmp_path: Path, mosquitto: Mosquitto, influxd: Influxd
) -> None:
    store = InfluxV1Store(influxd.url, "greenhouse")
    gateway = Gateway(SITE, store, GatewaySettings(broker=BrokerUrl.parse(mosquitto.url), data_dir=tmp_path), Clock())
    gateway.start()
    assert gateway.receiver.subscribed.wait(10), "the gateway subscribed"  # else the broker takes batches for nobody
    load = BatchLoad(BrokerUrl.parse(mosquitto.url), SITE, datetime.now(UTC) - timedelta(days=2))
    check = InfluxV1Store(influxd.url, "greenhouse")
    try:
        load.start(batches_per_s=60)
        time.sleep(3)
        influxd.stop()
        # The store is down; the gateway keeps taking and acknowledging messages (`python3 -m bench.reliability`
        # holds outages longer).
        time.sleep(20)
        assert gateway.spool.depth() > 1000, "messages waited in the gateway's spool"
        assert gateway.writer.store_down
        influxd.start()
        time.sleep(3)
        acked = load.stop()
        _wait_until(
            lambda: gateway.spool.depth() == 0 and _stored_batches(check) >= acked,
            120,
            "backlog written",
            lambda: f"{_missing(check, acked)}; {_gateway_state(gateway)}",
        )
    finally:  # a failed run leaves no client behind to reconnect to later tests' brokers
        load.stop()
        gateway.stop()
    stored = _stored_batches(check)
    assert stored == acked  # every batch the broker took, no other
    assert _reading_count(check) == len(acked) * SENSORS_PER_BATCH  # each reading exactly once
    assert len(acked) > 1300


def test_gateway_killed_under_load_loses_nothing_acknowledged(
    tmp_path: Path, mosquitto: Mosquitto, influxd: Influxd
) -> None:
    site_path = write_site(SITE, tmp_path / "site.yaml")
    args = [
        sys.executable,
        "-m",
        "greenhouse",
        "-v",  # its log says when it has subscribed
        "gateway",
        "--config",
        str(site_path),
        "--mqtt-url",
        mosquitto.url,
        "--influx-url",
        influxd.url,
        "--data-dir",
        str(tmp_path / "gw"),
        "--http-port",
        "0",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    log_path = tmp_path / "gateway.log"
    log = log_path.open("ab")
    gateway = subprocess.Popen(args, env=env, stdout=log, stderr=log)
    load = BatchLoad(BrokerUrl.parse(mosquitto.url), SITE, datetime.now(UTC) - timedelta(days=2))
    try:
        # Until the gateway has subscribed, the broker takes batches for nobody.
        _wait_until(lambda: "mqtt subscribed" in log_path.read_text(), 30, "the gateway subscribed", lambda: "")
        load.start(batches_per_s=90)
        time.sleep(4)
        gateway.send_signal(signal.SIGKILL)
        gateway.wait(timeout=10)
        time.sleep(3)  # the broker queues for the gateway's persistent session
        gateway = subprocess.Popen(args, env=env, stdout=log, stderr=log)
        time.sleep(3)
        acked = load.stop()
        store = InfluxV1Store(influxd.url, "greenhouse")
        _wait_until(
            lambda: _stored_batches(store) >= acked,
            60,
            "every acknowledged batch stored",
            lambda: _missing(store, acked),
        )
        assert _stored_batches(store) == acked
        assert _reading_count(store) == len(acked) * SENSORS_PER_BATCH
        assert len(acked) > 500
    finally:
        load.stop()
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=20) == 0
