"""Receives telemetry, status and events from every greenhouse, and acknowledges each once it is on disk.

paho's network thread only collects messages. A commit thread takes them in
groups: it validates each one, stores the good ones and the rejections in a
single spool transaction, and only then sends the PUBACKs, in arrival order,
and to each edge a ``DeliveryAck`` naming the numbered messages it may delete.
Through an MQTT 5 shared subscription (``$share/<group>/…``), several gateway
instances split the stream between them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contract import topics
from contract.clock import Clock
from contract.mqtt import BrokerUrl, make_client
from gateway.health import Pulse
from gateway.ingest.acks import delivery_acks
from gateway.ingest.spool import Received, Rejection, Spool
from gateway.ingest.validate import Accepted, RejectReason, Validator

log = logging.getLogger(__name__)

_CHANNELS = (topics.Channel.TELEMETRY, topics.Channel.STATUS, topics.Channel.EVENTS)
# The broker keeps the gateway's session (and queues its messages) this long while it is down.
_SESSION_EXPIRY_S = 7 * 24 * 3600
_IDLE_WAIT_S = 0.5
_RETRY_COMMIT_S = 1.0
# The commit loop comes round at least every _IDLE_WAIT_S; this long without a pass, it is stuck.
_STALL_AFTER_S = 30.0


@dataclass
class IngestCounters:
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


class Receiver:
    def __init__(
        self,
        url: BrokerUrl,
        site_id: str,
        validator: Validator,
        spool: Spool,
        clock: Clock,
        client_id: str,
        share_group: str | None = "gateway",
        mqtt5: bool = True,
    ) -> None:
        self._url = url
        self._validator = validator
        self._spool = spool
        self._clock = clock
        self._mqtt5 = mqtt5
        prefix = f"$share/{share_group}/" if share_group else ""
        self.filters = [prefix + topics.subscription(c, site_id) for c in _CHANNELS]
        self.counters = IngestCounters()
        self._pending: list[paho.MQTTMessage] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        # Set once the broker has granted every subscription: until then it takes messages for nobody.
        self.subscribed = threading.Event()
        self._client = make_client(url, client_id, clean_session=False, mqtt5=mqtt5, manual_ack=True)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._thread = threading.Thread(target=self._commit_loop, name="gateway-ingest", daemon=True)
        self.pulse = Pulse("ingest", _STALL_AFTER_S)
        self.pulse.watch(self._thread)

    def _on_connect(self, client: paho.Client, _u: object, _f: object, rc: paho.ReasonCode, _p: object) -> None:
        if rc.is_failure:
            log.warning("mqtt connect refused", extra={"detail": str(rc)})
            return
        client.subscribe([(f, 1) for f in self.filters])
        log.info("mqtt connected", extra={"filters": self.filters})

    def _on_subscribe(self, _c: paho.Client, _u: object, _mid: int, codes: list[paho.ReasonCode], _p: object) -> None:
        refused = [str(c) for c in codes if c.is_failure]
        if refused:
            log.warning("mqtt subscription refused", extra={"filters": self.filters, "detail": refused})
            return
        log.info("mqtt subscribed", extra={"filters": self.filters})
        self.subscribed.set()

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        with self._cond:
            self._pending.append(msg)
            self._cond.notify()

    def start(self) -> None:
        self._thread.start()
        if self._mqtt5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = _SESSION_EXPIRY_S
            self._client.connect_async(
                self._url.host, self._url.port, keepalive=30, clean_start=False, properties=props
            )
        else:
            self._client.connect_async(self._url.host, self._url.port, keepalive=30)
        self._client.loop_start()

    def _commit_loop(self) -> None:
        # Group commit: whatever arrives while one transaction is being made durable forms the next group,
        # so the broker's in-flight window never waits on a timer.
        while not self._stop.is_set():
            self.pulse.beat()
            with self._cond:
                if not self._pending:
                    self._cond.wait(_IDLE_WAIT_S)
                group, self._pending = self._pending, []
            if not group:
                continue
            try:
                self._commit(group)
            except Exception:  # the spool could not take the group (disk full, I/O error): nothing was acknowledged
                self.pulse.errors += 1
                log.exception("spool commit failed; the group is kept and tried again", extra={"group": len(group)})
                with self._cond:
                    self._pending = group + self._pending
                self._stop.wait(_RETRY_COMMIT_S)

    def _check(self, msg: paho.MQTTMessage, now: datetime) -> Received | Rejection:
        """One message, accepted or rejected with its reason; whatever it makes the checks raise rejects it too,
        so that it is acknowledged and set aside instead of being redelivered, and failing, for ever."""
        payload = bytes(msg.payload)
        try:
            result = self._validator.check(msg.topic, payload, now)
        except Exception as exc:
            self.pulse.errors += 1
            topic = msg._topic.decode("utf-8", "replace")  # .topic itself raises on bytes that are not UTF-8
            log.exception("message could not be checked; set aside", extra={"topic": topic})
            return Rejection(now, topic, RejectReason.INTERNAL_ERROR.value, f"{type(exc).__name__}: {exc}", payload)
        if isinstance(result, Accepted):
            return Received(result.channel.value, payload, result.message)
        return Rejection(now, msg.topic, result.reason.value, result.detail, payload)

    def _commit(self, group: list[paho.MQTTMessage]) -> None:
        now = self._clock.now()
        checked = [self._check(msg, now) for msg in group]
        accepted = [c for c in checked if isinstance(c, Received)]
        rejected = [c for c in checked if isinstance(c, Rejection)]
        self._spool.commit(accepted, rejected)
        # Only now is each message safe: acknowledge, in the order they arrived.
        for msg in group:
            self._client.ack(msg.mid, msg.qos)
        # And tell each edge which of its messages it may forget: the broker's PUBACK to it promised nothing.
        v = self._validator
        for topic, ack in delivery_acks(v.site_id, v.greenhouses, accepted, rejected, now):
            self._client.publish(topic, ack.to_json(), qos=1)
        c = self.counters
        c.received += len(group)
        c.accepted += len(accepted)
        c.rejected += len(rejected)
        for r in rejected:
            c.by_reason[r.reason] = c.by_reason.get(r.reason, 0) + 1
            log.info("message rejected", extra={"topic": r.topic, "reason": r.reason, "detail": r.detail})

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self._cond:
            group, self._pending = self._pending, []
        if group:
            self._commit(group)
        self._client.disconnect()
        self._client.loop_stop()
