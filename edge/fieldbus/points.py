"""What one node's read asks of the device: its points grouped into as few requests as Modbus allows, and the
numbers its answers hold.

A point is one value at a table address: a sensor's encoding, the read-back of an output, a positioner's position
or a motor's closed-end bit. Points of one table are read together when they lie close: a gap of a few unused
addresses inside a request is fine (the JXCT manual itself reads 0x12–0x15 around an unused 0x14), but a request
never spans far past what the device has, since many answer a request touching an unknown address with "illegal
data address" and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from contract.devices.encoding import DataType, Encoding, EncodingError, Table, decode
from contract.devices.profile import Switch
from contract.site import Node

# Modbus Application Protocol V1.1b3 §6.1–6.4: at most 2000 bits or 125 registers per read.
MAX_BITS = 2000
MAX_REGISTERS = 125
# Unused addresses a request may span between two points.
MAX_GAP = 3


class Use(StrEnum):
    """What a point's value is for, which says where it lands in a NodeRead."""

    SENSOR = "sensor"  # values[sensor id]: the decoded number
    SWITCH = "switch"  # outputs[switch key]: on?
    POSITION = "position"  # outputs[actuator id]: % reported by a positioner
    CLOSED_LIMIT = "closed_limit"  # outputs["<actuator id>:closed_limit"]: the motor is at its closed end


@dataclass(frozen=True)
class Point:
    key: str  # the sensor id, or the output's key in NodeRead.outputs
    use: Use
    encoding: Encoding
    switch: Switch | None = None  # for SWITCH: how its read-back is told apart

    def value(self, raw: list[int]) -> float | bool | None:
        """The point's value in these raw bits or registers; None where they hold none (a probe's NaN dropout,
        a read-back that is neither the on nor the off value)."""
        if self.use is Use.SWITCH:
            assert self.switch is not None
            seen = raw[0]
            if seen == self.switch.reads_on:
                return True
            return False if seen == self.switch.reads_off else None
        try:
            number = decode(self.encoding, raw)
        except EncodingError:
            return None
        return bool(number) if self.use is Use.CLOSED_LIMIT else number


@dataclass(frozen=True)
class Block:
    """One read request: ``count`` bits or registers of ``table`` from ``address``, holding ``points``."""

    table: Table
    address: int
    count: int
    points: tuple[Point, ...]

    def values(self, raw: list[int]) -> dict[Point, float | bool | None]:
        """Each point's value in this request's answer (``raw``: exactly ``count`` bits or registers)."""
        out: dict[Point, float | bool | None] = {}
        for point in self.points:
            at = point.encoding.address - self.address
            out[point] = point.value(raw[at : at + point.encoding.count])
        return out


def readback(switch: Switch) -> Encoding:
    """Where a switch is read back: its own coil, or its register as a plain 16-bit word."""
    data_type = DataType.BIT if switch.table is Table.COIL else DataType.UINT16
    return Encoding(table=switch.table, address=switch.address, data_type=data_type)


def node_points(node: Node) -> list[Point]:
    """Every value one read of ``node`` gathers: its sensors, and the read-back of each output that has one."""
    # A Modbus node's sensors all have an encoding (contract.site: Sensor._located, Node._addresses_unique).
    points = [Point(s.id, Use.SENSOR, s.encoding) for s in node.sensors if s.encoding is not None]
    for actuator in node.actuators:
        if actuator.holding_register is not None:
            position = Encoding(table=Table.HOLDING_REGISTER, address=actuator.holding_register)
            points.append(Point(actuator.id, Use.POSITION, position))
        if actuator.motor is not None and actuator.motor.closed_limit is not None:
            points.append(Point(f"{actuator.id}:closed_limit", Use.CLOSED_LIMIT, actuator.motor.closed_limit))
        points += [
            Point(key, Use.SWITCH, readback(switch), switch)
            for key, switch in actuator.switches.items()
            if switch.reads_on is not None
        ]
    return points


def plan(points: list[Point]) -> list[Block]:
    """The fewest read requests that cover ``points``: per table, in address order, a point joins the request
    before it while the request stays within the table's limit and the gap between them is at most MAX_GAP.
    Points that share addresses (a sensor that is also a read-back) share the request."""
    blocks: list[Block] = []
    for table in Table:
        limit = MAX_BITS if table.bits else MAX_REGISTERS
        current: Block | None = None
        for point in sorted((p for p in points if p.encoding.table is table), key=lambda p: p.encoding.address):
            start, end = point.encoding.address, point.encoding.address + point.encoding.count
            if current is not None:
                current_end = current.address + current.count
                if start - current_end <= MAX_GAP and max(end, current_end) - current.address <= limit:
                    count = max(end, current_end) - current.address
                    current = Block(table, current.address, count, (*current.points, point))
                    continue
                blocks.append(current)
            current = Block(table, start, end - start, (point,))
        if current is not None:
            blocks.append(current)
    return blocks
