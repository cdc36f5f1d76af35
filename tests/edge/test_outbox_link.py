"""Store-and-forward against a real Mosquitto: nothing lost, nothing reordered, across a broker outage."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from contract.mqtt import BrokerUrl, make_client
from edge.mqtt_link import MqttLink
from edge.outbox import Outbox
from tests.support.mosquitto import Mosquitto


def test_sequence_numbers_survive_reopening(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    seqs = [box.put_numbered("telemetry", "t", lambda n: json.dumps({"seq": n}).encode()) for _ in range(3)]
    box.close()
    box = Outbox(tmp_path / "o.sqlite3")
    assert seqs == [1, 2, 3]
    assert box.put_numbered("telemetry", "t", lambda n: b"x") == 4
    assert [json.loads(r.payload)["seq"] for r in box.pending(0, 10)[:3]] == [1, 2, 3]
    assert box.depth() == 4


class _Collector:
    def __init__(self, url: BrokerUrl, topic: str) -> None:
        self.seqs: list[int] = []
        self._lock = threading.Lock()
        # A persistent session: what the link flushes before this client is back is kept for it.
        self.client = make_client(url, "collector", clean_session=False)
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_message = self._on_message
        self.client.connect(url.host, url.port)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, msg: object) -> None:
        with self._lock:
            self.seqs.append(json.loads(msg.payload)["seq"])  # type: ignore[attr-defined]

    def wait_for(self, n_unique: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(set(self.seqs)) < n_unique:
            time.sleep(0.05)


def test_outbox_drains_in_order_after_a_broker_outage(tmp_path: Path, mosquitto: Mosquitto) -> None:
    url = BrokerUrl.parse(mosquitto.url)
    box = Outbox(tmp_path / "o.sqlite3")
    link = MqttLink(url, "site", "gh", box)
    collector = _Collector(url, "gh/v1/site/gh/telemetry")
    time.sleep(0.3)
    link.start()

    def produce(n: int) -> None:
        for _ in range(n):
            box.put_numbered("telemetry", "gh/v1/site/gh/telemetry", lambda s: json.dumps({"seq": s}).encode())
            link.pump()
            time.sleep(0.005)

    produce(100)
    mosquitto.stop()
    produce(150)  # written while the broker is down: only the outbox has them
    assert box.depth() >= 150
    mosquitto.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and box.depth():
        link.pump()
        time.sleep(0.02)
    assert box.depth() == 0
    collector.wait_for(250, timeout_s=15)
    link.stop()
    collector.client.loop_stop()
    first_seen = list(dict.fromkeys(collector.seqs))
    assert first_seen == list(range(1, 251))  # every batch, in order; duplicates only as repeats
