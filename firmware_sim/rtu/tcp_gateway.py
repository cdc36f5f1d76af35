"""A Modbus TCP-to-RTU gateway in front of an RtuLine, as greenhouses have them (and the simulator's default bus):
Modbus TCP requests (MBAP header, Modbus Messaging on TCP/IP V1.0b §3.1.3) go to the line's devices by unit id,
and what a device does not answer validly — silence, a dead device, a broken CRC, an answer after the gateway
gave up — comes back as exception 0x0B, "gateway target device failed to respond", as from a real gateway.
"""

from __future__ import annotations

import asyncio
import logging
import struct

from pymodbus.constants import ExcCodes

from firmware_sim.rtu.line import BROADCAST, RtuLine

log = logging.getLogger(__name__)

_MBAP = struct.Struct(">HHHB")  # transaction id, protocol id (0), length of what follows, unit id
_MAX_LENGTH = 254  # unit id + a PDU of at most 253 bytes


class ModbusTcpGateway:
    def __init__(self, line: RtuLine) -> None:
        self.line = line
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def serve(self, host: str, port: int) -> None:
        """Returns once listening."""
        self._server = await asyncio.start_server(self._client, host, port)

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    def answer(self, unit: int, pdu: bytes) -> bytes | None:
        """The response PDU to a request for ``unit``; None for a broadcast."""
        reply = self.line.request(unit, pdu)
        if reply is None and unit == BROADCAST:
            return None
        if reply is None or reply.corrupt or reply.late_s > 0:
            return bytes([pdu[0] | 0x80, ExcCodes.GATEWAY_NO_RESPONSE])
        self.line.sent(reply)
        return reply.pdu

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        buffer = b""
        try:
            while data := await reader.read(1024):
                buffer += data
                while len(buffer) >= _MBAP.size + 1:
                    tid, protocol, length, unit = _MBAP.unpack_from(buffer)
                    if protocol != 0 or not 2 <= length <= _MAX_LENGTH:
                        log.info("not Modbus TCP: closing", extra={"peer": str(writer.get_extra_info("peername"))})
                        return
                    if len(buffer) < 6 + length:
                        break
                    pdu, buffer = buffer[_MBAP.size : 6 + length], buffer[6 + length :]
                    answer = self.answer(unit, pdu)
                    if answer is not None:
                        writer.write(_MBAP.pack(tid, 0, len(answer) + 1, unit) + answer)
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
