"""Simulated RS485 field nodes as pymodbus devices behind a greenhouse's Modbus TCP gateway.

Register map (per node, as in the site file):
- input registers: each sensor's raw value as IEEE-754 float32, big-endian words, at ``sensor.input_register``
  (``Sensor.encoding``, written with the same codec the edge reads it with);
  raw = (physical − offset) / scale, so the edge's calibration gives the physical value back;
- coils: on/off actuators at ``actuator.coil``;
- holding registers: positional actuators at ``actuator.holding_register``, 0–100 %.

Each request runs the device's ``action`` (pymodbus 3.16 SimDevice), which fills the registers from
the live state, applies writes to the actuators, answers "gateway: no response" (exception 0x0B)
while the node is offline, and feeds the relay board's watchdog.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from pymodbus.constants import ExcCodes
from pymodbus.simulator import DataType, SimData, SimDevice
from pymodbus.simulator.simutils import SimUtils

from contract.devices.encoding import encode
from contract.site import Actuator, Node, Sensor
from firmware_sim.physics import ActuatorState

log = logging.getLogger(__name__)

_READ_COILS, _WRITE_COIL, _WRITE_COILS = 1, 5, 15
_READ_HOLDING, _WRITE_REGISTER, _WRITE_REGISTERS = 3, 6, 16
_READ_INPUT = 4
_COIL_CODES = {_READ_COILS, _WRITE_COIL, _WRITE_COILS}
_HOLDING_CODES = {_READ_HOLDING, _WRITE_REGISTER, _WRITE_REGISTERS}


class NodeBackend(Protocol):
    """What a node needs from its greenhouse: fault state and sensor values."""

    def node_offline(self, node_id: str) -> bool: ...

    def sensor_value(self, sensor: Sensor) -> float:
        """Physical value the probe reports now (faults applied; NaN when it gives none)."""
        ...


def fail_safe_state(actuator: Actuator) -> ActuatorState:
    fs = actuator.safety.fail_safe
    if actuator.kind.positional:
        return ActuatorState(position_pct=fs.position_pct if fs.position_pct is not None else 0.0)
    return ActuatorState(on=fs.on)


def raw_value(sensor: Sensor, physical: float) -> float:
    """Inverse of the sensor's calibration (calibrated = raw × scale + offset)."""
    return (physical - sensor.calibration.offset) / sensor.calibration.scale


class SimNode:
    def __init__(
        self, node: Node, actuators: dict[str, ActuatorState], backend: NodeBackend, watchdog_s: float
    ) -> None:
        self.node = node
        self.actuators = actuators
        self.backend = backend
        self.watchdog_s = watchdog_s
        self.last_request = time.monotonic()
        self.watchdog_tripped = False
        self._coils = {a.coil: a for a in node.actuators if a.coil is not None}
        self._holding = {a.holding_register: a for a in node.actuators if a.holding_register is not None}
        self.device = SimDevice(
            node.address,
            simdata=(
                [SimData(0, values=[False] * (max(self._coils, default=0) + 1), datatype=DataType.BITS)],
                # pymodbus needs every block; discrete inputs and empty blocks are refused in _action.
                [SimData(0, values=[False], datatype=DataType.BITS)],
                [SimData(0, count=max(self._holding, default=0) + 1, values=0, datatype=DataType.REGISTERS)],
                [self._input_block(node)],
            ),
            action=self._action,
        )

    @staticmethod
    def _input_block(node: Node) -> SimData:
        if not node.sensors:
            return SimData(0, values=0, datatype=DataType.REGISTERS)
        first = min(s.input_register for s in node.sensors)
        last = max(s.input_register for s in node.sensors) + 1
        return SimData(first, count=last - first + 1, values=0, datatype=DataType.REGISTERS)

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if self.backend.node_offline(self.node.id):
            return ExcCodes.GATEWAY_NO_RESPONSE
        self.last_request = time.monotonic()
        self.watchdog_tripped = False
        if function_code == _READ_INPUT and self.node.sensors:
            self._fill_inputs(start_address, address, count, registers)
            return None
        if function_code in _COIL_CODES and self._coils:
            self._coil_request(start_address, address, registers, set_values)
            return None
        if function_code in _HOLDING_CODES and self._holding:
            return self._holding_request(start_address, address, registers, set_values)
        return ExcCodes.ILLEGAL_ADDRESS

    def _fill_inputs(self, start_address: int, address: int, count: int, registers: list[int]) -> None:
        for sensor in self.node.sensors:
            if address <= sensor.input_register + 1 and sensor.input_register < address + count:
                at = sensor.input_register - start_address
                words = encode(sensor.encoding, raw_value(sensor, self.backend.sensor_value(sensor)))
                for i, word in enumerate(words):
                    registers[at + i] = word

    def _coil_request(
        self, start_word: int, address: int, registers: list[int], set_values: list[int] | list[bool] | None
    ) -> None:
        for offset, value in enumerate(set_values or []):
            actuator = self._coils.get(address + offset)
            if actuator is not None:
                self.actuators[actuator.id].on = bool(value)
        # Coils are packed 16 to a register here; rebuild them from the live state.
        n_bits = 16 * (len(registers) - 1)
        bits = [False] * n_bits
        for coil, actuator in self._coils.items():
            bits[coil - 16 * start_word] = self.actuators[actuator.id].on
        registers[: len(registers) - 1] = SimUtils.bitsToRegisters(bits)

    def _holding_request(
        self, start_address: int, address: int, registers: list[int], set_values: list[int] | list[bool] | None
    ) -> ExcCodes | None:
        writes = list(set_values or [])
        # A positioner takes 0–100 %; anything else is refused like a real board would.
        if any(not 0 <= int(v) <= 100 for v in writes):
            return ExcCodes.ILLEGAL_VALUE
        for offset, value in enumerate(writes):
            actuator = self._holding.get(address + offset)
            if actuator is not None:
                self.actuators[actuator.id].position_pct = float(value)
        for register, actuator in self._holding.items():
            registers[register - start_address] = round(self.actuators[actuator.id].position_pct)
        return None

    def check_watchdog(self, now: float) -> None:
        """Relays fall back to their fail-safe state when the master has been silent for ``watchdog_s``."""
        if self.watchdog_tripped or not self.node.actuators or now - self.last_request < self.watchdog_s:
            return
        self.watchdog_tripped = True
        for actuator in self.node.actuators:
            self.actuators[actuator.id] = fail_safe_state(actuator)
        log.warning("relay watchdog: no request, actuators to fail-safe", extra={"node": self.node.id})
