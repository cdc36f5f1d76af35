"""The DeliveryAcks' connection, driven by its caller's turns: against a real Mosquitto, stopped and started."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import paho.mqtt.client as paho
import pytest

from contract.mqtt import BrokerUrl, make_client
from gateway.ingest.ack_link import AckLink
from tests.support.mosquitto import Mosquitto

_TOPIC = "coop/gh-{n}/stored"


class _Edges:
    """One subscriber with a kept session, standing for the edges: what reached them, by payload."""

    def __init__(self, url: BrokerUrl) -> None:
        self.got: set[bytes] = set()
        self._lock = threading.Lock()
        self.client = make_client(url, "edges", clean_session=False)
        self.client.on_connect = lambda c, _u, _f, _rc, _p: c.subscribe("coop/+/stored", qos=1)
        self.client.on_message = self._on_message
        self.client.connect(url.host, url.port)
        self.client.loop_start()

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        with self._lock:
            self.got.add(msg.payload)

    def count(self) -> int:
        with self._lock:
            return len(self.got)


@pytest.fixture
def url(mosquitto: Mosquitto) -> BrokerUrl:
    return BrokerUrl.parse(mosquitto.url)


@pytest.fixture
def edges(url: BrokerUrl) -> Iterator[_Edges]:
    e = _Edges(url)
    _until(lambda: e.client.is_connected(), lambda: None)
    time.sleep(0.2)  # its subscription granted
    yield e
    e.client.disconnect()
    e.client.loop_stop()


def _until(done: Callable[[], bool], turn: Callable[[], None], timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        turn()
        time.sleep(0.02)
    return True


@contextmanager
def _started(url: BrokerUrl, mqtt5: bool = True) -> Iterator[AckLink]:
    link = AckLink(url, "gw-acks", mqtt5=mqtt5, keepalive_s=30)
    link.start()
    try:
        yield link
    finally:
        link.close()


def _publish(link: AckLink, numbers: range) -> None:
    for n in numbers:
        link.publish(_TOPIC.format(n=n % 7), b"ack %d" % n)


@pytest.mark.parametrize("mqtt5", [True, False])
def test_acks_published_between_turns_all_arrive_far_beyond_the_in_flight_limit(
    url: BrokerUrl, edges: _Edges, mqtt5: bool
) -> None:
    with _started(url, mqtt5) as link:
        # 25 groups of 100, a turn after each as the commit thread gives: unless the turns read the broker's
        # PUBACKs, paho holds everything past 1000 in flight back.
        for group in range(25):
            _publish(link, range(group * 100, (group + 1) * 100))
            link.turn()
        assert _until(lambda: edges.count() == 2500, link.turn), f"{edges.count()} of 2500 arrived"


def test_acks_published_while_the_broker_is_down_arrive_once_it_is_back(
    mosquitto: Mosquitto, url: BrokerUrl, edges: _Edges
) -> None:
    with _started(url) as link:
        _publish(link, range(0, 100))
        assert _until(lambda: edges.count() == 100, link.turn)
        mosquitto.stop()
        link.turn()  # finds the connection lost
        _publish(link, range(100, 200))  # kept by paho while there is no connection
        for _ in range(5):
            link.turn()  # refused: tried again later
        mosquitto.start()
        assert _until(lambda: edges.count() == 200, link.turn), f"{edges.count()} of 200 arrived"
        _publish(link, range(200, 300))
        assert _until(lambda: edges.count() == 300, link.turn), f"{edges.count()} of 300 arrived"


def test_a_link_whose_broker_never_answers_keeps_its_caller_running() -> None:
    dead = BrokerUrl(host="127.0.0.1", port=1)  # nothing listens there
    link = AckLink(dead, "gw-acks", mqtt5=True, keepalive_s=30)
    link.start()
    _publish(link, range(0, 10))
    started = time.monotonic()
    for _ in range(50):
        link.turn()  # refused each time it tries; never raises
    assert time.monotonic() - started < 5, "a refused connection is not waited for"
    link.close()
