"""One RS485 bus of Modbus RTU devices, served as the edge meets it: on a pseudo-terminal that the edge opens like
/dev/ttyUSB0, or over TCP as the transparent RS485 converters (USR-TCP232, Elfin EW11) carry RTU frames.

Real RTU behaviour (Modbus over serial line V1.02, §2.5): a frame ends at 3.5 character times of silence; a
frame with a bad CRC, or for an address not on the line, gets no answer; address 0 is a broadcast, whose writes
every device applies and none answers. The line is paced at its baud rate: a frame of n bytes takes n × 10 / baud
seconds on the wire in each direction, and a device takes ``turnaround_s`` to start its answer, so that the edge's
cycle time can be compared with the wire time of a real bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tty
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field
from pymodbus.framer.rtu import FramerRTU

log = logging.getLogger(__name__)

BROADCAST = 0
# A broadcast carries writes only (Modbus over serial line V1.02 §2.1).
WRITE_CODES = frozenset({5, 6, 15, 16})
_BITS_PER_CHAR = 10  # start bit, 8 data bits, stop bit
_MAX_FRAME = 256  # §2.5.1: an RTU frame is at most 256 bytes
# Above 19200 baud the silences are fixed (§2.5.1.1): 1.75 ms between frames.
_FAST_SILENCE_S = 0.00175


class RtuDevice(Protocol):
    def answer(self, pdu: bytes) -> bytes | None:
        """The response PDU (normal or exception) to a request PDU, or None to stay silent."""
        ...


class LineFaults(BaseModel):
    """Faults of the bus itself, by device address."""

    model_config = ConfigDict(extra="forbid")

    # Never answer (a device without power, a cut A/B pair).
    dead: set[int] = Field(default_factory=set)
    # Their answers go out with a broken CRC (noise, a missing termination resistor).
    corrupt_crc: set[int] = Field(default_factory=set)
    # Answer this much later than normal, i.e. after the master timed out.
    late_s: dict[int, float] = Field(default_factory=dict)
    # Answer a write normally but do not apply it (a relay board that acknowledges and ignores).
    ignore_writes: set[int] = Field(default_factory=set)


class AddressStats(BaseModel):
    frames_received: int = 0
    bad_crc_received: int = 0
    answers_sent: int = 0


class LineStats(BaseModel):
    """What crossed the line; per address by the frame's first byte (a bad frame's may be noise)."""

    frames_received: int = 0
    bad_crc_received: int = 0
    answers_sent: int = 0
    # Time the requests and answers took on the wire, at the line's baud rate.
    wire_s: float = 0.0
    by_address: dict[int, AddressStats] = Field(default_factory=dict)

    def at(self, address: int) -> AddressStats:
        return self.by_address.setdefault(address, AddressStats())


@dataclass(frozen=True)
class Reply:
    """A device's answer, and how the line's faults send it."""

    address: int
    pdu: bytes
    corrupt: bool = False
    late_s: float = 0.0

    def frame(self) -> bytes:
        body = bytes([self.address]) + self.pdu
        crc = FramerRTU.compute_CRC(body)
        if self.corrupt:
            crc ^= 0xFFFF
        return body + crc.to_bytes(2, "big")


def crc_ok(frame: bytes) -> bool:
    return 4 <= len(frame) <= _MAX_FRAME and FramerRTU.check_CRC(frame[:-2], int.from_bytes(frame[-2:], "big"))


def acknowledgement(pdu: bytes) -> bytes:
    """The normal answer to a write (5, 6, 15, 16): function, address and value or quantity, as sent."""
    return pdu[:5]


class _Framer:
    """Cuts a byte stream into frames at each silence of 3.5 characters, as an RTU device does."""

    def __init__(self, silence_s: float, deliver: Callable[[bytes, float], None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._silence_s = silence_s
        self._deliver = deliver
        self._buffer = bytearray()
        self._first_at = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def feed(self, data: bytes) -> None:
        if not self._buffer:
            self._first_at = self._loop.time()
        self._buffer += data
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_later(self._silence_s, self._end)

    def _end(self) -> None:
        frame, self._timer = bytes(self._buffer), None
        self._buffer.clear()
        self._deliver(frame, self._first_at)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


@dataclass
class _Port:
    """One way onto the line (the pty, or one TCP client): its frames in order, answered one at a time."""

    send: Callable[[bytes], None]
    frames: asyncio.Queue[tuple[bytes, float]] = field(default_factory=asyncio.Queue)
    framer: _Framer | None = None
    task: asyncio.Task[None] | None = None

    def close(self) -> None:
        if self.framer is not None:
            self.framer.close()
        if self.task is not None:
            self.task.cancel()


@dataclass
class _Pty:
    master: int
    slave: int
    link: Path
    target: str
    port: _Port


class RtuLine:
    """Devices by address on one RS485 line. ``faults`` may be replaced at any time (on the serving loop)."""

    def __init__(self, devices: Mapping[int, RtuDevice], baud: int = 9600, turnaround_s: float = 0.002) -> None:
        bad = sorted(a for a in devices if not 1 <= a <= 247)
        if bad:
            raise ValueError(f"device addresses are 1 to 247 on an RTU line, not {bad}")
        self.devices = devices
        self.baud = baud
        self.turnaround_s = turnaround_s
        self.faults = LineFaults()
        self.stats = LineStats()
        # The port each serve_tcp listens on (useful when asked for port 0).
        self.tcp_ports: list[int] = []
        self._wire: asyncio.Lock | None = None
        self._ports: list[_Port] = []
        self._ptys: list[_Pty] = []
        self._servers: list[asyncio.Server] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._late: set[asyncio.TimerHandle] = set()

    def wire_s(self, n_bytes: int) -> float:
        """How long ``n_bytes`` take on the wire."""
        return n_bytes * _BITS_PER_CHAR / self.baud

    @property
    def silence_s(self) -> float:
        """The silence that ends a frame: 3.5 characters."""
        return _FAST_SILENCE_S if self.baud > 19200 else 3.5 * _BITS_PER_CHAR / self.baud

    # The line without a transport: what the devices make of a frame.

    def handle(self, frame: bytes) -> Reply | None:
        """The answer to one frame off the wire, or None where a real line stays silent."""
        if not crc_ok(frame):
            self.stats.frames_received += 1
            self.stats.bad_crc_received += 1
            if frame:
                self.stats.at(frame[0]).frames_received += 1
                self.stats.at(frame[0]).bad_crc_received += 1
            return None
        return self.request(frame[0], frame[1:-2])

    def request(self, address: int, pdu: bytes) -> Reply | None:
        """The answer to a sound request PDU for ``address``, with the line's faults applied."""
        self.stats.frames_received += 1
        self.stats.at(address).frames_received += 1
        faults = self.faults
        if address == BROADCAST:
            if pdu[:1] and pdu[0] in WRITE_CODES:
                for at, device in self.devices.items():
                    if at not in faults.dead and at not in faults.ignore_writes:
                        device.answer(pdu)
            return None
        device = self.devices.get(address)
        if device is None or address in faults.dead or not pdu:
            return None
        if address in faults.ignore_writes and pdu[0] in WRITE_CODES:
            answer: bytes | None = acknowledgement(pdu)
        else:
            answer = device.answer(pdu)
        if answer is None:
            return None
        return Reply(address, answer, address in faults.corrupt_crc, faults.late_s.get(address, 0.0))

    def sent(self, reply: Reply) -> None:
        self.stats.answers_sent += 1
        self.stats.at(reply.address).answers_sent += 1

    # Transports.

    async def serve_pty(self, link: Path) -> None:
        """Serve on a new pseudo-terminal; ``link`` becomes a symlink to the end the edge opens. Returns once
        serving."""
        loop = asyncio.get_running_loop()
        master, slave = os.openpty()
        try:
            # Raw: every byte as it is, no echo, no line editing (the edge's serial library sets its own too).
            tty.setraw(slave)
            os.set_blocking(master, False)
            target = os.ttyname(slave)
            _place_link(link, target)
        except BaseException:
            os.close(master)
            os.close(slave)
            raise
        # We keep the slave end open ourselves, so that the pty lives on between the edge's opens and closes.
        port = self._open_port(lambda data: _write_fd(master, data))
        self._ptys.append(_Pty(master, slave, link, target, port))
        loop.add_reader(master, self._read_pty, master, port)
        log.info("rtu line on a pty", extra={"link": str(link), "pty": target, "baud": self.baud})

    async def serve_tcp(self, host: str, port: int) -> None:
        """Serve RTU frames over TCP, one client after another or several at once (they share the wire)."""
        server = await asyncio.start_server(self._tcp_client, host, port)
        self._servers.append(server)
        bound = int(server.sockets[0].getsockname()[1])
        self.tcp_ports.append(bound)
        log.info("rtu line over tcp", extra={"host": host, "port": bound, "baud": self.baud})

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        for handle in self._late:
            handle.cancel()
        for server in self._servers:
            server.close()
        for writer in list(self._writers):
            writer.close()
        for pty in self._ptys:
            loop.remove_reader(pty.master)
            os.close(pty.master)
            os.close(pty.slave)
            # Only the link we made: not one another line or a person has put there since.
            with contextlib.suppress(OSError):
                if pty.link.is_symlink() and os.readlink(pty.link) == pty.target:
                    pty.link.unlink()
        for port in self._ports:
            port.close()
        for server in self._servers:
            await server.wait_closed()
        self._servers, self._ptys, self._ports, self._late = [], [], [], set()

    def _open_port(self, send: Callable[[bytes], None]) -> _Port:
        if self._wire is None:
            self._wire = asyncio.Lock()
        port = _Port(send)
        port.framer = _Framer(self.silence_s, lambda frame, at: port.frames.put_nowait((frame, at)))
        port.task = asyncio.create_task(self._serve_port(port))
        self._ports.append(port)
        return port

    def _read_pty(self, master: int, port: _Port) -> None:
        try:
            data = os.read(master, 1024)
        except BlockingIOError:
            return
        except OSError as exc:  # the pty was closed under us
            log.debug("pty read failed", extra={"error": str(exc)})
            return
        if port.framer is not None and data:
            port.framer.feed(data)

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        port = self._open_port(lambda data: None if writer.is_closing() else writer.write(data))
        try:
            while data := await reader.read(1024):
                if port.framer is not None:
                    port.framer.feed(data)
        except ConnectionError:
            pass
        finally:
            port.close()
            if port in self._ports:
                self._ports.remove(port)
            self._writers.discard(writer)
            writer.close()

    async def _serve_port(self, port: _Port) -> None:
        loop = asyncio.get_running_loop()
        assert self._wire is not None
        while True:
            frame, first_at = await port.frames.get()
            async with self._wire:
                # The master wrote the frame at once; on a real wire its last byte, and the silence that ends
                # it, come this much later.
                self.stats.wire_s += self.wire_s(len(frame))
                await asyncio.sleep(max(0.0, first_at + self.wire_s(len(frame)) + self.silence_s - loop.time()))
                reply = self.handle(frame)
                if reply is None:
                    continue
                adu = reply.frame()
                normal_s = self.turnaround_s + self.wire_s(len(adu))
                if reply.late_s > 0:
                    # Not holding the wire: the master has given up and goes on; the answer lands on what follows.
                    self._send_later(normal_s + reply.late_s, port, reply, adu)
                    continue
                await asyncio.sleep(normal_s)
                self._send(port, reply, adu)

    def _send(self, port: _Port, reply: Reply, adu: bytes) -> None:
        port.send(adu)
        self.stats.wire_s += self.wire_s(len(adu))
        self.sent(reply)

    def _send_later(self, delay_s: float, port: _Port, reply: Reply, adu: bytes) -> None:
        def fire() -> None:
            self._late.discard(handle)
            self._send(port, reply, adu)

        handle = asyncio.get_running_loop().call_later(delay_s, fire)
        self._late.add(handle)


def _place_link(link: Path, target: str) -> None:
    # /dev holds the real adapters' names and udev's links (/dev/serial/by-id/…): never replaced by a simulation.
    if link.absolute().is_relative_to("/dev"):
        raise ValueError(
            f"{link}: a simulated serial port is not put under /dev, where real adapters are; give the bus a port in "
            "a folder of its own (greenhouse demo does)"
        )
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink():
        link.unlink()  # left by a run that died
    elif link.exists():
        raise FileExistsError(f"{link} exists and is not a link: not replacing it with the simulator's pty")
    link.symlink_to(target)


def _write_fd(fd: int, data: bytes) -> None:
    try:
        os.write(fd, data)
    except (BlockingIOError, OSError) as exc:  # nobody reads the pty and its buffer is full, or it is closed
        log.debug("pty write dropped", extra={"error": str(exc), "bytes": len(data)})
