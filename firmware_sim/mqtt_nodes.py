"""Simulated MQTT field nodes: ESP boards running Tasmota or ESPHome, and Zigbee devices behind Zigbee2MQTT, each on
the greenhouse's own broker (the bus's ``url``; the simulator starts no broker) with the topics and payloads the real
firmware uses. One paho client per node, its will set as the firmware sets it.

What each firmware does, from its documentation:

- Tasmota (tasmota.github.io/docs/MQTT/, docs/Commands/ TelePeriod, SetOption19): with the default FullTopic
  ``%prefix%/%topic%/``, readings as JSON on ``tele/<topic>/SENSOR`` every TelePeriod (300 s by default), e.g.
  ``{"Time":"2026-01-15T10:05:00","AM2301":{"Temperature":22.3,"Humidity":55.1},"TempUnit":"C"}``, the relays in
  ``tele/<topic>/STATE``; commands ``cmnd/<topic>/POWER<n>`` ON, OFF, TOGGLE (empty: only report), answered on
  ``stat/<topic>/RESULT`` and ``stat/<topic>/POWER<n>``; the will ``tele/<topic>/LWT`` "Offline", retained, and
  "Online" published there on connecting. A failed sensor reads null.
- ESPHome (esphome.io/components/mqtt): topics under the node's ``topic_prefix``: a sensor's state as a plain
  number on ``<prefix>/sensor/<id>/state`` ("nan" when it has none), a switch's ON/OFF on
  ``<prefix>/switch/<id>/state``, both retained; commands on ``<prefix>/switch/<id>/command``; birth "online" and
  will "offline" on ``<prefix>/status``, retained.
- Zigbee2MQTT (zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html, and each device's "Exposes"): one JSON
  message per device on ``<base>/<friendly_name>`` with every value it has ({"temperature":…, "humidity":…,
  "linkquality":…, "state_l2":"ON"}); commands on ``<base>/<friendly_name>/set`` as {"state_l2":"ON"} (or, for
  an endpoint, on ``<base>/<friendly_name>/l2/set``); the device's availability {"state":"online"|"offline"},
  retained, on ``<base>/<friendly_name>/availability``, published by the bridge when the device stops or starts
  answering; the bridge's own will is {"state":"offline"} on ``<base>/bridge/state``.
- Home Assistant MQTT discovery (home-assistant.io/integrations/mqtt/, "MQTT Discovery"): a retained JSON config per
  entity on ``homeassistant/<component>/[<node_id>/]<object_id>/config``. Tasmota (SetOption19 1) and ESPHome send
  it with abbreviated keys (``stat_t``, ``cmd_t``, ``val_tpl``, ``dev_cla``, ``unit_of_meas``…), Zigbee2MQTT with
  the full names; each is reproduced here in its own style, for ``desk.ha_discovery`` and its tests.

A node that goes offline (fault ``node_offline``) drops its connection with MQTT 5's "disconnect with will message",
so that the broker publishes its will as when the board loses power, and connects again when the fault ends; on
Zigbee2MQTT, where the bridge stays connected, the device's availability turns "offline". Relays hold their state
meanwhile (none of these firmwares has a watchdog on its relays). Fault ``mqtt_garbage`` turns the readings into
payloads that cannot be parsed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import queue
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import BaseModel, ConfigDict, Field

from contract.ha_names import HA_NAMES
from contract.kinds import SensorKind
from contract.mqtt import make_client
from contract.site import Actuator, Firmware, Greenhouse, MqttBus, MqttName, Node, Sensor
from firmware_sim.nodes import raw_value
from firmware_sim.physics import ActuatorState

log = logging.getLogger(__name__)

# Tasmota's TelePeriod out of the box.
TELE_PERIOD_S = 300.0

# Decimals each firmware reports by default (Tasmota's TempRes and HumRes are 1; Zigbee2MQTT gives 2): counts and
# large quantities are whole numbers.
_WHOLE = {SensorKind.CO2_PPM, SensorKind.ILLUMINANCE_LUX, SensorKind.SOIL_EC_US_CM, SensorKind.WIND_DIRECTION_DEG}

# MQTT 5's DISCONNECT reason 0x04: the broker publishes the will as if the connection had been lost.
_WITH_WILL = ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")
_DISCONNECT_WAIT_S = 2.0


class MqttOptions(BaseModel):
    """How the simulated MQTT nodes behave: how often they publish, and whether they announce themselves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Simulated seconds between two sets of readings (Tasmota's TelePeriod; ESPHome's update_interval; a Zigbee
    # device's reporting interval).
    period_s: float = Field(default=TELE_PERIOD_S, gt=0, le=86400)
    # Publish Home Assistant discovery configs (retained) on connecting, as each firmware does with discovery on.
    discovery: bool = False
    discovery_prefix: MqttName = "homeassistant"


class MqttBackend(Protocol):
    """What an MQTT node needs from its greenhouse (firmware_sim.server._GreenhouseSim)."""

    def node_offline(self, node_id: str) -> bool: ...

    def mqtt_garbage(self, node_id: str) -> bool: ...

    def sensor_value(self, sensor: Sensor) -> float: ...

    def sim_time_s(self) -> float: ...


@dataclass(frozen=True)
class Message:
    topic: str
    payload: str
    retain: bool = False


class Action(StrEnum):
    ON = "ON"
    OFF = "OFF"
    TOGGLE = "TOGGLE"
    REPORT = "REPORT"  # only say the state (Tasmota's empty command)


def action_of(payload: str) -> Action | None:
    """The firmwares' on/off words, whatever the case; Tasmota's 1/0/2 too."""
    text = payload.strip().upper()
    return Action.REPORT if text == "" else _WORDS.get(text)


_WORDS = {
    "ON": Action.ON,
    "1": Action.ON,
    "OFF": Action.OFF,
    "0": Action.OFF,
    "TOGGLE": Action.TOGGLE,
    "2": Action.TOGGLE,
}


def on_off(on: bool) -> str:
    return "ON" if on else "OFF"


@dataclass(frozen=True)
class Reading:
    """What a node has to say at one moment: each sensor's raw value (None: the probe gives none), each channel's
    relay, the local time and how long the board has been up."""

    values: Mapping[str, float | None]  # sensor id → value
    states: Mapping[str, bool]  # channel → on
    local_time: datetime
    uptime_s: float


class FirmwareFormat(ABC):
    """One firmware's topics and payloads for one node (pure: no client, no clock)."""

    def __init__(self, node: Node, bus: MqttBus, greenhouse_id: str) -> None:
        self.node = node
        self.bus = bus
        self.topic = node.topic or node.id
        self.channels = {a.channel: a for a in node.actuators if a.channel is not None}
        # A made-up but stable hardware id, as Tasmota's MAC or a Zigbee device's IEEE address.
        self.hardware_id = hashlib.sha256(f"{greenhouse_id}/{node.id}".encode()).hexdigest()[:12].upper()

    @property
    @abstractmethod
    def will(self) -> Message: ...

    @abstractmethod
    def online(self, reading: Reading) -> list[Message]:
        """Published on connecting (and when the device answers again)."""

    def offline(self) -> list[Message]:
        """Published when the device stops answering while the connection stays (Zigbee2MQTT's bridge)."""
        return []

    @property
    def drops_connection(self) -> bool:
        """An offline node disconnects (the board itself is gone) rather than being reported offline."""
        return True

    @abstractmethod
    def subscriptions(self) -> list[str]: ...

    @abstractmethod
    def commands(self, topic: str, payload: str) -> list[tuple[str, Action]]:
        """The (channel, action) pairs a message asks for; none when it is not for one of this node's channels."""

    @abstractmethod
    def switched(self, channel: str, reading: Reading) -> list[Message]:
        """The answer to a command on ``channel``."""

    @abstractmethod
    def telemetry(self, reading: Reading) -> list[Message]: ...

    @abstractmethod
    def garbage(self, reading: Reading) -> list[Message]: ...

    def discovery(self, prefix: str) -> list[Message]:
        """Home Assistant discovery configs, retained: one per sensor and one per relay."""
        configs = [self._sensor_config(prefix, s) for s in self.node.sensors]
        configs += [self._switch_config(prefix, n, *pair) for n, pair in enumerate(self.channels.items(), start=1)]
        return [Message(topic, _json(_compact(config)), retain=True) for topic, config in configs]

    @abstractmethod
    def _sensor_config(self, prefix: str, sensor: Sensor) -> tuple[str, dict[str, Any]]:
        """A sensor's discovery topic and config."""

    @abstractmethod
    def _switch_config(self, prefix: str, n: int, channel: str, actuator: Actuator) -> tuple[str, dict[str, Any]]:
        """The discovery topic and config of the ``n``-th relay."""

    def _number(self, sensor: Sensor, value: float | None, decimals: int) -> float | int | None:
        if value is None:
            return None
        return round(value) if sensor.kind in _WHOLE else round(value, decimals)


def _json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _cut(text: str) -> str:
    """A JSON document cut in the middle, as a board out of buffer space sends it."""
    return text[: max(1, len(text) // 2)]


def _compact(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if v is not None}


class Tasmota(FirmwareFormat):
    @property
    def will(self) -> Message:
        return Message(f"tele/{self.topic}/LWT", "Offline", retain=True)

    def online(self, reading: Reading) -> list[Message]:
        return [Message(f"tele/{self.topic}/LWT", "Online", retain=True)]

    def subscriptions(self) -> list[str]:
        return [f"cmnd/{self.topic}/+"]

    def commands(self, topic: str, payload: str) -> list[tuple[str, Action]]:
        command = topic.rsplit("/", 1)[-1].upper()
        command = "POWER1" if command == "POWER" else command  # one relay answers to POWER as to POWER1
        channel = next((c for c in self.channels if c.upper() == command), None)
        action = action_of(payload)
        return [] if channel is None or action is None else [(channel, action)]

    def switched(self, channel: str, reading: Reading) -> list[Message]:
        state = on_off(reading.states[channel])
        return [
            Message(f"stat/{self.topic}/RESULT", _json({channel: state})),
            Message(f"stat/{self.topic}/{channel}", state),
        ]

    def _sensor_json(self, reading: Reading) -> str:
        data: dict[str, Any] = {"Time": reading.local_time.strftime("%Y-%m-%dT%H:%M:%S")}
        for sensor in self.node.sensors:
            assert sensor.field is not None
            *parents, leaf = sensor.field.split(".")
            place = data
            for part in parents:
                place = place.setdefault(part, {})
            place[leaf] = self._number(sensor, reading.values[sensor.id], 1)
        if any(s.kind.unit == "°C" for s in self.node.sensors):
            data["TempUnit"] = "C"
        return _json(data)

    def telemetry(self, reading: Reading) -> list[Message]:
        up = int(reading.uptime_s)
        days, rest = divmod(up, 86400)
        state: dict[str, Any] = {
            "Time": reading.local_time.strftime("%Y-%m-%dT%H:%M:%S"),
            "Uptime": f"{days}T{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}",
            "UptimeSec": up,
            **{channel: on_off(on) for channel, on in reading.states.items()},
            "Wifi": {"AP": 1, "RSSI": 74, "Signal": -63},
        }
        messages = [Message(f"tele/{self.topic}/STATE", _json(state))]
        if self.node.sensors:
            messages.append(Message(f"tele/{self.topic}/SENSOR", self._sensor_json(reading)))
        return messages

    def garbage(self, reading: Reading) -> list[Message]:
        return [Message(f"tele/{self.topic}/SENSOR", _cut(self._sensor_json(reading)))]

    def _common(self) -> dict[str, Any]:
        device = {"ids": [self.hardware_id], "name": self.topic, "mf": "Tasmota", "mdl": "ESP32-DevKit"}
        return {"avty_t": f"tele/{self.topic}/LWT", "pl_avail": "Online", "pl_not_avail": "Offline", "dev": device}

    def _sensor_config(self, prefix: str, sensor: Sensor) -> tuple[str, dict[str, Any]]:
        assert sensor.field is not None
        first, *rest = sensor.field.split(".")
        device_class, unit = HA_NAMES[sensor.kind]
        unique = f"{self.hardware_id}_{sensor.field.replace('.', '_')}"
        config = {
            "name": sensor.label,
            "stat_t": f"tele/{self.topic}/SENSOR",
            "uniq_id": unique,
            "dev_cla": device_class,
            "unit_of_meas": unit,
            "val_tpl": "{{value_json['" + first + "']" + "".join(f".{p}" for p in rest) + "}}",
            **self._common(),
        }
        return f"{prefix}/sensor/{unique}/config", config

    def _switch_config(self, prefix: str, n: int, channel: str, actuator: Actuator) -> tuple[str, dict[str, Any]]:
        unique = f"{self.hardware_id}_RL_{n}"
        config = {
            "name": actuator.label,
            "cmd_t": f"cmnd/{self.topic}/{channel}",
            "stat_t": f"tele/{self.topic}/STATE",
            "val_tpl": "{{value_json." + channel + "}}",
            "pl_on": "ON",
            "pl_off": "OFF",
            "uniq_id": unique,
            **self._common(),
        }
        return f"{prefix}/switch/{unique}/config", config


class EspHome(FirmwareFormat):
    @property
    def will(self) -> Message:
        return Message(f"{self.topic}/status", "offline", retain=True)

    def online(self, reading: Reading) -> list[Message]:
        birth = Message(f"{self.topic}/status", "online", retain=True)
        return [birth, *(m for c in self.channels for m in self.switched(c, reading))]

    def subscriptions(self) -> list[str]:
        return [f"{self.topic}/switch/+/command"]

    def commands(self, topic: str, payload: str) -> list[tuple[str, Action]]:
        match = re.fullmatch(re.escape(self.topic) + r"/switch/([^/]+)/command", topic)
        action = action_of(payload)
        if match is None or match[1] not in self.channels or action in (None, Action.REPORT):
            return []
        assert action is not None
        return [(match[1], action)]

    def switched(self, channel: str, reading: Reading) -> list[Message]:
        return [Message(f"{self.topic}/switch/{channel}/state", on_off(reading.states[channel]), retain=True)]

    def telemetry(self, reading: Reading) -> list[Message]:
        messages = []
        for sensor in self.node.sensors:
            value = self._number(sensor, reading.values[sensor.id], 1)
            messages.append(
                Message(
                    f"{self.topic}/sensor/{sensor.field}/state", "nan" if value is None else str(value), retain=True
                )
            )
        return messages

    def garbage(self, reading: Reading) -> list[Message]:
        return [Message(f"{self.topic}/sensor/{s.field}/state", "ERR:-9", retain=True) for s in self.node.sensors]

    def _device(self) -> dict[str, Any]:
        return {"ids": self.hardware_id, "name": self.topic, "sw": "esphome v2024.12.0", "mdl": "esp32dev",
                "mf": "espressif"}  # fmt: skip

    def _sensor_config(self, prefix: str, sensor: Sensor) -> tuple[str, dict[str, Any]]:
        device_class, unit = HA_NAMES[sensor.kind]
        config = {
            "dev_cla": device_class,
            "unit_of_meas": unit,
            "stat_cla": "measurement",
            "name": sensor.label,
            "stat_t": f"{self.topic}/sensor/{sensor.field}/state",
            "avty_t": f"{self.topic}/status",
            "uniq_id": f"ESPsensor{sensor.field}",
            "dev": self._device(),
        }
        return f"{prefix}/sensor/{self.topic}/{sensor.field}/config", config

    def _switch_config(self, prefix: str, n: int, channel: str, actuator: Actuator) -> tuple[str, dict[str, Any]]:
        config = {
            "name": actuator.label,
            "stat_t": f"{self.topic}/switch/{channel}/state",
            "cmd_t": f"{self.topic}/switch/{channel}/command",
            "avty_t": f"{self.topic}/status",
            "uniq_id": f"ESPswitch{channel}",
            "dev": self._device(),
        }
        return f"{prefix}/switch/{self.topic}/{channel}/config", config


class Zigbee2Mqtt(FirmwareFormat):
    @property
    def base(self) -> str:
        return self.bus.zigbee2mqtt_base

    @property
    def will(self) -> Message:
        return Message(f"{self.base}/bridge/state", _json({"state": "offline"}), retain=True)

    def _availability(self, state: str) -> Message:
        return Message(f"{self.base}/{self.topic}/availability", _json({"state": state}), retain=True)

    def online(self, reading: Reading) -> list[Message]:
        return [
            Message(f"{self.base}/bridge/state", _json({"state": "online"}), retain=True),
            self._availability("online"),
        ]

    def offline(self) -> list[Message]:
        return [self._availability("offline")]

    @property
    def drops_connection(self) -> bool:
        return False  # the bridge stays connected; it reports the device as gone

    def subscriptions(self) -> list[str]:
        return [f"{self.base}/{self.topic}/set", f"{self.base}/{self.topic}/+/set"]

    def commands(self, topic: str, payload: str) -> list[tuple[str, Action]]:
        rest = topic.removeprefix(f"{self.base}/{self.topic}/")
        endpoint = rest.removesuffix("/set") if rest != "set" else None
        try:
            body = json.loads(payload)
        except ValueError:
            body = payload  # a bare ON/OFF sets "state"
        if not isinstance(body, dict):
            body = {"state": str(body)}
        if endpoint is not None:
            body = {f"state_{endpoint}": body["state"]} if "state" in body else {}
        found = []
        for key, value in body.items():
            action = action_of(str(value))
            if key in self.channels and action not in (None, Action.REPORT):
                assert action is not None
                found.append((key, action))
        return found

    def _state(self, reading: Reading) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for sensor in self.node.sensors:
            value = self._number(sensor, reading.values[sensor.id], 2)
            if value is not None:  # a device that has no value for a key leaves it out
                data[str(sensor.field)] = value
        data["linkquality"] = 120
        data.update({channel: on_off(on) for channel, on in reading.states.items()})
        return data

    def switched(self, channel: str, reading: Reading) -> list[Message]:
        return self.telemetry(reading)

    def telemetry(self, reading: Reading) -> list[Message]:
        return [Message(f"{self.base}/{self.topic}", _json(self._state(reading)))]

    def garbage(self, reading: Reading) -> list[Message]:
        return [Message(f"{self.base}/{self.topic}", _cut(_json(self._state(reading))))]

    @property
    def _ieee(self) -> str:
        return "0x" + self.hardware_id.lower().rjust(16, "0")

    def _common(self) -> dict[str, Any]:
        return {
            "availability": [
                {"topic": f"{self.base}/bridge/state", "value_template": "{{ value_json.state }}"},
                {"topic": f"{self.base}/{self.topic}/availability", "value_template": "{{ value_json.state }}"},
            ],
            "availability_mode": "all",
            "device": {"identifiers": [f"zigbee2mqtt_{self._ieee}"], "name": self.topic, "manufacturer": "Tuya",
                       "via_device": "zigbee2mqtt_bridge"},
            "origin": {"name": "Zigbee2MQTT", "sw": "2.1.0", "url": "https://www.zigbee2mqtt.io"},
            "state_topic": f"{self.base}/{self.topic}",
        }  # fmt: skip

    def _sensor_config(self, prefix: str, sensor: Sensor) -> tuple[str, dict[str, Any]]:
        device_class, unit = HA_NAMES[sensor.kind]
        config = {
            "device_class": device_class,
            "unit_of_measurement": unit,
            "state_class": "measurement",
            "value_template": "{{ value_json." + str(sensor.field) + " }}",
            "object_id": f"{self.topic}_{sensor.field}",
            "unique_id": f"{self._ieee}_{sensor.field}_zigbee2mqtt",
            **self._common(),
        }
        return f"{prefix}/sensor/{self._ieee}/{sensor.field}/config", config

    def _switch_config(self, prefix: str, n: int, channel: str, actuator: Actuator) -> tuple[str, dict[str, Any]]:
        # A plug's one relay is "state" on .../set; a relay of a multi-gang device is "state_l2" on .../l2/set.
        endpoint = channel.removeprefix("state_") if channel != "state" else None
        config = {
            "command_topic": f"{self.base}/{self.topic}" + (f"/{endpoint}" if endpoint else "") + "/set",
            "payload_on": "ON",
            "payload_off": "OFF",
            "value_template": "{{ value_json." + channel + " }}",
            "object_id": f"{self.topic}_{channel}",
            "unique_id": f"{self._ieee}_{channel}_zigbee2mqtt",
            **self._common(),
        }
        object_id = "switch" if endpoint is None else f"switch_{endpoint}"
        return f"{prefix}/switch/{self._ieee}/{object_id}/config", config


FORMATS: dict[Firmware, Callable[[Node, MqttBus, str], FirmwareFormat]] = {
    Firmware.TASMOTA: Tasmota,
    Firmware.ESPHOME: EspHome,
    Firmware.ZIGBEE2MQTT: Zigbee2Mqtt,
}


class _Connected:
    pass


class _Disconnected:
    pass


_Note = _Connected | _Disconnected | paho.MQTTMessage


class MqttNode:
    """One node on the broker. paho's thread only queues what it hears; ``tick`` (on the simulator's loop) does the
    rest, so that the actuator states are only touched where the physics reads them."""

    def __init__(
        self,
        fmt: FirmwareFormat,
        client_id: str,
        backend: MqttBackend,
        actuators: dict[str, ActuatorState],
        local_now: Callable[[], datetime],
        options: MqttOptions,
    ) -> None:
        self.fmt = fmt
        self.node = fmt.node
        self.backend = backend
        self.actuators = actuators
        self.local_now = local_now
        self.options = options
        self.broker = fmt.bus.broker
        self.client = make_client(self.broker, client_id, mqtt5=True)
        will = fmt.will
        self.client.will_set(will.topic, will.payload, qos=1, retain=will.retain)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self._notes: queue.SimpleQueue[_Note] = queue.SimpleQueue()
        self._gone = threading.Event()  # the connection has closed (paho's thread)
        self._up = False  # connected, as the simulator's loop last heard
        self._offline = False  # fault node_offline in force
        self._running = False  # the client's network loop runs
        self._booted_s = backend.sim_time_s()
        self._next_s = self._booted_s
        self._values: dict[str, float | None] = {s.id: None for s in self.node.sensors}

    # -- paho's thread ------------------------------------------------------------------------------------------
    def _on_connect(self, client: paho.Client, _u: object, _f: object, reason: ReasonCode, _p: object) -> None:
        if reason.is_failure:
            log.warning("mqtt node refused by the broker", extra={"node": self.node.id, "reason": str(reason)})
            return
        client.subscribe([(t, 1) for t in self.fmt.subscriptions()])
        self._notes.put(_Connected())

    def _on_disconnect(self, _c: paho.Client, _u: object, _f: object, _r: object, _p: object) -> None:
        self._gone.set()
        self._notes.put(_Disconnected())

    def _on_message(self, _c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        self._notes.put(message)

    # -- the simulator's loop -----------------------------------------------------------------------------------
    def start(self) -> None:
        self._gone.clear()
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        self._running = True

    def close(self) -> None:
        """The board is switched off: its will is published."""
        if not self._running:
            return
        if self.client.is_connected():
            self.client.disconnect(reasoncode=_WITH_WILL)
            # Stopping paho's thread before it has sent the DISCONNECT would leave the broker waiting for a keepalive.
            self._gone.wait(_DISCONNECT_WAIT_S)
        self.client.loop_stop()
        self._running = False

    def tick(self) -> None:
        now_s = self.backend.sim_time_s()
        offline = self.backend.node_offline(self.node.id)
        if offline != self._offline:
            self._offline = offline
            self._went_offline() if offline else self._came_back(now_s)
        while True:
            try:
                note = self._notes.get_nowait()
            except queue.Empty:
                break
            if isinstance(note, _Connected):
                self._up = True
                if not self._offline:
                    self._announce(now_s)
                elif not self.fmt.drops_connection:  # the bridge is back, the device still gone
                    self._publish(self.fmt.offline())
            elif isinstance(note, _Disconnected):
                self._up = False
            elif self._up and not self._offline:
                self._command(note.topic, note.payload.decode("utf-8", errors="replace"))
        if self._up and not self._offline and now_s >= self._next_s:
            self._publish_readings(now_s)

    def _reading(self, now_s: float, fresh: bool) -> Reading:
        if fresh:
            for sensor in self.node.sensors:
                value = raw_value(sensor, self.backend.sensor_value(sensor))
                self._values[sensor.id] = None if math.isnan(value) else value
        states = {channel: self.actuators[a.id].on for channel, a in self.fmt.channels.items()}
        return Reading(self._values, states, self.local_now(), now_s - self._booted_s)

    def _announce(self, now_s: float) -> None:
        reading = self._reading(now_s, fresh=True)
        self._publish(self.fmt.online(reading))
        if self.options.discovery:
            self._publish(self.fmt.discovery(self.options.discovery_prefix))
        self._publish_readings(now_s)

    def _publish_readings(self, now_s: float) -> None:
        reading = self._reading(now_s, fresh=True)
        garbage = self.backend.mqtt_garbage(self.node.id)
        self._publish(self.fmt.garbage(reading) if garbage else self.fmt.telemetry(reading))
        self._next_s = now_s + self.options.period_s

    def _command(self, topic: str, payload: str) -> None:
        for channel, action in self.fmt.commands(topic, payload):
            state = self.actuators[self.fmt.channels[channel].id]
            if action is not Action.REPORT:
                state.on = action is Action.ON or (action is Action.TOGGLE and not state.on)
            log.info("mqtt node switched", extra={"node": self.node.id, "channel": channel, "on": state.on})
            self._publish(self.fmt.switched(channel, self._reading(self.backend.sim_time_s(), fresh=False)))

    def _went_offline(self) -> None:
        log.info("mqtt node offline", extra={"node": self.node.id})
        if self.fmt.drops_connection:
            self.close()
            self._up = False
        else:
            self._publish(self.fmt.offline())

    def _came_back(self, now_s: float) -> None:
        log.info("mqtt node back online", extra={"node": self.node.id})
        if self.fmt.drops_connection:
            self._booted_s = now_s  # the board starts again
            self.start()
        elif self._up:
            self._announce(now_s)

    def _publish(self, messages: list[Message]) -> None:
        for m in messages:
            self.client.publish(m.topic, m.payload, qos=0, retain=m.retain)


class MqttNodes:
    """Every node of a greenhouse on one of its MQTT buses."""

    def __init__(
        self,
        greenhouse: Greenhouse,
        backend: MqttBackend,
        actuators: dict[str, ActuatorState],
        local_now: Callable[[], datetime],
        options: MqttOptions,
    ) -> None:
        self.nodes: list[MqttNode] = []
        for node in greenhouse.nodes:
            bus = greenhouse.bus_of(node)
            if node.firmware is None or not isinstance(bus, MqttBus):
                continue
            fmt = FORMATS[node.firmware](node, bus, greenhouse.id)
            client_id = f"sim-{greenhouse.id}-{node.id}"
            self.nodes.append(MqttNode(fmt, client_id, backend, actuators, local_now, options))

    def start(self) -> None:
        for node in self.nodes:
            node.start()

    def tick(self) -> None:
        for node in self.nodes:
            node.tick()

    async def close(self) -> None:
        # Side by side: a node whose broker is gone waits for paho's reconnect pause to end.
        await asyncio.gather(*(asyncio.to_thread(node.close) for node in self.nodes))
