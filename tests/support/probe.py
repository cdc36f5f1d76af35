"""A real MQTT client that records what edge agents publish and sends them commands."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import paho.mqtt.client as paho
from pydantic import BaseModel

from contract import topics
from contract.messages import (
    Command,
    CommandAck,
    Event,
    StateSnapshot,
    Status,
    TelemetryBatch,
)
from contract.mqtt import BrokerUrl, make_client
from contract.wire import WireError, decode
from edge.commands import MAX_LIFETIME

_MODELS: dict[topics.Channel, type[BaseModel]] = {
    topics.Channel.TELEMETRY: TelemetryBatch,
    topics.Channel.EVENTS: Event,
    topics.Channel.ACK: CommandAck,
    topics.Channel.STATE: StateSnapshot,
    topics.Channel.STATUS: Status,
}
_MAX_PAYLOAD_BYTES = 256 * 1024  # as the gateway takes


class Probe:
    def __init__(self, url: BrokerUrl, site: str) -> None:
        self.site = site
        self.batches: list[TelemetryBatch] = []
        self.events: list[Event] = []
        self.acks: list[CommandAck] = []
        self.states: list[StateSnapshot] = []
        self.statuses: list[Status] = []
        self.unparsable = 0
        self._kept: dict[topics.Channel, list[Any]] = {
            topics.Channel.TELEMETRY: self.batches,
            topics.Channel.EVENTS: self.events,
            topics.Channel.ACK: self.acks,
            topics.Channel.STATE: self.states,
            topics.Channel.STATUS: self.statuses,
        }
        self._lock = threading.RLock()  # predicates given to wait() call the locked helpers
        self.client = make_client(url, f"probe-{uuid.uuid4().hex[:8]}", clean_session=False)
        self._subscribed = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(url.host, url.port)
        self.client.loop_start()
        self.wait(lambda: self.client.is_connected(), 10, "probe connected")
        # The broker's SUBACK: from then on, what is published reaches the probe (retained messages first).
        assert self._subscribed.wait(10), "the broker never acknowledged the probe's subscription"

    def _on_connect(self, client: paho.Client, *_: object) -> None:
        client.subscribe(f"gh/v1/{self.site}/#", qos=1)

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        try:
            self._record(msg)
        except (topics.TopicError, ValueError):
            self.unparsable += 1  # tests publish hostile payloads on purpose; a consumer carries on

    def _record(self, msg: paho.MQTTMessage) -> None:
        t = topics.parse(msg.topic)
        model = _MODELS.get(t.channel)
        if model is None:
            return
        message = decode(model, msg.payload, _MAX_PAYLOAD_BYTES)  # as every consumer reads: the compact form too
        if isinstance(message, WireError):
            raise ValueError(message.detail)
        with self._lock:
            self._kept[t.channel].append(message)

    def wait(self, predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if predicate():
                    return
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout_s} s waiting for: {what}")

    def unique_seqs(self, greenhouse: str) -> list[int]:
        """Sequence numbers in order of first arrival, duplicates dropped (what a consumer keeps)."""
        with self._lock:
            return list(dict.fromkeys(b.seq for b in self.batches if b.greenhouse == greenhouse))

    def latest_state(self, greenhouse: str) -> StateSnapshot | None:
        with self._lock:
            return next((s for s in reversed(self.states) if s.greenhouse == greenhouse), None)

    def actuator_on(self, greenhouse: str, actuator: str) -> bool:
        state = self.latest_state(greenhouse)
        return state is not None and any(a.actuator == actuator and a.on for a in state.actuators)

    def send_raw(self, greenhouse: str, actuator: str, payload: bytes) -> None:
        self.client.publish(topics.topic(self.site, greenhouse, topics.Channel.CMD, actuator), payload, qos=1)

    def command(
        self,
        greenhouse: str,
        actuator: str,
        now: datetime,
        action: str = "on",
        duration_s: float | None = 600,
        position_pct: float | None = None,
        timeout_s: float = 10,
    ) -> CommandAck:
        """Send a command and wait for its acknowledgement."""
        cmd = Command(
            id=uuid.uuid4().hex,
            actuator=actuator,
            action=action,
            duration_s=duration_s,
            position_pct=position_pct,
            issued_at=now,
            # The longest an edge accepts: simulated time runs fast in these tests.
            expires_at=now + MAX_LIFETIME,
            issued_by="test",
        )
        self.send_raw(greenhouse, actuator, cmd.to_json())
        found: list[CommandAck] = []

        def _acked() -> bool:
            found[:] = [a for a in self.acks if a.command_id == cmd.id]
            return bool(found)

        self.wait(_acked, timeout_s, f"ack of {actuator} {action}")
        return found[0]

    def close(self) -> None:
        # Disconnecting first ends the network loop at once; stopping it first waits out its select (~0.75 s).
        self.client.disconnect()
        self.client.loop_stop()
