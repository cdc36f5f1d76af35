"""The benchmark's bus: 16 devices of the shipped profiles on one 9600-baud RS485 line, as a cooperative's
greenhouse wires them (air probes, soil probes, a light, rain and wind sensor, a CO₂ sensor, two relay boards),
served by the simulator's line on a pty and described to the edge as a greenhouse of 16 nodes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.devices.profile import DeviceProfile, shipped_profiles
from contract.site import Greenhouse
from firmware_sim.rtu.device import TableDevice
from firmware_sim.rtu.standalone import profile_device

BAUD = 9600
# The edge's default for an rtu_serial bus (contract.site.RtuSerialBus).
TIMEOUT_S = 0.5


@dataclass(frozen=True)
class Device:
    node_id: str
    address: int
    profile_id: str
    # The relay boards' outputs the site drives: actuator id → (kind, the profile's output).
    outputs: tuple[tuple[str, str, str], ...] = ()


def _relays(prefix: str, kinds: list[str]) -> tuple[tuple[str, str, str], ...]:
    return tuple((f"{prefix}-{i}", kind, f"relay-{i}") for i, kind in enumerate(kinds, start=1))


# Addresses as a technician sets them: one per device, the CO₂ sensor left at its factory 45.
DEVICES: tuple[Device, ...] = (
    Device("air-1", 1, "xy-md02"),
    Device("air-2", 2, "xy-md02"),
    Device("air-3", 3, "xy-md02"),
    Device("air-4", 4, "xy-md02"),
    Device("soil-a1", 5, "jxbs-3001-ec"),
    Device("soil-a2", 6, "jxbs-3001-ec"),
    Device("soil-a3", 7, "jxbs-3001-ec"),
    Device("soil-b1", 8, "dfrobot-sen0604"),
    Device("soil-b2", 9, "dfrobot-sen0604"),
    Device("soil-npk", 10, "jxbs-3001-npk"),
    Device("light", 11, "jxbs-3001-lux"),
    Device("rain", 12, "jxct-rain-optical"),
    Device("wind", 13, "jxct-wind-speed"),
    Device("co2", 45, "sensecap-s-co2-03"),
    Device("valves", 20, "waveshare-relay-8", _relays("v", ["pump"] + ["valve"] * 7)),
    Device("climate", 21, "eletechsup-r4d3b16", _relays("c", ["fan"] * 4 + ["mister"] * 4 + ["heater"] * 2)),
)


def _node(d: Device, profile: DeviceProfile) -> dict[str, Any]:
    return {
        "id": d.node_id,
        "address": d.address,
        "profile": d.profile_id,
        "sensors": [{"id": f"{d.node_id}-{p.key}", "point": p.key} for p in profile.sensors],
        "actuators": [{"id": a, "kind": kind, "output": out} for a, kind, out in d.outputs],
    }


def greenhouse(link: Path, timeout_s: float = TIMEOUT_S) -> Greenhouse:
    """The 16 nodes on one rtu_serial bus at ``link``, as a site file would give them."""
    profiles = shipped_profiles()
    bus = {"protocol": "rtu_serial", "id": "rs485", "port": str(link), "baud": BAUD, "timeout_s": timeout_s}
    nodes = [_node(d, profiles[d.profile_id]) for d in DEVICES]
    return Greenhouse.model_validate({"id": "bench-bus", "area_m2": 500, "buses": [bus], "nodes": nodes})


def devices() -> dict[int, TableDevice]:
    """The simulated devices by address, each point at a fixed value inside its range."""
    profiles = shipped_profiles()
    out: dict[int, TableDevice] = {}
    for d in DEVICES:
        profile = profiles[d.profile_id]
        values = {p.key: p.range.min + 0.4 * (p.range.max - p.range.min) for p in profile.sensors}
        out[d.address] = profile_device(profile, values.__getitem__)
    return out
