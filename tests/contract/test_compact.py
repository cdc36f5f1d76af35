"""The compact uplink encoding, read by ``contract.wire.decode`` beside JSON: the same message back, exactly as
strict, and a stream that would inflate too far, is cut, or is not one refused with its reason."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import pytest

from contract.compact import COMPACT_V1, UplinkEncoding, encode
from contract.kinds import Quality, SensorKind
from contract.messages import Reading, TelemetryBatch
from contract.site import Uplink
from contract.wire import WireError, WireProblem, decode

MAX = 256 * 1024
T0 = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def _batch(polls: int = 10) -> TelemetryBatch:
    readings = [
        Reading(
            sensor=f"s-{i}",
            kind=kind,
            value=None if q is Quality.STALE else 20.0 + i * 0.1 + p,
            ts=T0 + timedelta(seconds=30 * p),
            quality=q,
        )
        for p in range(polls)
        for i, (kind, q) in enumerate(zip(list(SensorKind)[:6], list(Quality), strict=False))
    ]
    return TelemetryBatch(site="htx", greenhouse="gh-1", seq=7, sent_at=T0 + timedelta(minutes=5), readings=readings)


def test_a_compact_batch_decodes_to_the_same_message_and_is_smaller() -> None:
    batch = _batch()
    compact = encode(batch, UplinkEncoding.DEFLATE)
    assert compact.startswith(COMPACT_V1) and len(compact) < len(batch.to_json()) / 4
    assert decode(TelemetryBatch, compact, MAX) == batch
    assert encode(batch, UplinkEncoding.JSON) == batch.to_json()  # JSON stays what old gateways read


def test_compact_is_as_strict_as_json() -> None:
    text = _batch(1).to_json().replace(b'"seq":7', b'"seq":"7"')
    deflate = zlib.compressobj(9)
    wrapped = COMPACT_V1 + deflate.compress(text) + deflate.flush()
    got = decode(TelemetryBatch, wrapped, MAX)
    assert isinstance(got, WireError) and got.problem is WireProblem.INVALID and got.field == "seq"
    assert got == decode(TelemetryBatch, text, MAX)


def test_a_zip_bomb_is_refused_as_too_large_naming_the_limit() -> None:
    bomb = COMPACT_V1 + zlib.compress(b"{" + b" " * 50_000_000, 9)
    assert len(bomb) < MAX
    got = decode(TelemetryBatch, bomb, MAX)
    assert got == WireError(WireProblem.TOO_LARGE, f"compact version 1: inflates beyond {MAX} bytes")


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        (encode(_batch(), UplinkEncoding.DEFLATE)[:-10], "truncated"),
        (encode(_batch(), UplinkEncoding.DEFLATE) + b"xx", "2 bytes after the end"),
        (COMPACT_V1 + b"not deflate at all", "not a readable deflate stream"),
        (COMPACT_V1, "truncated"),
        (b"\x02" + encode(_batch(), UplinkEncoding.DEFLATE)[1:], "compact version 2 is not known"),
    ],
)
def test_a_broken_stream_is_refused_with_its_reason(payload: bytes, says: str) -> None:
    got = decode(TelemetryBatch, payload, MAX)
    assert isinstance(got, WireError) and got.problem is WireProblem.NOT_JSON and says in got.detail, got


def test_uplink_defaults_are_the_edge_before_it() -> None:
    assert Uplink() == Uplink(batch_period_s=0, batch_max_readings=1000, encoding=UplinkEncoding.JSON)
    with pytest.raises(ValueError, match="less than or equal to 1000"):
        Uplink(batch_max_readings=1001)
