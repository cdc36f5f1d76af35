"""A bus that cannot be opened says why, in words a technician can act on, in Vietnamese and English; the bus
opens by itself once the cause is gone, and its nodes are not blamed meanwhile."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
import serial

from contract.site import RtuSerialBus
from edge.fieldbus import BusOpenError, FieldIO, OpenProblem, transport
from edge.fieldbus.transport import Link
from firmware_sim.rtu.line import RtuLine
from firmware_sim.rtu.standalone import LineThread
from greenhouse.net import free_port
from tests.edge.fieldbus.support import device, greenhouse, health, one_poll, profile_node, pty_line, serial_bus

AIR = {"temperature": 30.5, "humidity": 40.0}
AIR_READ = {"air-temperature": pytest.approx(30.5), "air-humidity": pytest.approx(40.0)}


def test_every_problem_has_both_languages() -> None:
    for problem in OpenProblem:
        error = BusOpenError(problem, bus="b", port="p", host="h", available="a", holder="", error="e")
        assert error.text("vi") and error.text("en") and error.text("vi") != error.text("en")
        assert str(error) == error.text("en")


def test_a_missing_port_names_the_ports_there_are_and_opens_once_it_is_plugged_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev = tmp_path / "dev"
    dev.mkdir()
    (dev / "ttyUSB1").touch()  # another adapter, plugged in
    monkeypatch.setattr(transport, "SERIAL_PORT_PATTERNS", (f"{dev}/ttyUSB*", f"{dev}/serial/by-id/*"))
    link = dev / "ttyUSB0"
    gh = greenhouse([serial_bus(link)], [profile_node("air", 1, "xy-md02")])
    with FieldIO(gh) as io:
        read = one_poll(io)["air"]
        assert read.values is None
        assert read.detail == (
            f"Bus rs485: serial port {link} does not exist. Check that the USB–RS485 adapter is plugged in and the"
            f" port's name in the site file. Ports present: {dev}/ttyUSB1."
        )
        (problem,) = io.bus_problems()
        assert problem.problem is OpenProblem.PORT_MISSING
        assert problem.text("vi").startswith(f"Bus rs485: không có cổng {link}.")
        assert health(io, "air").requests == 0 and not health(io, "air").quarantined  # not the node's fault
        one_poll(io)
        assert not health(io, "air").quarantined

        with pty_line(link, {1: device("xy-md02", AIR)}):
            assert one_poll(io)["air"].values == AIR_READ
            assert io.bus_problems() == []


def test_a_port_another_program_holds_is_named_busy_with_who_holds_it(tmp_path: Path) -> None:
    link = tmp_path / "ttyUSB0"
    gh = greenhouse([serial_bus(link)], [profile_node("air", 1, "xy-md02")])
    with pty_line(link, {1: device("xy-md02", AIR)}), FieldIO(gh) as io:
        holder = serial.Serial(str(link), exclusive=True)
        try:
            read = one_poll(io)["air"]
        finally:
            holder.close()
        assert read.values is None
        (problem,) = io.bus_problems()
        assert problem.problem is OpenProblem.PORT_BUSY
        # This very process holds it.
        assert f"is in use by another program ({os.getpid()} " in read.detail
        assert "đang bị chương trình khác dùng" in problem.text("vi")
        assert one_poll(io)["air"].values == AIR_READ


def _open_as(uid: int, port: str) -> dict[str, str]:
    """Link.open() on ``port`` as user ``uid`` (in a child process when we are root): what it raised."""

    def attempt() -> dict[str, str]:
        try:
            Link(RtuSerialBus(protocol="rtu_serial", id="rs485", port=port)).open()
        except BusOpenError as exc:
            return {"problem": exc.problem.value, "en": exc.text("en"), "vi": exc.text("vi")}
        return {"problem": "opened"}

    if os.geteuid() != 0:
        return attempt()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no longer root, then report and leave without running the parent's cleanups
        code = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.write(write_end, json.dumps(attempt()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(answer)


def test_permission_denied_says_how_to_join_dialout() -> None:
    # The link in a folder anyone may enter, so that only the port's own mode stands in the way.
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        link = Path(folder) / "ttyUSB0"
        with LineThread(RtuLine({1: device("xy-md02", AIR)}), link=link):
            target = os.path.realpath(link)
            os.chmod(target, 0o000)
            answer = _open_as(65534 if os.geteuid() == 0 else os.geteuid(), str(link))
    assert answer["problem"] == OpenProblem.PERMISSION.value
    assert answer["en"] == (
        f"Bus rs485: permission denied on {link}. Add the user to the 'dialout' group: sudo usermod -aG dialout"
        " $USER, then log in again."
    )
    assert "nhóm 'dialout'" in answer["vi"]


def test_a_converter_that_does_not_take_the_connection_is_named_with_its_address() -> None:
    port = free_port()
    bus = {"protocol": "rtu_over_tcp", "id": "converter", "host": "127.0.0.1", "port": port, "timeout_s": 0.3}
    gh = greenhouse([bus], [profile_node("air", 1, "xy-md02")])
    with FieldIO(gh) as io:
        read = one_poll(io)["air"]
        assert read.values is None
        assert read.detail.startswith(f"Bus converter: cannot connect to the RS485 converter at 127.0.0.1:{port} (")
        assert "Kiểm tra nguồn, dây mạng" in io.bus_problems()[0].text("vi")
        with LineThread(RtuLine({1: device("xy-md02", AIR)}), port=port):
            assert one_poll(io)["air"].values == AIR_READ
