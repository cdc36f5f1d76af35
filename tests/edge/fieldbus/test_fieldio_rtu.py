"""FieldIO on Modbus RTU over a pseudo-terminal, as the edge opens a USB–RS485 adapter: simulated devices of the
shipped profiles on real framing, with the line's faults (dead devices, broken CRCs, late answers, boards that
ignore writes)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from contract.devices.profile import DeviceProfile
from contract.site import RtuSerialBus
from edge.fieldbus import FieldIO, PositionWrite, Quarantine, SwitchWrite
from edge.fieldbus.models import NodeRead
from edge.fieldbus.poller import BusPoller
from edge.fieldbus.transport import Link
from firmware_sim.rtu.device import TableDevice
from firmware_sim.rtu.line import LineFaults
from tests.edge.fieldbus.support import (
    PROFILES,
    TIMEOUT_S,
    device,
    greenhouse,
    health,
    one_poll,
    profile_node,
    pty_line,
    relays_node,
    serial_bus,
    served,
    wait_for,
    write,
)

AIR = {"temperature": 24.3, "humidity": 71.5}
AIR_READ = {"air-temperature": pytest.approx(24.3), "air-humidity": pytest.approx(71.5)}
SOIL_READ = {"soil-moisture": pytest.approx(33.4), "soil-temperature": pytest.approx(21.7), "soil-ec": 850.0}
SOIL = {"moisture": 33.4, "temperature": 21.7, "ec": 850.0}


def _step(profile: DeviceProfile, key: str) -> float:
    return abs(next(p.encoding.scale for p in profile.sensors if p.key == key))


@pytest.mark.parametrize("profile_id", sorted(PROFILES))
def test_every_shipped_profile_reads_back_what_its_device_serves(tmp_path: Path, profile_id: str) -> None:
    profile = PROFILES[profile_id]
    values = served(profile)
    board = device(profile_id, values)
    on = {o.key for o in profile.outputs[::2]}  # every other output switched on at the device
    for key in on:
        board.set_on(key, True)
    link = tmp_path / "ttyUSB0"
    gh = greenhouse([serial_bus(link, baud=int(profile.serial.baud))], [profile_node("dev", 7, profile_id)])
    with pty_line(link, {7: board}, baud=int(profile.serial.baud)), FieldIO(gh) as io:
        read = one_poll(io)["dev"]
    assert read.detail == ""
    assert read.values == {
        f"dev-{key}": pytest.approx(value, abs=_step(profile, key) / 2 + 1e-9, rel=1e-6)
        for key, value in values.items()
    }
    assert read.outputs == {f"dev-{o.key}": o.key in on for o in profile.outputs if o.switch.reads_on is not None}


def _three_on_one_bus(
    link: Path, quarantine: Quarantine | None = None, timeout_s: float = TIMEOUT_S
) -> tuple[FieldIO, dict[int, TableDevice]]:
    gh = greenhouse(
        [serial_bus(link, timeout_s=timeout_s)],
        [
            profile_node("air", 1, "xy-md02"),
            relays_node("relays", 2, "waveshare-relay-8", {"pump": "relay-1", "valve": "relay-2"}),
            profile_node("soil", 3, "jxbs-3001-ec"),
        ],
    )
    devices = {1: device("xy-md02", AIR), 2: device("waveshare-relay-8"), 3: device("jxbs-3001-ec", SOIL)}
    return FieldIO(gh, quarantine), devices


def _sound(reads: dict[str, NodeRead], *node_ids: str) -> None:
    for node_id in node_ids:
        assert reads[node_id].values == {"air": AIR_READ, "soil": SOIL_READ, "relays": {}}[node_id], node_id


def test_a_dead_device_does_not_hold_up_the_others_and_writes_go_ahead_of_reads(tmp_path: Path) -> None:
    link = tmp_path / "ttyUSB0"
    # No probe during the test; a timeout that leaves the test time to queue its write while air is asked.
    io, devices = _three_on_one_bus(link, Quarantine(first_s=300), timeout_s=0.6)
    gh = io.greenhouse
    pump = gh.actuators["pump"].on_off
    assert pump is not None
    with pty_line(link, devices) as line, io:
        reads = one_poll(io)
        _sound(reads, "air", "soil")
        assert reads["relays"].outputs == {"pump": False, "valve": False}

        line.set_faults(LineFaults(dead={1}))
        asked = line.stats().at(1).frames_received
        io.poll()
        # Air's request is on the wire, unanswered: the write is queued behind it, ahead of the other reads.
        wait_for(lambda: line.stats().at(1).frames_received, lambda n: n > asked, "air asked")
        io.write(gh.nodes[1], SwitchWrite(key="pump", switch=pump, on=True))
        wait_for(io.poll_done, bool, "the poll finished")
        reads = {r.node_id: r for r in io.take_reads()}
        (result,) = io.take_writes()
        assert (result.ok, result.verified) == (True, True)
        # The relay board's read, queued before the write, went after it: it reads the pump back on.
        assert reads["relays"].outputs == {"pump": True, "valve": False}
        assert reads["air"].values is None and "no answer" in reads["air"].detail
        _sound(reads, "soil")

        second = one_poll(io)
        assert second["air"].values is None
        assert health(io, "air").quarantined
        frames_to_air = line.stats().at(1).frames_received
        for _ in range(5):  # air left alone: every poll reads the other two, and sends air nothing
            reads = one_poll(io)
            _sound(reads, "soil")
            assert reads["relays"].outputs == {"pump": True, "valve": False}
            assert reads["air"].values is None and "quarantined" in reads["air"].detail
        assert line.stats().at(1).frames_received == frames_to_air
        air = health(io, "air")
        # One try per read while it is silent (no retry: a device that sends nothing would only cost another timeout).
        assert (air.requests, air.timeouts, air.retries, air.answers) == (3, 2, 0, 1)
        assert line.stats().bad_crc_received == 0  # every request reached the devices whole, in its own frame


def test_quarantine_backs_off_from_5_to_300_s_with_one_probe_and_ends_on_an_answer(tmp_path: Path) -> None:
    link = tmp_path / "ttyUSB0"
    gh = greenhouse([serial_bus(link)], [profile_node("air", 1, "xy-md02"), profile_node("soil", 3, "jxbs-3001-ec")])
    now = [1000.0]
    devices = {3: device("jxbs-3001-ec", SOIL)}  # nothing at address 1 yet
    poller = BusPoller(gh.buses[0], gh.nodes, Quarantine(), clock=lambda: now[0])

    def poll() -> dict[str, NodeRead]:
        poller.queue_reads()
        wait_for(poller.reads_done, bool, "the reads finished")
        return {r.node_id: r for r in poller.take_reads()}

    def air_frames() -> int:
        return line.stats().at(1).frames_received

    with pty_line(link, devices) as line:
        poller.start()
        try:
            poll()
            assert not poller.health()[0].quarantined and air_frames() == 1  # silence is not asked again at once
            poll()
            air = poller.health()[0]
            assert (air.quarantined, air.quarantined_for_s, air_frames()) == (True, 5.0, 2)
            assert poll()["air"].values is None and air_frames() == 2  # skipped
            backoffs = []
            for _ in range(8):
                now[0] += poller.health()[0].quarantined_for_s
                frames = air_frames()
                assert poll()["air"].values is None
                assert air_frames() == frames + 1  # one probe, no retry
                backoffs.append(poller.health()[0].quarantined_for_s)
            assert backoffs == [10, 20, 40, 80, 160, 300, 300, 300]

            line.call(lambda: devices.__setitem__(1, device("xy-md02", AIR)))
            now[0] += 299
            assert poll()["air"].values is None  # not asked before its time
            now[0] += 1
            assert poll()["air"].values == AIR_READ
            air = poller.health()[0]
            assert (air.quarantined, air.quarantined_for_s) == (False, 0.0)
        finally:
            poller.stop()


def test_a_write_to_a_quarantined_node_goes_out_once_and_its_answer_ends_the_quarantine(tmp_path: Path) -> None:
    link = tmp_path / "ttyUSB0"
    io, devices = _three_on_one_bus(link, Quarantine(first_s=300))
    gh = io.greenhouse
    relays, pump = gh.nodes[1], gh.actuators["pump"].on_off
    assert pump is not None
    with pty_line(link, devices) as line, io:
        line.set_faults(LineFaults(dead={2}))
        one_poll(io)
        one_poll(io)
        assert health(io, "relays").quarantined
        frames = line.stats().at(2).frames_received
        result = write(io, relays, SwitchWrite(key="pump", switch=pump, on=False))
        assert not result.ok and result.verified is None and "no answer" in result.detail
        assert line.stats().at(2).frames_received == frames + 1  # tried, without a retry
        assert health(io, "relays").quarantined

        line.set_faults(LineFaults())
        result = write(io, relays, SwitchWrite(key="pump", switch=pump, on=True))
        assert (result.ok, result.verified) == (True, True)
        assert not health(io, "relays").quarantined
        assert one_poll(io)["relays"].outputs == {"pump": True, "valve": False}


def test_broken_crcs_are_retried_and_counted_and_never_read_as_values(tmp_path: Path) -> None:
    link = tmp_path / "ttyUSB0"
    io, devices = _three_on_one_bus(link, Quarantine(first_s=300))
    with pty_line(link, devices) as line, io:
        line.set_faults(LineFaults(corrupt_crc={3}))
        for _ in range(3):
            reads = one_poll(io)
            _sound(reads, "air")
            assert reads["soil"].values is None
        assert "bad CRC" in reads["soil"].detail or "quarantined" in reads["soil"].detail
        soil = health(io, "soil")
        assert (soil.crc_errors, soil.requests, soil.retries, soil.timeouts) == (4, 4, 2, 0)
        assert soil.quarantined
        assert health(io, "air").crc_errors == 0


@pytest.mark.parametrize("late_s", [TIMEOUT_S / 4, 4 * TIMEOUT_S], ids=["during-the-settling", "on-later-requests"])
def test_late_answers_are_dropped_counted_and_never_read_as_values(tmp_path: Path, late_s: float) -> None:
    """An answer later than the timeout: caught while the line settles after the timeout, or landing on the
    requests to other devices that follow."""
    link = tmp_path / "ttyUSB0"
    io, devices = _three_on_one_bus(link, Quarantine(first_s=0.5, max_s=0.5))
    with pty_line(link, devices) as line, io:
        line.set_faults(LineFaults(late_s={1: TIMEOUT_S + late_s}))
        for _ in range(60):  # until two late answers are counted: the quarantine spaces air's requests out
            reads = one_poll(io)
            _sound(reads, "soil")
            assert reads["relays"].outputs == {"pump": False, "valve": False}
            # The air sensor's values are its own or none, never another request's.
            assert reads["air"].values in (None, AIR_READ)
            if health(io, "air").late_answers >= 2:
                break
            time.sleep(0.05)
        assert health(io, "air").late_answers >= 2
        line.set_faults(LineFaults())
        reads = wait_for(lambda: one_poll(io), lambda r: r["air"].values is not None, "air read again")
        _sound(reads, "air", "soil")


def test_read_back_catches_a_board_that_acknowledges_a_write_and_ignores_it(tmp_path: Path) -> None:
    link = tmp_path / "ttyUSB0"
    gh = greenhouse(
        [serial_bus(link)],
        [
            relays_node("coils", 1, "waveshare-relay-8", {"pump": "relay-1"}),
            relays_node("registers", 2, "eletechsup-r4d3b16", {"valve": "relay-5"}),
        ],
    )
    coils, registers = gh.nodes
    pump, valve = gh.actuators["pump"].on_off, gh.actuators["valve"].on_off
    assert pump is not None and valve is not None
    devices = {1: device("waveshare-relay-8"), 2: device("eletechsup-r4d3b16")}
    with pty_line(link, devices) as line, FieldIO(gh) as io:
        line.set_faults(LineFaults(ignore_writes={1, 2}))
        for node, key, switch in ((coils, "pump", pump), (registers, "valve", valve)):
            result = write(io, node, SwitchWrite(key=key, switch=switch, on=True))
            assert (result.ok, result.verified) == (True, False)
            assert "ignored the write" in result.detail
        line.set_faults(LineFaults())
        for node, key, switch in ((coils, "pump", pump), (registers, "valve", valve)):
            result = write(io, node, SwitchWrite(key=key, switch=switch, on=True))
            assert (result.ok, result.verified, result.detail) == (True, True, "")
        assert devices[1].is_on("relay-1") and devices[2].is_on("relay-5")


@pytest.mark.parametrize(
    ("profile", "run_s", "board_times_s"),
    # Eletechsup: 0x06NN in the relay's register, NN seconds. Waveshare: function 05 to 0x0200+n with the time in
    # 100 ms units (its "flash on"), sent 60 s at a time at most and renewed by the edge at each poll.
    [("eletechsup-r4d3b16", 90, 90), ("waveshare-relay-8", 90, 60)],
)
def test_a_timed_run_is_written_so_that_the_board_ends_it_itself(
    tmp_path: Path, profile: str, run_s: float, board_times_s: float
) -> None:
    link = tmp_path / "ttyUSB0"
    gh = greenhouse([serial_bus(link)], [relays_node("relays", 1, profile, {"valve": "relay-3"})])
    valve = gh.actuators["valve"]
    assert valve.on_off is not None and valve.timed_on is not None
    board_now = [0.0]
    board = device(profile, now=lambda: board_now[0])
    with pty_line(link, {1: board}), FieldIO(gh) as io:
        run = SwitchWrite(key="valve", switch=valve.on_off, on=True, timed_on=valve.timed_on, run_s=run_s)
        result = write(io, gh.nodes[0], run)
        assert (result.ok, result.verified) == (True, True)
        assert one_poll(io)["relays"].outputs == {"valve": True}
        board_now[0] += board_times_s - 1
        assert one_poll(io)["relays"].outputs == {"valve": True}
        board_now[0] += 1  # the board switches off by itself, nobody wrote to it
        assert one_poll(io)["relays"].outputs == {"valve": False}
        # Without a run time it is switched on for good.
        result = write(io, gh.nodes[0], run.model_copy(update={"run_s": None}))
        board_now[0] += 10_000
        assert one_poll(io)["relays"].outputs == {"valve": True}


def test_a_positioner_is_written_and_read_back_in_percent(tmp_path: Path) -> None:
    link = tmp_path / "ttyUSB0"
    gh = greenhouse(
        [serial_bus(link)],
        [{"id": "vents", "address": 4, "actuators": [{"id": "vent", "kind": "vent", "holding_register": 10}]}],
    )
    positioner = TableDevice.from_node(gh.nodes[0], lambda key: 0.0)
    with pty_line(link, {4: positioner}), FieldIO(gh) as io:
        result = write(io, gh.nodes[0], PositionWrite(key="vent", register=10, position_pct=40.6))
        assert (result.ok, result.verified) == (True, True)
        assert positioner.position("vent") == 41
        assert one_poll(io)["vents"].outputs == {"vent": 41.0}


def test_an_address_the_device_does_not_have_loses_that_value_only_and_names_the_exception(tmp_path: Path) -> None:
    link = tmp_path / "ttyUSB0"
    node = profile_node("air", 1, "xy-md02")
    node["sensors"].append(
        {
            "id": "air-dew-point",  # a register this model does not have, given by hand
            "kind": "air_temp_c",
            "encoding": {"table": "input_register", "address": 40, "data_type": "int16", "scale": 0.1},
            "range": {"min": -40, "max": 60},
        }
    )
    gh = greenhouse([serial_bus(link)], [node])
    with pty_line(link, {1: device("xy-md02", AIR)}), FieldIO(gh) as io:
        for _ in range(3):
            read = one_poll(io)["air"]
            assert read.values == {**AIR_READ, "air-dew-point": None}
            assert read.detail == f"{link} unit 1: Modbus exception 2 (illegal_address)"
        air = health(io, "air")
        assert (air.exceptions, air.answers, air.requests, air.retries, air.quarantined) == (3, 6, 6, 0, False)


@pytest.mark.parametrize(
    ("baud", "parity", "stop_bits", "gap_s"),
    [
        (9600, "N", 1, 3.5 * 10 / 9600),
        (4800, "E", 2, 3.5 * 12 / 4800),
        (19200, "N", 1, 3.5 * 10 / 19200),
        (38400, "N", 1, 0.00175),
        (115200, "O", 1, 0.00175),
    ],
)
def test_the_silence_before_each_rtu_request_is_3_5_characters_or_1_75_ms_above_19200_baud(
    baud: int, parity: str, stop_bits: int, gap_s: float
) -> None:
    bus = RtuSerialBus.model_validate(
        {
            "protocol": "rtu_serial",
            "id": "rs485",
            "port": "/dev/ttyUSB0",
            "baud": baud,
            "parity": parity,
            "stop_bits": stop_bits,
        }
    )
    assert Link(bus).gap_s == pytest.approx(gap_s)
