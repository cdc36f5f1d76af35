"""The demo's embedded broker (amqtt) delivers retained messages only to their subscribers, and clients connecting
while others subscribe all get through."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator

import paho.mqtt.client as paho
import pytest

from contract.mqtt import make_client
from greenhouse.demo.broker import EmbeddedBroker
from greenhouse.net import free_port


@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    embedded = EmbeddedBroker(free_port())
    embedded.start()
    yield embedded
    embedded.stop()


def _connected(broker: EmbeddedBroker, client_id: str) -> tuple[paho.Client, queue.Queue[str]]:
    """A client that has its CONNACK, with a queue of the topics it receives."""
    got: queue.Queue[str] = queue.Queue()
    up = threading.Event()
    client = make_client(broker.url, client_id)
    client.on_message = lambda _c, _u, msg: got.put(msg.topic)
    client.on_connect = lambda *_: up.set()
    client.connect(broker.url.host, broker.url.port)
    client.loop_start()
    assert up.wait(10), f"{client_id} did not connect"
    return client, got


def _retain(broker: EmbeddedBroker, topics: list[str]) -> None:
    publisher, _ = _connected(broker, "publisher")
    for topic in topics:
        publisher.publish(topic, b"kept", qos=1, retain=True).wait_for_publish(10)
    publisher.disconnect()
    publisher.loop_stop()


def test_a_client_gets_retained_messages_of_its_own_subscriptions_only(broker: EmbeddedBroker) -> None:
    _retain(broker, ["gh/b/rules", "gh/a/rules"])
    other, other_got = _connected(broker, "edge-b")
    other.subscribe("gh/b/#", qos=1)
    assert other_got.get(timeout=10) == "gh/b/rules"

    client, got = _connected(broker, "edge-a")
    client.subscribe("gh/a/#", qos=1)
    assert got.get(timeout=10) == "gh/a/rules"
    with pytest.raises(queue.Empty):  # stock amqtt 0.12 sends gh/b/rules too, from edge-b's subscription
        got.get(timeout=1.0)
    for each in (client, other):
        each.disconnect()
        each.loop_stop()


def test_clients_connecting_while_another_subscribes_are_all_served(broker: EmbeddedBroker) -> None:
    houses = [f"gh/{n}/rules" for n in range(40)]
    _retain(broker, houses)
    watchers = [_connected(broker, f"edge-{n}")[0] for n in range(len(houses))]
    for watcher, topic in zip(watchers, houses, strict=True):
        watcher.subscribe(topic, qos=1)
    failures: list[str] = []
    begin = threading.Barrier(len(houses) + 1)

    def newcomer(n: int) -> None:
        begin.wait()
        client, _ = _connected(broker, f"phone-{n}")
        subscribed = threading.Event()
        client.on_subscribe = lambda *_: subscribed.set()
        client.subscribe(f"gh/{n}/alerts", qos=1)  # answered only if the broker still serves this connection
        if not subscribed.wait(10):
            failures.append(f"phone-{n}: no SUBACK")
        client.disconnect()
        client.loop_stop()

    threads = [threading.Thread(target=newcomer, args=(n,)) for n in range(len(houses))]
    for thread in threads:
        thread.start()
    viewer, _ = _connected(broker, "viewer")
    begin.wait()
    n = 0
    while any(thread.is_alive() for thread in threads) and n < 100_000:  # new filters while the phones connect
        viewer.subscribe(f"viewer/{n}/#", qos=1)
        n += 1
        time.sleep(0.0005)
    for thread in threads:
        thread.join(30)
    for each in (viewer, *watchers):
        each.disconnect()
        each.loop_stop()
    assert not failures
