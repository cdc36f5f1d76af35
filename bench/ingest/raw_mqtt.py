"""Just enough MQTT 3.1.1 to publish at QoS 1 from Python without paho's per-message cost.

Packets are encoded by hand and written many at a time; PUBACKs are counted, not matched:
the broker acknowledges each QoS 1 PUBLISH once. Packet ids cycle through 1..65535, so
no more than that many may be unacknowledged at once.
"""

from __future__ import annotations

import select
import socket
import struct

_CONNECT, _CONNACK, _PUBLISH_QOS1, _PUBACK = 0x10, 0x20, 0x32, 0x40
_MAX_ID = 65_535


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("!H", len(data)) + data


class RawPublisher:
    def __init__(self, host: str, port: int, client_id: str) -> None:
        self._sock = socket.create_connection((host, port), timeout=10)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Clean session, no keepalive: a bounded run needs no PINGREQ.
        body = _string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 0) + _string(client_id)
        self._sock.sendall(bytes([_CONNECT]) + _remaining_length(len(body)) + body)
        answer = self._recv_exactly(4)
        if answer[0] != _CONNACK or answer[3] != 0:
            raise ConnectionError(f"broker refused the connection: {answer!r}")
        self._sock.setblocking(False)
        self._next_id = 0
        self._unread = b""
        self._out = bytearray()
        self.unacked = 0
        self.acked = 0

    def _recv_exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self._sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            data += chunk
        return data

    def queue(self, topic: bytes, payload: bytes) -> None:
        """Add one QoS 1 PUBLISH to what ``flush`` sends next."""
        self._next_id = self._next_id % _MAX_ID + 1
        variable = _string(topic) + struct.pack("!H", self._next_id)
        self._out += bytes([_PUBLISH_QOS1]) + _remaining_length(len(variable) + len(payload)) + variable + payload
        self.unacked += 1

    def flush(self, wait_s: float) -> None:
        """Send what is queued, then count the PUBACKs that arrive within ``wait_s``."""
        while self._out:
            _r, writable, _x = select.select([], [self._sock], [], 1.0)
            if writable:
                sent = self._sock.send(self._out)
                del self._out[:sent]
            self._read_acks(0)
        self._read_acks(wait_s)

    def _read_acks(self, wait_s: float) -> None:
        readable, _w, _x = select.select([self._sock], [], [], wait_s)
        if not readable:
            return
        chunk = self._sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data = self._unread + chunk
        whole = len(data) - len(data) % 4  # every packet from the broker here is a 4-byte PUBACK
        if data[:whole:4].count(_PUBACK) != whole // 4:
            raise ConnectionError(f"unexpected packet from the broker: {data[:16]!r}")
        self.acked += whole // 4
        self.unacked -= whole // 4
        self._unread = data[whole:]

    def close(self) -> None:
        try:
            self._sock.setblocking(True)
            self._sock.sendall(b"\xe0\x00")  # DISCONNECT
        finally:
            self._sock.close()
