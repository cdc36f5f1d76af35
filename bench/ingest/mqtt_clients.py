"""Publisher and plain-subscriber processes: each its own interpreter, so none shares a GIL with the gateway."""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.synchronize
import sys
import time
import uuid
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized

import paho.mqtt.client as paho

from bench.ingest.payloads import Template, template
from bench.ingest.raw_mqtt import RawPublisher
from contract import topics
from contract.compact import UplinkEncoding
from contract.mqtt import BrokerUrl, make_client

_PAUSE_S = 0.002
_BURST = 200  # messages written to the socket at once, at most
_ENCODE_S = 150e-6  # a message of 170 readings, rendered and deflated, with room to spare
# Fresh interpreters for every helper process: no threads or sockets inherited from the parent.
SPAWN = mp.get_context("spawn")


@dataclass(frozen=True)
class PublisherSpec:
    broker: str
    greenhouses: tuple[int, ...]  # indexes this publisher sends for, in turn
    sensors: int
    polls: int  # per message
    encoding: UplinkEncoding
    rate: float  # messages/s for this publisher; 0: as fast as the broker acknowledges
    seconds: float
    window: int  # QoS 1 messages sent and not yet acknowledged by the broker, at most
    channel: topics.Channel = topics.Channel.TELEMETRY
    # A backlog: this many messages per greenhouse, stamped one batch apart from this time on (None: live, stamped
    # with the wall clock when sent, for ``seconds``).
    backlog_messages: int = 0
    backlog_from_ms: int | None = None
    deflate_level: int = 9
    # Live messages encoded before the run starts, each stamped with the time it is due: edges encode on their own
    # CPUs, and encoding here took 0.2 of the two CPUs the gateway is measured on at 400,000 readings/s offered.
    ahead: bool = False

    def encoding_ahead_s(self) -> float:
        """About how long encoding the run's messages ahead takes (0 when they are encoded as they go)."""
        return _ENCODE_S * self.rate * self.seconds if self.ahead else 0.0


class PublisherCounters:
    """Shared with the parent: messages handed to the socket and messages the broker acknowledged."""

    def __init__(self) -> None:
        self.sent: Synchronized[int] = SPAWN.Value("q", 0, lock=False)
        self.acked: Synchronized[int] = SPAWN.Value("q", 0, lock=False)


def _connect(broker: str, name: str) -> paho.Client:
    url = BrokerUrl.parse(broker)
    client = make_client(url, f"{name}-{uuid.uuid4().hex[:6]}")
    client.connect(url.host, url.port, keepalive=60)
    return client


def publish(
    spec: PublisherSpec, counters: PublisherCounters, go: float, stop: mp.synchronize.Event | None = None
) -> None:
    """Send batches round-robin over the greenhouses from wall time ``go`` for ``spec.seconds`` (a backlog: until
    every greenhouse's is sent), or until ``stop``."""
    templates: list[Template] = [
        template(
            g, spec.sensors, spec.polls, encoding=spec.encoding, channel=spec.channel, deflate_level=spec.deflate_level
        )
        for g in spec.greenhouses
    ]
    names = [t.topic.encode() for t in templates]
    total = spec.backlog_messages * len(templates) if spec.backlog_from_ms is not None else None
    step_ms = templates[0].polls * templates[0].poll_interval_ms
    ahead = _encoded_ahead(spec, templates, names, go) if spec.ahead else None
    if ahead is not None and time.time() > go:
        print(f"publisher: encoding ahead ended {time.time() - go:.1f} s after the start", file=sys.stderr)
    last_ms = [0] * len(templates)
    url = BrokerUrl.parse(spec.broker)
    client = RawPublisher(url.host, url.port, f"bench-pub-{uuid.uuid4().hex[:6]}")
    time.sleep(max(0.0, go - time.time()))
    start = time.monotonic()
    end = start + spec.seconds
    sent = 0
    while ((now := time.monotonic()) < end if total is None else sent < total) and not (stop and stop.is_set()):
        due = int((now - start) * spec.rate) if spec.rate else sent + spec.window
        if total is not None:
            due = min(due, total)
        if ahead is not None:
            due = min(due, len(ahead))
        for _ in range(min(due - sent, spec.window - client.unacked, _BURST)):
            if ahead is not None:
                client.queue(*ahead[sent])
                sent += 1
                continue
            i = sent % len(templates)
            seq = sent // len(templates) + 1
            if spec.backlog_from_ms is None:
                ts_ms = max(int(time.time() * 1000), last_ms[i] + 1)
                last_ms[i] = ts_ms
            else:
                ts_ms = spec.backlog_from_ms + seq * step_ms
            client.queue(names[i], templates[i].render(seq, ts_ms))
            sent += 1
        client.flush(wait_s=_PAUSE_S)
        counters.sent.value, counters.acked.value = sent, client.acked
    deadline = time.monotonic() + 10
    while client.unacked and time.monotonic() < deadline:  # let the last acknowledgements arrive
        client.flush(wait_s=0.05)
    counters.acked.value = client.acked
    client.close()


def _encoded_ahead(
    spec: PublisherSpec, templates: list[Template], names: list[bytes], go: float
) -> list[tuple[bytes, bytes]]:
    """Every live message of the run in the order it is sent, stamped with the wall time it is due from ``go``."""
    count = int(spec.rate * spec.seconds) + 1
    go_ms = int(go * 1000)
    return [
        (
            names[k % len(templates)],
            templates[k % len(templates)].render(k // len(templates) + 1, go_ms + int(k * 1000 / spec.rate)),
        )
        for k in range(count)
    ]


class SubscriberCounters:
    def __init__(self) -> None:
        self.received: Synchronized[int] = SPAWN.Value("q", 0, lock=False)
        self.ready = SPAWN.Event()


def subscribe(broker: str, topic: str, counters: SubscriberCounters, stop: mp.synchronize.Event) -> None:
    """A plain QoS 1 subscriber that only counts: the broker's delivery rate with nothing behind it."""
    received = 0

    def on_message(_c: paho.Client, _u: object, _msg: paho.MQTTMessage) -> None:
        nonlocal received
        received += 1
        counters.received.value = received

    def on_subscribe(*_args: object) -> None:
        counters.ready.set()

    client = _connect(broker, "bench-sub")
    client.on_message = on_message
    client.on_subscribe = on_subscribe
    client.subscribe(topic, qos=1)
    client.loop_start()
    stop.wait()
    counters.received.value = received
    client.loop_stop()
    client.disconnect()
