"""An event stream compressed as it goes: one zlib stream per connection, flushed after every event.

Starlette's GZipMiddleware leaves ``text/event-stream`` alone, and compressing each event on its own would
lose most of the gain: a stream's events repeat the same keys and names, which one compressor over the whole
connection remembers (its 32 KB window). ``Z_SYNC_FLUSH`` ends each event on a byte boundary, so the phone
decodes it at once instead of waiting for the next one.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from enum import StrEnum

LEVEL = 6  # zlib's default: level 9 saves little more on small events and costs the gateway more CPU
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_ZLIB_WBITS = zlib.MAX_WBITS  # HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2), which browsers accept


class Encoding(StrEnum):
    GZIP = "gzip"
    DEFLATE = "deflate"


def accepted(accept_encoding: str) -> Encoding | None:
    """The encoding to send, from a request's Accept-Encoding: gzip before deflate; none that has ``q=0``."""
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if name:
            weights[name.lower()] = weight
    for encoding in Encoding:
        if weights.get(encoding.value, weights.get("*", 0.0)) > 0:
            return encoding
    return None


class EventCompressor:
    """Each call compresses one piece of the stream and flushes it, continuing the same compressed stream."""

    def __init__(self, encoding: Encoding) -> None:
        wbits = _GZIP_WBITS if encoding is Encoding.GZIP else _ZLIB_WBITS
        self._z = zlib.compressobj(LEVEL, zlib.DEFLATED, wbits)

    def __call__(self, text: str) -> bytes:
        return self._z.compress(text.encode()) + self._z.flush(zlib.Z_SYNC_FLUSH)


async def compressed(events: AsyncIterator[str], encoding: Encoding) -> AsyncIterator[bytes]:
    """``events`` as one compressed stream, each piece flushed as it comes."""
    compress = EventCompressor(encoding)
    async for text in events:
        yield compress(text)
