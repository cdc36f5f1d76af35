"""One bus's connection: a pymodbus sync client, and the line discipline pymodbus leaves to its user.

Three transports: Modbus TCP to a gateway that speaks it, RTU frames carried as they are over TCP (transparent
RS485 converters), and RTU on a serial port. A ``Link`` sends one request and reports what came back as an
``Exchange``; retrying, and deciding what a failure means for the node, is the poller's business.

What pymodbus does not do and this does, for RTU (read in pymodbus 3.16: the serial client sets an inter-byte
timeout for receiving at 19200 baud and below, and empties the input buffer before sending with a warning):
- the silent interval before each request: 3.5 character times since the line was last busy, 1.75 ms above
  19200 baud (Modbus over serial line V1.02 §2.5.1.1), on a serial port and through a transparent converter alike;
- after a request that got no valid answer, waiting until the line has been quiet for a while and dropping what
  came meanwhile: a slow device's late answer must not be taken for the next request's;
- counting what the line shows through the client's ``trace_packet`` hook: frames with a bad CRC, and frames that
  answer some other request (late answers);
- checking that an answer is the one asked for: function, register or bit count, the echo of a write;
- on a serial port, handing an answer on as soon as the length its header announces is in, not 4 to 8 ms later.
On Modbus TCP the connection is closed after a request that got no answer instead, as the driver before this one
did: a late answer on that connection cannot be taken for the next request's.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from pathlib import Path

import serial
from pymodbus.client import ModbusBaseSyncClient, ModbusSerialClient, ModbusTcpClient
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.framer import FramerType
from pymodbus.framer.rtu import FramerRTU
from pymodbus.pdu import ModbusPDU
from pymodbus.pdu.bit_message import WriteSingleCoilRequest

from contract.devices.encoding import Table
from contract.devices.profile import TimedOn
from contract.reasons import Lang, pick
from contract.site import ModbusBus, ModbusTcpBus, RtuSerialBus

log = logging.getLogger(__name__)

# pymodbus logs every unanswered request at ERROR; the poller counts and reports them itself.
_pymodbus_log = logging.getLogger("pymodbus.logging")
if _pymodbus_log.level == logging.NOTSET:
    _pymodbus_log.setLevel(logging.CRITICAL)

# Where Linux puts USB–RS485 adapters: named in "port does not exist" so the technician sees what is there.
SERIAL_PORT_PATTERNS = ("/dev/ttyUSB*", "/dev/ttyACM*", "/dev/serial/by-id/*")


class OpenProblem(StrEnum):
    PORT_MISSING = "port_missing"
    PERMISSION = "permission"
    PORT_BUSY = "port_busy"
    PORT_FAILED = "port_failed"
    CONNECT_FAILED = "connect_failed"
    BROKER_UNREACHABLE = "broker_unreachable"  # an MQTT bus: the greenhouse's own broker (edge.fieldbus.mqtt_bus)


_TEXT: dict[OpenProblem, tuple[str, str]] = {
    OpenProblem.PORT_MISSING: (
        "Bus {bus}: không có cổng {port}. Kiểm tra bộ chuyển USB–RS485 đã cắm chưa, và tên cổng trong tệp cấu hình."
        " Các cổng đang có: {available}.",
        "Bus {bus}: serial port {port} does not exist. Check that the USB–RS485 adapter is plugged in and the port's"
        " name in the site file. Ports present: {available}.",
    ),
    OpenProblem.PERMISSION: (
        "Bus {bus}: không được phép mở cổng {port}. Thêm người dùng vào nhóm 'dialout': sudo usermod -aG dialout"
        " $USER, rồi đăng nhập lại.",
        "Bus {bus}: permission denied on {port}. Add the user to the 'dialout' group: sudo usermod -aG dialout"
        " $USER, then log in again.",
    ),
    OpenProblem.PORT_BUSY: (
        "Bus {bus}: cổng {port} đang bị chương trình khác dùng{holder}. Tắt chương trình đó (một bộ điều khiển"
        " khác, ModemManager, một phần mềm đọc Modbus) rồi thử lại.",
        "Bus {bus}: serial port {port} is in use by another program{holder}. Stop it (another controller,"
        " ModemManager, a Modbus tool) and try again.",
    ),
    OpenProblem.PORT_FAILED: (
        "Bus {bus}: không mở được cổng {port}: {error}",
        "Bus {bus}: cannot open serial port {port}: {error}",
    ),
    OpenProblem.CONNECT_FAILED: (
        "Bus {bus}: không kết nối được bộ chuyển RS485 tại {host}:{port} ({error}). Kiểm tra nguồn, dây mạng, địa"
        " chỉ IP và cổng của nó.",
        "Bus {bus}: cannot connect to the RS485 converter at {host}:{port} ({error}). Check its power, its network"
        " cable, its IP address and port.",
    ),
    OpenProblem.BROKER_UNREACHABLE: (
        "Bus {bus}: không kết nối được broker MQTT tại {host}:{port} ({error}). Kiểm tra broker (mosquitto) đang"
        " chạy, địa chỉ và cổng của nó trong tệp cấu hình, và tên đăng nhập nếu broker đòi.",
        "Bus {bus}: cannot connect to the MQTT broker at {host}:{port} ({error}). Check that the broker (mosquitto)"
        " is running, its address and port in the site file, and the user name if the broker asks for one.",
    ),
}


class BusOpenError(Exception):
    """A bus that cannot be opened, in words a technician can act on (``text``: Vietnamese or English)."""

    def __init__(self, problem: OpenProblem, **params: str) -> None:
        self.problem = problem
        self.params = params
        super().__init__(self.text("en"))

    def text(self, lang: Lang = "vi") -> str:
        return pick(_TEXT[self.problem], lang).format(**self.params)


def serial_ports() -> list[str]:
    """The serial ports an RS485 adapter may be: USB serial, CDC-ACM and their stable by-id names."""
    found: list[str] = []
    for pattern in SERIAL_PORT_PATTERNS:
        folder, glob = pattern.rsplit("/", 1)
        found += sorted(str(p) for p in Path(folder).glob(glob))
    return found


def _holders(port: str) -> str:
    """' (process 1234 name)' for each process that has ``port`` open, as far as /proc lets us see."""
    try:
        target = os.path.realpath(port)
    except OSError:
        return ""
    found: list[str] = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.path.realpath(fd) == target for fd in fd_dir.iterdir()):
                pid = fd_dir.parent.name
                found.append(f"{pid} {(fd_dir.parent / 'comm').read_text().strip()}")
        except OSError:
            continue  # gone, or not ours to look at
    return f" ({', '.join(found)})" if found else ""


def _serial_problem(bus: RtuSerialBus, exc: serial.SerialException) -> BusOpenError:
    code = exc.errno
    if code == errno.ENOENT or not os.path.exists(bus.port):
        return BusOpenError(
            OpenProblem.PORT_MISSING, bus=bus.id, port=bus.port, available=", ".join(serial_ports()) or "—"
        )
    if code in (errno.EACCES, errno.EPERM):
        return BusOpenError(OpenProblem.PERMISSION, bus=bus.id, port=bus.port)
    if code in (errno.EBUSY, errno.EAGAIN):  # EAGAIN: another program holds pyserial's exclusive lock
        return BusOpenError(OpenProblem.PORT_BUSY, bus=bus.id, port=bus.port, holder=_holders(bus.port))
    return BusOpenError(OpenProblem.PORT_FAILED, bus=bus.id, port=bus.port, error=str(exc))


class Fn(IntEnum):
    """The Modbus functions the poller uses."""

    READ_COILS = 1
    READ_DISCRETE_INPUTS = 2
    READ_HOLDING_REGISTERS = 3
    READ_INPUT_REGISTERS = 4
    WRITE_COIL = 5
    WRITE_REGISTER = 6


READ_FN: dict[Table, Fn] = {
    Table.COIL: Fn.READ_COILS,
    Table.DISCRETE_INPUT: Fn.READ_DISCRETE_INPUTS,
    Table.HOLDING_REGISTER: Fn.READ_HOLDING_REGISTERS,
    Table.INPUT_REGISTER: Fn.READ_INPUT_REGISTERS,
}


@dataclass(frozen=True)
class Request:
    fn: Fn
    device: int  # the node's address on the bus
    address: int
    count: int = 1  # reads: bits or registers
    value: int = 0  # writes: the coil (0/1) or register word
    # A coil write whose value is the word itself, not on/off (a board's own timed command).
    raw: bool = False

    @classmethod
    def read(cls, device: int, table: Table, address: int, count: int) -> Request:
        return cls(READ_FN[table], device, address, count)

    @classmethod
    def write(cls, device: int, table: Table, address: int, value: int) -> Request:
        fn = Fn.WRITE_COIL if table is Table.COIL else Fn.WRITE_REGISTER
        return cls(fn, device, address, value=value)

    @classmethod
    def timed(cls, device: int, timed_on: TimedOn, run_s: float) -> Request:
        """A run the device times itself: a register written its word, or a coil written its word instead of on/off."""
        request = cls.write(device, timed_on.table, timed_on.address, timed_on.value(run_s))
        return replace(request, raw=timed_on.table is Table.COIL)

    @property
    def reads_bits(self) -> bool:
        return self.fn in (Fn.READ_COILS, Fn.READ_DISCRETE_INPUTS)


class _CoilWord(WriteSingleCoilRequest):
    """Function 05 with a word of the device's own instead of on (0xFF00) or off: Waveshare's "flash on", whose
    word is the time the relay stays on. The answer echoes it, and is read as pymodbus reads any coil echo."""

    def __init__(self, word: int, address: int, dev_id: int) -> None:
        super().__init__(address=address, dev_id=dev_id, bits=[bool(word)])
        self.word = word

    def encode(self) -> bytes:
        return struct.pack(">HH", self.address, self.word)


class Outcome(StrEnum):
    ANSWERED = "answered"
    EXCEPTION = "exception"  # the device answered with a Modbus exception
    TIMEOUT = "timeout"  # nothing usable came back in time
    CRC_ERROR = "crc_error"  # an answer came, damaged
    WRONG_ANSWER = "wrong_answer"  # a sound frame that answers another request (a late answer)
    NOT_OPEN = "not_open"  # the bus itself cannot be opened: nothing was sent

    @property
    def answered(self) -> bool:
        return self in (Outcome.ANSWERED, Outcome.EXCEPTION)


class LineEvent(StrEnum):
    CRC_ERROR = "crc_error"
    LATE_ANSWER = "late_answer"


@dataclass(frozen=True)
class Exchange:
    """One request's fate. ``values``: the bits or registers read (exactly the count asked for)."""

    outcome: Outcome
    detail: str = ""
    values: tuple[int, ...] = ()
    open_error: BusOpenError | None = None
    # A timeout in which not one byte came back: the device is off, away or at another address; asking again at
    # once would only cost the bus another timeout.
    silent: bool = False


# What a Modbus TCP gateway answers for a device that did not (Modbus Application Protocol V1.1b3 §7): path
# unavailable, target device failed to respond. Not an answer from the device: a timeout, as far as it is concerned.
_GATEWAY_SILENCE = frozenset({0x0A, 0x0B})


def _exception_name(code: int) -> str:
    try:
        return ExcCodes(code).name.lower()
    except ValueError:
        return "unknown"


def _rtu_frame_size(buf: bytes) -> int | None:
    """The length of the RTU answer starting ``buf``, once its header shows it; None for no known answer."""
    if len(buf) < 2:
        return None
    fn = buf[1]
    if fn & 0x80:
        return 5  # address, function | 0x80, exception code, CRC
    if fn in (1, 2, 3, 4):
        return 5 + buf[2] if len(buf) >= 3 else None  # address, function, byte count, data, CRC
    if fn in (5, 6, 15, 16):
        return 8  # address, function, address, value or count, CRC
    return None


def _crc_ok(frame: bytes) -> bool:
    return FramerRTU.check_CRC(frame[:-2], int.from_bytes(frame[-2:], "big"))


class _RtuSerialClient(ModbusSerialClient):
    """pymodbus's serial client, but a receive ends as soon as the bytes an answer's header announces are in.

    pymodbus ends it once the count of waiting bytes stayed the same over one more poll of 4 characters: 4 to 8 ms
    after every answer at 9600 baud, a quarter of a short exchange (docs/fieldbus.md). A frame whose header tells no
    length, or that stops short, still ends after those 4 quiet characters; a port without a file descriptor is
    left to pymodbus."""

    def recv(self, size: int | None) -> bytes:
        port = self.socket
        fileno = getattr(port, "fileno", None)
        if size is not None or port is None or fileno is None:
            return super().recv(size)
        got = b""
        deadline = time.monotonic() + self.comm_params.timeout_connect
        try:
            while (left := deadline - time.monotonic()) > 0:
                ready, _, _ = select.select([fileno()], [], [], min(left, self._recv_interval) if got else left)
                if not ready:
                    if got:
                        break
                    continue
                got += port.read(max(1, port.in_waiting))
                whole = _rtu_frame_size(got)
                if whole is not None and len(got) >= whole:
                    break
        except OSError:  # pyserial's SerialException too: the adapter went away
            _close(self)
            raise ConnectionException(str(self)) from None
        return got


def _close(client: ModbusBaseSyncClient) -> None:
    """Close a client: through the base class that declares close(), which pymodbus leaves unannotated."""
    client.close()


def _client(bus: ModbusBus, trace: Callable[[bool, bytes], bytes]) -> ModbusTcpClient | ModbusSerialClient:
    if isinstance(bus, RtuSerialBus):
        return _RtuSerialClient(
            bus.port,
            framer=FramerType.RTU,
            baudrate=int(bus.baud),
            parity=bus.parity.value,
            stopbits=bus.stop_bits,
            bytesize=8,
            timeout=bus.timeout_s,
            retries=0,
            trace_packet=trace,
        )
    framer = FramerType.SOCKET if isinstance(bus, ModbusTcpBus) else FramerType.RTU
    return ModbusTcpClient(bus.host, port=bus.port, framer=framer, timeout=bus.timeout_s, retries=0, trace_packet=trace)


class Link:
    """One bus's client, used by one thread at a time (its poller)."""

    def __init__(self, bus: ModbusBus) -> None:
        self.bus = bus
        self.rtu = not isinstance(bus, ModbusTcpBus)
        if isinstance(bus, ModbusTcpBus):
            self.char_s, self.gap_s = 0.0, 0.0
        else:
            parity_bits = 1 if isinstance(bus, RtuSerialBus) and bus.parity.value != "N" else 0
            stop_bits = bus.stop_bits if isinstance(bus, RtuSerialBus) else 1
            self.char_s = (1 + 8 + parity_bits + stop_bits) / int(bus.baud)
            self.gap_s = 3.5 * self.char_s if int(bus.baud) <= 19200 else 0.00175
        # After an unanswered request: how long the line must stay silent before the next one.
        self.settle_s = max(10 * self.char_s, min(bus.timeout_s / 2, 0.5))
        self._poll_s = max(4 * self.char_s, 0.001)
        self.where = bus.port if isinstance(bus, RtuSerialBus) else f"{bus.host}:{bus.port}"
        self._client = _client(bus, self._trace)
        # pymodbus closes a TCP connection after a few unanswered requests in a row; one dead device must not
        # cut off the live ones behind the same converter.
        self._client.set_max_no_responses(1 << 30)
        self._busy_until = 0.0  # monotonic time the line was last seen busy (a frame sent or received)
        self._expect: Request | None = None
        self._seen: set[LineEvent] = set()
        self._classified = b""
        self._early = False  # the answer came too soon to be this request's
        self._heard = False  # a byte came back during this exchange
        self._sent_at, self._sent_bytes = 0.0, 0
        self._unanswered: int | None = None  # the last device that did not answer: late bytes are likely its
        self._events: list[tuple[int, LineEvent]] = []

    # -- opening ---------------------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._client.connected

    def open(self) -> None:
        """Open the port or connection if it is not; raises BusOpenError saying what to do about it."""
        if self._client.connected:
            return
        if not self._client.connect():
            problem = self._diagnose()
            if problem is not None:
                raise problem
            if not self._client.connect():  # the diagnosis opened it: something passing, a loose plug?
                raise BusOpenError(
                    OpenProblem.PORT_FAILED, bus=self.bus.id, port=self.where, error="it opens only now and then"
                )
        self._busy_until = time.monotonic()
        log.debug("bus open", extra={"bus": self.bus.id, "where": self.where})

    def _diagnose(self) -> BusOpenError | None:
        """Why pymodbus could not open the bus (it logs and returns False): open it the same way to see."""
        bus = self.bus
        if isinstance(bus, RtuSerialBus):
            try:
                serial.serial_for_url(bus.port, exclusive=True, baudrate=int(bus.baud)).close()
            except serial.SerialException as exc:
                return _serial_problem(bus, exc)
            except (OSError, ValueError) as exc:
                return BusOpenError(OpenProblem.PORT_FAILED, bus=bus.id, port=bus.port, error=str(exc))
            return None
        try:
            socket.create_connection((bus.host, bus.port), timeout=bus.timeout_s).close()
        except OSError as exc:
            return BusOpenError(
                OpenProblem.CONNECT_FAILED, bus=bus.id, host=bus.host, port=str(bus.port), error=str(exc) or "timeout"
            )
        return None

    def close(self) -> None:
        _close(self._client)

    def take_events(self) -> list[tuple[int, LineEvent]]:
        """(device address, event) for each CRC error and late answer seen since the last call."""
        events, self._events = self._events, []
        return events

    # -- one request -----------------------------------------------------------------------------------------
    def exchange(self, request: Request) -> Exchange:
        """Send ``request`` once and wait at most the bus's timeout for its answer."""
        try:
            self.open()
        except BusOpenError as exc:
            return Exchange(Outcome.NOT_OPEN, str(exc), open_error=exc)
        self._expect, self._seen, self._classified, self._early = request, set(), b"", False
        self._heard = False
        try:
            pdu = self._send_reconnecting(request)
        except BusOpenError as exc:
            return Exchange(Outcome.NOT_OPEN, str(exc), open_error=exc)
        except ConnectionException as exc:
            if not self._client.connected:  # the port went away (an adapter unplugged): say so if it stays away
                try:
                    self.open()
                except BusOpenError as gone:
                    return Exchange(Outcome.NOT_OPEN, str(gone), open_error=gone)
            return self._unanswered_by(request, f"{self.where} unit {request.device}: {exc}")
        except ModbusIOException:  # pymodbus's "no response received"
            return self._unanswered_by(request, f"{self.where} unit {request.device}: no answer")
        except (ModbusException, OSError) as exc:
            return self._unanswered_by(request, f"{self.where} unit {request.device}: {exc}")
        finally:
            self._expect = None
        if self._early:
            self._after_failure()
            return Exchange(
                Outcome.WRONG_ANSWER, f"{self.where} unit {request.device}: an answer to an earlier request came first"
            )
        return self._checked(request, pdu)

    def _send_reconnecting(self, request: Request) -> ModbusPDU:
        connected = self._client.connected
        try:
            return self._send(request)
        except ConnectionException:
            if isinstance(self.bus, RtuSerialBus) or not connected:
                raise
            # A connection the converter dropped (reboot, idle timeout) only shows on use: once more on a new one.
            _close(self._client)
            self.open()
            return self._send(request)

    def _send(self, r: Request) -> ModbusPDU:
        c, device = self._client, r.device
        match r.fn:
            case Fn.READ_COILS:
                return c.read_coils(r.address, count=r.count, device_id=device)
            case Fn.READ_DISCRETE_INPUTS:
                return c.read_discrete_inputs(r.address, count=r.count, device_id=device)
            case Fn.READ_HOLDING_REGISTERS:
                return c.read_holding_registers(r.address, count=r.count, device_id=device)
            case Fn.READ_INPUT_REGISTERS:
                return c.read_input_registers(r.address, count=r.count, device_id=device)
            case Fn.WRITE_COIL if r.raw:
                return c.execute(False, _CoilWord(r.value, address=r.address, dev_id=device))
            case Fn.WRITE_COIL:
                return c.write_coil(r.address, bool(r.value), device_id=device)
            case Fn.WRITE_REGISTER:
                return c.write_register(r.address, r.value, device_id=device)

    def _unanswered_by(self, request: Request, detail: str) -> Exchange:
        self._unanswered = request.device
        if LineEvent.CRC_ERROR in self._seen:
            outcome, detail = Outcome.CRC_ERROR, f"{self.where} unit {request.device}: answer with a bad CRC"
        elif LineEvent.LATE_ANSWER in self._seen:
            outcome = Outcome.WRONG_ANSWER
            detail = f"{self.where} unit {request.device}: an answer to an earlier request came instead"
        else:
            outcome = Outcome.TIMEOUT
        silent = outcome is Outcome.TIMEOUT and not self._heard
        self._after_failure(silent)
        return Exchange(outcome, detail, silent=silent)

    def _after_failure(self, silent: bool = False) -> None:
        if self.rtu:
            # After total silence a short wait will do: whatever comes later is caught by the next exchange's checks
            # (another device or function, or an answer sooner than the wire allows). After a broken or stray
            # answer, the line is left to go quiet.
            self._settle(self.gap_s if silent else self.settle_s)
        else:
            # Also after a timeout: a late answer on this connection must not be taken for the next one's.
            _close(self._client)

    def _checked(self, r: Request, pdu: ModbusPDU) -> Exchange:
        """The answer if it is the one asked for; an exception answer as such; anything else as a wrong answer."""
        where = f"{self.where} unit {r.device}"
        if pdu.isError():
            code = int(getattr(pdu, "exception_code", 0))
            detail = f"{where}: Modbus exception {code} ({_exception_name(code)})"
            if code in _GATEWAY_SILENCE:  # the gateway answered for a device that did not
                return Exchange(Outcome.TIMEOUT, detail)
            return Exchange(Outcome.EXCEPTION, detail)
        problem = ""
        if pdu.function_code != r.fn:
            problem = f"function {pdu.function_code} answered function {int(r.fn)}"
        elif r.reads_bits:
            if len(pdu.bits) != 8 * ((r.count + 7) // 8):
                problem = f"{len(pdu.bits)} bits answered a read of {r.count}"
        elif r.fn in (Fn.READ_HOLDING_REGISTERS, Fn.READ_INPUT_REGISTERS):
            if len(pdu.registers) != r.count:
                problem = f"{len(pdu.registers)} registers answered a read of {r.count}"
        else:
            echoed = int(pdu.bits[0]) if r.fn is Fn.WRITE_COIL else next(iter(pdu.registers), None)
            wanted = int(bool(r.value)) if r.raw else r.value  # pymodbus reads a coil echo as on or off
            if pdu.address != r.address or echoed != wanted:
                problem = f"the echo ({pdu.address}: {echoed}) is not the write ({r.address}: {r.value})"
        if problem:
            # Most likely an earlier request's late answer: the node's own, since the address matched.
            self._events.append((r.device, LineEvent.LATE_ANSWER))
            self._after_failure()
            return Exchange(Outcome.WRONG_ANSWER, f"{where}: {problem}")
        if r.reads_bits:
            return Exchange(Outcome.ANSWERED, values=tuple(int(b) for b in pdu.bits[: r.count]))
        if r.fn in (Fn.READ_HOLDING_REGISTERS, Fn.READ_INPUT_REGISTERS):
            return Exchange(Outcome.ANSWERED, values=tuple(pdu.registers))
        return Exchange(Outcome.ANSWERED)

    # -- the line --------------------------------------------------------------------------------------------
    def _trace(self, sending: bool, data: bytes) -> bytes:
        """pymodbus's hook on every frame sent and every receive buffer it decodes."""
        if sending:
            if self.rtu:
                self._before_send()
            # The frame is on the line until its last character has gone out.
            self._sent_at, self._sent_bytes = time.monotonic(), len(data)
            self._busy_until = self._sent_at + len(data) * self.char_s
        else:
            self._busy_until = time.monotonic()
            self._heard = self._heard or bool(data)
            if self.rtu and self._expect is not None:
                self._inspect(data)
        return data

    def _before_send(self) -> None:
        stale = self._read(0.0)
        if stale:
            self._late(stale)
            self._busy_until = time.monotonic()
        wait = self._busy_until + self.gap_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def _inspect(self, buf: bytes) -> None:
        """Count what the receive buffer starts with once it holds a whole frame: a frame with a bad CRC, or a
        sound one from another device or for another function (a late answer). pymodbus drops both and waits on;
        a frame from the asked device for the asked function is checked whole in ``_checked``."""
        expect = self._expect
        assert expect is not None
        size = _rtu_frame_size(buf)
        if size is None or len(buf) < size:
            return
        frame = buf[:size]
        if self._classified and buf.startswith(self._classified):
            return  # pymodbus kept this buffer and added to it: its first frame is counted already
        self._classified = frame
        if not _crc_ok(frame):
            self._seen.add(LineEvent.CRC_ERROR)
            self._events.append((expect.device, LineEvent.CRC_ERROR))
        elif frame[0] != expect.device or frame[1] & 0x7F != expect.fn:
            self._seen.add(LineEvent.LATE_ANSWER)
            self._events.append((frame[0], LineEvent.LATE_ANSWER))
        elif time.monotonic() - self._sent_at < (self._sent_bytes + size) * self.char_s:
            # Sooner than the request and this answer take on the wire: it was on its way before the request was
            # sent, the late answer to an earlier one, which may have asked for other registers of this device.
            self._early = True
            self._events.append((frame[0], LineEvent.LATE_ANSWER))

    def _settle(self, quiet_s: float) -> None:
        """Wait until the line has been quiet for ``quiet_s`` (at most the timeout more), dropping what came."""
        dropped = b""
        deadline = time.monotonic() + quiet_s + self.bus.timeout_s
        while (left := deadline - time.monotonic()) > 0:
            got = self._read(min(quiet_s, left))
            if not got:
                break
            dropped += got
        if dropped:
            self._late(dropped)
        self._busy_until = time.monotonic()

    def _late(self, data: bytes) -> None:
        """Bytes nobody asked for: an answer that came after its request had given up."""
        device = data[0] if 1 <= data[0] <= 247 else self._unanswered
        log.debug("late bytes dropped", extra={"bus": self.bus.id, "bytes": data.hex(), "device": device})
        if device is not None:
            self._events.append((device, LineEvent.LATE_ANSWER))

    def _read(self, wait_s: float) -> bytes:
        """What arrives within ``wait_s`` (what is waiting, for 0), without pymodbus: between requests."""
        port = self._client.socket
        if port is None:
            return b""
        if isinstance(port, socket.socket):
            ready, _, _ = select.select([port], [], [], wait_s)
            if not ready:
                return b""
            try:
                data = port.recv(4096)
            except BlockingIOError:
                return b""
            except OSError:
                _close(self._client)
                return b""
            if not data:  # the converter closed the connection
                _close(self._client)
            return data
        deadline = time.monotonic() + wait_s
        while True:
            try:
                waiting = port.in_waiting
                if waiting:
                    return bytes(port.read(waiting))
            except (OSError, serial.SerialException):
                _close(self._client)
                return b""
            left = deadline - time.monotonic()
            if left <= 0:
                return b""
            time.sleep(min(self._poll_s, left))
