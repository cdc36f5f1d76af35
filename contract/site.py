"""Site configuration: one cooperative, its greenhouses, zones, nodes, sensors, actuators.

Loaded from YAML by ``contract.config_file``; every cross-reference (a zone's
valve, an interlock's sensor) is checked here so a typo fails at load time,
not at 3 a.m. when the pump should start.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, model_validator

from contract.bounds import PhysicalRange, Strict
from contract.devices.encoding import DataType, Encoding, Table
from contract.kinds import ActuatorKind, SensorKind
from contract.messages import MAX_DURATION_S, Id

Seconds = Annotated[float, Field(ge=0, le=MAX_DURATION_S)]


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Ho_Chi_Minh)") from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]


class Calibration(Strict):
    """calibrated = raw × scale + offset"""

    scale: float = 1.0
    offset: float = 0.0

    def apply(self, raw: float) -> float:
        return raw * self.scale + self.offset


class Sensor(Strict):
    id: Id
    name: str = ""
    kind: SensorKind
    # Modbus input register of the first of two words holding an IEEE-754 float32.
    input_register: int = Field(ge=0, le=65534)
    calibration: Calibration = Calibration()
    range: PhysicalRange
    # Largest plausible change between two consecutive reads; larger is a spike.
    spike_delta: float | None = Field(default=None, gt=0)
    # No change at all for this long means a stuck sensor.
    flatline_after_s: Seconds | None = None
    # A value older than this may not drive an actuator.
    max_age_s: Seconds = 300

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def encoding(self) -> Encoding:
        """Where and how the node holds this sensor's raw value: today's one layout, a float32 in two input
        registers, big-endian (device profiles describe the others)."""
        return Encoding(table=Table.INPUT_REGISTER, address=self.input_register, data_type=DataType.FLOAT32)


class SensorInterlock(Strict):
    """The actuator may only run while a fresh, good reading of ``sensor`` is within bounds."""

    sensor: Id
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounded(self) -> SensorInterlock:
        if self.min is None and self.max is None:
            raise ValueError("an interlock needs min, max or both")
        return self


class ActuatorInterlock(Strict):
    """The actuator may only run while at least one of ``any_on`` is running (a pump needs an open valve)."""

    any_on: list[Id] = Field(min_length=1)


class FailSafe(Strict):
    on: bool = False
    position_pct: float | None = Field(default=None, ge=0, le=100)


class Safety(Strict):
    max_on_s: Seconds = 3600
    min_off_s: Seconds = 0
    max_starts_per_hour: int = Field(default=60, ge=1, le=3600)
    sensor_interlocks: list[SensorInterlock] = Field(default_factory=list)
    actuator_interlocks: list[ActuatorInterlock] = Field(default_factory=list)
    fail_safe: FailSafe = FailSafe()


class Actuator(Strict):
    id: Id
    name: str = ""
    kind: ActuatorKind
    # On/off actuators sit on a coil; positional ones on a holding register (0–100 %).
    coil: int | None = Field(default=None, ge=0, le=65535)
    holding_register: int | None = Field(default=None, ge=0, le=65535)
    # Nominal flow when open, for the simulator and for water accounting.
    flow_l_min: float | None = Field(default=None, gt=0)
    safety: Safety = Safety()

    @model_validator(mode="after")
    def _addressed(self) -> Actuator:
        if self.kind.positional:
            if self.holding_register is None or self.coil is not None:
                raise ValueError(f"a {self.kind.value} is positional: give it a 'holding_register', not a 'coil'")
        elif self.coil is None or self.holding_register is not None:
            raise ValueError(f"a {self.kind.value} switches on and off: give it a 'coil', not a 'holding_register'")
        return self

    @property
    def label(self) -> str:
        return self.name or self.id


class Node(Strict):
    """One field device (RS485 sensor or relay board) behind the greenhouse's Modbus TCP gateway."""

    id: Id
    unit_id: int = Field(ge=1, le=247)
    sensors: list[Sensor] = Field(default_factory=list)
    actuators: list[Actuator] = Field(default_factory=list)

    @model_validator(mode="after")
    def _addresses_unique(self) -> Node:
        words = Counter(w for s in self.sensors for w in (s.input_register, s.input_register + 1))
        clash = sorted(w for w, n in words.items() if n > 1)
        if clash:
            raise ValueError(f"sensors share input registers {clash} (each float32 takes two)")
        for field in ("coil", "holding_register"):
            used = Counter(getattr(a, field) for a in self.actuators if getattr(a, field) is not None)
            dup = sorted(a for a, n in used.items() if n > 1)
            if dup:
                raise ValueError(f"actuators share {field} {dup}")
        return self


class Fieldbus(Strict):
    protocol: Literal["modbus_tcp"] = "modbus_tcp"
    host: str = "127.0.0.1"
    port: int = Field(default=502, ge=1, le=65535)
    timeout_s: float = Field(default=1.0, gt=0, le=30)


class Zone(Strict):
    id: Id
    name: str = ""
    area_m2: float = Field(gt=0)
    valve: Id
    # The pump that feeds this zone; it runs while any of its zones' valves is open.
    pump: Id | None = None
    soil_sensors: list[Id] = Field(min_length=1)

    @property
    def label(self) -> str:
        return self.name or self.id


class Greenhouse(Strict):
    id: Id
    name: str = ""
    crop: str = ""
    area_m2: float = Field(gt=0)
    fieldbus: Fieldbus = Fieldbus()
    poll_interval_s: float = Field(default=30, gt=0, le=3600)
    # After this long without an answer from a node, its actuators are treated as
    # lost and are driven to their fail-safe state once it answers again.
    contact_timeout_s: float = Field(default=120, gt=0, le=MAX_DURATION_S)
    zones: list[Zone] = Field(default_factory=list)
    nodes: list[Node] = Field(min_length=1)
    rules_file: Path | None = None

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def sensors(self) -> dict[str, Sensor]:
        return {s.id: s for n in self.nodes for s in n.sensors}

    @property
    def actuators(self) -> dict[str, Actuator]:
        return {a.id: a for n in self.nodes for a in n.actuators}

    def node_of(self, device_id: str) -> Node:
        for node in self.nodes:
            if any(d.id == device_id for d in [*node.sensors, *node.actuators]):
                return node
        raise KeyError(device_id)

    @model_validator(mode="after")
    def _references(self) -> Greenhouse:
        problems: list[str] = []
        ids = Counter(
            [n.id for n in self.nodes]
            + [s.id for n in self.nodes for s in n.sensors]
            + [a.id for n in self.nodes for a in n.actuators]
            + [z.id for z in self.zones]
        )
        problems += [f"id {i!r} is used {c} times" for i, c in ids.items() if c > 1]
        units = Counter(n.unit_id for n in self.nodes)
        problems += [f"unit_id {u} is used by {c} nodes" for u, c in units.items() if c > 1]
        sensors, actuators = self.sensors, self.actuators
        for z in self.zones:
            valve = actuators.get(z.valve)
            if valve is None:
                problems.append(f"zone {z.id!r}: valve {z.valve!r} is not an actuator of this greenhouse")
            elif valve.kind is not ActuatorKind.VALVE:
                problems.append(f"zone {z.id!r}: {z.valve!r} is a {valve.kind.value}, not a valve")
            if z.pump is not None and getattr(actuators.get(z.pump), "kind", None) is not ActuatorKind.PUMP:
                problems.append(f"zone {z.id!r}: pump {z.pump!r} is not a pump of this greenhouse")
            for sid in z.soil_sensors:
                s = sensors.get(sid)
                if s is None:
                    problems.append(f"zone {z.id!r}: soil sensor {sid!r} is not a sensor of this greenhouse")
                elif s.kind is not SensorKind.SOIL_VWC_PCT:
                    problems.append(f"zone {z.id!r}: {sid!r} measures {s.kind.value}, not soil_vwc_pct")
        for a in actuators.values():
            for il in a.safety.sensor_interlocks:
                if il.sensor not in sensors:
                    problems.append(f"actuator {a.id!r}: interlock sensor {il.sensor!r} does not exist")
            for al in a.safety.actuator_interlocks:
                problems += [
                    f"actuator {a.id!r}: interlock actuator {other!r} does not exist"
                    for other in al.any_on
                    if other not in actuators
                ]
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Cooperative(Strict):
    id: Id
    name: str = ""
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
            raise ValueError(f"greenhouse ids used more than once: {dup}")
        return self

    def greenhouse(self, greenhouse_id: str) -> Greenhouse:
        for g in self.greenhouses:
            if g.id == greenhouse_id:
                return g
        known = ", ".join(g.id for g in self.greenhouses)
        raise KeyError(f"no greenhouse {greenhouse_id!r} in site {self.cooperative.id!r} (have: {known})")
