"""Site configuration: one cooperative, its greenhouses, zones, nodes, sensors, actuators.

Loaded from YAML by ``contract.config_file``; every cross-reference (a zone's
valve, an interlock's sensor) is checked here so a typo fails at load time,
not at 3 a.m. when the pump should start.
"""

from __future__ import annotations

from collections import Counter
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from contract.bounds import PhysicalRange, Strict
from contract.compact import UplinkEncoding
from contract.crops import Crop
from contract.devices.encoding import DataType, Encoding, Table
from contract.devices.profile import Baud, DeviceProfile, Parity, ProfileBook, Switch, TimedOn, shipped_profiles
from contract.kinds import ActuatorKind, SensorKind
from contract.messages import MAX_DURATION_S, Id
from contract.mqtt import BrokerUrl
from contract.naming import Named
from contract.validation_words import Mistake, Mistakes

Seconds = Annotated[float, Field(ge=0, le=MAX_DURATION_S)]
# A name inside MQTT topics or JSON: printable, no wildcards or separators that would change the topic's meaning.
MqttName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\s#+/\x00]+$")]


class Firmware(StrEnum):
    """What an MQTT node runs: each names its topics and payloads its own way."""

    TASMOTA = "tasmota"
    ESPHOME = "esphome"
    ZIGBEE2MQTT = "zigbee2mqtt"


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise Mistake(
            f"không có múi giờ {value!r} (dùng tên IANA, ví dụ Asia/Ho_Chi_Minh)",
            f"unknown time zone {value!r} (use an IANA name such as Asia/Ho_Chi_Minh)",
        ) from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]


class Calibration(Strict):
    """calibrated = raw × scale + offset"""

    scale: float = 1.0
    offset: float = 0.0

    def apply(self, raw: float) -> float:
        return raw * self.scale + self.offset


class Sensor(Named):
    kind: SensorKind
    # Where and how a Modbus node holds the raw value, given one of three ways: a value of the node's device profile
    # by its key ("point": "temperature", which fills in encoding, kind and range), the "encoding" itself, or the
    # generic layout of earlier site files, a float32 in two input registers from "input_register".
    encoding: Encoding | None = None
    point: Id | None = None
    # Where an MQTT node (Tasmota, ESPHome, Zigbee2MQTT) gives the value: the JSON field of its readings
    # ("AM2301.Temperature" in Tasmota's SENSOR message, "temperature" in Zigbee2MQTT's) or ESPHome's sensor id.
    field: MqttName | None = None
    input_register: int | None = Field(default=None, ge=0, le=65534)
    calibration: Calibration = Calibration()
    range: PhysicalRange
    # Largest plausible change between two consecutive reads; larger is a spike.
    spike_delta: float | None = Field(default=None, gt=0)
    # No change at all for this long means a stuck sensor.
    flatline_after_s: Seconds | None = None
    # A value older than this may not drive an actuator.
    max_age_s: Seconds = 300

    @model_validator(mode="before")
    @classmethod
    def _generic_layout(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("input_register"), int):
            return data
        layout = {"table": Table.INPUT_REGISTER.value, "address": data["input_register"], "data_type": "float32"}
        if "encoding" in data and Encoding.model_validate(data["encoding"]) != Encoding.model_validate(layout):
            raise Mistake(
                "ghi 'input_register' (kiểu float32 thông dụng) hoặc 'encoding', không ghi cả hai",
                "give 'input_register' (the generic float32 layout) or 'encoding', not both",
            )
        return {**data, "encoding": layout}

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Written back as a technician would write it: the encoding a point or input_register stands for is left
        out (loading fills it in again)."""
        data: dict[str, Any] = handler(self)
        if self.point is not None or self.input_register is not None:
            data.pop("encoding", None)
        return data

    @model_validator(mode="after")
    def _located(self) -> Sensor:
        if (self.encoding is None) == (self.field is None):
            raise Mistake(
                "cho biết giá trị nằm ở đâu: 'point' (theo hồ sơ của nút), 'encoding' hoặc 'input_register' trên bus "
                "Modbus; 'field' trên bus MQTT",
                "say where the value is: 'point' (of the node's profile), 'encoding' or 'input_register' on a Modbus "
                "bus; 'field' on an MQTT bus",
            )
        return self


class SensorInterlock(Strict):
    """The actuator may only run while a fresh, good reading of ``sensor`` is within bounds."""

    sensor: Id
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounded(self) -> SensorInterlock:
        if self.min is None and self.max is None:
            raise Mistake("khóa liên động cần min, max hoặc cả hai", "an interlock needs min, max or both")
        return self


class ActuatorInterlock(Strict):
    """The actuator may only run while at least one of ``any_on`` is running (a pump needs an open valve)."""

    any_on: list[Id] = Field(min_length=1)


class FailSafe(Strict):
    on: bool = False
    position_pct: float | None = Field(default=None, ge=0, le=100)


# A heater may rightly run through a cold spell of several days; a time limit longer than this protects nothing.
MAX_ON_S = 7 * 86400


class Safety(Strict):
    max_on_s: float = Field(default=3600, ge=0, le=MAX_ON_S)
    min_off_s: Seconds = 0
    max_starts_per_hour: int = Field(default=60, ge=1, le=3600)
    sensor_interlocks: list[SensorInterlock] = Field(default_factory=list)
    actuator_interlocks: list[ActuatorInterlock] = Field(default_factory=list)
    fail_safe: FailSafe = FailSafe()


class Motor(Strict):
    """A vent, side curtain or screen moved by a motor on two relays (open, close), its position estimated from
    run time. ``open`` and ``close`` name outputs of the node's profile ("relay-1") or describe them inline."""

    open: Switch
    close: Switch
    # A full stroke, closed to open, measured on site.
    travel_s: float = Field(gt=0, le=1800)
    # Stopped this long before it may run the other way: a motor reversed at speed burns its capacitor and gears.
    dead_time_s: float = Field(default=1.0, ge=0, le=60)
    # A bit that reads 1 at the closed end (a discrete input or coil of this node), if the motor has one.
    closed_limit: Encoding | None = None
    # Re-homed against the closed end after this many moves, so that run-time drift does not pile up, and once a day
    # at this local time of the cooperative (none: only after moves), when vents are usually shut anyway.
    rehome_after_moves: int = Field(default=20, ge=1, le=1000)
    rehome_at: time | None = time(3, 0)

    @model_validator(mode="after")
    def _distinct(self) -> Motor:
        if (self.open.table, self.open.address) == (self.close.table, self.close.address):
            raise Mistake("open và close phải là hai đầu ra khác nhau", "open and close must be two different outputs")
        if self.closed_limit is not None and self.closed_limit.data_type is not DataType.BIT:
            raise Mistake(
                "closed_limit là một bit: một discrete_input hoặc một coil",
                "closed_limit is a bit: a discrete_input or a coil",
            )
        return self


class Actuator(Named):
    kind: ActuatorKind
    # How the node drives it. On/off: an output of the node's profile ("output": "relay-3"), an inline "switch",
    # or the generic "coil". Positional: a "motor" on two outputs, or the generic "holding_register" that takes
    # and reports the position in % (a positioner with feedback).
    output: Id | None = None
    switch: Switch | None = None
    # Filled in from the profile where the device can time a run itself.
    timed_on: TimedOn | None = None
    coil: int | None = Field(default=None, ge=0, le=65535)
    holding_register: int | None = Field(default=None, ge=0, le=65535)
    motor: Motor | None = None
    # An on/off output of an MQTT node: Tasmota's POWER1 (the n of cmnd/<topic>/POWER<n>), ESPHome's switch id, or the
    # Zigbee2MQTT state key ("state", "state_l2").
    channel: MqttName | None = None
    # Nominal flow when open, for the simulator and for water accounting.
    flow_l_min: float | None = Field(default=None, gt=0)
    # A heater's rated heat output, from its plate: the simulator heats by it and the simulation reports energy.
    power_kw: float | None = Field(default=None, gt=0, le=10_000)
    safety: Safety = Safety()

    @model_validator(mode="after")
    def _addressed(self) -> Actuator:
        on_off = [x for x in (self.switch, self.coil, self.channel) if x is not None]
        if self.kind.positional:
            if (self.holding_register is None) == (self.motor is None) or on_off:
                raise Mistake(
                    f"{self.kind.value} là thiết bị theo vị trí: cho nó một 'motor' (hai rơ-le) hoặc một "
                    "'holding_register' (nút MQTT chỉ bật và tắt)",
                    f"a {self.kind.value} is positional: give it a 'motor' (two relays) or a 'holding_register' "
                    "(MQTT nodes only switch on and off)",
                )
        elif len(on_off) != 1 or self.holding_register is not None or self.motor is not None:
            raise Mistake(
                f"{self.kind.value} chỉ bật và tắt: cho nó một 'output' theo hồ sơ của nút, một 'coil', hoặc "
                "'channel' của một nút MQTT",
                f"a {self.kind.value} switches on and off: give it an 'output' of the node's profile, a 'coil', or "
                "the 'channel' of an MQTT node",
            )
        return self

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Written back as a technician would write it: what a profile's output stands for is left out."""
        data: dict[str, Any] = handler(self)
        if self.output is not None:
            data.pop("switch", None)
            data.pop("timed_on", None)
        return data

    @property
    def on_off(self) -> Switch | None:
        """How an on/off actuator is switched (None for a positional one)."""
        if self.switch is not None:
            return self.switch
        return None if self.coil is None else Switch(table=Table.COIL, address=self.coil)

    @property
    def switches(self) -> dict[str, Switch]:
        """The Modbus outputs it drives, by the key writes and read-backs name them: its id for an on/off actuator,
        "<id>:open" and "<id>:close" for a motor's two relays; none for a positioner or an MQTT node's output."""
        if self.motor is not None:
            return {f"{self.id}:open": self.motor.open, f"{self.id}:close": self.motor.close}
        return {self.id: self.on_off} if self.on_off is not None else {}


class Node(Strict):
    """One field device (an RS485 sensor or relay board) at ``address`` on one of the greenhouse's buses."""

    id: Id
    # The bus's id; may be left out where the greenhouse has one bus.
    bus: Id | None = None
    # On a Modbus bus: the device's address.
    address: int | None = Field(default=None, ge=1, le=247)
    # On an MQTT bus: the firmware the node runs and its name there (Tasmota's topic, ESPHome's topic prefix,
    # Zigbee2MQTT's friendly name).
    firmware: Firmware | None = None
    topic: MqttName | None = None
    # The device's profile (contract/devices/profiles/, or the site's own profiles/ folder).
    profile: Id | None = None
    sensors: list[Sensor] = Field(default_factory=list)
    actuators: list[Actuator] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _from_profile(cls, data: Any, info: ValidationInfo) -> Any:
        """Fill in what the profile says (each point's register, kind and range; each output's switch), so that
        the rest of the system sees one resolved description whichever way a site file gave it."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "unit_id" in data and "address" not in data:  # site files before device profiles
            data["address"] = data.pop("unit_id")
        profile_id = data.get("profile")
        if profile_id is None or not isinstance(profile_id, str):
            return data
        book = info.context if isinstance(info.context, ProfileBook) else ProfileBook(shipped_profiles())
        profile = book.profiles.get(profile_id)
        if profile is None:
            known = ", ".join(sorted(book.profiles))
            raise Mistake(
                f"không có hồ sơ thiết bị {profile_id!r} (có: {known})",
                f"no device profile {profile_id!r} (known: {known})",
                about=profile_id,
            )
        data["sensors"] = [_filled_sensor(s, profile) for s in data.get("sensors") or []]
        data["actuators"] = [_filled_actuator(a, profile) for a in data.get("actuators") or []]
        return data

    @property
    def on_mqtt(self) -> bool:
        return self.firmware is not None

    @model_validator(mode="after")
    def _addresses_unique(self) -> Node:
        if (self.address is None) == (self.firmware is None) or (self.firmware is None) != (self.topic is None):
            raise Mistake(
                "một nút có 'address' (Modbus), hoặc 'firmware' và 'topic' (MQTT)",
                "a node has an 'address' (Modbus) or a 'firmware' and a 'topic' (MQTT)",
            )
        if self.on_mqtt and (self.profile is not None or any(s.field is None for s in self.sensors)):
            raise Mistake(
                "nút MQTT ghi 'field' cho từng cảm biến (không có hồ sơ, không có thanh ghi)",
                "an MQTT node names each sensor's 'field' (no profile, no registers)",
            )
        if self.on_mqtt and any(a.channel is None for a in self.actuators):
            raise Mistake(
                "nút MQTT ghi 'channel' cho từng thiết bị chấp hành", "an MQTT node names each actuator's 'channel'"
            )
        if not self.on_mqtt and (any(s.field for s in self.sensors) or any(a.channel for a in self.actuators)):
            raise Mistake(
                "'field' và 'channel' chỉ dành cho nút trên bus MQTT",
                "'field' and 'channel' are for nodes on an MQTT bus",
            )
        problems = [
            Mistake(
                f"các cảm biến {', '.join(ids)} cùng đọc {table} {address}",
                f"sensors {', '.join(ids)} read the same {table} {address}",
                about=ids[-1],
            )
            for (table, address), ids in _overlaps((s.id, s.encoding) for s in self.sensors if s.encoding).items()
        ]
        drivers: dict[tuple[str, int], list[str]] = {}
        for a in self.actuators:
            for switch in a.switches.values():
                drivers.setdefault((switch.table.value, switch.address), []).append(a.id)
        problems += [
            Mistake(
                f"các thiết bị {', '.join(ids)} cùng điều khiển {table} {address}",
                f"{len(ids)} actuators drive {table} {address}: {', '.join(ids)}",
                about=ids[-1],
            )
            for (table, address), ids in drivers.items()
            if len(ids) > 1
        ]
        if problems:
            raise Mistakes(problems)
        return self


def _overlaps(points: Any) -> dict[tuple[str, int], list[str]]:
    """Table addresses that more than one point reads, with the points' ids."""
    users: dict[tuple[str, int], list[str]] = {}
    for point_id, enc in points:
        for address in range(enc.address, enc.address + enc.count):
            users.setdefault((enc.table.value, address), []).append(point_id)
    return {where: ids for where, ids in users.items() if len(ids) > 1}


def _filled_sensor(raw: Any, profile: DeviceProfile) -> Any:
    if not isinstance(raw, dict) or not isinstance(raw.get("point"), str):
        return raw
    point = next((p for p in profile.sensors if p.key == raw["point"]), None)
    if point is None:
        known = ", ".join(p.key for p in profile.sensors) or "none"
        raise Mistake(
            f"cảm biến {raw.get('id')!r}: hồ sơ {profile.id!r} không có điểm {raw['point']!r} (có: {known})",
            f"sensor {raw.get('id')!r}: profile {profile.id!r} has no point {raw['point']!r} (has: {known})",
            about=raw["point"],
        )
    # Where a device is placed may change what it measures in name only: an XY-MD02 outside gives outdoor_temp_c.
    given_kind = raw.get("kind", point.kind.value)
    if given_kind not in {k.value for k in SensorKind if k.unit == point.kind.unit}:
        raise Mistake(
            f"cảm biến {raw.get('id')!r}: điểm {point.key!r} của {profile.id!r} đo {point.kind.value} "
            f"({point.kind.unit}), không phải {given_kind}",
            f"sensor {raw.get('id')!r}: point {point.key!r} of {profile.id!r} measures {point.kind.value} "
            f"({point.kind.unit}), not {given_kind}",
            about=str(given_kind),
        )
    given = raw.get("encoding")
    if given is not None and Encoding.model_validate(given) != point.encoding:
        raise Mistake(
            f"cảm biến {raw.get('id')!r}: ghi 'point' (hồ sơ đã nói cách đọc) hoặc 'encoding', không cả hai",
            f"sensor {raw.get('id')!r}: give 'point' (the profile says how it is read) or 'encoding'",
            about=str(raw.get("id")),
        )
    filled = {**raw, "kind": given_kind, "encoding": point.encoding.model_dump(mode="json")}
    filled.setdefault("range", point.range.model_dump())
    return filled


def _filled_actuator(raw: Any, profile: DeviceProfile) -> Any:
    if not isinstance(raw, dict):
        return raw
    filled = dict(raw)
    if isinstance(raw.get("output"), str):
        output = _profile_output(profile, raw["output"], raw.get("id"))
        filled["switch"] = output.switch.model_dump(mode="json")
        if output.timed_on is not None:
            filled["timed_on"] = output.timed_on.model_dump(mode="json")
    motor = raw.get("motor")
    if isinstance(motor, dict):
        filled["motor"] = {
            **motor,
            **{
                end: _profile_output(profile, motor[end], raw.get("id")).switch.model_dump(mode="json")
                for end in ("open", "close")
                if isinstance(motor.get(end), str)
            },
        }
    return filled


def _profile_output(profile: DeviceProfile, key: str, actuator_id: Any) -> Any:
    output = next((o for o in profile.outputs if o.key == key), None)
    if output is None:
        known = ", ".join(o.key for o in profile.outputs) or "none"
        raise Mistake(
            f"thiết bị {actuator_id!r}: hồ sơ {profile.id!r} không có đầu ra {key!r} (có: {known})",
            f"actuator {actuator_id!r}: profile {profile.id!r} has no output {key!r} (has: {known})",
            about=key,
        )
    return output


class ModbusTcpBus(Strict):
    """Modbus TCP: a TCP-to-RS485 gateway that speaks Modbus TCP itself (and the simulator's default)."""

    protocol: Literal["modbus_tcp"]
    id: Id = "fieldbus"
    host: str = Field(default="127.0.0.1", min_length=1, max_length=253)
    port: int = Field(default=502, ge=1, le=65535)
    timeout_s: float = Field(default=1.0, gt=0, le=30)


class RtuTcpBus(Strict):
    """Modbus RTU frames carried as they are over TCP: the transparent RS485-to-Ethernet/Wi-Fi converters
    (USR-TCP232, Elfin EW11). ``baud`` is the converter's serial side, for the gaps RTU needs."""

    protocol: Literal["rtu_over_tcp"]
    id: Id
    host: str = Field(min_length=1, max_length=253)
    port: int = Field(ge=1, le=65535)
    baud: Baud = Baud.B9600
    timeout_s: float = Field(default=1.0, gt=0, le=30)


class RtuSerialBus(Strict):
    """Modbus RTU on a serial port: a USB–RS485 dongle on the greenhouse's small computer."""

    protocol: Literal["rtu_serial"]
    id: Id
    port: str = Field(min_length=1, max_length=200)  # /dev/ttyUSB0, /dev/serial/by-id/…, COM3
    baud: Baud = Baud.B9600
    parity: Parity = Parity.NONE
    stop_bits: Literal[1, 2] = 1
    timeout_s: float = Field(default=0.5, gt=0, le=30)


class MqttBus(Strict):
    """The greenhouse's own MQTT broker, where ESP32 boards (Tasmota, ESPHome) and Zigbee2MQTT publish."""

    protocol: Literal["mqtt"]
    id: Id
    url: str = Field(default="mqtt://127.0.0.1:1883", min_length=8, max_length=300)
    # Zigbee2MQTT's base topic and ESPHome's discovery-free topics are per node; this one is Zigbee2MQTT's root.
    zigbee2mqtt_base: MqttName = "zigbee2mqtt"
    # A node that has published nothing for this long is silent, as a Modbus node that does not answer.
    silent_after_s: float = Field(default=600, gt=0, le=MAX_DURATION_S)

    @model_validator(mode="after")
    def _url(self) -> MqttBus:
        try:
            BrokerUrl.parse(self.url)
        except ValueError:
            raise Mistake(
                f"địa chỉ broker {self.url!r} phải có dạng mqtt://host:1883 hoặc mqtts://host:8883",
                f"broker URL {self.url!r} must look like mqtt://host:1883 or mqtts://host:8883",
            ) from None
        return self

    @property
    def broker(self) -> BrokerUrl:
        return BrokerUrl.parse(self.url)


# The buses a Modbus poller drives (edge.fieldbus.poller); an MQTT bus has a poller of its own.
ModbusBus = ModbusTcpBus | RtuTcpBus | RtuSerialBus
Bus = Annotated[ModbusBus | MqttBus, Field(discriminator="protocol")]


class Zone(Named):
    area_m2: float = Field(gt=0)
    valve: Id
    # The pump that feeds this zone; it runs while any of its zones' valves is open.
    pump: Id | None = None
    soil_sensors: list[Id] = Field(min_length=1)


class Uplink(Strict):
    """How the edge sends its telemetry (docs/site-config.md): the defaults are what every edge did before."""

    # Polls held and sent as one batch for this long; 0: each poll at once. Events, alerts, status and state are
    # never held. At most 15 min: the gateway derives its metrics per batch, and its daily light integral
    # bridges no longer gap between samples (agronomy.light.DEFAULT_MAX_GAP).
    batch_period_s: float = Field(default=0, ge=0, le=900)
    # A batch goes out at this many readings even before its period ends (the contract's bound is 1000).
    batch_max_readings: int = Field(default=1000, ge=1, le=1000)
    # "deflate" only once the farm server reads it (a gateway of issue 17 or later): an older one refuses it.
    encoding: UplinkEncoding = UplinkEncoding.JSON
    # Telemetry sent late (catching up after an outage) on the 'backlog' topic, which a gateway of issue 17 or
    # later drains behind live data; an older one does not read it, and the backlog would never be acknowledged.
    backlog_apart: bool = False


class Greenhouse(Named):
    crop: str = ""
    area_m2: float = Field(gt=0)
    buses: list[Bus] = Field(min_length=1)
    poll_interval_s: float = Field(default=30, gt=0, le=3600)
    # After this long without an answer from a node, its actuators are treated as
    # lost and are driven to their fail-safe state once it answers again.
    contact_timeout_s: float = Field(default=120, gt=0, le=MAX_DURATION_S)
    zones: list[Zone] = Field(default_factory=list)
    nodes: list[Node] = Field(min_length=1)
    rules_file: Path | None = None
    uplink: Uplink = Uplink()

    @field_validator("crop")
    @classmethod
    def _known_crop(cls, crop: str, info: ValidationInfo) -> str:
        """A crop we hold bands for (contract/crops.py), or "" for none: a typo would silently judge the house
        against generic bands."""
        if crop and crop not in {c.value for c in Crop}:
            known = ", ".join(c.value for c in Crop)
            house = info.data.get("id", "?")
            raise ValueError(f"greenhouse {house!r}: unknown crop {crop!r} (known: {known}; or leave it empty)")
        return crop

    @property
    def sensors(self) -> dict[str, Sensor]:
        return {s.id: s for n in self.nodes for s in n.sensors}

    @property
    def actuators(self) -> dict[str, Actuator]:
        return {a.id: a for n in self.nodes for a in n.actuators}

    def bus_of(self, node: Node) -> Bus:
        """The bus a node is on (validated: it exists, or the greenhouse has only one)."""
        if node.bus is None:
            return self.buses[0]
        return next(b for b in self.buses if b.id == node.bus)

    def node_of(self, device_id: str) -> Node:
        for node in self.nodes:
            if any(d.id == device_id for d in [*node.sensors, *node.actuators]):
                return node
        raise KeyError(device_id)

    @model_validator(mode="before")
    @classmethod
    def _one_fieldbus(cls, data: Any) -> Any:
        """Site files before several buses gave one Modbus TCP ``fieldbus``: it is the bus named "fieldbus"."""
        if not isinstance(data, dict) or ("buses" in data and "fieldbus" not in data):
            return data
        if "buses" in data:
            raise Mistake(
                "ghi 'buses' (nhiều bus) hoặc 'fieldbus' kiểu cũ (một bus), không ghi cả hai",
                "give 'buses' (several) or the older 'fieldbus' (one), not both",
            )
        old = data.get("fieldbus", {})
        bus = {"protocol": "modbus_tcp", **old} if isinstance(old, dict) else old
        return {**{k: v for k, v in data.items() if k != "fieldbus"}, "buses": [bus]}

    @model_validator(mode="after")
    def _references(self) -> Greenhouse:
        # Every cross-reference problem at once, each naming the id where it is written.
        problems: list[Mistake] = []
        ids = Counter(
            [n.id for n in self.nodes]
            + [s.id for n in self.nodes for s in n.sensors]
            + [a.id for n in self.nodes for a in n.actuators]
            + [z.id for z in self.zones]
        )
        problems += [
            Mistake(f"id {i!r} được dùng {c} lần", f"id {i!r} is used {c} times", i) for i, c in ids.items() if c > 1
        ]
        bus_ids = Counter(b.id for b in self.buses)
        problems += [
            Mistake(f"mã bus {b!r} được dùng {c} lần", f"bus id {b!r} is used {c} times", b)
            for b, c in bus_ids.items()
            if c > 1
        ]
        for n in self.nodes:
            if n.bus is None and len(self.buses) > 1:
                problems.append(
                    Mistake(
                        f"nút {n.id!r}: ghi nó nằm trên bus nào ({', '.join(bus_ids)})",
                        f"node {n.id!r}: say which bus it is on ({', '.join(bus_ids)})",
                        n.id,
                    )
                )
            elif n.bus is not None and n.bus not in bus_ids:
                problems.append(
                    Mistake(
                        f"nút {n.id!r}: nhà này không có bus {n.bus!r} (có: {', '.join(bus_ids)})",
                        f"node {n.id!r}: no bus {n.bus!r} in this greenhouse (have: {', '.join(bus_ids)})",
                        n.bus,
                    )
                )
        kinds = {b.id: b.protocol for b in self.buses}
        for n in self.nodes:
            bus_kind = kinds.get(n.bus or self.buses[0].id)
            if bus_kind is not None and (bus_kind == "mqtt") != n.on_mqtt:
                problems.append(
                    Mistake(
                        f"nút {n.id!r} nằm trên bus MQTT: cho nó 'firmware' và 'topic', không phải 'address'",
                        f"node {n.id!r} is on an MQTT bus: give it a 'firmware' and a 'topic', not an 'address'",
                        n.id,
                    )
                    if bus_kind == "mqtt"
                    else Mistake(
                        f"nút {n.id!r} có 'firmware' (MQTT) nhưng bus của nó ({bus_kind!r}) là Modbus",
                        f"node {n.id!r} has a 'firmware' (MQTT) but its bus {bus_kind!r} is Modbus",
                        n.id,
                    )
                )
        sharing: dict[tuple[str, int | str | None], list[str]] = {}
        for n in self.nodes:
            if n.bus is None or n.bus in bus_ids:
                sharing.setdefault((self.bus_of(n).id, n.address or n.topic), []).append(n.id)
        problems += [
            Mistake(
                f"{len(nodes)} nút ({', '.join(nodes)}) cùng địa chỉ {address} trên bus {bus!r}: mỗi thiết bị trên "
                "một bus cần một địa chỉ riêng",
                f"{len(nodes)} nodes share address {address} on bus {bus!r}: one address per device on a bus",
                nodes[-1],
            )
            for (bus, address), nodes in sharing.items()
            if len(nodes) > 1
        ]
        sensors, actuators = self.sensors, self.actuators
        for z in self.zones:
            valve = actuators.get(z.valve)
            if valve is None:
                problems.append(
                    Mistake(
                        f"khu {z.id!r}: van {z.valve!r} không phải thiết bị của nhà này",
                        f"zone {z.id!r}: valve {z.valve!r} is not an actuator of this greenhouse",
                        z.valve,
                    )
                )
            elif valve.kind is not ActuatorKind.VALVE:
                problems.append(
                    Mistake(
                        f"khu {z.id!r}: {z.valve!r} là {valve.kind.value}, không phải van",
                        f"zone {z.id!r}: {z.valve!r} is a {valve.kind.value}, not a valve",
                        z.valve,
                    )
                )
            if z.pump is not None and getattr(actuators.get(z.pump), "kind", None) is not ActuatorKind.PUMP:
                problems.append(
                    Mistake(
                        f"khu {z.id!r}: {z.pump!r} không phải máy bơm của nhà này",
                        f"zone {z.id!r}: pump {z.pump!r} is not a pump of this greenhouse",
                        z.pump,
                    )
                )
            for sid in z.soil_sensors:
                s = sensors.get(sid)
                if s is None:
                    problems.append(
                        Mistake(
                            f"khu {z.id!r}: cảm biến đất {sid!r} không phải cảm biến của nhà này",
                            f"zone {z.id!r}: soil sensor {sid!r} is not a sensor of this greenhouse",
                            sid,
                        )
                    )
                elif s.kind is not SensorKind.SOIL_VWC_PCT:
                    problems.append(
                        Mistake(
                            f"khu {z.id!r}: {sid!r} đo {s.kind.value}, không phải soil_vwc_pct",
                            f"zone {z.id!r}: {sid!r} measures {s.kind.value}, not soil_vwc_pct",
                            sid,
                        )
                    )
        for a in actuators.values():
            for il in a.safety.sensor_interlocks:
                if il.sensor not in sensors:
                    problems.append(
                        Mistake(
                            f"thiết bị {a.id!r}: không có cảm biến khóa liên động {il.sensor!r}",
                            f"actuator {a.id!r}: interlock sensor {il.sensor!r} does not exist",
                            il.sensor,
                        )
                    )
            for al in a.safety.actuator_interlocks:
                problems += [
                    Mistake(
                        f"thiết bị {a.id!r}: không có thiết bị khóa liên động {other!r}",
                        f"actuator {a.id!r}: interlock actuator {other!r} does not exist",
                        other,
                    )
                    for other in al.any_on
                    if other not in actuators
                ]
        if problems:
            raise Mistakes(problems)
        return self


class Cooperative(Named):
    timezone: TimeZoneName = "Asia/Ho_Chi_Minh"
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    elevation_m: float = Field(default=0, ge=-500, le=9000)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class SiteConfig(Strict):
    version: Literal[1] = 1
    cooperative: Cooperative
    greenhouses: list[Greenhouse] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_greenhouses(self) -> SiteConfig:
        dup = [g for g, c in Counter(g.id for g in self.greenhouses).items() if c > 1]
        if dup:
            raise Mistakes(
                [
                    Mistake(f"mã nhà kính {g!r} được dùng nhiều lần", f"greenhouse id {g!r} is used more than once", g)
                    for g in dup
                ]
            )
        return self

    def greenhouse(self, greenhouse_id: str) -> Greenhouse:
        for g in self.greenhouses:
            if g.id == greenhouse_id:
                return g
        known = ", ".join(g.id for g in self.greenhouses)
        raise KeyError(f"no greenhouse {greenhouse_id!r} in site {self.cooperative.id!r} (have: {known})")
