"""Store-and-forward against a real Mosquitto: nothing lost, nothing reordered, across a broker outage."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from contract.messages import DeliveryAck
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


SITE, GH = "site", "gh"
TELEMETRY = "gh/v1/site/gh/telemetry"


class _Gateway:
    """Stands where the gateway is: collects telemetry and, when told to, answers each batch with a
    DeliveryAck on the edge's stored topic, as gateway/ingest/receiver.py does after its spool commit."""

    def __init__(self, url: BrokerUrl, acknowledge: bool = True) -> None:
        self.seqs: list[int] = []
        self.acknowledge = acknowledge
        self.lose_once: set[int] = set()  # batches that get lost the first time they come, as in a broker restart
        self._lock = threading.Lock()
        # A persistent session: what the link flushes before this client is back is kept for it.
        self.client = make_client(url, "collector", clean_session=False)
        self.client.on_connect = lambda c, *_: c.subscribe(TELEMETRY, qos=1)
        self.subscribed = threading.Event()  # the broker's SUBACK: from then on, what is published reaches it
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(url.host, url.port)
        self.client.loop_start()

    def _on_message(self, client: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        seq = json.loads(msg.payload)["seq"]
        with self._lock:
            if seq in self.lose_once:
                self.lose_once.discard(seq)
                return
            self.seqs.append(seq)
        if self.acknowledge:
            ack = DeliveryAck(site=SITE, greenhouse=GH, ts=datetime.now(UTC), telemetry=[seq])
            client.publish("gh/v1/site/gh/stored", ack.to_json(), qos=1)

    def wait_for(self, n_unique: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(set(self.seqs)) < n_unique:
            time.sleep(0.05)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _produce(box: Outbox, link: MqttLink, n: int) -> None:
    for _ in range(n):
        box.put_numbered("telemetry", TELEMETRY, lambda s: json.dumps({"seq": s}).encode())
        link.pump()
        time.sleep(0.005)


def _pump_until(link: MqttLink, done: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not done():
        link.pump()
        time.sleep(0.02)


@contextmanager
def _unanswered(
    tmp_path: Path, mosquitto: Mosquitto, produced: int, resend_after_s: float
) -> Iterator[tuple[Outbox, MqttLink, _Gateway]]:
    """A link whose first ``produced`` batches reached a gateway that has not acknowledged them."""
    url = BrokerUrl.parse(mosquitto.url)
    box = Outbox(tmp_path / "o.sqlite3")
    link = MqttLink(url, SITE, GH, box, resend_after_s=resend_after_s)
    gateway = _Gateway(url, acknowledge=False)
    assert gateway.subscribed.wait(10), "the collector subscribed"
    link.start()
    _pump_until(link, lambda: link.connected, 10)
    _produce(box, link, produced)
    gateway.wait_for(produced, timeout_s=10)
    try:
        yield box, link, gateway
    finally:
        link.stop()
        gateway.stop()


def test_outbox_drains_in_order_after_a_broker_outage(tmp_path: Path, mosquitto: Mosquitto) -> None:
    url = BrokerUrl.parse(mosquitto.url)
    box = Outbox(tmp_path / "o.sqlite3")
    # An acknowledgement sent while the link is reconnecting is lost (its session is not kept): sent again soon.
    link = MqttLink(url, SITE, GH, box, resend_after_s=2.0)
    gateway = _Gateway(url)
    assert gateway.subscribed.wait(10), "the collector subscribed"
    link.start()
    _produce(box, link, 100)
    mosquitto.stop()
    _produce(box, link, 150)  # written while the broker is down: only the outbox has them
    assert box.depth() >= 150
    mosquitto.start()
    _pump_until(link, lambda: box.depth() == 0, 30)
    assert box.depth() == 0
    gateway.wait_for(250, timeout_s=15)
    link.stop()
    gateway.stop()
    first_seen = list(dict.fromkeys(gateway.seqs))
    assert first_seen == list(range(1, 251))  # every batch, in order; duplicates only as repeats


def test_a_batch_the_broker_took_stays_until_the_gateway_holds_it_and_is_sent_again(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    # The broker's PUBACK used to delete the row: a broker restart that lost the message (or the gateway's
    # shared subscription) then lost the reading for good.
    with _unanswered(tmp_path, mosquitto, produced=5, resend_after_s=0.5) as (box, link, gateway):
        _pump_until(link, lambda: link.resent >= 5, 10)  # no answer: the same rows go out again
        assert box.depth() == 5 and link.resent >= 5
        assert sorted(set(gateway.seqs)) == [1, 2, 3, 4, 5] and len(gateway.seqs) >= 10
        gateway.acknowledge = True
        _pump_until(link, lambda: box.depth() == 0, 15)
        assert box.depth() == 0


def test_a_batch_lost_while_later_ones_are_acknowledged_is_sent_again(tmp_path: Path, mosquitto: Mosquitto) -> None:
    # The wait used to start over at every acknowledgement: with data flowing, a lost batch was never sent again.
    url = BrokerUrl.parse(mosquitto.url)
    box = Outbox(tmp_path / "o.sqlite3")
    link = MqttLink(url, SITE, GH, box, resend_after_s=1.0)
    gateway = _Gateway(url)
    gateway.lose_once = {1}
    assert gateway.subscribed.wait(10), "the collector subscribed"
    link.start()
    _pump_until(link, lambda: link.connected, 10)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and 1 not in gateway.seqs:
        _produce(box, link, 1)  # a batch every few tens of ms, each acknowledged
        time.sleep(0.05)
    assert 1 in gateway.seqs and link.resent >= 1
    _pump_until(link, lambda: box.depth() == 0, 10)
    assert box.depth() == 0
    link.stop()
    gateway.stop()


def test_an_acknowledgement_for_another_greenhouse_or_unreadable_deletes_nothing(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    with _unanswered(tmp_path, mosquitto, produced=3, resend_after_s=60) as (box, link, gateway):
        other = DeliveryAck(site=SITE, greenhouse="other", ts=datetime.now(UTC), telemetry=[1, 2, 3])
        for payload in (other.to_json(), b"[" * 5000, b'{"telemetry": ["1"]}'):
            gateway.client.publish("gh/v1/site/gh/stored", payload, qos=1).wait_for_publish(5)
        _pump_until(link, lambda: False, 1.0)
        assert box.depth() == 3


def test_rows_without_a_number_leave_on_the_brokers_acknowledgement(tmp_path: Path, mosquitto: Mosquitto) -> None:
    url = BrokerUrl.parse(mosquitto.url)
    box = Outbox(tmp_path / "o.sqlite3")
    link = MqttLink(url, SITE, GH, box)
    link.start()
    _pump_until(link, lambda: link.connected, 10)
    box.put("gh/v1/site/gh/events", b"{}")  # as an outbox written before rows carried numbers holds them
    _pump_until(link, lambda: box.depth() == 0, 10)
    assert box.depth() == 0
    link.stop()


class _Heard:
    """Every message on the greenhouse's topics: (channel, number)."""

    def __init__(self, url: BrokerUrl) -> None:
        self.got: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self.client = make_client(url, "listener")
        self.client.on_connect = lambda c, *_: c.subscribe(f"gh/v1/{SITE}/{GH}/+", qos=1)
        self.subscribed = threading.Event()  # the broker's SUBACK: from then on, what is published reaches it
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(url.host, url.port)
        self.client.loop_start()

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        with self._lock:
            self.got.append((msg.topic.rsplit("/", 1)[1], json.loads(msg.payload)["seq"]))

    def on(self, channel: str) -> list[int]:
        with self._lock:
            return [seq for c, seq in self.got if c == channel]

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.mark.parametrize("apart", [True, False])
def test_telemetry_sent_late_goes_on_the_backlog_topic_when_the_gateway_reads_it(
    tmp_path: Path, mosquitto: Mosquitto, apart: bool
) -> None:
    """Catching up after an outage, all but the newest batch go on 'backlog' (the gateway drains it behind live data),
    and so does every batch sent again; with an older gateway (apart off) everything stays on 'telemetry'."""
    url = BrokerUrl.parse(mosquitto.url)
    box = Outbox(tmp_path / "o.sqlite3")
    for _ in range(6):  # written while the uplink was down
        box.put_numbered("telemetry", TELEMETRY, lambda s: json.dumps({"seq": s}).encode())
    box.put_numbered("events", f"gh/v1/{SITE}/{GH}/events", lambda s: json.dumps({"seq": s}).encode())
    heard = _Heard(url)
    link = MqttLink(url, SITE, GH, box, resend_after_s=0.5, backlog_apart=apart)
    assert heard.subscribed.wait(10), "the listener subscribed"
    link.start()
    try:
        _pump_until(link, lambda: len(heard.got) >= 7, 10)
        if apart:
            assert heard.on("backlog") == [1, 2, 3, 4, 5] and heard.on("telemetry") == [6]
        else:
            assert heard.on("telemetry") == [1, 2, 3, 4, 5, 6] and heard.on("backlog") == []
        assert heard.on("events") == [1], "events are never held back"
        _pump_until(link, lambda: link.resent >= 7, 10)  # nobody acknowledges: sent again
        _pump_until(link, lambda: len(heard.got) >= 14, 10)
        late = heard.on("backlog" if apart else "telemetry")
        assert all(late.count(seq) >= 2 for seq in range(1, 6)), "each batch sent again where late ones go"
        if apart:
            assert 6 in late and heard.on("telemetry") == [6], "the newest batch too, once it is late"
    finally:
        link.stop()
        heard.stop()
