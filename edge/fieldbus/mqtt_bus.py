"""An MQTT bus: ESP32 boards (Tasmota, ESPHome) and Zigbee2MQTT's devices on the greenhouse's own broker, offered to
FieldIO as a Modbus bus is (``BusPoller``'s methods), so that their readings go through the same calibration,
quality flags and staleness, and their outputs through the same safety layer.

One paho client per bus, its network thread the only one that hears; it reconnects by itself. Nodes publish when
they like, so a read asks nothing: it answers at once from the latest each node said, each value with the time it
came. A node is out of contact — its read has no values, as a Modbus node that does not answer — while its
availability says offline (its last will, or Zigbee2MQTT's bridge or device availability), or when it has
published nothing for the bus's ``silent_after_s``; a value older than that is None. Messages the broker kept
(retained) tell availability and outputs, never readings: how old they are nobody knows.

A write publishes the firmware's command (QoS 1, not retained: a command kept by the broker would switch the
output again at the node's every reconnect) and is verified by the state the node reports back; one that does
not follow within ``verify_s`` is ``verified=False``. A payload that is not what the firmware sends is counted
(``crc_errors``) and never becomes a value (edge.fieldbus.mqtt_firmware).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import paho.mqtt.client as paho
from paho.mqtt.reasoncodes import ReasonCode

from contract.mqtt import make_client
from contract.site import MqttBus, Node
from edge.fieldbus.models import ChannelWrite, NodeHealth, NodeRead, WriteResult
from edge.fieldbus.mqtt_firmware import Dialect, Heard, dialect
from edge.fieldbus.transport import BusOpenError, OpenProblem

log = logging.getLogger(__name__)

# Tasmota and ESPHome answer a command within a second on a working Wi-Fi; Zigbee2MQTT within two through a mesh.
VERIFY_S = 5.0
# close() waits this long for commands still on their way to the broker.
_CLOSE_WAIT_S = 2.0


@dataclass
class _NodeState:
    node: Node
    dialect: Dialect
    online: bool | None = None  # None: not told
    bridge_online: bool | None = None
    heard_at: float | None = None  # the clock's time of the last message from the node
    values: dict[str, tuple[float | None, float]] = field(default_factory=dict)  # sensor id → (value, when)
    outputs: dict[str, bool] = field(default_factory=dict)  # actuator id → on, as the node last said
    # What NodeHealth counts on an MQTT bus (its docstring says what each means here).
    requests: int = 0
    answers: int = 0
    timeouts: int = 0
    crc_errors: int = 0
    problem: str = ""  # the last unreadable message, told with the next read
    troubled: bool = False  # the last message was unreadable: logged once per spell

    def forget(self) -> None:
        """What the node said before it went away is not what it says when it comes back."""
        self.values.clear()
        self.outputs.clear()


@dataclass
class _Pending:
    """A command published, waiting for the node to report the state it asked for."""

    state: _NodeState
    target: ChannelWrite
    deadline: float
    seen: bool | None = None  # a state the node reported meanwhile, other than the one asked for


class MqttPoller:
    """Everything public is safe to call from any thread, as BusPoller's is."""

    def __init__(
        self, bus: MqttBus, nodes: list[Node], clock: Callable[[], float] = time.monotonic, verify_s: float = VERIFY_S
    ) -> None:
        self.bus = bus
        self._clock = clock
        self._verify_s = verify_s
        self._states = {n.id: _NodeState(n, dialect(n, bus)) for n in nodes}
        self._routes: dict[str, list[_NodeState]] = {}
        for state in self._states.values():
            for topic in state.dialect.topics:
                self._routes.setdefault(topic, []).append(state)
        self._lock = threading.Lock()
        self._read_results: list[NodeRead] = []
        self._write_results: list[WriteResult] = []
        self._pending: dict[tuple[str, str], _Pending] = {}  # (node id, key) → its command
        self._in_flight: list[paho.MQTTMessageInfo] = []
        self._connected = False
        self.open_error: BusOpenError | None = None
        broker = bus.broker
        # A client id of its own each start: two edges (or an old one not yet gone) must not push each other off.
        self._client = make_client(broker, client_id=f"edge-{bus.id}-{uuid.uuid4().hex[:8]}")
        self._client.on_connect = self._on_connect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    # -- called from other threads ---------------------------------------------------------------------------
    def start(self) -> None:
        broker = self.bus.broker
        self._client.connect_async(broker.host, broker.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        """Commands already published still reach the broker (a valve must close); then the client goes."""
        deadline = time.monotonic() + _CLOSE_WAIT_S
        with self._lock:
            in_flight = list(self._in_flight)
        for info in in_flight:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if not info.is_published():
                info.wait_for_publish(left)
        self._client.disconnect()
        self._client.loop_stop()

    def queue_reads(self, node_ids: Iterable[str] | None = None) -> None:
        """One read of every node (or of those named), answered at once from what has arrived."""
        with self._lock:
            now = self._clock()
            states = [s for s in self._states.values() if node_ids is None or s.node.id in node_ids]
            self._read_results += [self._read(state, now) for state in states]

    def reads_done(self) -> bool:
        return True  # nothing is ever waited for

    def take_reads(self) -> list[NodeRead]:
        with self._lock:
            out, self._read_results = self._read_results, []
            return out

    def queue_write(self, node: Node, target: ChannelWrite) -> None:
        """Publish the command now; its result comes with take_writes once the node reports the state, or not."""
        state = self._states[node.id]
        topic, payload = state.dialect.command(target.channel, target.on)
        with self._lock:
            now = self._clock()
            if not self._connected:
                why = str(self.open_error) if self.open_error is not None else "not connected to the broker yet"
                self._write_results.append(_failed(node, target, f"{why}: the command was not sent"))
                return
            state.requests += 1
            gone = self._gone(state, now)
            if gone is None:  # before publishing: the node's answer may come before publish() returns
                self._pending[(node.id, target.key)] = _Pending(state, target, now + self._verify_s)
        info = self._client.publish(topic, payload, qos=1, retain=False)
        with self._lock:
            if info.rc != paho.MQTT_ERR_SUCCESS:
                self._pending.pop((node.id, target.key), None)
                detail = f"{topic}: not published ({paho.error_string(info.rc)})"
                self._write_results.append(_failed(node, target, detail))
                return
            self._in_flight = [i for i in self._in_flight if not i.is_published()] + [info]
            if gone is not None:
                # Sent all the same (it may be back in a moment), but nobody is known to be there to switch it.
                self._write_results.append(_failed(node, target, f"{gone}; sent {topic} anyway"))

    def take_writes(self) -> list[WriteResult]:
        with self._lock:
            now = self._clock()
            for where, pending in list(self._pending.items()):
                if now >= pending.deadline:
                    del self._pending[where]
                    pending.state.timeouts += 1
                    self._write_results.append(self._unconfirmed(pending))
            out, self._write_results = self._write_results, []
            return out

    def health(self) -> list[NodeHealth]:
        with self._lock:
            return [
                NodeHealth(
                    node_id=s.node.id,
                    bus_id=self.bus.id,
                    address=None,
                    requests=s.requests,
                    answers=s.answers,
                    timeouts=s.timeouts,
                    crc_errors=s.crc_errors,
                )
                for s in self._states.values()
            ]

    # -- paho's network thread -------------------------------------------------------------------------------
    def _on_connect(self, client: paho.Client, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        if rc.is_failure:
            self._down(str(rc))
            return
        client.subscribe([(topic, 1) for topic in self._routes])
        with self._lock:
            if self.open_error is not None:
                log.info("MQTT bus connected again", extra={"bus": self.bus.id})
            self._connected, self.open_error = True, None

    def _on_connect_fail(self, _c: paho.Client, _u: object) -> None:
        self._down("no answer, or the connection was refused")

    def _on_disconnect(self, _c: paho.Client, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        if rc.is_failure:
            self._down(str(rc))
        else:
            with self._lock:
                self._connected = False

    def _down(self, error: str) -> None:
        broker = self.bus.broker
        problem = BusOpenError(
            OpenProblem.BROKER_UNREACHABLE, bus=self.bus.id, host=broker.host, port=str(broker.port), error=error
        )
        with self._lock:
            if self.open_error is None or str(self.open_error) != str(problem):
                log.warning("MQTT bus cannot connect", extra={"bus": self.bus.id, "error": error})
            self._connected, self.open_error = False, problem

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        try:
            self._take(msg.topic, bytes(msg.payload), bool(msg.retain))
        except Exception:  # a bug must not stop the network thread: every node on the bus would go silent
            log.exception("MQTT node message failed", extra={"bus": self.bus.id, "topic": msg.topic})

    def _take(self, topic: str, payload: bytes, retained: bool) -> None:
        for state in self._routes.get(topic, []):
            heard = state.dialect.topics[topic](payload)
            with self._lock:
                self._heard(state, topic, heard, retained, self._clock())

    def _heard(self, state: _NodeState, topic: str, heard: Heard, retained: bool, now: float) -> None:
        """Called with the lock held."""
        if heard.bridge_online is not None:
            state.bridge_online = heard.bridge_online
        if heard.online is not None:
            state.online = heard.online
            if not heard.online:
                state.forget()
        if topic in state.dialect.shared:
            return  # the bridge's word, not the node's
        if heard.online is not False and (heard.online or not retained):
            state.heard_at = now  # the broker keeps the will up to date: a retained "online" is current
        self._judge(state, topic, heard.problem)
        if not retained:
            state.values.update({sid: (value, now) for sid, value in heard.readings.items()})
        state.outputs.update(heard.outputs)
        if not retained:
            self._confirm(state, heard.outputs)

    def _judge(self, state: _NodeState, topic: str, problem: str | None) -> None:
        if problem is None:
            state.answers += 1
            state.troubled = False
            return
        state.crc_errors += 1
        state.problem = f"{topic}: {problem}"
        extra = {"node": state.node.id, "bus": self.bus.id, "topic": topic, "problem": problem}
        if not state.troubled:  # once per spell: a node misconfigured sends the same every few seconds
            log.warning("MQTT node message unreadable", extra=extra)
        state.troubled = True

    def _confirm(self, state: _NodeState, outputs: dict[str, bool]) -> None:
        for key, on in outputs.items():
            pending = self._pending.get((state.node.id, key))
            if pending is None:
                continue
            if on == pending.target.on:
                del self._pending[(state.node.id, key)]
                self._write_results.append(WriteResult(key=key, node_id=state.node.id, ok=True, verified=True))
            else:
                pending.seen = on  # perhaps a report sent before the command arrived: wait for the next

    # -- what a read and a write say -------------------------------------------------------------------------
    def _read(self, state: _NodeState, now: float) -> NodeRead:
        node = state.node
        if not self._connected and self.open_error is not None:
            return NodeRead(node_id=node.id, values=None, detail=str(self.open_error))
        gone = self._gone(state, now)
        if gone is not None:
            return NodeRead(node_id=node.id, values=None, detail=gone)
        values: dict[str, float | None] = {}
        for sensor in node.sensors:
            value, when = state.values.get(sensor.id, (None, now))
            values[sensor.id] = value if now - when <= self.bus.silent_after_s else None
        detail, state.problem = state.problem, ""
        return NodeRead(node_id=node.id, values=values, outputs=dict(state.outputs), detail=detail)

    def _gone(self, state: _NodeState, now: float) -> str | None:
        """Why the node is out of contact, or None while it is in."""
        where = state.dialect.where
        if state.bridge_online is False:
            return f"{where}: Zigbee2MQTT is offline ({self.bus.zigbee2mqtt_base}/bridge/state)"
        if state.online is False:
            return f"{where}: offline (its availability message)"
        if state.heard_at is None:
            return f"{where}: nothing heard from it yet"
        silent_s = now - state.heard_at
        if silent_s > self.bus.silent_after_s:
            return f"{where}: silent for {silent_s:.0f} s (more than {self.bus.silent_after_s:g} s)"
        return None

    def _unconfirmed(self, pending: _Pending) -> WriteResult:
        target = pending.target
        asked = "ON" if target.on else "OFF"
        said = "" if pending.seen is None else f" (it says {'ON' if pending.seen else 'OFF'})"
        return WriteResult(
            key=target.key,
            node_id=pending.state.node.id,
            ok=True,
            verified=False,
            detail=f"{pending.state.dialect.where}: sent {target.channel} {asked}; it did not report {asked} within"
            f" {self._verify_s:g} s{said}",
        )


def _failed(node: Node, target: ChannelWrite, detail: str) -> WriteResult:
    return WriteResult(key=target.key, node_id=node.id, ok=False, detail=detail)
