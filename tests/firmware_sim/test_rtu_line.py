"""Simulated devices on a real Modbus RTU line: a pseudo-terminal the master opens like /dev/ttyUSB0 (or TCP, as
RS485 converters carry RTU), read and written by pymodbus's own serial client, with the line's faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial
from pymodbus.exceptions import ModbusIOException
from pymodbus.framer.rtu import FramerRTU

from contract.devices.encoding import DataType, Table, decode
from contract.devices.profile import ProfileSensor, shipped_profiles
from firmware_sim.rtu.line import LineFaults, RtuLine
from firmware_sim.rtu.standalone import LineThread, profile_device
from tests.firmware_sim.support import rtu_tcp_master, serial_master, wait_for

PROFILES = shipped_profiles()
SENSING = sorted(p for p in PROFILES if PROFILES[p].sensors)
# One bus with a device of every shipped profile that measures something, at addresses 1, 2, …
ADDRESS = {profile_id: i for i, profile_id in enumerate(SENSING, start=1)}
BOARD, SECOND_BOARD = 100, 101  # Eletechsup relay boards


def served(point: ProfileSensor) -> float:
    """A value for the point that shows a wrong sign or scale: below zero where it can be, else well inside its
    range, on the point's own step; past 65535 raw for 32-bit values, so that the word order shows too."""
    if point.encoding.data_type in (DataType.INT16, DataType.INT32) and point.range.min < 0:
        return max(point.range.min, -10.1)
    step = point.encoding.scale
    return round((point.range.min + 0.37 * (point.range.max - point.range.min)) / step) * step


def _values(profile_id: str) -> dict[str, float]:
    return {p.key: served(p) for p in PROFILES[profile_id].sensors}


@pytest.fixture
def line() -> RtuLine:
    devices = {ADDRESS[p]: profile_device(PROFILES[p], _values(p).__getitem__) for p in SENSING}
    devices[BOARD] = profile_device(PROFILES["eletechsup-r4d3b16"], lambda _: 0.0)
    devices[SECOND_BOARD] = profile_device(PROFILES["eletechsup-r4d3b16"], lambda _: 0.0)
    return RtuLine(devices)


@pytest.fixture
def bus(line: RtuLine, tmp_path: Path) -> Iterator[LineThread]:
    with LineThread(line, link=tmp_path / "dev" / "ttyUSB0", port=0) as thread:
        yield thread


def _read(client: object, table: Table, address: int, count: int, device_id: int) -> list[int]:
    read = {Table.HOLDING_REGISTER: "read_holding_registers", Table.INPUT_REGISTER: "read_input_registers"}[table]
    response = getattr(client, read)(address, count=count, device_id=device_id)
    assert not response.isError(), response
    return list(response.registers)


def test_every_shipped_profile_reads_over_the_pty_as_served(bus: LineThread) -> None:
    assert bus.link is not None and bus.link.is_symlink()
    with serial_master(bus.link) as master:
        for profile_id in SENSING:
            for point in PROFILES[profile_id].sensors:
                enc = point.encoding
                raw = _read(master, enc.table, enc.address, enc.count, ADDRESS[profile_id])
                value = served(point)
                assert decode(enc, raw) == pytest.approx(value, abs=enc.scale / 2), f"{profile_id} {point.key}"
                if value < 0:
                    assert raw[0] & 0x8000, f"{profile_id} {point.key}: {raw} is not negative"
    assert bus.stats().bad_crc_received == 0


def test_a_block_read_across_a_gap_reads_each_value_in_its_place(bus: LineThread) -> None:
    # The JXCT probe's manual: read 0x0012–0x0015 in one request (0x0014 is not a value).
    npk = {p.key: p for p in PROFILES["jxbs-3001-npk"].sensors}
    with serial_master(bus.link or Path()) as master:
        words = _read(master, Table.HOLDING_REGISTER, 0x12, 4, ADDRESS["jxbs-3001-npk"])
    assert decode(npk["moisture"].encoding, words[0:1]) == pytest.approx(served(npk["moisture"]))
    assert decode(npk["temperature"].encoding, words[1:2]) == pytest.approx(-10.1)
    assert decode(npk["ec"].encoding, words[3:4]) == pytest.approx(served(npk["ec"]))


def test_eletechsup_relays_switch_read_back_and_ignore_what_they_do_not_know(bus: LineThread) -> None:
    with serial_master(bus.link or Path()) as master:
        assert not master.write_register(3, 0x0100, device_id=BOARD).isError()
        assert _read(master, Table.HOLDING_REGISTER, 1, 4, BOARD) == [0, 0, 1, 0]
        assert not master.write_register(3, 0x0200, device_id=BOARD).isError()
        assert _read(master, Table.HOLDING_REGISTER, 3, 1, BOARD) == [0]
        with pytest.raises(ModbusIOException):  # the board says nothing to a value it does not know
            master.write_register(3, 0x0001, device_id=BOARD)
        assert _read(master, Table.HOLDING_REGISTER, 3, 1, BOARD) == [0]
        # Address 0 is a broadcast: every board switches, none answers.
        master.write_register(7, 0x0100, device_id=0, no_response_expected=True)
        time.sleep(0.1)  # a master's turnaround delay after a broadcast (serial line V1.02 §2.4.1)
        assert _read(master, Table.HOLDING_REGISTER, 7, 1, BOARD) == [1]
        assert _read(master, Table.HOLDING_REGISTER, 7, 1, SECOND_BOARD) == [1]
    stats = bus.stats()
    assert stats.by_address[0].frames_received == 1 and stats.by_address[0].answers_sent == 0


def test_bad_crc_and_strangers_get_no_answer(bus: LineThread) -> None:
    request = bytes([ADDRESS["xy-md02"], 4, 0, 1, 0, 1])
    good = request + FramerRTU.compute_CRC(request).to_bytes(2, "big")
    stranger = bytes([200, *good[1:6]])
    stranger += FramerRTU.compute_CRC(stranger).to_bytes(2, "big")
    port = serial.Serial(str(bus.link), 9600, timeout=1)
    try:
        for frame in (good[:-1] + bytes([good[-1] ^ 0xFF]), stranger, good):
            port.write(frame)
            time.sleep(0.02)  # the silence that ends a frame
        # Had the first two been answered, their answers would come first.
        answer = port.read(7)
    finally:
        port.close()
    assert answer[:3] == bytes([ADDRESS["xy-md02"], 4, 2])
    assert FramerRTU.check_CRC(answer[:-2], int.from_bytes(answer[-2:], "big"))
    stats = bus.stats()
    assert (stats.frames_received, stats.bad_crc_received, stats.answers_sent) == (3, 1, 1)


def test_a_frame_takes_at_least_its_time_on_the_wire(tmp_path: Path) -> None:
    soil = PROFILES["cwt-soil-7in1"]
    line = RtuLine({1: profile_device(soil, _values(soil.id).__getitem__)}, baud=1200)
    with LineThread(line, link=tmp_path / "ttyUSB0") as bus, serial_master(tmp_path / "ttyUSB0", 2.0, 1200) as m:
        started = time.monotonic()
        _read(m, Table.HOLDING_REGISTER, 0, 7, 1)
        took_s = time.monotonic() - started
        stats = bus.stats()
    # 8 bytes asked, 19 answered (address, function, count, 14 data bytes, CRC), 10 bits a byte at 1200 baud.
    wire_s = (8 + 19) * 10 / 1200
    assert stats.wire_s == pytest.approx(wire_s)
    assert took_s >= wire_s + line.silence_s + line.turnaround_s


def test_dead_corrupt_late_and_deaf_devices_never_give_the_master_a_wrong_value(bus: LineThread) -> None:
    md02, soil = ADDRESS["xy-md02"], ADDRESS["cwt-soil-3in1"]
    temperature = _values("xy-md02")["temperature"]
    with serial_master(bus.link or Path(), timeout_s=0.3) as master:
        bus.set_faults(LineFaults(dead={md02}, corrupt_crc={soil}))
        with pytest.raises(ModbusIOException):
            master.read_input_registers(1, count=1, device_id=md02)
        with pytest.raises(ModbusIOException):  # its answer came, with a CRC pymodbus refuses
            master.read_holding_registers(0, count=3, device_id=soil)
        assert _read(master, Table.HOLDING_REGISTER, 3, 1, BOARD) == [0]  # the rest of the bus answers
        stats = bus.stats()
        assert stats.by_address[md02].frames_received == 1 and stats.by_address[md02].answers_sent == 0
        assert stats.by_address[soil].answers_sent == 1

        bus.set_faults(LineFaults(late_s={md02: 0.5}))
        with pytest.raises(ModbusIOException):
            master.read_input_registers(1, count=1, device_id=md02)
        wait_for(lambda: bus.stats().by_address[md02].answers_sent, lambda n: n == 1, what="the late answer")
        bus.set_faults(LineFaults())
        # The late answer waits in the port's buffer; the master drops it before its next request.
        assert decode(PROFILES["xy-md02"].sensors[0].encoding, _read(master, Table.INPUT_REGISTER, 1, 1, md02)) == (
            pytest.approx(temperature)
        )

        bus.set_faults(LineFaults(ignore_writes={BOARD}))
        answer = master.write_register(2, 0x0100, device_id=BOARD)
        assert not answer.isError() and answer.registers == [0x0100]  # acknowledged as usual …
        assert _read(master, Table.HOLDING_REGISTER, 2, 1, BOARD) == [0]  # … and not done


def test_rtu_over_tcp_serves_one_client_after_another(bus: LineThread) -> None:
    md02 = ADDRESS["xy-md02"]
    for _ in range(2):
        with rtu_tcp_master(bus.port) as master:
            words = _read(master, Table.INPUT_REGISTER, 1, 2, md02)
            assert words == [0xFF9B, round(_values("xy-md02")["humidity"] * 10)]
            refused = master.read_input_registers(5, count=1, device_id=md02)
            assert refused.isError() and refused.exception_code == 2


def test_closing_the_line_removes_its_link(line: RtuLine, tmp_path: Path) -> None:
    link = tmp_path / "ttyUSB0"
    link.symlink_to("/dev/null")  # left by a run that died
    with LineThread(line, link=link):
        assert link.resolve() != Path("/dev/null")
    assert not link.is_symlink()
    link.write_text("a real file")
    with pytest.raises(FileExistsError, match="not a link"):
        LineThread(line, link=link).start()


def test_a_simulated_port_never_replaces_a_name_under_dev() -> None:
    async def serve() -> None:
        line = RtuLine({})
        try:
            await line.serve_pty(Path("/dev/serial/by-id/usb-FTDI_simulated-if00-port0"))
        finally:
            await line.close()

    with pytest.raises(ValueError, match="not put under /dev"):
        asyncio.run(serve())
    assert not Path("/dev/serial/by-id/usb-FTDI_simulated-if00-port0").exists()
