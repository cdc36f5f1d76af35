"""MQTT nodes through FieldIO on a real Mosquitto: Tasmota, ESPHome and Zigbee2MQTT as the simulator's nodes
(firmware_sim.mqtt_nodes) publish them, and a plain client publishing what no firmware should (garbage) or nothing
at all (silence). Time that matters (silence, a command's wait for its state) is a clock the test moves."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import paho.mqtt.client as paho
import pytest

from contract.kinds import Quality
from contract.mqtt import BrokerUrl, make_client
from contract.reasons import Reason
from contract.site import Greenhouse, Sensor, SiteConfig
from edge.fieldbus import ChannelWrite, FieldIO, OpenProblem, WriteResult
from edge.fieldbus.mqtt_bus import VERIFY_S
from firmware_sim.faults import NodeOfflineFault
from firmware_sim.mqtt_nodes import MqttNodes, MqttOptions
from firmware_sim.physics import ActuatorState
from greenhouse.net import free_port
from tests.edge.fieldbus.support import greenhouse, health, one_poll, wait_for
from tests.support.mosquitto import Mosquitto
from tests.support.probe import Probe
from tests.support.stack import EdgeThread, one_greenhouse_site, rules_yaml, stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
GH = "ca-chua-1"
SILENT_S = 600.0
PERIOD_S = 60.0
PHYSICAL = {"tas-temp": 22.3, "tas-rh": 55.1, "esp-soil": 41.5, "z-temp": 21.75, "z-rh": 60.0}
READ = {
    "tas": {"tas-temp": pytest.approx(22.3), "tas-rh": pytest.approx(55.1)},
    "esp": {"esp-soil": pytest.approx(41.5)},
    "z2m": {"z-temp": pytest.approx(21.75), "z-rh": pytest.approx(60.0)},
}
# Each node's output: (node, actuator, channel, the command as it shows on the broker).
SWITCHES = [
    ("tas", "fan", "POWER1", ("cmnd/gh-air/POWER1", b"ON")),
    ("esp", "pump", "pump_relay", ("gh-soil/switch/pump_relay/command", b"ON")),
    ("z2m", "valve", "state_l2", ("zigbee2mqtt/plug-1/set", b'{"state_l2":"ON"}')),
]


def _sensor(sensor_id: str, kind: str, field: str) -> dict[str, Any]:
    return {"id": sensor_id, "kind": kind, "field": field, "range": {"min": -40, "max": 100}}


def nodes_greenhouse(url: str, silent_after_s: float = SILENT_S) -> Greenhouse:
    nodes = [
        {
            "id": "tas",
            "firmware": "tasmota",
            "topic": "gh-air",
            "sensors": [
                _sensor("tas-temp", "air_temp_c", "AM2301.Temperature"),
                _sensor("tas-rh", "air_rh_pct", "AM2301.Humidity"),
            ],
            "actuators": [{"id": "fan", "kind": "fan", "channel": "POWER1"}],
        },
        {
            "id": "esp",
            "firmware": "esphome",
            "topic": "gh-soil",
            "sensors": [_sensor("esp-soil", "soil_vwc_pct", "soil_moisture")],
            "actuators": [{"id": "pump", "kind": "pump", "channel": "pump_relay"}],
        },
        {
            "id": "z2m",
            "firmware": "zigbee2mqtt",
            "topic": "plug-1",
            "sensors": [_sensor("z-temp", "air_temp_c", "temperature"), _sensor("z-rh", "air_rh_pct", "humidity")],
            "actuators": [{"id": "valve", "kind": "valve", "channel": "state_l2"}],
        },
    ]
    bus = {"protocol": "mqtt", "id": "wifi", "url": url, "silent_after_s": silent_after_s}
    return greenhouse([bus], nodes)


class Clock:
    """Monotonic seconds that move only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Backend:
    """What the simulator's MQTT nodes ask of their greenhouse (firmware_sim.mqtt_nodes.MqttBackend)."""

    def __init__(self) -> None:
        self.offline: set[str] = set()
        self.garbage: set[str] = set()
        self.t = 0.0

    def node_offline(self, node_id: str) -> bool:
        return node_id in self.offline

    def mqtt_garbage(self, node_id: str) -> bool:
        return node_id in self.garbage

    def sensor_value(self, sensor: Sensor) -> float:
        return PHYSICAL[sensor.id]

    def sim_time_s(self) -> float:
        return self.t


@contextmanager
def simulated(gh: Greenhouse, backend: Backend) -> Iterator[dict[str, ActuatorState]]:
    """The greenhouse's MQTT nodes as the simulator runs them, ticked in a thread; yields their outputs."""
    actuators = {a: ActuatorState() for a in gh.actuators}
    nodes = MqttNodes(gh, backend, actuators, lambda: datetime(2026, 1, 15, 10, 5), MqttOptions(period_s=PERIOD_S))
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.01):
            nodes.tick()

    nodes.start()
    ticker = threading.Thread(target=tick, name="mqtt-nodes-sim")
    ticker.start()
    try:
        yield actuators
    finally:
        stop.set()
        ticker.join(timeout=10)
        for node in nodes.nodes:
            node.close()


class Wire:
    """A plain client on the broker: sees every message on it, and publishes as a firmware would."""

    def __init__(self, url: str) -> None:
        self.seen: list[paho.MQTTMessage] = []
        self._lock = threading.Lock()
        self.client = make_client(BrokerUrl.parse(url), f"test-wire-{uuid.uuid4().hex[:8]}")
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *_: c.subscribe("#", qos=1)
        self.client.connect(BrokerUrl.parse(url).host, BrokerUrl.parse(url).port)
        self.client.loop_start()
        wait_for(lambda: self.publish("test/ready", "1") or self.messages("test/ready"), bool, "the wire listens")

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        with self._lock:
            self.seen.append(msg)

    def messages(self, topic: str) -> list[paho.MQTTMessage]:
        with self._lock:
            return [m for m in self.seen if m.topic == topic]

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def wire(mosquitto: Mosquitto) -> Iterator[Wire]:
    w = Wire(mosquitto.url)
    yield w
    w.close()


def _in_contact(io: FieldIO, *node_ids: str) -> None:
    """The edge hears each node: its client is subscribed (what comes now reaches it)."""
    wait_for(lambda: one_poll(io), lambda r: all(r[n].values is not None for n in node_ids), "contact")


def _written(io: FieldIO) -> WriteResult:
    (result,) = wait_for(io.take_writes, bool, "the write's result")
    return result


def test_the_three_firmwares_are_read_and_switched_as_the_simulator_publishes_them(
    mosquitto: Mosquitto, wire: Wire
) -> None:
    gh = nodes_greenhouse(mosquitto.url)
    backend = Backend()
    with simulated(gh, backend) as outputs, FieldIO(gh) as io:
        _in_contact(io, "tas", "esp", "z2m")  # the retained wills and births: nothing read yet
        backend.t += PERIOD_S  # the next report
        reads = wait_for(lambda: one_poll(io), lambda r: {n: r[n].values for n in READ} == READ, "the readings")
        assert {n: reads[n].outputs for n in READ} == {
            "tas": {"fan": False},
            "esp": {"pump": False},
            "z2m": {"valve": False},
        }

        for node_id, actuator, channel, (topic, payload) in SWITCHES:
            node = next(n for n in gh.nodes if n.id == node_id)
            io.write(node, ChannelWrite(key=actuator, channel=channel, on=True))
            result = _written(io)
            assert (result.key, result.ok, result.verified) == (actuator, True, True), result.detail
            (command,) = wait_for(lambda t=topic: wire.messages(t), bool, f"{topic} on the broker")
            assert (command.payload, command.qos, command.retain) == (payload, 1, False)
            assert outputs[actuator].on
            assert one_poll(io)[node_id].outputs == {actuator: True}
        assert [health(io, n).requests for n in READ] == [1, 1, 1]
        assert all(health(io, n).crc_errors == 0 and health(io, n).answers > 0 for n in READ)


def test_a_node_gone_offline_has_no_values_until_it_is_back(mosquitto: Mosquitto, wire: Wire) -> None:
    gh = nodes_greenhouse(mosquitto.url)
    backend = Backend()
    with simulated(gh, backend), FieldIO(gh) as io:
        _in_contact(io, "tas", "esp", "z2m")
        backend.t += PERIOD_S
        wait_for(lambda: one_poll(io), lambda r: all(r[n].values == READ[n] for n in READ), "the readings")

        backend.offline |= {"tas", "z2m"}  # the board loses power (its will); Zigbee2MQTT reports the plug gone
        reads = wait_for(lambda: one_poll(io), lambda r: r["tas"].values is None and r["z2m"].values is None, "gone")
        assert reads["tas"].detail == "tasmota node 'gh-air': offline (its availability message)"
        assert reads["z2m"].detail == "zigbee2mqtt node 'plug-1': offline (its availability message)"
        assert reads["esp"].values == READ["esp"]

        backend.offline.clear()
        backend.t += PERIOD_S
        wait_for(lambda: one_poll(io), lambda r: all(r[n].values == READ[n] for n in READ), "back")

        wire.publish("zigbee2mqtt/bridge/state", '{"state":"offline"}', retain=True)  # Zigbee2MQTT itself stops
        read = wait_for(lambda: one_poll(io)["z2m"], lambda r: r.values is None, "the bridge gone")
        assert read.detail == "zigbee2mqtt node 'plug-1': Zigbee2MQTT is offline (zigbee2mqtt/bridge/state)"


def test_silence_makes_values_stale_then_the_node_lost(mosquitto: Mosquitto, wire: Wire) -> None:
    clock = Clock()
    gh = nodes_greenhouse(mosquitto.url, silent_after_s=100)
    with FieldIO(gh, clock=clock) as io:
        wire.publish("gh-soil/status", "online", retain=True)
        _in_contact(io, "esp")
        wire.publish("gh-soil/sensor/soil_moisture/state", "38.25")
        wait_for(lambda: one_poll(io)["esp"].values, lambda v: v == {"esp-soil": 38.25}, "the reading")

        clock.now += 60
        wire.publish("gh-soil/switch/pump_relay/state", "OFF")  # the node speaks, but not of its sensor
        wait_for(lambda: one_poll(io)["esp"].outputs, lambda o: o == {"pump": False}, "the switch's state")
        clock.now += 60  # the reading is 120 s old; the node was heard 60 s ago
        read = one_poll(io)["esp"]
        assert (read.values, read.outputs) == ({"esp-soil": None}, {"pump": False})

        clock.now += 41
        read = one_poll(io)["esp"]
        assert read.values is None
        assert read.detail == "esphome node 'gh-soil': silent for 101 s (more than 100 s)"

        wire.publish("gh-soil/sensor/soil_moisture/state", "39")
        wait_for(lambda: one_poll(io)["esp"].values, lambda v: v == {"esp-soil": 39.0}, "read again")


def test_unreadable_payloads_are_counted_and_never_values(mosquitto: Mosquitto, wire: Wire) -> None:
    gh = nodes_greenhouse(mosquitto.url)
    with FieldIO(gh) as io:
        wire.publish("tele/gh-air/LWT", "Online", retain=True)
        wire.publish("gh-soil/status", "online", retain=True)
        _in_contact(io, "tas", "esp")
        good = '{"Time":"2026-01-15T10:05:00","AM2301":{"Temperature":%s,"Humidity":55.1},"TempUnit":"C"}'
        wire.publish("tele/gh-air/SENSOR", good % "22.3")
        wait_for(lambda: one_poll(io)["tas"].values, lambda v: v == READ["tas"], "the first reading")

        bad = [
            ("tele/gh-air/SENSOR", good[:40]),  # cut short
            ("tele/gh-air/SENSOR", good % "NaN"),
            ("tele/gh-air/SENSOR", good % '"22.3"'),
            ("tele/gh-air/SENSOR", good % ("1" * 20_000)),  # too large
            ("tele/gh-air/SENSOR", (good % "22.3").replace('"C"', '"F"')),
            ("stat/gh-air/RESULT", '{"POWER1":1}'),
            ("gh-soil/sensor/soil_moisture/state", "ERR:-9"),
            ("gh-soil/sensor/soil_moisture/state", "1e400"),
        ]
        for n, (topic, payload) in enumerate(bad, start=1):
            wire.publish(topic, payload)
            wait_for(lambda: health(io, "tas").crc_errors + health(io, "esp").crc_errors, n.__eq__, f"bad {n}")
            read = one_poll(io)
            assert read["tas"].values in ({"tas-temp": None, "tas-rh": None}, {"tas-temp": None, "tas-rh": 55.1})
            assert read["esp"].values == {"esp-soil": None}
            assert topic in read["tas"].detail + read["esp"].detail
        assert health(io, "tas").crc_errors == 6 and health(io, "esp").crc_errors == 2

        wire.publish("tele/gh-air/SENSOR", good % "23.5")
        wire.publish("gh-soil/sensor/soil_moisture/state", "nan")  # ESPHome's "no reading": not a fault of the wire
        reads = wait_for(lambda: one_poll(io), lambda r: r["tas"].values["tas-temp"] == 23.5, "the next good one")
        assert reads["esp"].values == {"esp-soil": None}
        assert health(io, "esp").crc_errors == 2


def test_a_command_not_followed_is_not_verified(mosquitto: Mosquitto, wire: Wire) -> None:
    clock = Clock()
    gh = nodes_greenhouse(mosquitto.url)
    tas, esp = gh.nodes[0], gh.nodes[1]
    with FieldIO(gh, clock=clock) as io:
        wire.publish("tele/gh-air/LWT", "Online", retain=True)
        wire.publish("gh-soil/status", "offline", retain=True)
        _in_contact(io, "tas")

        io.write(tas, ChannelWrite(key="fan", channel="POWER1", on=True))
        wait_for(lambda: wire.messages("cmnd/gh-air/POWER1"), bool, "the command on the broker")
        wire.publish("tele/gh-air/STATE", '{"POWER1":"OFF"}')  # a report that crossed the command
        wait_for(lambda: one_poll(io)["tas"].outputs, lambda o: o == {"fan": False}, "the report")
        assert io.take_writes() == []
        clock.now += VERIFY_S
        result = _written(io)
        assert (result.ok, result.verified) == (True, False)
        assert result.detail == "tasmota node 'gh-air': sent POWER1 ON; it did not report ON within 5 s (it says OFF)"
        assert health(io, "tas").timeouts == 1

        io.write(esp, ChannelWrite(key="pump", channel="pump_relay", on=False))  # a pump must stop: sent anyway
        result = _written(io)
        assert (result.ok, result.verified) == (False, None)
        assert result.detail.startswith("esphome node 'gh-soil': offline (its availability message); sent")
        wait_for(lambda: wire.messages("gh-soil/switch/pump_relay/command"), bool, "sent anyway")


def test_a_broker_that_cannot_be_reached_is_the_bus_s_problem_not_the_nodes() -> None:
    gh = nodes_greenhouse(f"mqtt://127.0.0.1:{free_port()}")
    with FieldIO(gh) as io:
        (problem,) = wait_for(io.bus_problems, bool, "the bus's problem")
        assert problem.problem is OpenProblem.BROKER_UNREACHABLE
        assert problem.text("vi").startswith("Bus wifi: không kết nối được broker MQTT tại 127.0.0.1:")
        reads = one_poll(io)
        assert all(r.values is None and r.detail == str(problem) for r in reads.values())
        io.write(gh.nodes[0], ChannelWrite(key="fan", channel="POWER1", on=False))
        result = _written(io)
        assert not result.ok and result.detail == f"{problem}: the command was not sent"
        assert health(io, "tas").requests == 0


def test_an_mqtt_node_through_the_edge_agent(tmp_path: Path, mosquitto: Mosquitto) -> None:
    """Its readings are flagged and sent as a Modbus node's are, a command switches its relay, and its will counts
    as lost contact: the relay, back, gets its fail-safe state rather than the old command."""
    data = one_greenhouse_site(tmp_path, rules=rules_yaml([])).model_dump(mode="json")
    gh = data["greenhouses"][0]
    gh["buses"].append({"protocol": "mqtt", "id": "wifi", "url": mosquitto.url, "silent_after_s": 900})
    gh["nodes"].append(
        {
            "id": "wifi-climate",
            "bus": "wifi",
            "firmware": "tasmota",
            "topic": "nha-kinh-1",
            "sensors": [_sensor("wifi-temp", "air_temp_c", "AM2301.Temperature")],
            "actuators": [{"id": "wifi-fan", "kind": "fan", "channel": "POWER1"}],
        }
    )
    site = SiteConfig.model_validate(data)
    with stack(tmp_path, mosquitto, site, datetime(2026, 3, 10, 9, 0, tzinfo=TZ), speed=60) as s:
        edge = EdgeThread(s)
        p = s.probe
        try:
            p.wait(lambda: Quality.GOOD in _flags(p, "wifi-temp"), 30, "the node's reading, good")
            assert p.command(GH, "wifi-fan", s.clock.now(), duration_s=1800).outcome == "accepted"
            p.wait(lambda: s.sim.state(GH).actuators["wifi-fan"].on, 10, "the relay on")

            s.sim.inject(NodeOfflineFault(greenhouse=GH, node="wifi-climate"))
            p.wait(
                lambda: any(e.reason is Reason.FAIL_SAFE_CONTACT and e.actuator == "wifi-fan" for e in p.events),
                15,
                "the agent gives up on the node gone",
            )
            assert Quality.STALE in _flags(p, "wifi-temp")
            s.sim.clear_faults()
            p.wait(lambda: not s.sim.state(GH).actuators["wifi-fan"].on, 15, "the relay, back, in its fail-safe state")
            lost = [e for e in p.events if e.reason is Reason.NODE_UNREACHABLE]
            assert [(e.action, e.reason_params) for e in lost] == [("raised", {"node": "wifi-climate"})]
            assert edge.agent.errors == 0, "no pass of the agent failed along the way"
        finally:
            edge.stop()


def _flags(p: Probe, sensor: str) -> set[Quality]:
    return {r.quality for b in p.batches for r in b.readings if r.sensor == sensor}
