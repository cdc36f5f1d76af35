"""Simulated RS485 field nodes of a greenhouse: each a ``TableDevice`` (firmware_sim/rtu/device.py) built from
the node's device profile, or from the node's own description where it has none, and what surrounds the device
in a greenhouse:

- sensor values: the physics' readings with the faults applied, as the probe reports them before the edge's
  calibration (raw = (physical − offset) / scale); points of the profile the site does not use read a quiet
  value within their range;
- outputs: whatever switches or moves an output of the device (a write, a timed run ending, the watchdog) sets
  the actuator state the physics reads; a motor on two relays moves its vent or curtain (``MotorSim``);
- a node that is offline (fault ``node_offline``) hears nothing and says nothing;
- relay boards have a watchdog: with no request from the master for ``watchdog_s`` of wall time, their outputs
  go to their fail-safe state by themselves (a motor's relays both off: the board cannot know positions).
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from contract.devices.encoding import Encoding, Table
from contract.devices.profile import DeviceProfile
from contract.site import Actuator, Node, Sensor
from firmware_sim.physics import ActuatorState
from firmware_sim.rtu.device import TableDevice

log = logging.getLogger(__name__)

# A limit switch closes a little before the very end of the stroke.
_CLOSED_LIMIT_PCT = 0.5


class NodeBackend(Protocol):
    """What a node needs from its greenhouse: fault state, sensor values, simulated time."""

    def node_offline(self, node_id: str) -> bool: ...

    def sensor_value(self, sensor: Sensor) -> float:
        """Physical value the probe reports now (faults applied; NaN when it gives none)."""
        ...

    def sim_time_s(self) -> float:
        """Simulated seconds since the simulator started, continuous (timed runs and motors run on it)."""
        ...

    def motor_stalled(self, actuator_id: str) -> bool: ...


def fail_safe_state(actuator: Actuator) -> ActuatorState:
    fs = actuator.safety.fail_safe
    if actuator.kind.positional:
        return ActuatorState(position_pct=fs.position_pct if fs.position_pct is not None else 0.0)
    return ActuatorState(on=fs.on)


def raw_value(sensor: Sensor, physical: float) -> float:
    """Inverse of the sensor's calibration (calibrated = raw × scale + offset)."""
    return (physical - sensor.calibration.offset) / sensor.calibration.scale


class MotorSim:
    """A vent or curtain on two relays: it moves at 100 % per ``travel_s`` while one relay is on, and stops at
    either end. Both relays on moves nothing (on site, it burns the motor): each time counts and is logged."""

    def __init__(self, actuator: Actuator, state: ActuatorState, now_s: float) -> None:
        assert actuator.motor is not None
        self.actuator = actuator
        self.travel_s = actuator.motor.travel_s
        self.state = state  # the one the physics reads
        self.opening = False
        self.closing = False
        self.conflicts = 0
        self._at = now_s

    @property
    def closed(self) -> bool:
        return self.state.position_pct <= _CLOSED_LIMIT_PCT

    def advance(self, now_s: float, stalled: bool) -> None:
        """Move for the time since the last call, with the relays as they were then."""
        dt_s, self._at = max(0.0, now_s - self._at), max(self._at, now_s)
        if stalled or self.opening == self.closing:
            return
        step = 100.0 * dt_s / self.travel_s
        position = self.state.position_pct + (step if self.opening else -step)
        self.state.position_pct = min(100.0, max(0.0, position))

    def relays(self, opening: bool, closing: bool, now_s: float, stalled: bool) -> None:
        """The relays switched at ``now_s``."""
        self.advance(now_s, stalled)
        if opening and closing and not (self.opening and self.closing):
            self.conflicts += 1
            log.warning("both relays of a motor on", extra={"actuator": self.actuator.id, "times": self.conflicts})
        self.opening, self.closing = opening, closing


class SimNode:
    """One node on its bus; implements ``firmware_sim.rtu.line.RtuDevice``."""

    def __init__(
        self,
        node: Node,
        profile: DeviceProfile | None,
        actuators: dict[str, ActuatorState],
        backend: NodeBackend,
        watchdog_s: float,
    ) -> None:
        self.node = node
        self.actuators = actuators
        self.backend = backend
        self.watchdog_s = watchdog_s
        self.last_request = time.monotonic()
        self.watchdog_tripped = False
        self._actuator = {a.id: a for a in node.actuators}
        self.device = TableDevice.from_node(node, self._value, backend.sim_time_s, self._changed, profile)
        # A value for each point of the profile no sensor of the site reads: 0 where the range has it.
        self._idle = {
            p.key: 0.0 if p.range.min <= 0 <= p.range.max else (p.range.min + p.range.max) / 2
            for p in (profile.sensors if profile else [])
        }
        self._sensors = {self._point(s): s for s in node.sensors}
        self._switched: dict[str, str] = {}  # output key → on/off actuator
        self._positioned: dict[str, str] = {}  # output key → positioner
        self._relays: dict[str, MotorSim] = {}  # a motor's relay keys → its motor
        self._limits: dict[str, MotorSim] = {}  # limit switch point → its motor
        self.motors: dict[str, tuple[MotorSim, str, str]] = {}  # actuator → motor, open relay, close relay
        for a in node.actuators:
            if a.motor is not None:
                motor = MotorSim(a, actuators[a.id], backend.sim_time_s())
                opens = self._output(a.motor.open.table, a.motor.open.address)
                closes = self._output(a.motor.close.table, a.motor.close.address)
                self.motors[a.id] = (motor, opens, closes)
                self._relays[opens] = self._relays[closes] = motor
                if a.motor.closed_limit is not None:
                    self._limits[self._point_at(a.motor.closed_limit)] = motor
            elif a.holding_register is not None:
                self._positioned[self._output(Table.HOLDING_REGISTER, a.holding_register)] = a.id
            elif a.on_off is not None:
                self._switched[self._output(a.on_off.table, a.on_off.address)] = a.id
        self._power_up()

    def _point(self, sensor: Sensor) -> str:
        return self._point_at(sensor.encoding)

    def _point_at(self, encoding: Encoding) -> str:
        key = self.device.point_at(encoding)
        assert key is not None, f"node {self.node.id}: nothing served at {encoding}"
        return key

    def _output(self, table: Table, address: int) -> str:
        key = self.device.output_at(table, address)
        assert key is not None, f"node {self.node.id}: no output at {table.value} {address}"
        return key

    def _power_up(self) -> None:
        """Boards power up with every output in its fail-safe state."""
        for key, actuator_id in self._switched.items():
            self.device.set_on(key, self.actuators[actuator_id].on)
        for key, actuator_id in self._positioned.items():
            self.device.set_position(key, self.actuators[actuator_id].position_pct)

    def answer(self, pdu: bytes) -> bytes | None:
        if self.backend.node_offline(self.node.id):
            return None
        self.last_request = time.monotonic()
        self.watchdog_tripped = False
        return self.device.answer(pdu)

    def tick(self, now: float) -> None:
        """Called often: timed runs end, motors move, the watchdog looks at the clock (``now``: wall, monotonic)."""
        self.device.tick()
        for actuator_id, (motor, _, _) in self.motors.items():
            motor.advance(self.backend.sim_time_s(), self.backend.motor_stalled(actuator_id))
        self._check_watchdog(now)

    def _value(self, key: str) -> float:
        sensor = self._sensors.get(key)
        if sensor is not None:
            return raw_value(sensor, self.backend.sensor_value(sensor))
        motor = self._limits.get(key)
        if motor is not None:
            motor.advance(self.backend.sim_time_s(), self.backend.motor_stalled(motor.actuator.id))
            return 1.0 if motor.closed else 0.0
        return self._idle[key]

    def _changed(self, key: str) -> None:
        if key in self._switched:
            self.actuators[self._switched[key]].on = self.device.is_on(key)
        elif key in self._positioned:
            self.actuators[self._positioned[key]].position_pct = self.device.position(key)
        elif key in self._relays:
            motor = self._relays[key]
            _, opens, closes = self.motors[motor.actuator.id]
            stalled = self.backend.motor_stalled(motor.actuator.id)
            motor.relays(self.device.is_on(opens), self.device.is_on(closes), self.backend.sim_time_s(), stalled)

    def _check_watchdog(self, now: float) -> None:
        """Relays fall back to their fail-safe state when the master has been silent for ``watchdog_s``."""
        if self.watchdog_tripped or not self.node.actuators or now - self.last_request < self.watchdog_s:
            return
        self.watchdog_tripped = True
        for key, actuator_id in self._switched.items():
            self.device.set_on(key, fail_safe_state(self._actuator[actuator_id]).on)
        for key, actuator_id in self._positioned.items():
            self.device.set_position(key, fail_safe_state(self._actuator[actuator_id]).position_pct)
        for _, opens, closes in self.motors.values():
            self.device.set_on(opens, False)
            self.device.set_on(closes, False)
        log.warning("relay watchdog: no request, actuators to fail-safe", extra={"node": self.node.id})
