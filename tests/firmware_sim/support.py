"""Helpers for the simulator tests: the example site on free ports, waiting on a condition, Modbus RTU masters."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from pymodbus import FramerType
from pymodbus.client import ModbusSerialClient, ModbusTcpClient

from contract.site import Calibration, FailSafe, Greenhouse, ModbusTcpBus, SiteConfig
from contract.site_file import load_site
from greenhouse.net import free_port
from greenhouse.runtime_site import on_free_ports
from tests.conftest import EXAMPLE_SITE

T = TypeVar("T")


# Short enough that a silent device costs a test little, long enough for a loaded 2-core machine's answers.
BUS_TIMEOUT_S = 0.3


def example_site(serial_dir: Path) -> SiteConfig:
    """The example cooperative on this machine: every TCP bus on a free loopback port, every RS485 dongle on a
    pseudo-terminal link in ``serial_dir``, all with short timeouts."""
    site = on_free_ports(load_site(EXAMPLE_SITE), serial_dir)
    greenhouses = [
        g.model_copy(update={"buses": [b.model_copy(update={"timeout_s": BUS_TIMEOUT_S}) for b in g.buses]})
        for g in site.greenhouses
    ]
    return site.model_copy(update={"greenhouses": greenhouses})


def modbus_tcp_example() -> SiteConfig:
    """The example site with every bus of every greenhouse served by a Modbus TCP gateway on a free loopback port,
    whatever the example wires (the nodes keep their bus ids and addresses)."""
    site = load_site(EXAMPLE_SITE)
    greenhouses = [
        g.model_copy(
            update={
                "buses": [
                    ModbusTcpBus(protocol="modbus_tcp", id=b.id, port=free_port(), timeout_s=BUS_TIMEOUT_S)
                    for b in g.buses
                ]
            }
        )
        for g in site.greenhouses
    ]
    return site.model_copy(update={"greenhouses": greenhouses})


def replace_greenhouse(site: SiteConfig, greenhouse: Greenhouse) -> SiteConfig:
    return site.model_copy(
        update={"greenhouses": [greenhouse if g.id == greenhouse.id else g for g in site.greenhouses]}
    )


def recalibrated(greenhouse: Greenhouse, sensor_id: str, calibration: Calibration) -> Greenhouse:
    nodes = [
        n.model_copy(
            update={
                "sensors": [
                    s.model_copy(update={"calibration": calibration}) if s.id == sensor_id else s for s in n.sensors
                ]
            }
        )
        for n in greenhouse.nodes
    ]
    return greenhouse.model_copy(update={"nodes": nodes})


def with_fail_safe(greenhouse: Greenhouse, actuator_id: str, fail_safe: FailSafe) -> Greenhouse:
    nodes = []
    for n in greenhouse.nodes:
        actuators = [
            a.model_copy(update={"safety": a.safety.model_copy(update={"fail_safe": fail_safe})})
            if a.id == actuator_id
            else a
            for a in n.actuators
        ]
        nodes.append(n.model_copy(update={"actuators": actuators}))
    return greenhouse.model_copy(update={"nodes": nodes})


def wait_for(probe: Callable[[], T], done: Callable[[T], bool], timeout_s: float = 5.0, what: str = "condition") -> T:
    """The first value of ``probe`` that is ``done``, polled for up to ``timeout_s`` of wall time."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout_s} s (last: {value!r})")
        time.sleep(0.02)


@contextmanager
def serial_master(link: Path, timeout_s: float = 0.5, baud: int = 9600) -> Iterator[ModbusSerialClient]:
    """pymodbus's own RTU master on a serial port (here the simulator's pty), no retries: one request, one try."""
    client = ModbusSerialClient(port=str(link), framer=FramerType.RTU, baudrate=baud, timeout=timeout_s, retries=0)
    assert client.connect(), f"cannot open {link}"
    try:
        yield client
    finally:
        client.close()


@contextmanager
def rtu_tcp_master(port: int, timeout_s: float = 0.5) -> Iterator[ModbusTcpClient]:
    """pymodbus's TCP client speaking RTU frames, as to a USR-TCP232 or EW11 converter."""
    client = ModbusTcpClient("127.0.0.1", port=port, framer=FramerType.RTU, timeout=timeout_s, retries=0)
    try:
        yield client
    finally:
        client.close()
