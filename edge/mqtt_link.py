"""The edge agent's MQTT connection: paho's thread only enqueues, the agent's loop owns all state.

Outbox rows are handed to paho at QoS 1, in order. A numbered row (telemetry, events) is deleted only when
the gateway says it holds it durably (a ``DeliveryAck`` on this greenhouse's ``stored`` topic): a broker
that restarts, forgets the gateway's subscription, or takes a message for nobody cannot lose it. Rows the
gateway has not acknowledged after ``resend_after_s`` are sent again (the gateway drops repeats), waiting
longer each time nothing comes back. Rows without a number leave on the broker's PUBACK. After a restart,
whatever is still on disk is sent again.

With ``backlog_apart`` (the site file's ``uplink.backlog_apart``, for a gateway that reads it), telemetry sent
late goes on the ``backlog`` topic: every batch handed over while a newer one waits behind it in the outbox, and
every batch sent again. The gateway takes that topic behind live data, so an edge catching up on a day's outage
never delays other greenhouses' readings; its newest batch still goes on ``telemetry``.
"""

from __future__ import annotations

import logging
import queue
import time
from dataclasses import dataclass

import paho.mqtt.client as paho
from paho.mqtt.reasoncodes import ReasonCode

from contract import topics
from contract.messages import Availability, DeliveryAck, Status
from contract.mqtt import BrokerUrl, make_client
from contract.wire import WireError, decode
from edge.outbox import Outbox, OutboxRow

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
class _Stored:
    payload: bytes


@dataclass(frozen=True)
class _Connected:
    ok: bool
    detail: str


@dataclass(frozen=True)
class _Disconnected:
    detail: str


@dataclass(frozen=True)
class _Sent:
    row_id: int
    at: float  # monotonic


_Note = Inbound | _Puback | _Stored | _Connected | _Disconnected
_Key = tuple[topics.Channel, int]
# The gateway answers within a second when it runs; past these it is down or the answer was lost.
RESEND_AFTER_S = 30.0
_RESEND_AFTER_MAX_S = 600.0
_MAX_ACK_BYTES = 256 * 1024


class MqttLink:
    def __init__(
        self,
        url: BrokerUrl,
        site: str,
        greenhouse: str,
        outbox: Outbox,
        window: int = 200,
        resend_after_s: float = RESEND_AFTER_S,
        backlog_apart: bool = False,
    ) -> None:
        self._outbox = outbox
        self._window = window
        self._site, self._greenhouse = site, greenhouse
        self._notes: queue.SimpleQueue[_Note] = queue.SimpleQueue()
        self._in_paho: dict[int, int] = {}  # mid -> outbox row id, for rows that leave on PUBACK
        self._early_acks: set[int] = set()
        self._numbered_mids: set[int] = set()  # numbered rows' messages whose PUBACK is still to come
        # Numbered rows handed to paho, until the gateway acks them; in the order sent, so the first waited longest.
        self._awaiting: dict[_Key, _Sent] = {}
        self._last_handed = 0  # highest outbox row id handed to paho
        self._resend_base_s = resend_after_s
        self._resend_after_s = resend_after_s
        self._acked_since_resend = False
        self.resent = 0  # rows sent again for want of an acknowledgement
        self.connected = False
        self._reported_down = False  # an outage is logged once, not at every reconnect attempt
        self._cmd_filter = topics.subscription(topics.Channel.CMD, site, greenhouse)
        self.rules_topic = topics.topic(site, greenhouse, topics.Channel.RULES)
        self.status_topic = topics.topic(site, greenhouse, topics.Channel.STATUS)
        self.stored_topic = topics.topic(site, greenhouse, topics.Channel.STORED)
        self._telemetry_topic = topics.topic(site, greenhouse, topics.Channel.TELEMETRY)
        self._backlog_topic = topics.topic(site, greenhouse, topics.Channel.BACKLOG) if backlog_apart else None
        self.roster_topic = topics.topic(site, greenhouse, topics.Channel.ROSTER)
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
    def _on_connect(self, client: paho.Client, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        if not rc.is_failure:
            topics_in = (self._cmd_filter, self.rules_topic, self.stored_topic, self.roster_topic)
            client.subscribe([(t, 1) for t in topics_in])
        self._notes.put(_Connected(not rc.is_failure, str(rc)))

    def _on_disconnect(self, _c: paho.Client, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        self._notes.put(_Disconnected(str(rc)))

    def _on_connect_fail(self, _c: paho.Client, _u: object) -> None:
        self._notes.put(_Disconnected("broker not reachable"))

    def _on_publish(self, _c: paho.Client, _u: object, mid: int, _rc: ReasonCode, _p: object) -> None:
        self._notes.put(_Puback(mid))

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        if msg.topic == self.stored_topic:
            self._notes.put(_Stored(bytes(msg.payload)))
        else:
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
                case _Stored(payload):
                    self._stored(payload)
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
        self._resend_if_unanswered()
        self._hand_over()
        return inbound

    def _acked(self, mid: int) -> None:
        if mid in self._numbered_mids:
            self._numbered_mids.discard(mid)
            return
        row_id = self._in_paho.pop(mid, None)
        if row_id is None:
            self._early_acks.add(mid)  # PUBACK raced ahead of publish() returning, or a numbered row's
        else:
            self._outbox.remove([row_id])

    def _stored(self, payload: bytes) -> None:
        ack = decode(DeliveryAck, payload, _MAX_ACK_BYTES)
        if isinstance(ack, WireError) or (ack.site, ack.greenhouse) != (self._site, self._greenhouse):
            detail = ack.detail if isinstance(ack, WireError) else f"for {ack.site}/{ack.greenhouse}"
            log.warning("delivery acknowledgement ignored", extra={"detail": detail})
            return
        keys = [(topics.Channel.TELEMETRY, n) for n in ack.telemetry] + [(topics.Channel.EVENTS, n) for n in ack.events]
        done = [sent.row_id for sent in (self._awaiting.pop(k, None) for k in keys) if sent is not None]
        self._outbox.remove(done)
        self._acked_since_resend = True
        self._resend_after_s = self._resend_base_s

    def _resend_if_unanswered(self) -> None:
        """Send again each row the gateway has not acknowledged in time, oldest first. The wait doubles while a
        round brings no acknowledgement at all (the gateway is down), and starts over at the next one; a row
        lost while newer ones are acknowledged is sent again after the first wait."""
        if not self.connected or not self._awaiting:
            return
        now = time.monotonic()
        if now - next(iter(self._awaiting.values())).at < self._resend_after_s:
            return
        due = [(k, sent) for k, sent in self._awaiting.items() if now - sent.at >= self._resend_after_s]
        # Handed rows are the oldest in the outbox: awaiting the gateway, or (unnumbered) a PUBACK.
        handed = {r.id: r for r in self._outbox.pending(0, len(self._awaiting) + len(self._in_paho))}
        waited = {"rows": len(due), "after_s": self._resend_after_s}
        log.info("no delivery acknowledgement; sending again", extra=waited)
        for key, sent in due:
            del self._awaiting[key]
            row = handed.get(sent.row_id)
            if row is not None:
                self._publish_numbered(row, late=True)
                self._awaiting[key] = _Sent(row.id, now)  # to the end: the order is the order sent
        self.resent += len(due)
        if not self._acked_since_resend:
            self._resend_after_s = min(self._resend_after_s * 2, _RESEND_AFTER_MAX_S)
        self._acked_since_resend = False

    def _hand_over(self) -> None:
        room = self._window - len(self._in_paho) - len(self._awaiting)
        if room <= 0:
            return
        rows = self._outbox.pending(self._last_handed, room)
        newest = self._outbox.newest(self._telemetry_topic) if self._backlog_topic and rows else None
        for row in rows:
            self._last_handed = row.id
            key = _key(row)
            if key is not None:
                self._publish_numbered(row, late=row.id != newest)
                self._awaiting[key] = _Sent(row.id, time.monotonic())
                continue
            info = self._client.publish(row.topic, row.payload, qos=1, retain=row.retain)
            if info.mid in self._early_acks:
                self._early_acks.discard(info.mid)
                self._outbox.remove([row.id])
            else:
                self._in_paho[info.mid] = row.id

    def _publish_numbered(self, row: OutboxRow, late: bool = False) -> None:
        """``late``: sent again, or with newer telemetry behind it; on the backlog topic when the gateway reads it."""
        topic = row.topic
        if late and self._backlog_topic is not None and row.topic == self._telemetry_topic:
            topic = self._backlog_topic
        # Its PUBACK only says the broker has it: noted, so that it is not taken for an unnumbered row's.
        mid = self._client.publish(topic, row.payload, qos=1, retain=row.retain).mid
        if mid in self._early_acks:
            self._early_acks.discard(mid)
        else:
            self._numbered_mids.add(mid)

    @property
    def unacked(self) -> int:
        """Rows handed to paho that have not been acknowledged (by the gateway, or for unnumbered ones the broker)."""
        return len(self._in_paho) + len(self._awaiting)

    def publish_now(self, topic: str, payload: bytes, retain: bool = False) -> None:
        """Send without the outbox: for retained state, status and acks, where only the latest matters."""
        self._client.publish(topic, payload, qos=1, retain=retain)

    def stop(self, last_status: bytes | None = None, timeout_s: float = 5.0) -> None:
        if last_status is not None and self.connected:
            self._client.publish(self.status_topic, last_status, qos=1, retain=True).wait_for_publish(timeout_s)
        self._client.disconnect()
        self._client.loop_stop()


def _key(row: OutboxRow) -> _Key | None:
    """How the gateway will name this row in its acknowledgement; None for rows that leave on PUBACK."""
    if row.seq is None:
        return None
    channel = topics.parse(row.topic).channel
    return (channel, row.seq) if channel in (topics.Channel.TELEMETRY, topics.Channel.EVENTS) else None
