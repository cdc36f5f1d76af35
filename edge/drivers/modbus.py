"""FieldDriver over Modbus TCP (a TCP-to-RS485 gateway per greenhouse), with pymodbus's sync client.

Sensors are IEEE-754 float32 in two big-endian input registers; on/off actuators are coils;
positional ones are holding registers holding 0–100 %.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from pymodbus.client import ModbusTcpClient
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import ConnectionException, ModbusException
from pymodbus.pdu import ModbusPDU

from contract.devices.encoding import Encoding, EncodingError, decode
from contract.site import Actuator, ModbusTcpBus, Node, Sensor
from edge.drivers.base import NodeUnreachable

# Modbus application protocol v1.1b3 §6.4: at most 125 registers per read.
_MAX_READ_REGISTERS = 125


def _value(encoding: Encoding, registers: list[int]) -> float | None:
    """The raw value, or None where the registers hold no number (a probe's NaN dropout)."""
    try:
        return decode(encoding, registers)
    except EncodingError:
        return None


def _read_blocks(sensors: list[Sensor]) -> list[tuple[int, int, list[Sensor]]]:
    """(first register, register count, sensors) per read: as few reads as the 125-register limit allows."""
    blocks: list[tuple[int, int, list[Sensor]]] = []
    for sensor in sorted(sensors, key=lambda s: s.input_register):
        end = sensor.input_register + 2
        if blocks and end - blocks[-1][0] <= _MAX_READ_REGISTERS:
            first, _, members = blocks[-1]
            blocks[-1] = (first, end - first, [*members, sensor])
        else:
            blocks.append((sensor.input_register, 2, [sensor]))
    return blocks


def _exception_name(code: int) -> str:
    try:
        return ExcCodes(code).name.lower()
    except ValueError:
        return "unknown"


class ModbusTcpDriver:
    def __init__(self, fieldbus: ModbusTcpBus, retries: int = 1) -> None:
        self.fieldbus = fieldbus
        self._client = ModbusTcpClient(fieldbus.host, port=fieldbus.port, timeout=fieldbus.timeout_s, retries=retries)

    def read_node(self, node: Node) -> dict[str, float | None]:
        values: dict[str, float | None] = {}
        for first, count, sensors in _read_blocks(node.sensors):
            response = self._request(
                node, partial(self._client.read_input_registers, first, count=count, device_id=node.address)
            )
            if len(response.registers) < count:
                raise NodeUnreachable(node.id, f"short answer: {len(response.registers)} of {count} registers")
            for s in sensors:
                encoding = s.encoding
                at = encoding.address - first
                values[s.id] = _value(encoding, response.registers[at : at + encoding.count])
        return values

    def write_actuator(self, node: Node, actuator: Actuator, on: bool, position_pct: float | None) -> None:
        if actuator.holding_register is not None:
            pct = position_pct if position_pct is not None else (100.0 if on else 0.0)
            value = min(100, max(0, round(pct)))
            self._request(
                node, partial(self._client.write_register, actuator.holding_register, value, device_id=node.address)
            )
        elif actuator.coil is not None:
            self._request(node, partial(self._client.write_coil, actuator.coil, on, device_id=node.address))

    def close(self) -> None:
        self._client.close()

    def _request(self, node: Node, send: Callable[[], ModbusPDU]) -> ModbusPDU:
        try:
            response = self._send(send)
        except (ModbusException, OSError) as exc:
            # Also after a timeout: a late answer on this connection must not be taken for the next one's.
            self._client.close()
            raise NodeUnreachable(node.id, f"{self._where()}: {exc}") from None
        if response.isError():
            code = int(getattr(response, "exception_code", 0))
            raise NodeUnreachable(
                node.id, f"{self._where()} unit {node.address}: Modbus exception {code} ({_exception_name(code)})"
            )
        return response

    def _send(self, send: Callable[[], ModbusPDU]) -> ModbusPDU:
        if not self._client.connected:
            return send()
        try:
            return send()
        except ConnectionException:
            # A connection the gateway dropped (reboot, idle timeout) only shows on use: once more on a new one.
            self._client.close()
            return send()

    def _where(self) -> str:
        return f"{self.fieldbus.host}:{self.fieldbus.port}"
