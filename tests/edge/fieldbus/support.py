"""Greenhouses of simulated RS485 devices for the field bus tests, and waiting on what the pollers do."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from contract.devices.profile import DeviceProfile, shipped_profiles
from contract.site import Greenhouse, Node
from edge.fieldbus import FieldIO, NodeHealth, NodeRead, WriteResult
from edge.fieldbus.models import FieldWrite
from firmware_sim.rtu.device import TableDevice
from firmware_sim.rtu.line import RtuLine
from firmware_sim.rtu.standalone import LineThread, profile_device
from tests.firmware_sim.support import wait_for as sim_wait_for

T = TypeVar("T")

PROFILES = shipped_profiles()
# Short enough that a dead device costs the tests little, long enough for a loaded 2-core machine's answers.
TIMEOUT_S = 0.3


def wait_for(get: Callable[[], T], done: Callable[[T], bool], what: str) -> T:
    """``get()`` once ``done`` says so; fails the test if that never happens (a bound, not a timing)."""
    return sim_wait_for(get, done, timeout_s=30, what=what)


def relays_node(node_id: str, address: int, profile_id: str, outputs: dict[str, str]) -> dict[str, Any]:
    """A relay board's node: actuator id → the profile's output it is on ("pump…" a pump, the rest valves)."""
    actuators = [
        {"id": a, "kind": "pump" if a.startswith("pump") else "valve", "output": out} for a, out in outputs.items()
    ]
    return {"id": node_id, "address": address, "profile": profile_id, "actuators": actuators}


def served(profile: DeviceProfile) -> dict[str, float]:
    """A value for each point of ``profile``, inside its range and different from the others' (a swap shows)."""
    return {p.key: p.range.min + (0.2 + 0.07 * i) * (p.range.max - p.range.min) for i, p in enumerate(profile.sensors)}


def device(
    profile_id: str, values: dict[str, float] | None = None, now: Callable[[], float] = time.monotonic
) -> TableDevice:
    profile = PROFILES[profile_id]
    table = values if values is not None else served(profile)
    return profile_device(profile, table.__getitem__, now)


def profile_node(node_id: str, address: int, profile_id: str, bus: str | None = None) -> dict[str, Any]:
    """A node of the site file using every point and output of its profile: sensor "<node>-<point>", on/off
    actuator "<node>-<output>"."""
    profile = PROFILES[profile_id]
    node: dict[str, Any] = {
        "id": node_id,
        "address": address,
        "profile": profile_id,
        "sensors": [{"id": f"{node_id}-{p.key}", "point": p.key} for p in profile.sensors],
        "actuators": [{"id": f"{node_id}-{o.key}", "kind": "valve", "output": o.key} for o in profile.outputs],
    }
    if bus is not None:
        node["bus"] = bus
    return node


def serial_bus(link: Path, baud: int = 9600, **more: Any) -> dict[str, Any]:
    return {"protocol": "rtu_serial", "id": "rs485", "port": str(link), "baud": baud, "timeout_s": TIMEOUT_S, **more}


def greenhouse(buses: list[dict[str, Any]], nodes: list[dict[str, Any]]) -> Greenhouse:
    return Greenhouse.model_validate({"id": "gh-test", "area_m2": 100, "buses": buses, "nodes": nodes})


@contextmanager
def pty_line(link: Path, devices: dict[int, TableDevice], baud: int = 9600) -> Iterator[LineThread]:
    with LineThread(RtuLine(devices, baud=baud), link=link) as line:
        yield line


def one_poll(io: FieldIO) -> dict[str, NodeRead]:
    """Poll every node and wait for all the reads, by node id."""
    io.poll()
    wait_for(io.poll_done, bool, "the poll finished")
    return {r.node_id: r for r in io.take_reads()}


def write(io: FieldIO, node: Node, target: FieldWrite) -> WriteResult:
    io.write(node, target)
    (result,) = wait_for(io.take_writes, bool, f"the write of {target.key} finished")
    return result


def health(io: FieldIO, node_id: str) -> NodeHealth:
    return next(h for h in io.health() if h.node_id == node_id)
