"""The event stream's compression: the encoding picked from what the client accepts, and one compressed stream
per connection in which every event can be decoded as soon as it is sent."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import anyio
import pytest

from gateway.api.sse_gzip import Encoding, EventCompressor, accepted, compressed

EVENT = (
    'id: {n}\nevent: patch\ndata: {{"greenhouse":"ca-chua-1","patch":{{"sensors":{{"@key":"sensor",'
    '"soil-a1":{{"value":{v},"ts":"2026-01-15T05:54:26+07:00"}}}}}}}}\n\n'
)
DECODERS = {Encoding.GZIP: 16 + zlib.MAX_WBITS, Encoding.DEFLATE: zlib.MAX_WBITS}


@pytest.mark.parametrize(
    ("header", "encoding"),
    [
        ("gzip, deflate, br", Encoding.GZIP),  # Chromium's
        ("deflate", Encoding.DEFLATE),
        ("deflate;q=1, gzip;q=0", Encoding.DEFLATE),
        ("GZip ; q=0.5", Encoding.GZIP),
        ("*", Encoding.GZIP),
        ("*, gzip;q=0", Encoding.DEFLATE),
        ("identity", None),
        ("", None),
        ("br, zstd", None),
        ("gzip;q=0, deflate;q=0", None),
        ("gzip;q=nonsense", None),
    ],
)
def test_the_encoding_is_the_one_the_client_accepts(header: str, encoding: Encoding | None) -> None:
    assert accepted(header) is encoding


@pytest.mark.parametrize("encoding", list(Encoding))
def test_each_event_decodes_as_soon_as_it_is_sent(encoding: Encoding) -> None:
    compress = EventCompressor(encoding)
    decoder = zlib.decompressobj(DECODERS[encoding])
    sizes = []
    for n in range(1, 6):
        text = EVENT.format(n=n, v=30 + n / 10)
        piece = compress(text)
        sizes.append(len(piece))
        # The whole event, from its own bytes: nothing held back for the next one.
        assert decoder.decompress(piece).decode() == text
        assert not decoder.eof
    # One compressor for the connection: the later events cost a fraction of the first, whose words they repeat.
    assert max(sizes[1:]) < sizes[0] / 2, sizes


def test_a_stream_of_events_comes_out_compressed_piece_by_piece() -> None:
    texts = [EVENT.format(n=n, v=n) for n in range(3)] + [": ping\n\n"]

    async def source() -> AsyncIterator[str]:
        for text in texts:
            yield text

    async def collect() -> list[bytes]:
        return [piece async for piece in compressed(source(), Encoding.GZIP)]

    pieces = anyio.run(collect)
    decoder = zlib.decompressobj(DECODERS[Encoding.GZIP])
    assert [decoder.decompress(p).decode() for p in pieces] == texts
