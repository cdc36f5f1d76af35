"""Site file entries for the MQTT nodes that announce themselves through Home Assistant MQTT discovery.

Tasmota (SetOption19 1), ESPHome (``mqtt: discovery: true``, the default) and Zigbee2MQTT (``homeassistant:
enabled: true``) each publish, retained, one JSON config per entity on
``homeassistant/<component>/[<node_id>/]<object_id>/config`` (home-assistant.io/integrations/mqtt/, "MQTT
Discovery"): its state and command topics, a ``value_template`` saying where the value is in a JSON payload, its
``device_class`` and ``unit_of_measurement``. Keys may be abbreviated (``stat_t``, ``val_tpl``…) and topics may
start or end with ``~``, which stands for the config's ``~`` value; both are expanded here as Home Assistant does.

Which firmware a node runs is read from the topics, as each firmware lays them out (firmware_sim/mqtt_nodes.py
cites their documentation): ``tele/<topic>/SENSOR`` and ``cmnd/<topic>/POWER<n>`` are Tasmota's,
``<prefix>/sensor/<id>/state`` and ``<prefix>/switch/<id>/command`` ESPHome's, ``<base>/<friendly_name>`` and its
``/set`` Zigbee2MQTT's. What a sensor measures comes from its device class and unit; what has neither a kind of
ours nor a plain JSON path is listed as a comment, not guessed. A switch is written with ``kind: "?"``, which
does not load: only the technician knows whether it drives a valve or a heater.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

import paho.mqtt.client as paho
import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from contract.ha_names import kind_of
from contract.kinds import SensorKind
from contract.mqtt import BrokerUrl, make_client
from contract.reasons import Lang, pick
from contract.site import Firmware, MqttName
from desk import words
from desk.devices import DeskError

log = logging.getLogger(__name__)

# Home Assistant's abbreviations of the keys read here (its documentation lists them all).
_ABBREVIATIONS = {
    "stat_t": "state_topic",
    "cmd_t": "command_topic",
    "val_tpl": "value_template",
    "stat_val_tpl": "state_value_template",
    "dev_cla": "device_class",
    "unit_of_meas": "unit_of_measurement",
    "avty_t": "availability_topic",
    "avty": "availability",
    "uniq_id": "unique_id",
    "obj_id": "object_id",
    "ent_cat": "entity_category",
    "dev": "device",
    "o": "origin",
}
_DEVICE_ABBREVIATIONS = {"ids": "identifiers", "mf": "manufacturer", "mdl": "model", "sw": "sw_version"}

# What a sensor measures, by its device class and unit; its usual span, for the range a site file needs.
_SPAN: dict[SensorKind, tuple[float, float]] = {
    SensorKind.AIR_TEMP_C: (-40, 80),
    SensorKind.AIR_RH_PCT: (0, 100),
    SensorKind.SOIL_VWC_PCT: (0, 100),
    SensorKind.ILLUMINANCE_LUX: (0, 200000),
    SensorKind.CO2_PPM: (0, 10000),
    SensorKind.SOLAR_W_M2: (0, 2000),
    SensorKind.RAIN_MM_H: (0, 300),
    SensorKind.RAIN_TOTAL_MM: (0, 100000),
    SensorKind.WIND_M_S: (0, 60),
    SensorKind.WIND_DIRECTION_DEG: (0, 360),
    SensorKind.SOIL_EC_US_CM: (0, 20000),
    SensorKind.SOIL_PH: (0, 14),
    SensorKind.WATER_FLOW_L_MIN: (0, 500),
    SensorKind.WATER_TOTAL_L: (0, 100000000),
    SensorKind.PAR_UMOL_M2_S: (0, 3000),
}
# Kinds measured in the same unit that discovery cannot tell apart: where the sensor hangs says which.
_SAME_UNIT: dict[SensorKind, list[SensorKind]] = {
    SensorKind.AIR_TEMP_C: [SensorKind.LEAF_TEMP_C, SensorKind.SOIL_TEMP_C, SensorKind.OUTDOOR_TEMP_C],
    SensorKind.AIR_RH_PCT: [SensorKind.OUTDOOR_RH_PCT],
}
# About the device itself, not the greenhouse.
_DIAGNOSTIC_CLASSES = {"battery", "signal_strength", "voltage", "timestamp", "duration", "data_size", "enum"}
_DIAGNOSTIC_UNITS = {"lqi", "dBm", "dB"}

# ``{{ value_json.a.b }}``, ``{{value_json['a'].b}}``, ``{{ value_json["a"]["b"] | float | round(1) }}``.
_TEMPLATE = re.compile(r"\{\{\s*value_json(?P<path>(?:\.\w+|\[\s*(['\"])[^'\"]+\2\s*\])+)\s*(?P<filters>\|[^{}]*)?\}\}")
_ACCESSOR = re.compile(r"\.(\w+)|\[\s*['\"]([^'\"]+)['\"]\s*\]")
# Filters that only convert or round: the value is still the one at the path.
_PLAIN_FILTERS = re.compile(r"(\|\s*(float|int|round)\s*(\(\s*[\d.]*\s*\))?\s*)*")
_NAME = TypeAdapter(MqttName)
_ID_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_ID_MAX = 63


class Skip(StrEnum):
    """Why an entity was not made into a sensor or an actuator."""

    NOT_A_READING = "not_a_reading"  # battery, link quality: about the device
    UNKNOWN_KIND = "unknown_kind"  # a device class and unit none of our sensor kinds has
    CALCULATED = "calculated"  # its value template computes something: to be described by hand
    UNUSABLE_NAME = "unusable_name"  # a name with spaces, '/', '#' or '+', which a site file cannot hold
    OTHER_COMPONENT = "other_component"  # neither a sensor nor a switch (a binary sensor, a light, a button…)
    UNKNOWN_TOPICS = "unknown_topics"  # topics laid out as none of the three firmwares lays them out


class Entity(BaseModel):
    """One discovery config, its keys expanded."""

    model_config = ConfigDict(frozen=True)

    config_topic: str
    component: str
    name: str = ""
    state_topic: str | None = None
    command_topic: str | None = None
    value_template: str | None = None
    device_class: str | None = None
    unit: str | None = None
    entity_category: str | None = None
    device_name: str = ""
    device_model: str = ""

    @property
    def label(self) -> str:
        """Its name, or else its object id (the discovery topic's last part before ``config``)."""
        return self.name or self.config_topic.split("/")[-2]


class FoundSensor(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    name: str
    kind: SensorKind
    unit: str | None


class FoundSwitch(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: str
    name: str


class Skipped(BaseModel):
    model_config = ConfigDict(frozen=True)

    entity: Entity
    why: Skip
    detail: str = ""  # the template, the name, the field: what the technician looks at


class FoundNode(BaseModel):
    """The entities of one node, grouped by the firmware and name its topics show."""

    firmware: Firmware | None  # None: topics none of the three firmwares would use
    topic: str  # Tasmota's topic, ESPHome's prefix, Zigbee2MQTT's friendly name
    name: str = ""
    model: str = ""
    sensors: list[FoundSensor] = []
    switches: list[FoundSwitch] = []
    skipped: list[Skipped] = []


# -- reading the broker -------------------------------------------------------------------------------------------
def discover(
    broker: BrokerUrl, wait_s: float, prefix: str = "homeassistant", zigbee2mqtt_base: str = "zigbee2mqtt"
) -> list[FoundNode]:
    """The nodes whose discovery configs are on ``broker`` (retained, or published within ``wait_s`` seconds)."""
    configs: dict[str, bytes] = {}
    lock = threading.Lock()
    connected = threading.Event()
    refused: list[str] = []

    def on_connect(client: paho.Client, _u: object, _f: object, reason: Any, _p: object) -> None:
        if reason.is_failure:
            refused.append(str(reason))
        else:
            client.subscribe(f"{prefix}/#", qos=1)
        connected.set()

    def on_message(_c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        with lock:
            configs[message.topic] = message.payload

    client = make_client(broker, f"greenhouse-import-ha-{os.getpid()}")
    client.on_connect = on_connect
    client.on_message = on_message
    try:
        client.connect(broker.host, broker.port)
    except OSError as exc:
        raise DeskError(words.HA_BROKER, broker=str(broker), detail=exc.strerror or exc) from None
    client.loop_start()
    try:
        if not connected.wait(10) or refused:
            raise DeskError(words.HA_BROKER, broker=str(broker), detail=", ".join(refused) or "no answer")
        # Retained configs come at once; the wait catches devices announcing themselves now.
        time.sleep(wait_s)
    finally:
        client.disconnect()
        client.loop_stop()
    with lock:
        found = dict(configs)
    entities = [e for topic in sorted(found) if (e := entity_of(topic, found[topic], prefix)) is not None]
    return group(entities, zigbee2mqtt_base)


def entity_of(topic: str, payload: bytes, prefix: str = "homeassistant") -> Entity | None:
    """The entity a discovery message describes; None for other topics, removed configs and unreadable ones."""
    parts = topic.split("/")
    if parts[0] != prefix or parts[-1] != "config" or len(parts) not in (4, 5) or not payload:
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        log.warning("discovery config is not JSON", extra={"topic": topic})
        return None
    if not isinstance(data, dict):
        return None
    config = _expanded(data)
    device = config.get("device") if isinstance(config.get("device"), dict) else {}
    text = {k: v for k, v in config.items() if isinstance(v, str)}
    return Entity(
        config_topic=topic,
        component=parts[1],
        name=text.get("name", ""),
        state_topic=text.get("state_topic"),
        command_topic=text.get("command_topic"),
        value_template=text.get("value_template") or text.get("state_value_template"),
        device_class=text.get("device_class"),
        unit=_unit(text.get("unit_of_measurement")),
        entity_category=text.get("entity_category"),
        device_name=str(device.get("name", "")),
        device_model=str(device.get("model", "")),
    )


def _expanded(data: dict[str, Any]) -> dict[str, Any]:
    """Abbreviated keys in full, and ``~`` in topics replaced by the base topic, as Home Assistant reads them."""
    config = {_ABBREVIATIONS.get(k, k): v for k, v in data.items()}
    base = config.pop("~", None)
    if isinstance(config.get("device"), dict):
        config["device"] = {_DEVICE_ABBREVIATIONS.get(k, k): v for k, v in config["device"].items()}
    if isinstance(base, str):
        for key, value in config.items():
            if key.endswith("_topic") and isinstance(value, str):
                if value.startswith("~"):
                    config[key] = base + value[1:]
                elif value.endswith("~"):
                    config[key] = value[:-1] + base
    return config


def _unit(unit: str | None) -> str | None:
    # The Greek mu and the micro sign look alike; Home Assistant writes the micro sign.
    return None if unit in (None, "") else unit.replace("μ", "µ")


# -- which node, which firmware -----------------------------------------------------------------------------------
def group(entities: Iterable[Entity], zigbee2mqtt_base: str = "zigbee2mqtt") -> list[FoundNode]:
    nodes: dict[tuple[Firmware | None, str], FoundNode] = {}
    for entity in entities:
        firmware, topic = _node_of(entity, zigbee2mqtt_base)
        node = nodes.setdefault((firmware, topic), FoundNode(firmware=firmware, topic=topic))
        # Not every config of a device repeats its name and model.
        node.name = node.name or entity.device_name
        node.model = node.model or entity.device_model
        _add(node, entity, zigbee2mqtt_base)
    # Those to paste first, then those only listed.
    return sorted(nodes.values(), key=lambda n: (not _importable(n), n.topic))


def _node_of(entity: Entity, base: str) -> tuple[Firmware | None, str]:
    for topic in (entity.state_topic, entity.command_topic):
        if topic is None:
            continue
        z2m = re.fullmatch(re.escape(base) + r"/(.+?)(?:/[^/]+)?/set", topic) or re.fullmatch(
            re.escape(base) + r"/(.+)", topic
        )
        if z2m is not None and not z2m[1].startswith("bridge"):
            return Firmware.ZIGBEE2MQTT, z2m[1]
        tasmota = re.fullmatch(r"(?:tele|stat|cmnd)/([^/]+)/[^/]+", topic)
        if tasmota is not None:
            return Firmware.TASMOTA, tasmota[1]
        esphome = re.fullmatch(r"([^/]+)/[a-z_]+/([^/]+)/(?:state|command)", topic)
        if esphome is not None:
            return Firmware.ESPHOME, esphome[1]
    return None, entity.device_name or entity.state_topic or entity.config_topic


def _add(node: FoundNode, entity: Entity, base: str) -> None:
    def skip(why: Skip, detail: str = "") -> None:
        node.skipped.append(Skipped(entity=entity, why=why, detail=detail))

    if node.firmware is None:
        return skip(Skip.UNKNOWN_TOPICS, entity.state_topic or entity.command_topic or "")
    if not _valid_name(node.topic):
        return skip(Skip.UNUSABLE_NAME, node.topic)
    if entity.component == "sensor":
        return _add_sensor(node, entity, skip)
    if entity.component == "switch":
        channel = _channel(node.firmware, entity, base)
        if channel is None or not _valid_name(channel):
            return skip(Skip.UNUSABLE_NAME, channel or entity.command_topic or "")
        node.switches.append(FoundSwitch(channel=channel, name=entity.name))
        return None
    return skip(Skip.OTHER_COMPONENT, entity.component)


def _add_sensor(node: FoundNode, entity: Entity, skip: Callable[[Skip, str], None]) -> None:
    about_device = entity.device_class in _DIAGNOSTIC_CLASSES or entity.unit in _DIAGNOSTIC_UNITS
    if entity.entity_category is not None or about_device:
        return skip(Skip.NOT_A_READING, "")
    if node.firmware is Firmware.ESPHOME:
        # A plain number on <prefix>/sensor/<id>/state: the id is the field.
        match = re.fullmatch(r"[^/]+/sensor/([^/]+)/state", entity.state_topic or "")
        field = match[1] if match else None
    else:
        field = field_of(entity.value_template or "")
        if field is None:
            return skip(Skip.CALCULATED, entity.value_template or "-")
    if field is None or not _valid_name(field):
        return skip(Skip.UNUSABLE_NAME, field or entity.state_topic or "")
    kind = kind_of(entity.device_class, entity.unit)
    if kind is None:
        return skip(Skip.UNKNOWN_KIND, field)
    node.sensors.append(FoundSensor(field=field, name=entity.name, kind=kind, unit=entity.unit))
    return None


def field_of(template: str) -> str | None:
    """The JSON path a value template reads (``AM2301.Temperature``); None when it does more than read one value."""
    match = _TEMPLATE.fullmatch(template.strip())
    if match is None or not _PLAIN_FILTERS.fullmatch(match["filters"] or ""):
        return None
    return ".".join(dot or bracket for dot, bracket in _ACCESSOR.findall(match["path"]))


def _channel(firmware: Firmware, entity: Entity, base: str) -> str | None:
    command = entity.command_topic or ""
    if firmware is Firmware.TASMOTA:
        match = re.fullmatch(r"cmnd/[^/]+/(POWER\d*)", command, flags=re.IGNORECASE)
        if match is None:
            return None
        power = match[1].upper()
        return "POWER1" if power == "POWER" else power
    if firmware is Firmware.ESPHOME:
        match = re.fullmatch(r"[^/]+/switch/([^/]+)/command", command)
        return match[1] if match else None
    # Zigbee2MQTT: the state key the template reads ("state", "state_l2"), or the endpoint's in the command topic.
    key = field_of(entity.value_template or "")
    if key is not None:
        return key
    endpoint = re.fullmatch(re.escape(base) + r"/[^/]+/([^/]+)/set", command)
    return f"state_{endpoint[1]}" if endpoint else "state"


def _valid_name(name: str) -> bool:
    try:
        _NAME.validate_python(name)
    except ValidationError:
        return False
    return True


# -- writing the site file's entries ------------------------------------------------------------------------------
def site_entries(found: list[FoundNode], bus_id: str, lang: Lang = "vi") -> str:
    """YAML to paste under a greenhouse's ``nodes:``: one node per device, what was not imported as comments."""
    used: set[str] = set()
    lines = [pick(words.HA_HEADER, lang).format(n=sum(1 for n in found if _importable(n)), bus=bus_id)]
    if any(n.sensors for n in found):
        lines.append(pick(words.HA_RANGE, lang))
    if any(n.switches for n in found):
        lines.append(pick(words.HA_SET_KIND, lang))
    for node in found:
        lines += _node_lines(node, bus_id, lang, used)
    return "\n".join(lines) + "\n"


def _importable(node: FoundNode) -> bool:
    return node.firmware is not None and bool(node.sensors or node.switches)


def _node_lines(node: FoundNode, bus_id: str, lang: Lang, used: set[str]) -> list[str]:
    name = node.name if node.name != node.topic else ""
    about = " ".join(x for x in (name, f"({node.model})" if node.model else "") if x)
    if not _importable(node):
        lines = [pick(words.HA_NOTHING, lang).format(node=" ".join(x for x in (node.topic, about) if x))]
        return lines + [_skipped_line(s, lang) for s in node.skipped]
    assert node.firmware is not None
    node_id = _unique_id(node.topic, used)
    lines = [
        f"- id: {node_id}",
        f"  bus: {bus_id}",
        f"  firmware: {node.firmware.value}",
        f"  topic: {_scalar(node.topic)}",
    ]
    if about:
        lines.append(f"  # {about}")
    if node.sensors:
        lines.append("  sensors:")
    for sensor in node.sensors:
        low, high = _SPAN[sensor.kind]
        entry = {
            "id": _unique_id(f"{node_id}-{sensor.field}", used),
            "name": sensor.name or None,
            "kind": sensor.kind.value,
            "field": sensor.field,
            "range": {"min": low, "max": high},
        }
        lines.append(f"    - {_flow(entry)}")
        others = _SAME_UNIT.get(sensor.kind)
        if others:
            also = ", ".join(k.value for k in others)
            lines.append(f"      {pick(words.HA_SAME_UNIT, lang).format(unit=sensor.unit, others=also)}")
    if node.switches:
        lines.append("  actuators:")
    for switch in node.switches:
        entry = {
            "id": _unique_id(f"{node_id}-{switch.channel}", used),
            "name": switch.name or None,
            "kind": "?",
            "channel": switch.channel,
        }
        lines.append(f"    - {_flow(entry)}  {pick(words.HA_KIND_HERE, lang)}")
    return lines + [_skipped_line(s, lang) for s in node.skipped]


def _skipped_line(skipped: Skipped, lang: Lang) -> str:
    e = skipped.entity
    text = pick(_SKIP_WORDS[skipped.why], lang).format(
        what=e.label,
        detail=skipped.detail,
        component=e.component,
        device_class=e.device_class or "-",
        unit=e.unit or "-",
    )
    return f"  {text}"


_SKIP_WORDS = {
    Skip.NOT_A_READING: words.HA_SKIP_NOT_READING,
    Skip.UNKNOWN_KIND: words.HA_SKIP_UNKNOWN_KIND,
    Skip.CALCULATED: words.HA_SKIP_CALCULATED,
    Skip.UNUSABLE_NAME: words.HA_SKIP_NAME,
    Skip.OTHER_COMPONENT: words.HA_SKIP_COMPONENT,
    Skip.UNKNOWN_TOPICS: words.HA_SKIP_TOPICS,
}


def _unique_id(text: str, used: set[str]) -> str:
    """An id of the site file's form made from a name, not yet used in this output."""
    base = _ID_UNSAFE.sub("-", text.lower()).strip("-_")[: _ID_MAX - 4] or "node"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate


def _scalar(value: object) -> str:
    """A YAML scalar that reads back as ``value``: plain where it can be, quoted otherwise ("ON" is a boolean)."""
    if isinstance(value, str):
        plain = re.fullmatch(r"[A-Za-z0-9_.-]+", value) is not None and yaml.safe_load(value) == value
        return value if plain else json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _flow(entry: dict[str, Any]) -> str:
    parts = []
    for key, value in entry.items():
        if value is None:
            continue
        shown = _flow(value) if isinstance(value, dict) else _scalar(value)
        parts.append(f"{key}: {shown}")
    return "{" + ", ".join(parts) + "}"
