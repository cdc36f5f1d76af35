"""Field faults the simulator can inject: what technicians meet on real RS485 sensor buses.

A fault targets one sensor (or one node, or one motor) of one greenhouse, from ``start_s`` simulated seconds
after the simulator started, for ``duration_s`` (None: until cleared). Plans are YAML::

    faults:
      - {kind: stuck, greenhouse: ca-chua-1, sensor: soil-a1, start_s: 3600, duration_s: 7200}
      - {kind: spike, greenhouse: ca-chua-1, sensor: air-temp, probability: 0.05, offset: 50}
      - {kind: dropout, greenhouse: ca-chua-2, sensor: par, start_s: 600}
      - {kind: node_offline, greenhouse: rau-la-1, node: relays, start_s: 1800, duration_s: 900}
      - {kind: dead_node, greenhouse: ca-chua-1, node: soil}
      - {kind: corrupt_crc, greenhouse: ca-chua-1, node: climate, start_s: 600, duration_s: 600}
      - {kind: late_answer, greenhouse: ca-chua-1, node: water, late_s: 2}
      - {kind: ignored_write, greenhouse: ca-chua-2, node: relays}
      - {kind: motor_stall, greenhouse: ca-chua-2, actuator: side-curtain}
      - {kind: mqtt_garbage, greenhouse: ca-chua-1, node: wifi-climate, start_s: 600, duration_s: 300}

The bus faults (dead_node, corrupt_crc, late_answer, ignored_write) act on the node's bus: on an RTU bus the
edge meets them as a real master does (no answer, a broken CRC, an answer after it gave up, a write
acknowledged and not done); behind a Modbus TCP gateway the first three come back as exception 0x0B.
On an MQTT node (firmware_sim/mqtt_nodes.py) node_offline drops its connection, so that the broker publishes its
will, and mqtt_garbage makes it publish readings that cannot be parsed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.config_file import load_model
from contract.messages import Id
from contract.site import SiteConfig
from firmware_sim.rtu.line import LineFaults


class _Fault(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    greenhouse: Id
    start_s: float = Field(default=0.0, ge=0)
    duration_s: float | None = Field(default=None, gt=0)

    def active(self, elapsed_s: float) -> bool:
        return self.start_s <= elapsed_s and (self.duration_s is None or elapsed_s < self.start_s + self.duration_s)


class StuckFault(_Fault):
    """The sensor keeps reporting the value it had when the fault began."""

    kind: Literal["stuck"] = "stuck"
    sensor: Id


class SpikeFault(_Fault):
    """Each read returns value × factor + offset with this probability (1: every read while active)."""

    kind: Literal["spike"] = "spike"
    sensor: Id
    probability: float = Field(default=1.0, gt=0, le=1)
    factor: float = 1.0
    offset: float = 50.0


class DropoutFault(_Fault):
    """The sensor answers NaN: the node is fine, the probe is not."""

    kind: Literal["dropout"] = "dropout"
    sensor: Id


class _NodeFault(_Fault):
    node: Id


class NodeOfflineFault(_NodeFault):
    """The whole node stops answering (power, RS485 wiring); the gateway reports it as not responding."""

    kind: Literal["node_offline"] = "node_offline"


class DeadNodeFault(_NodeFault):
    """The node never answers on its bus (no power, a cut pair); the others on the bus carry on."""

    kind: Literal["dead_node"] = "dead_node"


class CorruptCrcFault(_NodeFault):
    """The node's answers arrive with a broken CRC (noise, a missing termination resistor)."""

    kind: Literal["corrupt_crc"] = "corrupt_crc"


class LateAnswerFault(_NodeFault):
    """The node answers ``late_s`` wall seconds later than normal: after the master has given up."""

    kind: Literal["late_answer"] = "late_answer"
    late_s: float = Field(default=2.0, gt=0, le=60)


class IgnoredWriteFault(_NodeFault):
    """The node acknowledges writes as usual and does not carry them out (a relay board gone deaf)."""

    kind: Literal["ignored_write"] = "ignored_write"


class MqttGarbageFault(_NodeFault):
    """An MQTT node publishes readings that cannot be parsed: JSON cut short (Tasmota, Zigbee2MQTT), a state that
    is not a number (ESPHome), as from a board short of memory or a firmware bug."""

    kind: Literal["mqtt_garbage"] = "mqtt_garbage"


class MotorStallFault(_Fault):
    """The motor of a vent or curtain does not move, whatever its relays say (jammed, a tripped breaker)."""

    kind: Literal["motor_stall"] = "motor_stall"
    actuator: Id


Fault = Annotated[
    StuckFault
    | SpikeFault
    | DropoutFault
    | NodeOfflineFault
    | DeadNodeFault
    | CorruptCrcFault
    | LateAnswerFault
    | IgnoredWriteFault
    | MqttGarbageFault
    | MotorStallFault,
    Field(discriminator="kind"),
]
SensorFault = StuckFault | SpikeFault | DropoutFault
BusFault = DeadNodeFault | CorruptCrcFault | LateAnswerFault | IgnoredWriteFault


class FaultPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    faults: list[Fault] = []

    def check(self, site: SiteConfig) -> None:
        """Raise ValueError naming every fault whose greenhouse, sensor or node is not in the site."""
        problems = [p for i, f in enumerate(self.faults) if (p := _problem(site, f, i))]
        if problems:
            raise ValueError("; ".join(problems))


def _problem(site: SiteConfig, fault: Fault, index: int) -> str | None:
    try:
        gh = site.greenhouse(fault.greenhouse)
    except KeyError as exc:
        return f"faults[{index}]: {exc.args[0]}"
    if isinstance(fault, _NodeFault):
        node = next((n for n in gh.nodes if n.id == fault.node), None)
        if node is None:
            return f"faults[{index}]: greenhouse {gh.id!r} has no node {fault.node!r}"
        if isinstance(fault, MqttGarbageFault) and not node.on_mqtt:
            return f"faults[{index}]: node {fault.node!r} of greenhouse {gh.id!r} is not on an MQTT bus"
    elif isinstance(fault, MotorStallFault):
        actuator = gh.actuators.get(fault.actuator)
        if actuator is None or actuator.motor is None:
            return f"faults[{index}]: greenhouse {gh.id!r} has no actuator {fault.actuator!r} driven by a motor"
    elif fault.sensor not in gh.sensors:
        return f"faults[{index}]: greenhouse {gh.id!r} has no sensor {fault.sensor!r}"
    return None


def load_fault_plan(path: Path) -> FaultPlan:
    """Parse a fault plan; errors name file, line and field (contract.config_file.ConfigError)."""
    return load_model(path, FaultPlan)


class FaultInjector:
    """The faults in force on a running simulator, applied to node answers and sensor values."""

    def __init__(self, plan: FaultPlan, seed: int) -> None:
        self.faults: list[Fault] = list(plan.faults)
        self._rng = random.Random(f"{seed}/faults")
        # Value each stuck fault froze at, by its position in self.faults.
        self._frozen: dict[int, float] = {}

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def clear(self, greenhouse_id: str | None = None) -> None:
        kept = [(i, f) for i, f in enumerate(self.faults) if greenhouse_id not in (None, f.greenhouse)]
        self._frozen = {new: self._frozen[old] for new, (old, _) in enumerate(kept) if old in self._frozen}
        self.faults = [f for _, f in kept]

    def _in_force(self, greenhouse_id: str, elapsed_s: float) -> Iterator[Fault]:
        return (f for f in self.faults if f.greenhouse == greenhouse_id and f.active(elapsed_s))

    def node_offline(self, greenhouse_id: str, node_id: str, elapsed_s: float) -> bool:
        return self._on_node(NodeOfflineFault, greenhouse_id, node_id, elapsed_s)

    def mqtt_garbage(self, greenhouse_id: str, node_id: str, elapsed_s: float) -> bool:
        return self._on_node(MqttGarbageFault, greenhouse_id, node_id, elapsed_s)

    def _on_node(self, kind: type[_NodeFault], greenhouse_id: str, node_id: str, elapsed_s: float) -> bool:
        return any(isinstance(f, kind) and f.node == node_id for f in self._in_force(greenhouse_id, elapsed_s))

    def line_faults(self, greenhouse_id: str, addresses: Mapping[str, int], elapsed_s: float) -> LineFaults:
        """The bus faults in force on the bus whose nodes are at ``addresses`` (node id → address)."""
        faults = LineFaults()
        for f in self._in_force(greenhouse_id, elapsed_s):
            if not isinstance(f, BusFault) or f.node not in addresses:
                continue
            address = addresses[f.node]
            if isinstance(f, DeadNodeFault):
                faults.dead.add(address)
            elif isinstance(f, CorruptCrcFault):
                faults.corrupt_crc.add(address)
            elif isinstance(f, LateAnswerFault):
                faults.late_s[address] = f.late_s
            else:
                faults.ignore_writes.add(address)
        return faults

    def motor_stalled(self, greenhouse_id: str, actuator_id: str, elapsed_s: float) -> bool:
        return any(
            isinstance(f, MotorStallFault) and f.actuator == actuator_id
            for f in self._in_force(greenhouse_id, elapsed_s)
        )

    def freeze(self, greenhouse_id: str, readings: dict[str, float], elapsed_s: float) -> None:
        """Catch the value of stuck sensors at the moment their fault begins (called after each physics step)."""
        for i, f in enumerate(self.faults):
            if (
                isinstance(f, StuckFault)
                and f.greenhouse == greenhouse_id
                and i not in self._frozen
                and f.active(elapsed_s)
            ):
                self._frozen[i] = readings[f.sensor]

    def sensor_value(self, greenhouse_id: str, sensor_id: str, value: float, elapsed_s: float) -> float:
        """What the probe reports, given the true reading ``value``."""
        for i, f in enumerate(self.faults):
            if not isinstance(f, SensorFault) or f.greenhouse != greenhouse_id or f.sensor != sensor_id:
                continue
            if not f.active(elapsed_s):
                continue
            if isinstance(f, DropoutFault):
                return math.nan
            if isinstance(f, StuckFault):
                value = self._frozen.setdefault(i, value)
            elif self._rng.random() < f.probability:
                value = value * f.factor + f.offset
        return value
