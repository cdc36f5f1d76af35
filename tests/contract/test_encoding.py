"""The codec between a device's registers and a number, against published values: IEEE 754 binary32 bit patterns,
two's complement, Modbus's big-endian registers (Modbus Application Protocol V1.1b3 §4.2) and the four word/byte
orders devices use, and the XY-MD02's signed tenths of a degree."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contract.devices.encoding import DataType, Encoding, EncodingError, Order, Table, decode, encode

HOLDING, INPUT = Table.HOLDING_REGISTER, Table.INPUT_REGISTER


def _enc(data_type: DataType, words: Order = Order.BIG, bytes_: Order = Order.BIG, **over: float) -> Encoding:
    return Encoding(table=INPUT, address=0, data_type=data_type, word_order=words, byte_order=bytes_, **over)


# 1.0 is 0x3F800000 and -2.5 is 0xC0200000 in IEEE 754 binary32; 123456.0 is 0x47F12000.
@pytest.mark.parametrize(
    ("words", "bytes_", "raw"),
    [
        (Order.BIG, Order.BIG, [0x47F1, 0x2000]),  # ABCD
        (Order.LITTLE, Order.BIG, [0x2000, 0x47F1]),  # CDAB, "word swapped": many Chinese sensors
        (Order.BIG, Order.LITTLE, [0xF147, 0x0020]),  # BADC
        (Order.LITTLE, Order.LITTLE, [0x0020, 0xF147]),  # DCBA
    ],
)
def test_float32_in_each_of_the_four_orders(words: Order, bytes_: Order, raw: list[int]) -> None:
    encoding = _enc(DataType.FLOAT32, words, bytes_)
    assert decode(encoding, raw) == 123456.0
    assert encode(encoding, 123456.0) == raw


def test_float32_published_bit_patterns() -> None:
    encoding = _enc(DataType.FLOAT32)
    assert decode(encoding, [0x3F80, 0x0000]) == 1.0
    assert decode(encoding, [0xC020, 0x0000]) == -2.5
    assert encode(encoding, -2.5) == [0xC020, 0x0000]


def test_a_float32_that_holds_nan_or_infinity_is_no_reading() -> None:
    with pytest.raises(EncodingError, match="not a number"):
        decode(_enc(DataType.FLOAT32), [0x7FC0, 0x0000])  # quiet NaN
    with pytest.raises(EncodingError, match="not a number"):
        decode(_enc(DataType.FLOAT32), [0x7F80, 0x0000])  # +infinity


def test_xy_md02_signed_tenths_of_a_degree() -> None:
    # XY-MD02 input register 1: temperature × 10 as a signed 16-bit value; below zero in two's complement.
    temperature = Encoding(table=INPUT, address=1, data_type=DataType.INT16, scale=0.1)
    assert decode(temperature, [0x00F5]) == pytest.approx(24.5)
    assert decode(temperature, [0xFF9C]) == pytest.approx(-10.0)  # 0xFF9C = -100
    assert encode(temperature, -10.0) == [0xFF9C]
    assert encode(temperature, -0.04) == [0x0000]  # to the nearest tenth
    as_unsigned = temperature.model_copy(update={"data_type": DataType.UINT16})
    assert decode(as_unsigned, [0xFF9C]) == pytest.approx(6543.6)  # why the sign matters on a frost night


def test_32_bit_integers_and_their_word_order() -> None:
    assert decode(_enc(DataType.INT32), [0xFFFF, 0xFFFF]) == -1
    assert decode(_enc(DataType.UINT32), [0x0001, 0x0000]) == 65536
    assert decode(_enc(DataType.UINT32, Order.LITTLE), [0x0000, 0x0001]) == 65536
    # A flow meter's pulse total in litres, past what one register holds.
    total = _enc(DataType.UINT32, scale=0.1)
    assert encode(total, 123456.7) == [0x0012, 0xD687]  # 1234567 = 0x0012D687
    assert decode(total, [0x0012, 0xD687]) == pytest.approx(123456.7)


def test_scale_and_offset_both_ways() -> None:
    # A sensor reporting (°C + 40) × 10 as unsigned: -40 °C is 0.
    shifted = _enc(DataType.UINT16, scale=0.1, offset=-40.0)
    assert decode(shifted, [0]) == pytest.approx(-40.0)
    assert decode(shifted, [652]) == pytest.approx(25.2)
    assert encode(shifted, 25.2) == [652]


def test_bits() -> None:
    door = Encoding(table=Table.DISCRETE_INPUT, address=3, data_type=DataType.BIT)
    assert (decode(door, [1]), decode(door, [0])) == (1.0, 0.0)
    assert encode(door, 1.0) == [1]
    with pytest.raises(EncodingError):
        decode(door, [2])


@pytest.mark.parametrize(
    ("data_type", "value"),
    [(DataType.INT16, 40000), (DataType.UINT16, -1), (DataType.UINT16, 65536), (DataType.INT32, 2**31)],
)
def test_a_number_that_does_not_fit_is_refused_not_wrapped(data_type: DataType, value: float) -> None:
    with pytest.raises(EncodingError, match="does not fit"):
        encode(_enc(data_type), value)


def test_raw_values_of_the_wrong_count_or_range_are_refused() -> None:
    with pytest.raises(EncodingError, match="takes 2"):
        decode(_enc(DataType.FLOAT32), [0x3F80])
    with pytest.raises(EncodingError, match="0 to 65535"):
        decode(_enc(DataType.UINT16), [70000])


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"table": "coil", "data_type": "int16"}, "holds a bit"),
        ({"table": "holding_register", "data_type": "bit"}, "holds a register value"),
        ({"table": "input_register", "data_type": "float32", "address": 65535}, "runs past"),
        ({"table": "input_register", "scale": 0}, "scale"),
    ],
)
def test_an_encoding_that_no_device_could_have_is_refused(fields: dict[str, object], said: str) -> None:
    with pytest.raises(ValidationError, match=said):
        Encoding.model_validate({"address": 0, **fields})
