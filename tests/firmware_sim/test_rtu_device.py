"""A simulated device's tables, request PDU in, response PDU out: function codes, exceptions, switch semantics,
timed runs on the device's own clock."""

from __future__ import annotations

import math

import pytest

from contract.devices.encoding import DataType, Encoding, Table, decode
from contract.devices.profile import shipped_profiles
from contract.site import Node, SiteConfig
from firmware_sim.rtu.device import TableDevice
from firmware_sim.rtu.standalone import profile_device

PROFILES = shipped_profiles()


class HandClock:
    """A clock the test moves by hand: the device's time, not the wall's."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _pdu(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def _words(answer: bytes | None) -> list[int]:
    assert answer is not None and answer[0] < 0x80, f"not a normal answer: {answer!r}"
    return [int.from_bytes(answer[2 + i : 4 + i], "big") for i in range(0, answer[1], 2)]


def test_function_codes_and_exceptions_follow_the_modbus_standard() -> None:
    changes: list[str] = []
    device = TableDevice.from_profile(PROFILES["xy-md02"], {"temperature": 21.5, "humidity": 60.0}.__getitem__)
    relays = TableDevice.from_profile(PROFILES["waveshare-relay-8"], lambda _: 0.0, on_change=changes.append)
    cases = {
        "07": (device, "87 01"),  # no such function
        "01 0000 0001": (device, "81 01"),  # it has no coils
        "04 0001 0003": (device, "84 02"),  # past its last register
        "04 0000 0000": (device, "84 03"),  # zero registers
        "04 0001 007E": (device, "84 03"),  # more than 125
        "06 0001 0005": (device, "86 01"),  # it has no holding registers
        "05 0000 1234": (relays, "85 03"),  # a coil takes FF00 or 0000 only
        "05 0009 FF00": (relays, "85 02"),  # no relay 10
        "0F 0006 0003 01 07": (relays, "8F 02"),  # runs past relay 8
        "0F 0000 0002 02 0300": (relays, "8F 03"),  # byte count does not match
    }
    for request, (target, expected) in cases.items():
        assert target.answer(_pdu(request)) == _pdu(expected), request
    assert changes == []  # nothing refused was carried out

    assert _words(device.answer(_pdu("04 0001 0002"))) == [215, 600]
    assert relays.answer(_pdu("0F 0000 0003 01 05")) == _pdu("0F 0000 0003")  # relays 1 and 3 on, 2 off
    assert relays.answer(_pdu("01 0000 0008")) == _pdu("01 01 05")
    assert changes == ["relay-1", "relay-3"]
    assert relays.answer(_pdu("05 0002 0000")) == _pdu("05 0002 0000")
    assert relays.answer(_pdu("05 0002 0000")) == _pdu("05 0002 0000")  # the same again: no change to report
    assert changes == ["relay-1", "relay-3", "relay-3"]


def test_eletechsup_board_switches_with_its_own_values_and_is_silent_to_what_it_does_not_know() -> None:
    board = profile_device(PROFILES["eletechsup-r4d3b16"], lambda _: 0.0)
    assert board.answer(_pdu("06 0003 0100")) == _pdu("06 0003 0100")
    assert _words(board.answer(_pdu("03 0001 0004"))) == [0, 0, 1, 0]
    assert board.answer(_pdu("06 0003 0200")) == _pdu("06 0003 0200")
    assert _words(board.answer(_pdu("03 0003 0001"))) == [0]
    # A value, a register or a function it does not know: no answer at all, and nothing switched.
    for request in ("06 0003 0001", "06 0003 0300", "06 0011 0100", "04 0001 0001", "01 0000 0001"):
        assert board.answer(_pdu(request)) is None, request
    assert not board.is_on("relay-3")
    # Several registers in one request: all or none.
    assert board.answer(_pdu("10 0001 0002 04 0100 0123")) is None
    assert not board.is_on("relay-1") and not board.is_on("relay-2")
    assert board.answer(_pdu("10 0001 0002 04 0100 0100")) == _pdu("10 0001 0002")
    assert board.is_on("relay-1") and board.is_on("relay-2")


def test_a_timed_run_switches_off_by_itself_after_its_time() -> None:
    clock = HandClock()
    changes: list[tuple[str, bool]] = []
    board = TableDevice.from_profile(PROFILES["eletechsup-r4d3b16"], lambda _: 0.0, now=clock)
    board.on_change = lambda key: changes.append((key, board.is_on(key)))
    clock.now = 100.0
    assert board.answer(_pdu("06 0005 0605")) == _pdu("06 0005 0605")  # relay 5 on for 5 s
    clock.now = 104.9
    assert _words(board.answer(_pdu("03 0005 0001"))) == [1]
    clock.now = 105.0
    board.tick()  # the simulator ticks every device: the relay drops without a request
    assert changes == [("relay-5", True), ("relay-5", False)]
    assert _words(board.answer(_pdu("03 0005 0001"))) == [0]
    # A plain "on" written during a timed run makes it last.
    board.answer(_pdu("06 0005 0602"))
    board.answer(_pdu("06 0005 0100"))
    clock.now = 1000.0
    assert _words(board.answer(_pdu("03 0005 0001"))) == [1]


def test_a_node_without_profile_serves_its_generic_layout(site_positioners: Node, site_canopy: Node) -> None:
    canopy = TableDevice.from_node(site_canopy, lambda key: {"leaf-temp": 23.25}.get(key, 1.0))
    leaf_temp, par = (s.encoding for s in site_canopy.sensors)
    assert decode(leaf_temp, _words(canopy.answer(_pdu("04 0000 0002")))) == 23.25  # a float32 in two registers
    assert decode(par, _words(canopy.answer(_pdu("04 0002 0002")))) == 1.0
    # The positioners, with a generic relay (a "coil") added: the example's relay boards all have profiles.
    data = site_positioners.model_dump(mode="json", exclude_none=True)
    data["actuators"].append({"id": "pump", "kind": "pump", "coil": 2})
    positioners = TableDevice.from_node(Node.model_validate(data), lambda _: 0.0)
    assert [a.holding_register for a in site_positioners.actuators] == [0, 1]  # the roof vent, the shade
    assert positioners.answer(_pdu("06 0001 004B")) == _pdu("06 0001 004B")  # the shade to 75 %
    assert positioners.answer(_pdu("06 0001 0096")) == _pdu("86 03")  # 150 % is refused
    assert _words(positioners.answer(_pdu("03 0000 0002"))) == [0, 75]
    assert positioners.position("shade") == 75
    assert positioners.output_at(Table.COIL, 2) == "pump"
    assert positioners.answer(_pdu("05 0002 FF00")) == _pdu("05 0002 FF00")
    assert positioners.is_on("pump")


def test_values_an_integer_register_cannot_hold_read_as_a_real_probe_shows_them() -> None:
    point = Encoding(table=Table.INPUT_REGISTER, address=0, data_type=DataType.INT16, scale=0.1)
    values = {"t": math.nan}
    device = TableDevice(values.__getitem__, points={"t": point})
    assert _words(device.answer(_pdu("04 0000 0001"))) == [0x7FFF]  # a broken element: far outside any range
    values["t"] = 5000.0
    assert _words(device.answer(_pdu("04 0000 0001"))) == [0x7FFF]  # saturated
    values["t"] = -10.1
    assert _words(device.answer(_pdu("04 0000 0001"))) == [0xFF9B]


@pytest.fixture
def site_positioners(site: SiteConfig) -> Node:
    node = site.greenhouses[0].node_of("shade")
    assert node.profile is None
    return node


@pytest.fixture
def site_canopy(site: SiteConfig) -> Node:
    node = site.greenhouses[0].node_of("leaf-temp")
    assert node.profile is None
    return node
