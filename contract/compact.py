"""The compact uplink encoding: the contract's own JSON, deflated, behind a one-byte version header.

A JSON message starts with ``{`` (or whitespace); a compact one with a version byte below ``0x20``, which no JSON
text can begin with, so ``contract.wire.decode`` tells them apart by the first byte and every consumer reads both.
Version 1 is a zlib stream (RFC 1950: deflate with an Adler-32 check, so a damaged or cut stream is refused, not
misread) compressed with the preset dictionary below (one made without it reads too). The decoded text is the same
JSON the same model validates: the contract is exactly as strict in either form. A later version is a new header
byte, never a change of this one.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel


class UplinkEncoding(StrEnum):
    JSON = "json"  # what every edge sent before, and every gateway reads
    DEFLATE = "deflate"  # compact version 1; only for a gateway that reads it (docs/contract.md)


COMPACT_V1 = b"\x01"
# What every telemetry batch repeats, so that even one poll compresses well. Frozen with version 1: a stream made
# with it is only readable with exactly these bytes (zlib checks the dictionary's Adler-32 and refuses another).
_DICTIONARY_V1 = (
    b'"quality":"stale"},"quality":"spike"},"quality":"flatline"},"quality":"out_of_range"},"quality":"missing"},'
    b'{"sensor":"soil-","kind":"soil_vwc_pct","value":"ts":"2026-","quality":"good"},'
    b'{"sensor":"air-temp","kind":"air_temp_c","value":"ts":"2026-","quality":"good"},'
    b'{"sensor":"air-rh","kind":"air_rh_pct","value":"ts":"2026-","quality":"good"},'
    b'{"site":"","greenhouse":"","seq":,"sent_at":"2026-","readings":[{"sensor":"","kind":"","value":,"ts":"2026-'
)


@dataclass(frozen=True)
class CompactError:
    too_large: bool  # inflates beyond the limit (a zip bomb); otherwise not a readable compact stream
    detail: str


def is_compact(payload: bytes) -> bool:
    """A compact payload of any version: its first byte is a control character, which JSON never starts with."""
    return bool(payload) and payload[0] < 0x20 and payload[:1] not in (b"\t", b"\n", b"\r")


def encode(message: BaseModel, encoding: UplinkEncoding) -> bytes:
    """``message`` as it crosses the link in ``encoding``."""
    text = message.model_dump_json(exclude_none=True).encode()
    return text if encoding is UplinkEncoding.JSON else deflated(text)


def deflated(json_text: bytes, level: int = 9) -> bytes:
    """A message's JSON text in compact version 1; any ``level`` reads the same (an edge spends its CPU on the
    smallest message, a load generator on speed)."""
    deflate = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS, 9, zlib.Z_DEFAULT_STRATEGY, _DICTIONARY_V1)
    return COMPACT_V1 + deflate.compress(json_text) + deflate.flush()


def inflate(payload: bytes, max_bytes: int) -> bytes | CompactError:
    """The JSON text inside a compact ``payload``, inflating at most ``max_bytes``: never more is held in memory,
    whatever the stream claims."""
    if payload[:1] != COMPACT_V1:
        return CompactError(False, f"compact version {payload[0]} is not known (known: 1)")
    inflater = zlib.decompressobj(zlib.MAX_WBITS, _DICTIONARY_V1)
    try:
        text = inflater.decompress(payload[1:], max_bytes)
    except zlib.error as exc:
        return CompactError(False, f"compact version 1: not a readable deflate stream ({exc})")
    if not inflater.eof and len(text) >= max_bytes:
        return CompactError(True, f"compact version 1: inflates beyond {max_bytes} bytes")
    if not inflater.eof:
        return CompactError(False, "compact version 1: the deflate stream is truncated")
    if inflater.unused_data:
        return CompactError(False, f"compact version 1: {len(inflater.unused_data)} bytes after the end of the stream")
    return text
