"""``greenhouse devices scan|read|write`` as a technician runs them, against a bus of simulated RS485 devices on a
pty: the shipped profiles' devices at addresses 1–4, nobody at 5.

The simulated line serves one pty, which has no baud rate of its own: a wrong baud rate is shown the way the wire
shows it to the master, as answers with a bad CRC (LineFaults.corrupt_crc) or no answers at all (LineFaults.dead).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract.devices.profile import shipped_profiles
from contract.site import Greenhouse
from firmware_sim.rtu.line import LineFaults, RtuLine
from firmware_sim.rtu.standalone import LineThread, profile_device

ROOT = Path(__file__).resolve().parents[2]
PROFILES = shipped_profiles()
AIR = {"temperature": 21.5, "humidity": 60.0}
SOIL = {"moisture": 35.0, "temperature": 19.5, "ec": 800.0}
NONE: dict[str, float] = {}


@dataclass
class Bus:
    line: LineThread
    link: Path
    switched: list[tuple[int, str, bool]] = field(default_factory=list)  # (address, output, on) as boards saw it


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[Bus]:
    link = tmp_path / "ttyUSB0"
    switched: list[tuple[int, str, bool]] = []
    devices = {}
    for address, profile_id, values in [
        (1, "xy-md02", AIR),
        (2, "cwt-soil-3in1", SOIL),
        (3, "eletechsup-r4d3b16", NONE),
        (4, "waveshare-relay-8", NONE),
    ]:
        devices[address] = device = profile_device(PROFILES[profile_id], values.__getitem__)
        device.on_change = lambda key, a=address, d=device: switched.append((a, key, d.is_on(key)))
    with LineThread(RtuLine(devices), link=link) as line:
        yield Bus(line, link, switched)


def greenhouse_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "greenhouse", "devices", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def site_file(tmp_path: Path, link: Path) -> Path:
    site: dict[str, Any] = {
        "version": 1,
        "cooperative": {"id": "htx-test", "latitude": 20.85, "longitude": 104.63},
        "greenhouses": [
            {
                "id": "nha-1",
                "area_m2": 100,
                "buses": [{"protocol": "rtu_serial", "id": "rs485", "port": str(link), "timeout_s": 0.5}],
                "nodes": [
                    {
                        "id": "air",
                        "address": 1,
                        "profile": "xy-md02",
                        "sensors": [
                            {"id": "air-temp", "point": "temperature", "calibration": {"offset": -0.5}},
                        ],
                    },
                    {
                        "id": "relays",
                        "address": 3,
                        "profile": "eletechsup-r4d3b16",
                        "actuators": [
                            {"id": "valve-a", "kind": "valve", "output": "relay-2", "safety": {"max_on_s": 5}},
                        ],
                    },
                    {
                        "id": "coils",
                        "address": 4,
                        "profile": "waveshare-relay-8",
                        "actuators": [{"id": "fan", "kind": "fan", "output": "relay-1", "safety": {"max_on_s": 5}}],
                    },
                ],
            }
        ],
    }
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(site, allow_unicode=True))
    return path


def test_scan_finds_and_names_every_device_and_not_the_empty_address(bus: Bus) -> None:
    result = greenhouse_cli("scan", "--port", str(bus.link), "--addresses", "1-5", "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "Scanning 9600 8N1: address 5 (5/5)" in result.stderr  # progress, for a scan that takes minutes
    assert "9600 8N1: 4 device(s) answered." in result.stderr
    # What is printed pastes into a site file as it is: each device a node of the right profile.
    nodes = yaml.safe_load(result.stdout)
    assert [(n["address"], n["profile"], n["bus"]) for n in nodes] == [
        (1, "xy-md02", "rs485"),
        (2, "cwt-soil-3in1", "rs485"),
        (3, "eletechsup-r4d3b16", "rs485"),
        (4, "waveshare-relay-8", "rs485"),
    ]
    buses = [{"protocol": "rtu_serial", "id": "rs485", "port": str(bus.link)}]
    Greenhouse.model_validate({"id": "nha-1", "area_m2": 100, "buses": buses, "nodes": nodes})
    # The points as comments, with what they read now; the XY-MD02's clone reads the same registers, at a scale
    # that gives an implausible humidity: named, not chosen.
    assert "  # point temperature: 21.5 °C (air_temp_c)" in result.stdout
    assert "  # point ec: 800 µS/cm (soil_ec_us_cm)" in result.stdout
    assert "  # also reads as md02-red-led implausible values: humidity = 6" in result.stdout
    assert "  # output relay-16: OFF" in result.stdout
    assert "  # ships at 4800 8N1" in result.stdout  # the soil probe answers here at 9600, not as it ships


def test_a_scan_at_the_wrong_baud_rate_says_so(bus: Bus) -> None:
    bus.line.set_faults(LineFaults(corrupt_crc={1, 2}))  # what a wrong baud rate or parity looks like
    garbled = greenhouse_cli(
        "scan", "--port", str(bus.link), "--addresses", "1-2", "--profile", "xy-md02", "--lang", "en"
    )
    assert garbled.returncode == 1
    assert "9600 8N1: 2 answers came with a bad CRC (addresses 1, 2): wrong baud rate or parity." in garbled.stderr
    assert garbled.stdout == ""

    bus.line.set_faults(LineFaults(dead={1, 2}))  # nothing at all: wrong baud rate, parity, or A and B swapped
    silent = greenhouse_cli("scan", "--port", str(bus.link), "--addresses", "1-2", "--profile", "xy-md02")
    assert silent.returncode == 1
    assert "9600 8N1: không thiết bị nào trả lời. Kiểm tra tốc độ baud, parity, và dây A/B" in silent.stderr


def test_read_prints_the_raw_registers_the_decoded_and_the_calibrated_value(bus: Bus, tmp_path: Path) -> None:
    by_profile = greenhouse_cli(
        "read", "--port", str(bus.link), "--address", "1", "--profile", "xy-md02", "--point", "temperature",
        "--lang", "en",
    )  # fmt: skip
    assert by_profile.returncode == 0, by_profile.stderr
    assert by_profile.stdout.splitlines() == [
        "raw (input_register 1): 215 (0x00D7)",
        "decoded: 21.5 °C",
        "(no calibration outside a site file)",
    ]
    site = site_file(tmp_path, bus.link)
    by_site = greenhouse_cli("read", "--site", str(site), "--greenhouse", "nha-1", "--sensor", "air-temp")
    assert by_site.returncode == 0, by_site.stderr
    assert by_site.stdout.splitlines()[1:] == ["giải mã: 21.5 °C", "sau hiệu chỉnh: 21 °C"]


@pytest.mark.parametrize(("actuator", "address", "output"), [("valve-a", 3, "relay-2"), ("fan", 4, "relay-1")])
def test_write_pulses_a_relay_and_reads_it_back(
    bus: Bus, tmp_path: Path, actuator: str, address: int, output: str
) -> None:
    site = site_file(tmp_path, bus.link)
    result = greenhouse_cli(
        "write",
        "--site",
        str(site),
        "--greenhouse",
        "nha-1",
        "--actuator",
        actuator,
        "--seconds",
        "0.2",
        "--lang",
        "en",
    )
    assert result.returncode == 0, result.stderr
    assert bus.switched == [(address, output, True), (address, output, False)]  # on, then off: nothing else
    assert "read back: the relay is ON, as commanded." in result.stdout
    assert "read back: the relay is OFF, as commanded." in result.stdout


def test_write_says_when_the_relay_did_not_follow(bus: Bus, tmp_path: Path) -> None:
    bus.line.set_faults(LineFaults(ignore_writes={4}))  # acknowledges, does nothing
    site = site_file(tmp_path, bus.link)
    result = greenhouse_cli(
        "write", "--site", str(site), "--greenhouse", "nha-1", "--actuator", "fan", "--seconds", "0.2", "--lang", "en"
    )
    assert result.returncode == 1
    assert "read back: the relay is still OFF: the device acknowledged but did not follow" in result.stdout
    assert bus.switched == []


def test_write_refuses_a_run_longer_than_max_on_s(bus: Bus, tmp_path: Path) -> None:
    site = site_file(tmp_path, bus.link)
    result = greenhouse_cli(
        "write", "--site", str(site), "--greenhouse", "nha-1", "--actuator", "valve-a", "--seconds", "6", "--lang", "en"
    )
    assert result.returncode == 2
    assert "valve-a: 6 s is longer than its safety limit max_on_s = 5.0 s." in result.stderr
    assert bus.switched == []
    assert bus.line.stats().by_address.get(3) is None  # not a frame sent to the board


def test_a_missing_port_says_so_and_lists_the_ports_there_are(tmp_path: Path) -> None:
    missing = tmp_path / "ttyUSB7"
    result = greenhouse_cli("scan", "--port", str(missing), "--addresses", "1")
    assert result.returncode == 2
    assert f"Bus rs485: không có cổng {missing}. Kiểm tra bộ chuyển USB–RS485 đã cắm chưa" in result.stderr
    assert "Các cổng đang có:" in result.stderr
    english = greenhouse_cli(
        "read", "--port", str(missing), "--address", "1", "--profile", "xy-md02", "--point", "humidity", "--lang", "en"
    )
    assert english.returncode == 2
    assert f"Bus rs485: serial port {missing} does not exist." in english.stderr


def test_a_scan_walks_each_baud_rate_asked(bus: Bus) -> None:
    # A pty has no line settings, so every pass finds the device; the passes, and their order, are what is shown.
    # Parity cannot be swept here: Linux refuses even parity on a pty, pymodbus odd parity too. And not below the
    # line's 9600 baud: an answer sooner than its wire time at 4800 is (rightly) taken for an earlier one's.
    args = ["--addresses", "1", "--profile", "xy-md02", "--baud", "9600,19200", "--lang", "en"]
    result = greenhouse_cli("scan", "--port", str(bus.link), *args)
    assert result.returncode == 0, result.stderr
    passes = [line for line in result.stderr.splitlines() if line.startswith("Scanning")]
    assert passes == [f"Scanning {s}: address 1 (1/1)" for s in ("9600 8N1", "19200 8N1")]
    assert "# Set bus rs485 to: baud 19200, parity N, stop_bits 1" in result.stdout
    assert result.stdout.count("- {id: xy-md02-1, bus: rs485, address: 1, profile: xy-md02}") == 2
