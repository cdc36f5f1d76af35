"""How the MQTT nodes' firmware names its topics and writes its payloads: which topics a node's messages arrive on,
what each message says, and the command that switches an output. Pure: bytes in, ``Heard`` out.

As each firmware documents them (read there; nothing copied):
- Tasmota (https://tasmota.github.io/docs/MQTT/): topics are ``<prefix>/<topic>/<what>``, prefix ``cmnd`` for
  commands in, ``stat`` for answers, ``tele`` for what it sends every TelePeriod. ``tele/<topic>/SENSOR`` is JSON
  with one object per sensor ({"Time":…, "AM2301":{"Temperature":22.3,"Humidity":55.1}, "TempUnit":"C"});
  ``tele/<topic>/STATE`` carries "POWER1":"ON"… (only "POWER" on a one-relay device); a command
  ``cmnd/<topic>/POWER<n>`` ON|OFF is answered on ``stat/<topic>/RESULT`` {"POWER1":"ON"} and
  ``stat/<topic>/POWER<n>`` ON|OFF; its last will is ``tele/<topic>/LWT`` Online|Offline, retained.
- ESPHome's MQTT client (https://esphome.io/components/mqtt.html): the topic prefix is the node's name by default;
  ``<prefix>/sensor/<object id>/state`` is the number as text ("nan" for no reading, "None" since
  esphome/esphome#7768), ``<prefix>/switch/<object id>/state`` ON|OFF, commands on
  ``<prefix>/switch/<object id>/command``; birth and will ``<prefix>/status`` online|offline, retained.
- Zigbee2MQTT (https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html,
  https://www.zigbee2mqtt.io/guide/configuration/device-availability.html): ``<base>/<friendly name>`` is the
  device's state as JSON ({"temperature":21.5,"humidity":60,"battery":90,"linkquality":120,"state":"ON"}); commands
  ``<base>/<friendly name>/set`` {"state":"ON"} ({"state_l2":"ON"} for a second channel); availability
  ``<base>/<friendly name>/availability`` {"state":"online"} (plain "online" before 2.0), retained; the bridge's
  own ``<base>/bridge/state`` says the same of Zigbee2MQTT itself.

Parsing is strict (``contract.wire``): a payload that is not what the firmware sends is a problem, counted by the
bus, never a value.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from pydantic import BaseModel, ConfigDict, FiniteFloat, JsonValue, RootModel

from contract.site import Firmware, MqttBus, Node
from contract.wire import WireError, decode

# A Tasmota SENSOR with a dozen probes is under 2 KB; past this a payload is not a node's.
MAX_JSON_BYTES = 16 * 1024
MAX_TEXT_BYTES = 64
_ON_OFF = {b"ON": True, b"OFF": False}
# ESPHome's words for "no reading": the sensor answered with no number.
_NO_READING = (b"nan", b"None")


class _Object(RootModel[dict[str, JsonValue]]):
    pass


class _Number(RootModel[FiniteFloat]):
    pass


class _Availability(BaseModel):
    model_config = ConfigDict(extra="ignore")

    state: Literal["online", "offline"]


@dataclass(frozen=True)
class Heard:
    """What one message says; each part only where the message tells it."""

    online: bool | None = None  # the node's availability
    bridge_online: bool | None = None  # Zigbee2MQTT's own
    readings: dict[str, float | None] = field(default_factory=dict)  # sensor id → raw value (None: no number)
    outputs: dict[str, bool] = field(default_factory=dict)  # actuator id → on
    problem: str | None = None  # what is wrong with it (not JSON, a wrong type…): counted, never a value


Parser = Callable[[bytes], Heard]


class Dialect(ABC):
    """One node's topics (exact, no wildcards: only its own messages count as hearing from it) and commands."""

    def __init__(self, node: Node) -> None:
        assert node.topic is not None  # a node on an MQTT bus (Node._addresses_unique)
        self.node = node
        self.name = node.topic
        self.sensors: dict[str, list[str]] = {}  # field → sensor ids
        for s in node.sensors:
            assert s.field is not None
            self.sensors.setdefault(s.field, []).append(s.id)
        self.channels: dict[str, list[str]] = {}  # channel → actuator ids
        for a in node.actuators:
            assert a.channel is not None
            self.channels.setdefault(a.channel, []).append(a.id)
        self.topics: dict[str, Parser] = {}
        # Topics read for the node that it does not publish itself (Zigbee2MQTT's bridge): not hearing from it.
        self.shared: set[str] = set()

    @abstractmethod
    def command(self, channel: str, on: bool) -> tuple[str, bytes]:
        """The topic and payload that switch ``channel`` on or off."""

    @property
    def where(self) -> str:
        return f"{self.node.firmware} node {self.name!r}"

    def _unreadable(self, problem: str) -> Heard:
        """A message that gives every sensor's value, unreadable: none of them has one now (the last ones are
        older than what the node just said)."""
        return Heard(readings={sid: None for ids in self.sensors.values() for sid in ids}, problem=problem)

    def _fields(self, obj: dict[str, JsonValue]) -> tuple[dict[str, float | None], list[str]]:
        """Every sensor's value in a JSON message that gives them all: a number, or None where the field is
        absent or null (the firmware left out a sensor that failed), or wrong (a problem)."""
        readings: dict[str, float | None] = {}
        problems: list[str] = []
        for path, ids in self.sensors.items():
            value, problem = _number_at(obj, path)
            if problem:
                problems.append(problem)
            readings.update(dict.fromkeys(ids, value))
        return readings, problems

    def _states(
        self, obj: dict[str, JsonValue], keys: Callable[[str], tuple[str, ...]]
    ) -> tuple[dict[str, bool], list[str]]:
        """Each output's ON/OFF under one of ``keys(channel)``, where the message has it."""
        outputs: dict[str, bool] = {}
        problems: list[str] = []
        for channel, ids in self.channels.items():
            for key in keys(channel):
                if key not in obj:
                    continue
                seen = obj[key]
                if seen in ("ON", "OFF"):
                    outputs.update(dict.fromkeys(ids, seen == "ON"))
                else:
                    problems.append(f"{key}: {_shown(seen)} is not ON or OFF")
        return outputs, problems

    def _switch_text(self, channel: str, payload: bytes) -> Heard:
        on = _ON_OFF.get(payload)
        if on is None:
            return Heard(problem=f"{_shown(payload)} is not ON or OFF")
        return Heard(outputs=dict.fromkeys(self.channels[channel], on))


class Tasmota(Dialect):
    def __init__(self, node: Node) -> None:
        super().__init__(node)
        t = self.name
        self.topics = {
            f"tele/{t}/SENSOR": self._sensor,
            f"tele/{t}/STATE": self._power,
            f"stat/{t}/RESULT": self._power,
            f"tele/{t}/LWT": lambda p: _availability(p, b"Online", b"Offline"),
        }
        for channel in self.channels:
            for key in _power_keys(channel):
                self.topics[f"stat/{t}/{key}"] = partial(self._switch_text, channel)

    def command(self, channel: str, on: bool) -> tuple[str, bytes]:
        return f"cmnd/{self.name}/{channel}", b"ON" if on else b"OFF"

    def _sensor(self, payload: bytes) -> Heard:
        obj = _object(payload)
        if isinstance(obj, str):
            return self._unreadable(obj)
        readings, problems = self._fields(obj)
        unit = obj.get("TempUnit", "C")
        if unit != "C":
            # Set to Fahrenheit (SetOption8 1), its temperatures are not the °C every sensor kind here is in.
            hot = [p for p in self.sensors if p.rsplit(".", 1)[-1] in ("Temperature", "DewPoint")]
            readings.update({sid: None for p in hot for sid in self.sensors[p]})
            if hot:
                problems.append(f"TempUnit is {_shown(unit)}, not C: set the device to Celsius (SetOption8 0)")
        return Heard(readings=readings, problem="; ".join(problems) or None)

    def _power(self, payload: bytes) -> Heard:
        obj = _object(payload)
        if isinstance(obj, str):
            return Heard(problem=obj)
        outputs, problems = self._states(obj, _power_keys)
        return Heard(outputs=outputs, problem="; ".join(problems) or None)


class EspHome(Dialect):
    def __init__(self, node: Node) -> None:
        super().__init__(node)
        p = self.name
        self.topics = {f"{p}/status": lambda b: _availability(b, b"online", b"offline")}
        for path, ids in self.sensors.items():
            self.topics[f"{p}/sensor/{path}/state"] = partial(_esphome_number, ids=ids)
        for channel in self.channels:
            self.topics[f"{p}/switch/{channel}/state"] = partial(self._switch_text, channel)

    def command(self, channel: str, on: bool) -> tuple[str, bytes]:
        return f"{self.name}/switch/{channel}/command", b"ON" if on else b"OFF"


class Zigbee2Mqtt(Dialect):
    def __init__(self, node: Node, base: str) -> None:
        super().__init__(node)
        self.base = base
        device, bridge = f"{base}/{self.name}", f"{base}/bridge/state"
        self.topics = {
            device: self._state,
            f"{device}/availability": lambda b: _z2m_availability(b, bridge=False),
            bridge: lambda b: _z2m_availability(b, bridge=True),
        }
        self.shared = {bridge}

    def command(self, channel: str, on: bool) -> tuple[str, bytes]:
        return f"{self.base}/{self.name}/set", json.dumps(
            {channel: "ON" if on else "OFF"}, separators=(",", ":")
        ).encode()

    def _state(self, payload: bytes) -> Heard:
        obj = _object(payload)
        if isinstance(obj, str):
            return self._unreadable(obj)
        readings, problems = self._fields(obj)
        outputs, more = self._states(obj, lambda channel: (channel,))
        return Heard(readings=readings, outputs=outputs, problem="; ".join(problems + more) or None)


def dialect(node: Node, bus: MqttBus) -> Dialect:
    if node.firmware is Firmware.TASMOTA:
        return Tasmota(node)
    if node.firmware is Firmware.ESPHOME:
        return EspHome(node)
    return Zigbee2Mqtt(node, bus.zigbee2mqtt_base)


def _power_keys(channel: str) -> tuple[str, ...]:
    """Tasmota names its first relay POWER1, or POWER on a device with one: either is the same output."""
    return ("POWER1", "POWER") if channel in ("POWER", "POWER1") else (channel,)


def _object(payload: bytes) -> dict[str, JsonValue] | str:
    """A JSON object, or what is wrong with the payload."""
    parsed = decode(_Object, payload, MAX_JSON_BYTES)
    if isinstance(parsed, WireError):
        return f"{parsed.problem.value}: {parsed.detail}"
    return parsed.root


def _number_at(obj: dict[str, JsonValue], path: str) -> tuple[float | None, str | None]:
    """The number at a dotted path ("AM2301.Temperature"): (value, None), (None, None) where there is none, or
    (None, the problem) where something else is."""
    here: JsonValue = obj
    for part in path.split("."):
        if not isinstance(here, dict) or part not in here:
            return None, None
        here = here[part]
    if here is None:
        return None, None
    if isinstance(here, bool) or not isinstance(here, int | float):
        return None, f"{path}: {_shown(here)} is not a number"
    if not math.isfinite(here):
        return None, f"{path}: {here} is not a finite number"
    return float(here), None


def _esphome_number(payload: bytes, ids: list[str]) -> Heard:
    if payload in _NO_READING:
        return Heard(readings=dict.fromkeys(ids, None))
    parsed = decode(_Number, payload, MAX_TEXT_BYTES)
    if isinstance(parsed, WireError):
        return Heard(
            readings=dict.fromkeys(ids, None), problem=f"{parsed.problem.value}: {_shown(payload)} is not a number"
        )
    return Heard(readings=dict.fromkeys(ids, parsed.root))


def _availability(payload: bytes, online: bytes, offline: bytes) -> Heard:
    if payload in (online, offline):
        return Heard(online=payload == online)
    return Heard(problem=f"availability {_shown(payload)} is neither {online.decode()} nor {offline.decode()}")


def _z2m_availability(payload: bytes, bridge: bool) -> Heard:
    if payload in (b"online", b"offline"):
        state = payload.decode()
    else:
        parsed = decode(_Availability, payload, MAX_TEXT_BYTES)
        if isinstance(parsed, WireError):
            return Heard(problem=f"availability: {parsed.detail}")
        state = parsed.state
    return Heard(bridge_online=state == "online") if bridge else Heard(online=state == "online")


def _shown(value: object) -> str:
    """A value as a technician reads it in a detail, cut short."""
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    else:
        text = value if isinstance(value, str) else json.dumps(value)
    return repr(text[:40] + "…" if len(text) > 40 else text)
