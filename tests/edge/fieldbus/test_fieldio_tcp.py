"""FieldIO over TCP: RTU frames carried by a transparent RS485 converter, and a Modbus TCP gateway (the driver
before this one spoke only that, and its behaviour stays: reconnecting once to a gateway that dropped the
connection, the exception's name in what a failed request says)."""

from __future__ import annotations

import asyncio
import time

import pytest

from edge.fieldbus import FieldIO, Quarantine, SwitchWrite
from firmware_sim.rtu.device import TableDevice
from firmware_sim.rtu.line import LineFaults, RtuLine
from firmware_sim.rtu.standalone import LineThread, LoopThread
from firmware_sim.rtu.tcp_gateway import ModbusTcpGateway
from greenhouse.net import free_port
from tests.edge.fieldbus.support import (
    TIMEOUT_S,
    device,
    greenhouse,
    health,
    one_poll,
    profile_node,
    relays_node,
    wait_for,
    write,
)

AIR = {"temperature": -3.2, "humidity": 88.0}
AIR_READ = {"air-temperature": pytest.approx(-3.2), "air-humidity": pytest.approx(88.0)}
NODES = [
    profile_node("air", 1, "xy-md02"),
    relays_node("relays", 2, "eletechsup-r4d3b16", {"pump": "relay-1"}),
]


def _devices() -> dict[int, TableDevice]:
    return {1: device("xy-md02", AIR), 2: device("eletechsup-r4d3b16")}


class GatewayThread(LoopThread):
    """A Modbus TCP gateway in front of an RTU line, on a loopback port (a free one unless given)."""

    def __init__(self, line: RtuLine, port: int | None = None) -> None:
        super().__init__("modbus-tcp-gateway")
        self.gateway = ModbusTcpGateway(line)
        self.port = port or free_port()

    async def serve(self, stop: asyncio.Event) -> None:
        await self.gateway.serve("127.0.0.1", self.port)
        self.ready.set()
        try:
            await stop.wait()
        finally:
            await self.gateway.close()


def test_rtu_over_tcp_reads_writes_and_drops_late_answers() -> None:
    devices = _devices()
    with LineThread(RtuLine(devices), port=0) as line:
        bus = {"protocol": "rtu_over_tcp", "id": "converter", "host": "127.0.0.1", "port": line.port}
        gh = greenhouse([{**bus, "timeout_s": TIMEOUT_S}], NODES)
        pump = gh.actuators["pump"]
        assert pump.on_off is not None
        with FieldIO(gh, Quarantine(first_s=0.5, max_s=0.5)) as io:
            reads = one_poll(io)
            assert reads["air"].values == AIR_READ
            assert reads["relays"].outputs == {"pump": False}
            result = write(io, gh.nodes[1], SwitchWrite(key="pump", switch=pump.on_off, on=True))
            assert (result.ok, result.verified) == (True, True)

            line.set_faults(LineFaults(late_s={1: 2 * TIMEOUT_S}))
            # Until two late answers are counted: the quarantine spaces air's requests out, and a loaded machine
            # may need many polls before a late answer meets a request of its own (a deadline, not a count).
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                reads = one_poll(io)
                assert reads["air"].values in (None, AIR_READ)
                assert reads["relays"].outputs == {"pump": True}
                if health(io, "air").late_answers >= 2:
                    break
                time.sleep(0.05)
            assert health(io, "air").late_answers >= 2
            line.set_faults(LineFaults())
            wait_for(lambda: one_poll(io), lambda r: r["air"].values == AIR_READ, "air read again")
            assert devices[2].is_on("relay-1")


def test_modbus_tcp_gateway_silence_is_a_timeout_and_a_dropped_connection_is_reopened() -> None:
    line = RtuLine(_devices())
    gateway = GatewayThread(line)
    with gateway:
        bus = {"protocol": "modbus_tcp", "id": "gateway", "port": gateway.port, "timeout_s": TIMEOUT_S}
        gh = greenhouse([bus], NODES)
        with FieldIO(gh, Quarantine(first_s=300)) as io:
            assert one_poll(io)["air"].values == AIR_READ

            # The gateway answers "target device failed to respond" for a dead device: not an answer from it.
            gateway.call(lambda: setattr(line, "faults", LineFaults(dead={1})))
            reads = one_poll(io)
            assert reads["air"].values is None
            assert "Modbus exception 11 (gateway_no_response)" in reads["air"].detail
            one_poll(io)
            air = health(io, "air")
            assert (air.timeouts, air.exceptions, air.quarantined) == (4, 0, True)

            # The gateway restarts (a reboot, an idle timeout): the open connection is dead and only shows on use.
            gateway.stop()
            restarted = GatewayThread(RtuLine(_devices()), port=gateway.port)
            with restarted:
                reads = one_poll(io)
                assert reads["relays"].detail == "" and reads["relays"].outputs == {"pump": False}
                assert health(io, "relays").timeouts == 0
