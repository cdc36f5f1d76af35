"""A stopped pipeline turns the gateway unhealthy: the compose healthcheck's own command, run against a real gateway
(real Mosquitto, uvicorn), passes while ingest runs and fails once the ingest loop has stopped. A message whose
checks raise is set aside with the error and ingest goes on."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

from contract.clock import Clock
from contract.kinds import Quality
from contract.messages import Reading, TelemetryBatch
from contract.mqtt import BrokerUrl, make_client
from contract.site_file import load_site
from gateway.accounts.service import Accounts
from gateway.api.app import ApiContext
from gateway.health import Pulse
from gateway.ingest.validate import Accepted, Rejected, Validator
from gateway.main import ApiServer
from gateway.service import Gateway, GatewaySettings
from gateway.storage.sqlite import SqliteStore
from greenhouse.net import free_port, wait_for_port
from tests.conftest import EXAMPLE_SITE
from tests.support.mosquitto import Mosquitto
from tests.support.stack import REPO

SITE = load_site(EXAMPLE_SITE)
GH = SITE.greenhouses[0]
SENSORS = list(GH.sensors.values())
TOPIC = f"gh/v1/{SITE.cooperative.id}/{GH.id}/telemetry"


def _healthcheck(port: int) -> int:
    """The gateway service's healthcheck from docker-compose.yml, pointed at this port."""
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    test = compose["services"]["gateway"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    code = test[3].replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30).returncode


def _batch(seq: int) -> bytes:
    now = datetime.now(UTC)
    readings = [Reading(sensor=s.id, kind=s.kind, value=20.0, ts=now, quality=Quality.GOOD) for s in SENSORS]
    return TelemetryBatch(site=SITE.cooperative.id, greenhouse=GH.id, seq=seq, sent_at=now, readings=readings).to_json()


class _Flawed(Validator):
    """Checks as the gateway does, except that one payload makes them raise, as a bug of ours would."""

    def check(self, topic: str, payload: bytes, now: datetime) -> Accepted | Rejected:
        if payload == b'{"poison": true}':
            raise KeyError("a fault nobody expected")
        return super().check(topic, payload, now)


def _gateway(tmp_path: Path, mosquitto: Mosquitto) -> Gateway:
    settings = GatewaySettings(broker=BrokerUrl.parse(mosquitto.url), data_dir=tmp_path)
    return Gateway(SITE, SqliteStore(tmp_path / "h.sqlite3"), settings, Clock())


def _wait(predicate: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out: {what}")


def test_the_compose_healthcheck_fails_once_ingest_has_stopped(tmp_path: Path, mosquitto: Mosquitto) -> None:
    gateway = _gateway(tmp_path, mosquitto)
    gateway.start()
    port = free_port()
    server = ApiServer(ApiContext.of(gateway, Accounts(tmp_path, Clock().now), secure_cookies=False), "127.0.0.1", port)
    server.start()
    try:
        wait_for_port(port)
        assert _healthcheck(port) == 0
        gateway.receiver._stop.set()  # the commit loop ends, as it would if it died
        gateway.receiver._thread.join(10)
        assert _healthcheck(port) != 0
        answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert answer.status_code == 503
        assert answer.json()["problems"] == ["ingest: thread has stopped"]
    finally:
        server.stop()
        gateway.stop()


def test_a_message_whose_checks_raise_is_set_aside_and_ingest_goes_on(tmp_path: Path, mosquitto: Mosquitto) -> None:
    gateway = _gateway(tmp_path, mosquitto)
    gateway.receiver._validator = _Flawed(SITE)
    gateway.start()
    assert gateway.receiver.subscribed.wait(10)
    url = BrokerUrl.parse(mosquitto.url)
    sender = make_client(url, "sender")
    sender.connect(url.host, url.port)
    sender.loop_start()
    try:
        for payload in (_batch(1), b'{"poison": true}', _batch(2)):
            sender.publish(TOPIC, payload, qos=1).wait_for_publish(5)
        _wait(lambda: gateway.receiver.counters.received == 3 and gateway.spool.depth() == 0, 20, "all three taken")
        assert gateway.receiver.counters.accepted == 2
        assert gateway.spool.reject_counts() == {"internal_error": 1}
        rejected = gateway.spool.recent_rejects(1)[0]
        assert rejected.detail == "KeyError: 'a fault nobody expected'" and rejected.payload == b'{"poison": true}'
        assert gateway.receiver._thread.is_alive() and gateway.receiver.pulse.errors == 1
    finally:
        sender.loop_stop()
        gateway.stop()
    # Acknowledged when it was set aside: a gateway started again on the same session is not handed it again.
    again = _gateway(tmp_path, mosquitto)
    again.start()
    try:
        assert again.receiver.subscribed.wait(10)
        time.sleep(1.0)  # what the broker kept for the session arrives at once after the subscription
        assert again.receiver.counters.received == 0
    finally:
        again.stop()


def test_a_pulse_that_has_not_come_round_is_a_stall() -> None:
    now = [100.0]
    pulse = Pulse("writer", stall_after_s=300, clock=lambda: now[0])
    thread = threading.Thread(target=lambda: None)
    thread.start()
    pulse.beat()
    now[0] += 299
    assert pulse.problem() is None
    now[0] += 2
    assert pulse.problem() == "writer: no progress for 301 s"
    thread.join()
    pulse.watch(thread)
    assert pulse.problem() == "writer: thread has stopped"
