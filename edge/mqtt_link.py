"""The edge agent's MQTT connection: paho's thread only enqueues, the agent's loop owns all state.

Outbox rows are handed to paho once each, at QoS 1; paho keeps every un-acknowledged
message and resends it after a reconnect, and only the broker's PUBACK removes
the row from disk. After a restart, whatever is still on disk is sent again.
"""

from __future__ import annotations

import logging
import queue
from dataclasses import dataclass

import paho.mqtt.client as paho

from contract import topics
from contract.messages import Availability, Status
from contract.mqtt import BrokerUrl, make_client
from edge.outbox import Outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inbound:
    topic: str
    payload: bytes
    retained: bool = False  # delivered from the broker's store, not sent now


@dataclass(frozen=True)
class _Puback:
    mid: int


@dataclass(frozen=True)
class _Connected:
    ok: bool
    detail: str


@dataclass(frozen=True)
class _Disconnected:
    detail: str


_Note = Inbound | _Puback | _Connected | _Disconnected


class MqttLink:
    def __init__(self, url: BrokerUrl, site: str, greenhouse: str, outbox: Outbox, window: int = 200) -> None:
        self._outbox = outbox
        self._window = window
        self._notes: queue.SimpleQueue[_Note] = queue.SimpleQueue()
        self._in_paho: dict[int, int] = {}  # mid -> outbox row id
        self._early_acks: set[int] = set()
        self._last_handed = 0  # highest outbox row id handed to paho
        self.connected = False
        self._reported_down = False  # an outage is logged once, not at every reconnect attempt
        self._cmd_filter = topics.subscription(topics.Channel.CMD, site, greenhouse)
        self.rules_topic = topics.topic(site, greenhouse, topics.Channel.RULES)
        self.status_topic = topics.topic(site, greenhouse, topics.Channel.STATUS)
        self._url = url
        self._client = make_client(url, client_id=f"edge-{site}-{greenhouse}")
        self._client.max_inflight_messages_set(50)
        will = Status(site=site, greenhouse=greenhouse, state=Availability.OFFLINE)
        self._client.will_set(self.status_topic, will.to_json(), qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_publish = self._on_publish
        self._client.on_message = self._on_message

    # --- paho's network thread: enqueue only -------------------------------------------------
    def _on_connect(self, client: paho.Client, _u: object, _f: object, rc: paho.ReasonCode, _p: object) -> None:
        if not rc.is_failure:
            client.subscribe([(self._cmd_filter, 1), (self.rules_topic, 1)])
        self._notes.put(_Connected(not rc.is_failure, str(rc)))

    def _on_disconnect(self, _c: paho.Client, _u: object, _f: object, rc: paho.ReasonCode, _p: object) -> None:
        self._notes.put(_Disconnected(str(rc)))

    def _on_connect_fail(self, _c: paho.Client, _u: object) -> None:
        self._notes.put(_Disconnected("broker not reachable"))

    def _on_publish(self, _c: paho.Client, _u: object, mid: int, _rc: paho.ReasonCode, _p: object) -> None:
        self._notes.put(_Puback(mid))

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        self._notes.put(Inbound(msg.topic, bytes(msg.payload), bool(msg.retain)))

    # --- the agent's thread -------------------------------------------------------------------
    def start(self) -> None:
        self._client.connect_async(self._url.host, self._url.port, keepalive=30)
        self._client.loop_start()

    def pump(self) -> list[Inbound]:
        """Process what the network thread saw, hand more outbox rows to paho; return inbound messages."""
        inbound: list[Inbound] = []
        while True:
            try:
                note = self._notes.get_nowait()
            except queue.Empty:
                break
            match note:
                case Inbound():
                    inbound.append(note)
                case _Puback(mid):
                    self._acked(mid)
                case _Connected(ok, detail):
                    self.connected = ok
                    self._reported_down = not ok
                    log.info("mqtt connected" if ok else "mqtt connect refused", extra={"detail": detail})
                case _Disconnected(detail):
                    if self.connected or not self._reported_down:
                        log.warning(
                            "mqtt disconnected; telemetry is kept in the outbox",
                            extra={"broker": str(self._url), "detail": detail, "outbox_depth": self._outbox.depth()},
                        )
                    self.connected = False
                    self._reported_down = True
        self._hand_over()
        return inbound

    def _acked(self, mid: int) -> None:
        row_id = self._in_paho.pop(mid, None)
        if row_id is None:
            self._early_acks.add(mid)  # PUBACK raced ahead of publish() returning
        else:
            self._outbox.remove(row_id)

    def _hand_over(self) -> None:
        room = self._window - len(self._in_paho)
        if room <= 0:
            return
        for row in self._outbox.pending(self._last_handed, room):
            info = self._client.publish(row.topic, row.payload, qos=1, retain=row.retain)
            self._last_handed = row.id
            if info.mid in self._early_acks:
                self._early_acks.discard(info.mid)
                self._outbox.remove(row.id)
            else:
                self._in_paho[info.mid] = row.id

    @property
    def unacked(self) -> int:
        return len(self._in_paho)

    def publish_now(self, topic: str, payload: bytes, retain: bool = False) -> None:
        """Send without the outbox: for retained state, status and acks, where only the latest matters."""
        self._client.publish(topic, payload, qos=1, retain=retain)

    def stop(self, last_status: bytes | None = None, timeout_s: float = 5.0) -> None:
        if last_status is not None and self.connected:
            self._client.publish(self.status_topic, last_status, qos=1, retain=True).wait_for_publish(timeout_s)
        self._client.disconnect()
        self._client.loop_stop()
