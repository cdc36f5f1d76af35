"""Receives telemetry, status and events from every greenhouse, and acknowledges each once it is on disk.

paho's network threads only collect messages. A commit thread takes them in
groups (under load, what came in the 50 ms since the last commit): it
validates each one, stores the good ones and the rejections in a single spool
transaction, and only then sends the PUBACKs, in arrival order, and to each
edge a ``DeliveryAck`` naming the numbered messages it may delete.
Through an MQTT 5 shared subscription (``$share/<group>/…``), several gateway
instances split the stream between them.

Two connections, two lanes: live data (telemetry, status, events) on one, the
backlog edges send late on the ``backlog`` channel on the other, each its own
broker session and queue. Live messages are taken first. Each lane is taken
only while the spool has room for it (``Room``: a few seconds of the writer's
work for the backlog, more for live data): otherwise its messages stay
unacknowledged, so the broker stops sending (at most ``_RECEIVE_MAXIMUM`` in
flight) and holds the rest, as the edges' outboxes do. The gateway never takes
more than it can store, and a province's backlog never stands between a
greenhouse and its live readings.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contract import topics
from contract.clock import Clock
from contract.mqtt import RECONNECT_FIRST_S, RECONNECT_MAX_S, BrokerUrl, make_client
from gateway.health import Pulse
from gateway.ingest.ack_link import AckLink
from gateway.ingest.acks import delivery_acks
from gateway.ingest.spool import Received, Rejection, Spool
from gateway.ingest.validate import Accepted, RejectReason, Validator, stream_of

log = logging.getLogger(__name__)


class Lane(StrEnum):
    LIVE = "live"
    BACKLOG = "backlog"


_CHANNELS = {
    Lane.LIVE: (topics.Channel.TELEMETRY, topics.Channel.STATUS, topics.Channel.EVENTS),
    Lane.BACKLOG: (topics.Channel.BACKLOG,),
}
# The broker keeps the gateway's session (and queues its messages) this long while it is down.
_SESSION_EXPIRY_S = 7 * 24 * 3600
# Messages the broker sends on a lane before it waits for their PUBACKs (MQTT 5 Receive Maximum): what a paused
# lane holds in memory (a message is 256 kB at most, a batch of 1000 readings a few kB deflated). Mosquitto 2.0.11
# keeps to it until acknowledgements flow, and sends more than it after (docs/benchmarks.md): so a lane's network
# loop stops reading its socket while the lane holds that many, and the broker holds the rest. Otherwise, under
# overload, paho decodes everything offered while the gateway stores a fifth of it, and memory grows without bound.
_RECEIVE_MAXIMUM = {Lane.LIVE: 1000, Lane.BACKLOG: 100}
# A full lane's loop still writes (acknowledgements, pings) at least this often while it reads nothing.
_FULL_POLL_S = 0.1
_LOOP_TIMEOUT_S = 0.5
_KEEPALIVE_S = 30
_ALIVE = (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_AGAIN)
# Messages of one lane in one commit, at most: every model a group validates stays alive until its commit, and a
# group of thousands (a broker sending a backlog beyond its Receive Maximum, as Mosquitto 2.0 does once the first
# acknowledgements go back) made Python's collector walk hundreds of thousands of them, over and over.
_GROUP_MAX = 100
# Under load, a commit comes at most this long after the one before unless a group is full already: each costs a
# transaction made durable and a turn of every thread, and with none to wait for, groups were of 1.5 messages at the
# knee (docs/benchmarks.md). A message that comes when the spool is quiet is committed at once.
_GATHER_S = 0.05
_IDLE_WAIT_S = 0.5
_PAUSED_WAIT_S = 0.05
_RETRY_COMMIT_S = 1.0
# The commit loop comes round at least every _IDLE_WAIT_S; this long without a pass, it is stuck.
_STALL_AFTER_S = 30.0
# Whether a lane's messages may be taken now: the spool has room for them (gateway/ingest/backpressure.py).
Room = Callable[[Lane], bool]


def _always(_lane: Lane) -> bool:
    return True


@dataclass
class IngestCounters:
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


@dataclass
class _Connection:
    lane: Lane
    client: paho.Client
    filters: list[str]
    pending: list[paho.MQTTMessage] = field(default_factory=list)
    # Set by ``stop``: the network loop ends, and ``stop`` writes what is left and disconnects.
    closing: threading.Event = field(default_factory=threading.Event)
    # Set once the broker has granted every subscription: until then it takes messages for nobody.
    subscribed: threading.Event = field(default_factory=threading.Event)
    network: threading.Thread = field(init=False)


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
        room: Room = _always,
        greenhouses: list[str] | None = None,
    ) -> None:
        """``greenhouses``: take only these (an ingest process of several, gateway/ingest/partition.py); None:
        every greenhouse of the site, through one wildcard."""
        self._url = url
        self._validator = validator
        self._spool = spool
        self._clock = clock
        self._mqtt5 = mqtt5
        self._room = room
        prefix = f"$share/{share_group}/" if share_group else ""
        self.counters = IngestCounters()
        lock = threading.Lock()
        # Messages arrived (the commit thread waits on it), and messages taken (a full lane's network loop does).
        self._cond = threading.Condition(lock)
        self._taken = threading.Condition(lock)
        self._stop = threading.Event()
        if greenhouses == []:
            raise ValueError("a receiver for no greenhouse would subscribe to nothing")
        chosen = ["+"] if greenhouses is None else greenhouses
        self._connections = {
            lane: self._connection(
                lane, client_id if lane is Lane.LIVE else f"{client_id}-{lane.value}", prefix, site_id, chosen
            )
            for lane in Lane
        }
        self.filters = [f for c in self._connections.values() for f in c.filters]
        # Each edge's DeliveryAck goes out on a connection of its own: on a lane's, paho would read as many
        # packets per pass as it has acknowledgements awaiting the broker's, past the lane's limit. The commit
        # thread drives it.
        self._acks = AckLink(url, f"{client_id}-acks", mqtt5, _KEEPALIVE_S)
        # Set once both connections' subscriptions are granted.
        self.subscribed = threading.Event()
        self._thread = threading.Thread(target=self._commit_loop, name="gateway-ingest", daemon=True)
        self.pulse = Pulse("ingest", _STALL_AFTER_S)
        self.pulse.watch(self._thread)

    def _connection(self, lane: Lane, client_id: str, prefix: str, site_id: str, greenhouses: list[str]) -> _Connection:
        """``greenhouses``: the ids to subscribe to, or ``["+"]`` for all."""
        client = make_client(self._url, client_id, clean_session=False, mqtt5=self._mqtt5, manual_ack=True)
        filters = [prefix + topics.subscription(c, site_id, gh) for gh in greenhouses for c in _CHANNELS[lane]]
        conn = _Connection(lane, client, filters)
        client.on_connect = lambda c, _u, _f, rc, _p: self._on_connect(conn, c, rc)
        client.on_message = lambda _c, _u, msg: self._on_message(conn, msg)
        client.on_subscribe = lambda _c, _u, _mid, codes, _p: self._on_subscribe(conn, codes)
        # Writes are this lane's loop's alone: without a loop thread of its own, paho would otherwise write an
        # acknowledgement from the commit thread, into the same socket, at the same time.
        client.on_socket_register_write = lambda _c, _u, _sock: None
        conn.network = threading.Thread(
            target=self._network_loop, args=(conn,), name=f"gateway-mqtt-{lane.value}", daemon=True
        )
        return conn

    def _on_connect(self, conn: _Connection, client: paho.Client, rc: paho.ReasonCode) -> None:
        if rc.is_failure:
            log.warning("mqtt connect refused", extra={"lane": conn.lane, "detail": str(rc)})
            return
        client.subscribe([(f, 1) for f in conn.filters])
        log.info("mqtt connected", extra={"lane": conn.lane, "filters": len(conn.filters)})

    def _on_subscribe(self, conn: _Connection, codes: list[paho.ReasonCode]) -> None:
        refused = [str(c) for c in codes if c.is_failure]
        if refused:
            log.warning(
                "mqtt subscription refused", extra={"lane": conn.lane, "refused": len(refused), "detail": refused[:3]}
            )
            return
        log.info("mqtt subscribed", extra={"lane": conn.lane, "filters": len(conn.filters)})
        conn.subscribed.set()
        if all(c.subscribed.is_set() for c in self._connections.values()):
            self.subscribed.set()

    def _on_message(self, conn: _Connection, msg: paho.MQTTMessage) -> None:
        with self._cond:
            conn.pending.append(msg)
            # What the commit thread waits for: the first message, or a full group.
            if len(conn.pending) in (1, _GROUP_MAX):
                self._cond.notify()

    def start(self) -> None:
        self._acks.start()  # before the commit thread's first turn
        self._thread.start()
        for conn in self._connections.values():
            if self._mqtt5:
                props = Properties(PacketTypes.CONNECT)
                props.SessionExpiryInterval = _SESSION_EXPIRY_S
                props.ReceiveMaximum = _RECEIVE_MAXIMUM[conn.lane]
                conn.client.connect_async(
                    self._url.host, self._url.port, keepalive=_KEEPALIVE_S, clean_start=False, properties=props
                )
            else:
                conn.client.connect_async(self._url.host, self._url.port, keepalive=_KEEPALIVE_S)
            conn.network.start()

    def _network_loop(self, conn: _Connection) -> None:
        """paho's network loop for one lane (``loop_forever`` but for this): while the lane holds its Receive
        Maximum it reads nothing, so the broker keeps what it would send past it, yet acknowledgements and pings
        still go out; connections lost are made again, the session kept."""
        client, retry_s, connected = conn.client, float(RECONNECT_FIRST_S), False
        limit, last_read = _RECEIVE_MAXIMUM[conn.lane], time.monotonic()
        while not conn.closing.is_set():
            if not connected:
                try:
                    client.reconnect()
                except OSError as exc:
                    log.warning("mqtt connect failed", extra={"lane": conn.lane, "detail": str(exc)})
                    conn.closing.wait(retry_s)
                    retry_s = min(2 * retry_s, RECONNECT_MAX_S)
                    continue
                connected, retry_s = True, float(RECONNECT_FIRST_S)
            if len(conn.pending) >= limit:  # read without the lock: a length a moment old costs one turn at most
                rc = client.loop_write()
                if rc in _ALIVE and time.monotonic() - last_read >= _KEEPALIVE_S / 2:
                    # paho judges the broker alive by what it reads: a lane full for two keepalives took its own
                    # silence for a dead broker and dropped the connection. One packet read now and then lets the
                    # ping's answer in (one message over the limit at most, each time).
                    rc, last_read = client.loop_read(), time.monotonic()
                if rc in _ALIVE:
                    rc = client.loop_misc()
                with self._cond:
                    self._taken.wait(_FULL_POLL_S)
            else:
                rc, last_read = client.loop(_LOOP_TIMEOUT_S), time.monotonic()
                # What the socket already holds is read in the same turn, up to the lane's limit: a select per
                # message would hand the interpreter over at every message.
                while rc in _ALIVE and (before := len(conn.pending)) < limit:
                    rc = client.loop_read()
                    if len(conn.pending) == before:
                        break
            if rc not in _ALIVE and not conn.closing.is_set():
                log.warning("mqtt connection lost; connecting again", extra={"lane": conn.lane, "detail": str(rc)})
                connected = False
                conn.closing.wait(retry_s)

    def _take(self) -> list[tuple[_Connection, paho.MQTTMessage]]:
        """What to commit next: live messages first, then the backlog's, each lane while the spool has room."""
        taken: list[tuple[_Connection, paho.MQTTMessage]] = []
        for conn in self._connections.values():
            if conn.pending and self._room(conn.lane):
                taken += [(conn, msg) for msg in conn.pending[:_GROUP_MAX]]
                del conn.pending[:_GROUP_MAX]
        if taken:
            self._taken.notify_all()
        return taken

    def _waiting(self) -> bool:
        """Messages are held back for want of room."""
        return any(c.pending for c in self._connections.values())

    def held_back(self, lane: Lane) -> int:
        """Messages of ``lane`` received and not yet taken (for want of room, or not yet come round)."""
        with self._cond:
            return len(self._connections[lane].pending)

    def _full(self) -> bool:
        """A lane that may be taken holds a whole group (one held back for want of room waits either way)."""
        return any(len(c.pending) >= _GROUP_MAX and self._room(c.lane) for c in self._connections.values())

    def _gather(self, last_commit: float) -> None:
        """Let the next group fill until ``_GATHER_S`` after the last commit, or until it is full."""
        deadline = last_commit + _GATHER_S
        while not self._stop.is_set() and not self._full() and (left := deadline - time.monotonic()) > 0:
            self._cond.wait(left)

    def _commit_loop(self) -> None:
        # Group commit: whatever arrives while one transaction is being made durable, or in the short gathering
        # after it, forms the next group.
        last_commit = 0.0
        while not self._stop.is_set():
            self.pulse.beat()
            self._acks.turn()
            with self._cond:
                if not self._waiting():
                    self._cond.wait(_IDLE_WAIT_S)
                self._gather(last_commit)
                group = self._take()
                if not group and self._waiting():  # held back for want of room in the spool
                    self._cond.wait(_PAUSED_WAIT_S)
            if not group:
                continue
            last_commit = time.monotonic()
            try:
                self._commit(group)
            except Exception:  # the spool could not take the group (disk full, I/O error): nothing was acknowledged
                self.pulse.errors += 1
                log.exception("spool commit failed; the group is kept and tried again", extra={"group": len(group)})
                with self._cond:
                    for conn in self._connections.values():
                        conn.pending = [m for c, m in group if c is conn] + conn.pending
                self._stop.wait(_RETRY_COMMIT_S)

    def _check(self, msg: paho.MQTTMessage, now: datetime, lane: Lane) -> Received | Rejection:
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
            return Received(stream_of(result.channel).value, payload, result.message, lane is Lane.BACKLOG)
        return Rejection(now, msg.topic, result.reason.value, result.detail, payload)

    def _commit(self, group: list[tuple[_Connection, paho.MQTTMessage]]) -> None:
        now = self._clock.now()
        checked = [self._check(msg, now, conn.lane) for conn, msg in group]
        accepted = [c for c in checked if isinstance(c, Received)]
        rejected = [c for c in checked if isinstance(c, Rejection)]
        self._spool.commit(accepted, rejected)
        # Only now is each message safe: acknowledge, in the order they arrived on each connection.
        for conn, msg in group:
            conn.client.ack(msg.mid, msg.qos)
        # And tell each edge which of its messages it may forget: the broker's PUBACK to it promised nothing.
        v = self._validator
        for topic, ack in delivery_acks(v.site_id, v.greenhouses, accepted, rejected, now):
            self._acks.publish(topic, ack.to_json())
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
            self._taken.notify_all()
            group = [(conn, m) for conn in self._connections.values() for m in conn.pending]
            for conn in self._connections.values():
                conn.pending = []
        if group:
            self._commit(group)
        for conn in self._connections.values():
            conn.closing.set()
            conn.network.join(timeout=5)
            # Its loop has ended: the last acknowledgements and the DISCONNECT are written from here.
            conn.client.disconnect()
            conn.client.loop_write()
        self._acks.close()
