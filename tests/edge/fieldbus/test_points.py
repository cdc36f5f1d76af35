"""Read planning: a node's points in as few requests as Modbus allows, never far past what the device has."""

from __future__ import annotations

import math
import struct

import pytest

from contract.devices.encoding import DataType, Encoding, Table
from contract.devices.profile import Switch
from edge.fieldbus.points import MAX_BITS, MAX_GAP, MAX_REGISTERS, Point, Use, node_points, plan
from tests.edge.fieldbus.support import greenhouse, profile_node

BUS = {"protocol": "modbus_tcp", "timeout_s": 0.3}
HR = "holding_register"


def _sensor(key: str, address: int, data_type: DataType = DataType.UINT16, table: Table = Table.HOLDING_REGISTER):
    return Point(key, Use.SENSOR, Encoding(table=table, address=address, data_type=data_type))


def _spans(points: list[Point]) -> list[tuple[str, int, int]]:
    return [(b.table.value, b.address, b.count) for b in plan(points)]


def test_the_jxct_probe_is_read_as_its_manual_says_three_requests_around_its_gaps() -> None:
    node = greenhouse([BUS], [profile_node("soil", 1, "jxbs-3001-npk")]).nodes[0]
    # pH alone at 6; 18–21 in one request across the unused 20; N, P, K at 30–32.
    assert _spans(node_points(node)) == [
        ("holding_register", 6, 1),
        ("holding_register", 18, 4),
        ("holding_register", 30, 3),
    ]


def test_a_sixteen_relay_board_is_read_back_in_one_request_and_a_float_pair_is_never_split() -> None:
    node = greenhouse([BUS], [profile_node("relays", 1, "eletechsup-r4d3b16")]).nodes[0]
    assert _spans(node_points(node)) == [("holding_register", 1, 16)]
    meter = greenhouse([BUS], [profile_node("meter", 1, "wb-mcm8")]).nodes[0]
    assert _spans(node_points(meter)) == [("input_register", 60, 16)]


def test_requests_stay_within_the_limits_and_small_gaps() -> None:
    # 200 float32 values back to back: 400 registers in requests of at most 125, no value split between two.
    points = [_sensor(f"f{i}", 2 * i, DataType.FLOAT32, Table.INPUT_REGISTER) for i in range(200)]
    blocks = plan(points)
    assert all(b.count <= MAX_REGISTERS for b in blocks)
    assert sum(len(b.points) for b in blocks) == 200
    assert [b.count for b in blocks] == [124, 124, 124, 28]
    bits = [
        Point(f"c{i}", Use.SENSOR, Encoding(table=Table.COIL, address=i, data_type=DataType.BIT)) for i in range(2500)
    ]
    assert [b.count for b in plan(bits)] == [MAX_BITS, 500]
    # A gap of MAX_GAP unused addresses is read through; one more and it is two requests.
    assert _spans([_sensor("a", 0), _sensor("b", 1 + MAX_GAP)]) == [("holding_register", 0, 2 + MAX_GAP)]
    assert _spans([_sensor("a", 0), _sensor("b", 2 + MAX_GAP)]) == [
        ("holding_register", 0, 1),
        ("holding_register", 2 + MAX_GAP, 1),
    ]
    # Each table its own requests.
    assert len(plan([_sensor("a", 0), _sensor("b", 1, table=Table.INPUT_REGISTER)])) == 2


def test_answers_decode_as_devices_encode_and_nan_is_no_value() -> None:
    temp = Point("t", Use.SENSOR, Encoding(table=Table.INPUT_REGISTER, address=1, data_type=DataType.INT16, scale=0.1))
    wide = Point("f", Use.SENSOR, Encoding(table=Table.INPUT_REGISTER, address=2, data_type=DataType.FLOAT32))
    (block,) = plan([temp, wide])
    values = block.values([0xFF9B, 0x41A8, 0x0000])  # FF9BH = -10.1 °C, the JXCT manual's example
    assert values[temp] == pytest.approx(-10.1) and values[wide] == 21.0
    nan_words = list(struct.unpack(">HH", struct.pack(">f", math.nan)))
    assert block.values([0x0131, *nan_words]) == {temp: pytest.approx(30.5), wide: None}  # XY-MD02's 0x0131


def test_read_backs_tell_on_from_off_and_say_nothing_of_what_is_neither() -> None:
    switch = Switch(table=Table.HOLDING_REGISTER, address=1, on_value=0x0100, off_value=0x0200, reads_on=1, reads_off=0)
    point = Point("pump", Use.SWITCH, Encoding(table=Table.HOLDING_REGISTER, address=1), switch)
    assert (point.value([1]), point.value([0]), point.value([7])) == (True, False, None)


def test_outputs_read_back_where_they_can_be_and_a_motors_relays_have_their_own_keys() -> None:
    gh = greenhouse(
        [BUS],
        [
            {
                "id": "relays",
                "address": 1,
                "profile": "waveshare-relay-8",
                "actuators": [
                    {"id": "pump", "kind": "pump", "output": "relay-1"},
                    {
                        "id": "vent",
                        "kind": "vent",
                        "motor": {
                            "open": "relay-2",
                            "close": "relay-3",
                            "travel_s": 60,
                            "closed_limit": {"table": "discrete_input", "address": 0, "data_type": "bit"},
                        },
                    },
                    {
                        "id": "blind",
                        "kind": "valve",
                        "switch": {"table": "holding_register", "address": 9, "reads_on": None, "reads_off": None},
                    },
                ],
            },
            {
                "id": "screens",
                "address": 2,
                "actuators": [{"id": "screen", "kind": "shade_screen", "holding_register": 5}],
            },
        ],
    )
    relays, screen = gh.nodes
    keys = {(p.key, p.use) for p in node_points(relays)}
    assert keys == {
        ("pump", Use.SWITCH),
        ("vent:open", Use.SWITCH),
        ("vent:close", Use.SWITCH),
        ("vent:closed_limit", Use.CLOSED_LIMIT),
    }  # "blind" cannot be read back: not read
    assert _spans(node_points(relays)) == [("coil", 0, 3), ("discrete_input", 0, 1)]
    assert [(p.key, p.use) for p in node_points(screen)] == [("screen", Use.POSITION)]
