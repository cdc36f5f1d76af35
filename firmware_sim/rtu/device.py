"""One Modbus device as its four tables: what a sensor or relay board answers to each function code.

Built from a device profile (every point and output of the profile, even those the site does not use: the
commissioning scan reads them) or from a site node (its sensors' encodings, switches, 0–100 % positioners).
Sensor values come from a callback and are written with ``contract.devices.encoding.encode``, the codec the
edge decodes with. Outputs follow their ``Switch``: the written on/off values, the values they read back, and a
value the device does not know is refused as the real device refuses it (an exception, or silence).

Function codes 1, 2, 3, 4, 5, 6, 15 and 16, with the exceptions of the Modbus Application Protocol V1.1b3
(§6, §7): 1 for a function or table the device does not have, 2 for an address it does not have or cannot
write, 3 for a quantity or value it does not take.
"""

from __future__ import annotations

import math
import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from pymodbus.constants import ExcCodes
from pymodbus.pdu.utils import pack_bitstring, unpack_bitstring

from contract.devices.encoding import DataType, Encoding, Table, encode
from contract.devices.profile import DeviceProfile, Switch, TimedOn
from contract.site import Node

_READS = {1: Table.COIL, 2: Table.DISCRETE_INPUT, 3: Table.HOLDING_REGISTER, 4: Table.INPUT_REGISTER}
_WRITE_COIL, _WRITE_REGISTER, _WRITE_COILS, _WRITE_REGISTERS = 5, 6, 15, 16
# Most a request may carry (Modbus Application Protocol V1.1b3 §6.1–6.12).
_MAX_READ_BITS, _MAX_READ_WORDS, _MAX_WRITE_BITS, _MAX_WRITE_WORDS = 2000, 125, 1968, 123
_COIL_ON, _COIL_OFF = 0xFF00, 0x0000
# What an integer register shows when its probe gives no reading: the type's largest raw value, which decodes far
# outside any point's range, as real probes show 0x7FFF or 0xFFFF for a broken element.
_RAW_LIMITS: dict[DataType, tuple[int, int]] = {
    DataType.INT16: (-0x8000, 0x7FFF),
    DataType.UINT16: (0, 0xFFFF),
    DataType.INT32: (-0x80000000, 0x7FFFFFFF),
    DataType.UINT32: (0, 0xFFFFFFFF),
}


class Refusal(StrEnum):
    """How a device refuses what it does not take."""

    EXCEPTION = "exception"  # a Modbus exception response, as the standard says
    SILENT = "silent"  # no answer at all


# Devices whose sheet says they say nothing to a command they do not know (the profile model has no field for it).
_SILENT_PROFILES = frozenset({"eletechsup-r4d3b16"})

Values = Callable[[str], float]
Now = Callable[[], float]
OnChange = Callable[[str], None]


class _Refused(Exception):
    def __init__(self, code: ExcCodes) -> None:
        self.code = code


@dataclass(frozen=True)
class _Point:
    key: str
    encoding: Encoding


@dataclass(frozen=True)
class _Output:
    key: str
    switch: Switch
    timed_on: TimedOn | None


@dataclass(frozen=True)
class _Positioner:
    key: str


_Cell = _Point | _Output | _Positioner


class TableDevice:
    """A device's tables; implements ``firmware_sim.rtu.line.RtuDevice``.

    ``points``: read-only values by key (the callback ``values`` gives each in its unit); ``outputs``: on/off
    outputs by key, ``timed``: the run a device times itself for some of them; ``positioners``: holding
    registers that take and report a position in %. ``now`` is the time (seconds) timed runs are measured in;
    ``on_change`` is called with an output's key whenever it switches or moves, whatever moved it.
    """

    def __init__(
        self,
        values: Values,
        points: Mapping[str, Encoding] | None = None,
        outputs: Mapping[str, Switch] | None = None,
        timed: Mapping[str, TimedOn] | None = None,
        positioners: Mapping[str, int] | None = None,
        now: Now = time.monotonic,
        refusal: Refusal = Refusal.EXCEPTION,
        on_change: OnChange | None = None,
    ) -> None:
        self.values = values
        self.now = now
        self.refusal = refusal
        self.on_change = on_change
        self._cells: dict[Table, dict[int, _Cell]] = {t: {} for t in Table}
        self._on: dict[str, bool] = {}
        self._until: dict[str, float] = {}
        self._position: dict[str, float] = {}
        timed = timed or {}
        unknown = sorted(set(timed) - set(outputs or {}))
        if unknown:
            raise ValueError(f"timed runs for outputs that are not there: {unknown}")
        for key, encoding in (points or {}).items():
            for address in range(encoding.address, encoding.address + encoding.count):
                self._place(encoding.table, address, _Point(key, encoding))
        for key, switch in (outputs or {}).items():
            output = _Output(key, switch, timed.get(key))
            self._place(switch.table, switch.address, output)
            if output.timed_on is not None and output.timed_on.address != switch.address:
                self._place(output.timed_on.table, output.timed_on.address, output)
            self._on[key] = False
        for key, address in (positioners or {}).items():
            self._place(Table.HOLDING_REGISTER, address, _Positioner(key))
            self._position[key] = 0.0
        # Reads may span the gaps between a table's values (profiles read several at once); not beyond.
        self._span = {t: (min(cells), max(cells)) for t, cells in self._cells.items() if cells}

    def _place(self, table: Table, address: int, cell: _Cell) -> None:
        there = self._cells[table].get(address)
        if there is not None and there != cell:
            raise ValueError(f"{cell.key!r} and {there.key!r} both at {table.value} {address}")
        self._cells[table][address] = cell

    @classmethod
    def from_profile(
        cls, profile: DeviceProfile, values: Values, now: Now = time.monotonic, on_change: OnChange | None = None
    ) -> TableDevice:
        """Every point and output of ``profile``, by their keys."""
        return cls.from_node(None, values, now, on_change, profile)

    @classmethod
    def from_node(
        cls,
        node: Node | None,
        values: Values,
        now: Now = time.monotonic,
        on_change: OnChange | None = None,
        profile: DeviceProfile | None = None,
    ) -> TableDevice:
        """A site node: its profile's points and outputs (if given), and whatever else the node describes —
        sensors by id, on/off actuators by id, a motor's relays as ``<id>:open`` and ``<id>:close`` and its
        limit switch as ``<id>/closed-limit``, positioners by id."""
        points = {s.key: s.encoding for s in profile.sensors} if profile else {}
        outputs = {o.key: o.switch for o in profile.outputs} if profile else {}
        timed = {o.key: o.timed_on for o in profile.outputs if o.timed_on is not None} if profile else {}
        positioners: dict[str, int] = {}
        for sensor in node.sensors if node else []:
            if sensor.encoding not in points.values():
                points[sensor.id] = sensor.encoding
        served = {(s.table, s.address) for s in outputs.values()}
        for actuator in node.actuators if node else []:
            for key, switch in actuator.switches.items():
                if (switch.table, switch.address) not in served:
                    outputs[key] = switch
                    if actuator.timed_on is not None:
                        timed[key] = actuator.timed_on
            if actuator.holding_register is not None:
                positioners[actuator.id] = actuator.holding_register
            limit = actuator.motor.closed_limit if actuator.motor else None
            if limit is not None and limit not in points.values():
                points[f"{actuator.id}/closed-limit"] = limit
        silent = profile is not None and profile.id in _SILENT_PROFILES
        return cls(
            values,
            points=points,
            outputs=outputs,
            timed=timed,
            positioners=positioners,
            now=now,
            refusal=Refusal.SILENT if silent else Refusal.EXCEPTION,
            on_change=on_change,
        )

    # What the simulator around the device sees and does.

    def point_at(self, encoding: Encoding) -> str | None:
        """The key of the point served with ``encoding``."""
        cell = self._cells[encoding.table].get(encoding.address)
        return cell.key if isinstance(cell, _Point) and cell.encoding == encoding else None

    def output_at(self, table: Table, address: int) -> str | None:
        """The key of the output or positioner written at ``table`` ``address``."""
        cell = self._cells[table].get(address)
        return None if cell is None or isinstance(cell, _Point) else cell.key

    def is_on(self, key: str) -> bool:
        return self._on[key]

    def set_on(self, key: str, on: bool) -> None:
        self._switch(key, on, None)

    def position(self, key: str) -> float:
        return self._position[key]

    def set_position(self, key: str, pct: float) -> None:
        before = self._position[key]
        self._position[key] = pct
        if pct != before and self.on_change is not None:
            self.on_change(key)

    def tick(self) -> None:
        """End the timed runs that are over."""
        now = self.now()
        for key in [k for k, until in self._until.items() if until <= now]:
            self._switch(key, False, None)

    def _switch(self, key: str, on: bool, until: float | None) -> None:
        before = self._on[key]
        self._on[key] = on
        if until is None:
            self._until.pop(key, None)
        else:
            self._until[key] = until
        if on != before and self.on_change is not None:
            self.on_change(key)

    # Modbus.

    def answer(self, pdu: bytes) -> bytes | None:
        if not pdu:
            return None
        self.tick()
        code = pdu[0]
        try:
            if code in _READS:
                return bytes([code]) + self._read(_READS[code], pdu[1:])
            if code in (_WRITE_COIL, _WRITE_REGISTER):
                for action in self._single_write(code, pdu[1:]):
                    action()
                return pdu
            if code in (_WRITE_COILS, _WRITE_REGISTERS):
                for action in self._multiple_write(code, pdu[1:]):
                    action()
                return pdu[:5]
            raise _Refused(ExcCodes.ILLEGAL_FUNCTION)
        except _Refused as refused:
            return None if self.refusal is Refusal.SILENT else bytes([code | 0x80, refused.code])

    def _read(self, table: Table, data: bytes) -> bytes:
        if len(data) != 4:
            raise _Refused(ExcCodes.ILLEGAL_VALUE)
        address, count = struct.unpack(">HH", data)
        if not 1 <= count <= (_MAX_READ_BITS if table.bits else _MAX_READ_WORDS):
            raise _Refused(ExcCodes.ILLEGAL_VALUE)
        if table not in self._span:
            raise _Refused(ExcCodes.ILLEGAL_FUNCTION)
        first, last = self._span[table]
        if address < first or address + count - 1 > last:
            raise _Refused(ExcCodes.ILLEGAL_ADDRESS)
        raw: dict[str, list[int]] = {}  # each point's words, from one value (a 32-bit value is never torn)
        words = [self._read_cell(table, a, raw) for a in range(address, address + count)]
        if table.bits:
            packed = pack_bitstring([bool(w) for w in words])
            return bytes([len(packed)]) + packed
        return bytes([2 * count]) + b"".join(w.to_bytes(2, "big") for w in words)

    def _read_cell(self, table: Table, address: int, raw: dict[str, list[int]]) -> int:
        cell = self._cells[table].get(address)
        if cell is None:
            return 0
        if isinstance(cell, _Point):
            if cell.key not in raw:
                raw[cell.key] = _raw_words(cell.encoding, self.values(cell.key))
            return raw[cell.key][address - cell.encoding.address]
        if isinstance(cell, _Positioner):
            return round(self._position[cell.key])
        on = self._on[cell.key]
        if table.bits:
            return int(on)
        read_back = cell.switch.reads_on if on else cell.switch.reads_off
        if read_back is None:  # this output cannot be read back
            raise _Refused(ExcCodes.ILLEGAL_ADDRESS)
        return read_back

    def _single_write(self, code: int, data: bytes) -> list[Callable[[], None]]:
        if len(data) != 4:
            raise _Refused(ExcCodes.ILLEGAL_VALUE)
        address, value = struct.unpack(">HH", data)
        if code == _WRITE_COIL:
            cell = self._cells[Table.COIL].get(address)
            timed = cell.timed_on if isinstance(cell, _Output) else None
            if timed is not None and timed.table is Table.COIL and address == timed.address:
                meaning = _meaning(cell, address, value)  # a run the board times: the time is the value
                if meaning is None:
                    raise _Refused(ExcCodes.ILLEGAL_VALUE)
                return [partial(self._run, cell.key, *meaning)]
            if value not in (_COIL_ON, _COIL_OFF):
                raise _Refused(ExcCodes.ILLEGAL_VALUE)
            return self._writable(Table.COIL, address, [int(value == _COIL_ON)])
        return self._writable(Table.HOLDING_REGISTER, address, [value])

    def _multiple_write(self, code: int, data: bytes) -> list[Callable[[], None]]:
        if len(data) < 5:
            raise _Refused(ExcCodes.ILLEGAL_VALUE)
        address, count, byte_count = struct.unpack(">HHB", data[:5])
        body = data[5:]
        if code == _WRITE_COILS:
            if not 1 <= count <= _MAX_WRITE_BITS or byte_count != (count + 7) // 8 or len(body) != byte_count:
                raise _Refused(ExcCodes.ILLEGAL_VALUE)
            return self._writable(Table.COIL, address, [int(b) for b in unpack_bitstring(body)[:count]])
        if not 1 <= count <= _MAX_WRITE_WORDS or byte_count != 2 * count or len(body) != byte_count:
            raise _Refused(ExcCodes.ILLEGAL_VALUE)
        words = [int.from_bytes(body[i : i + 2], "big") for i in range(0, byte_count, 2)]
        return self._writable(Table.HOLDING_REGISTER, address, words)

    def _writable(self, table: Table, address: int, values: list[int]) -> list[Callable[[], None]]:
        """What each write does, every one checked before any is done, so that a refused request changes
        nothing."""
        if not self._cells[table]:
            raise _Refused(ExcCodes.ILLEGAL_FUNCTION)
        actions: list[Callable[[], None]] = []
        for at, value in enumerate(values, start=address):
            cell = self._cells[table].get(at)
            if cell is None or isinstance(cell, _Point):
                raise _Refused(ExcCodes.ILLEGAL_ADDRESS)
            if isinstance(cell, _Positioner):
                if not 0 <= value <= 100:  # a positioner takes 0–100 %
                    raise _Refused(ExcCodes.ILLEGAL_VALUE)
                actions.append(partial(self.set_position, cell.key, float(value)))
                continue
            meaning = (bool(value), None) if table.bits else _meaning(cell, at, value)
            if meaning is None:
                raise _Refused(ExcCodes.ILLEGAL_VALUE)
            actions.append(partial(self._run, cell.key, *meaning))
        return actions

    def _run(self, key: str, on: bool, run_s: float | None) -> None:
        self._switch(key, on, None if run_s is None else self.now() + run_s)


def _meaning(output: _Output, address: int, value: int) -> tuple[bool, float | None] | None:
    """What writing ``value`` at ``address`` does to ``output``: (on, how long a timed run lasts), or None if
    the device does not know the value."""
    timed = output.timed_on
    if timed is not None and address == timed.address and timed.base < value <= timed.base + timed.max_units:
        return True, (value - timed.base) * timed.unit_s
    if address == output.switch.address and not output.switch.table.bits:
        if value == output.switch.on_value:
            return True, None
        if value == output.switch.off_value:
            return False, None
    return None


def _raw_words(encoding: Encoding, value: float) -> list[int]:
    """``encode``, with what a real device shows for what an integer register cannot hold: no reading (its
    type's largest value), or a value beyond its type (held at the limit, as a saturated converter does)."""
    if encoding.data_type in (DataType.BIT, DataType.FLOAT32):  # a float holds NaN; a bit reads 0 for it
        return encode(encoding, value)
    low, high = _RAW_LIMITS[encoding.data_type]
    raw = (value - encoding.offset) / encoding.scale
    raw = high if not math.isfinite(raw) else min(high, max(low, raw))
    return encode(encoding, raw * encoding.scale + encoding.offset)
