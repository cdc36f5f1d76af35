"""How a field device holds one value in its Modbus tables, and the one codec between that and a number.

Devices sold for greenhouses disagree on everything: a temperature may be a signed 16-bit register in tenths of
a degree (XY-MD02), a float32 whose words come low half first, or an unsigned register with an offset. An
``Encoding`` says which, and ``decode``/``encode`` turn raw registers into the number in the kind's unit and
back. The edge's drivers and the simulator both use these two functions, so the simulator serves exactly what a
device would and the edge reads it exactly as it would a device's.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contract.validation_words import Mistake


class Table(StrEnum):
    """The four Modbus tables (Modbus Application Protocol V1.1b3 §4.3)."""

    COIL = "coil"  # read-write bits
    DISCRETE_INPUT = "discrete_input"  # read-only bits
    INPUT_REGISTER = "input_register"  # read-only 16-bit words
    HOLDING_REGISTER = "holding_register"  # read-write 16-bit words

    @property
    def bits(self) -> bool:
        return self in (Table.COIL, Table.DISCRETE_INPUT)

    @property
    def writable(self) -> bool:
        return self in (Table.COIL, Table.HOLDING_REGISTER)


class DataType(StrEnum):
    BIT = "bit"
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    FLOAT32 = "float32"

    @property
    def words(self) -> int:
        """Registers the value takes (a bit takes one coil or discrete input instead)."""
        return 2 if self in (DataType.INT32, DataType.UINT32, DataType.FLOAT32) else 1


class Order(StrEnum):
    BIG = "big"  # most significant first: Modbus's own order within a register
    LITTLE = "little"


# struct formats of a value as four or two big-endian bytes (the Modbus order before any swapping).
_FORMATS: dict[DataType, str] = {
    DataType.INT16: ">h",
    DataType.UINT16: ">H",
    DataType.INT32: ">i",
    DataType.UINT32: ">I",
    DataType.FLOAT32: ">f",
}


class EncodingError(ValueError):
    """Raw values that cannot be this encoding, or a number it cannot hold."""


class Encoding(BaseModel):
    """One value in a device's tables: value = raw × scale + offset, raw read as ``data_type`` from ``address``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    table: Table
    address: int = Field(ge=0, le=65535)
    data_type: DataType = DataType.UINT16
    # For 32-bit values: whether the register at ``address`` holds the high half (big) or the low half (little).
    word_order: Order = Order.BIG
    # Within each register: Modbus sends the high byte first (big); a few devices swap them.
    byte_order: Order = Order.BIG
    scale: float = 1.0
    offset: float = 0.0

    @model_validator(mode="after")
    def _fits_its_table(self) -> Encoding:
        if self.scale == 0:
            raise Mistake(
                "scale 0 sẽ đọc mọi giá trị thành đúng offset", "scale 0 would read every value as the offset"
            )
        if self.table.bits != (self.data_type is DataType.BIT):
            what = ("một bit", "a bit") if self.table.bits else ("một giá trị thanh ghi", "a register value")
            raise Mistake(
                f"{self.table.value} chứa {what[0]}, không phải {self.data_type.value}",
                f"a {self.table.value} holds {what[1]}, not {self.data_type.value}",
            )
        if self.address + self.count > 65536:
            raise Mistake(
                f"{self.data_type.value} tại địa chỉ {self.address} vượt quá địa chỉ cuối cùng 65535",
                f"{self.data_type.value} at {self.address} runs past the last address 65535",
            )
        return self

    @property
    def count(self) -> int:
        """How many bits or registers to read."""
        return 1 if self.data_type is DataType.BIT else self.data_type.words


def decode(encoding: Encoding, raw: Sequence[int]) -> float:
    """The value these raw bits or registers hold, in the kind's unit."""
    if len(raw) != encoding.count:
        raise EncodingError(f"{encoding.data_type.value} takes {encoding.count} value(s), got {len(raw)}")
    if encoding.data_type is DataType.BIT:
        if raw[0] not in (0, 1):
            raise EncodingError(f"a bit is 0 or 1, got {raw[0]}")
        number = float(raw[0])
    else:
        if any(not 0 <= word <= 0xFFFF for word in raw):
            raise EncodingError(f"registers are 0 to 65535, got {list(raw)}")
        (number,) = struct.unpack(_FORMATS[encoding.data_type], _to_bytes(encoding, raw))
        if not math.isfinite(number):  # a float32 register pair can hold NaN or infinity: never a reading
            raise EncodingError(f"the registers {list(raw)} hold {number}, not a number")
    return number * encoding.scale + encoding.offset


def encode(encoding: Encoding, value: float) -> list[int]:
    """The raw bits or registers a device holding ``value`` shows: the inverse of ``decode``, to the nearest step."""
    raw = (value - encoding.offset) / encoding.scale
    if encoding.data_type is DataType.BIT:
        return [1 if raw >= 0.5 else 0]
    if encoding.data_type is not DataType.FLOAT32:
        raw = round(raw)
    try:
        data = struct.pack(_FORMATS[encoding.data_type], raw)
    except (struct.error, OverflowError):
        raise EncodingError(f"{value} does not fit {encoding.data_type.value} (raw {raw})") from None
    words = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    return _ordered(encoding, words)


def _to_bytes(encoding: Encoding, raw: Sequence[int]) -> bytes:
    return b"".join(word.to_bytes(2, "big") for word in _ordered(encoding, list(raw)))


def _ordered(encoding: Encoding, words: list[int]) -> list[int]:
    """Between Modbus order (high word, high byte first) and the device's; swapping is its own inverse."""
    if encoding.byte_order is Order.LITTLE:
        words = [((w & 0xFF) << 8) | (w >> 8) for w in words]
    if encoding.word_order is Order.LITTLE:
        words = words[::-1]
    return words
