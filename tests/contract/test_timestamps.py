"""A reading's time is accepted and refused exactly as pydantic's own ``AwareDatetime`` does it, with the same
errors, and kept as the same instant in the standard library's one UTC zone."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import pytest
from pydantic import AwareDatetime, BaseModel, ValidationError

from contract.messages import Reading, TelemetryBatch
from contract.timestamps import UtcTime


class _Ours(BaseModel):
    ts: UtcTime


class _Pydantics(BaseModel):
    ts: AwareDatetime


TEXTS = [
    "2026-12-06T05:30:00Z",
    "2026-12-06T05:30:00.1Z",
    "2026-12-06T05:30:00.123Z",
    "2026-12-06T05:30:00.123456Z",
    "2026-12-06T05:30:00.1234567Z",  # seven decimals: not the edges' form
    "2024-02-29T23:59:59Z",  # a leap day
    "2026-02-29T00:00:00Z",  # not a leap year
    "2026-02-30T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-12-06T24:00:00Z",
    "2026-12-06T23:59:60Z",  # a leap second
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "2026-12-06T05:30:00z",
    "2026-12-06 05:30:00Z",
    "2026-12-06T05:30:00+07:00",
    "2026-12-06T05:30:00+00:00",
    "2026-12-06T05:30:00",  # no zone
    "20261206T053000Z",
    "2026-W49-7T05:30:00Z",  # an ISO week date
    "2026-12-06T05:30Z",
    "2026-12-06",
    "２０２６-12-06T05:30:00Z",  # full-width digits
    "1765001400",
    "2026-12-06T05:30:00{x}Z",  # braces in the text the error quotes
    "",
    1765001400,
    1765001400.5,
    None,
]


def _outcome(model: type[BaseModel], value: Any, as_json: bool, strict: bool) -> tuple[str, Any]:
    try:
        if as_json:  # as the wire decodes (strict) and as tests and tools read files (lax)
            parsed = model.model_validate_json(json.dumps({"ts": value}), strict=strict)
        else:
            parsed = model.model_validate({"ts": value}, strict=strict)
    except ValidationError as exc:
        return "refused", [(e["type"], e["loc"], e["msg"]) for e in exc.errors()]
    ts = parsed.ts  # type: ignore[attr-defined]
    return "accepted", (ts, ts.tzinfo is UTC)


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lax"])
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "python"])
@pytest.mark.parametrize("value", TEXTS, ids=[repr(t) for t in TEXTS])
def test_a_time_is_accepted_or_refused_as_pydantic_does_it_with_the_same_instant_and_json(
    value: Any, as_json: bool, strict: bool
) -> None:
    ours, pydantics = _outcome(_Ours, value, as_json, strict), _outcome(_Pydantics, value, as_json, strict)
    assert ours[0] == pydantics[0]
    if ours[0] == "accepted":
        assert ours[1] == (pydantics[1][0], True), "the same instant, in the shared UTC zone"
    else:
        assert ours == pydantics, "the same errors"


def test_a_batch_shares_one_utc_zone_so_its_poll_times_compare_without_asking_for_offsets() -> None:
    readings = [
        {"sensor": f"s{i}", "kind": "air_temp_c", "value": 20.5, "ts": f"2026-12-06T05:3{i % 2}:00Z", "quality": "good"}
        for i in range(6)
    ]
    text = json.dumps(
        {"site": "htx", "greenhouse": "gh1", "seq": 1, "sent_at": "2026-12-06T05:31:00.5Z", "readings": readings}
    )
    batch = TelemetryBatch.model_validate_json(text)
    assert all(r.ts.tzinfo is UTC for r in batch.readings) and batch.sent_at.tzinfo is UTC
    assert len({r.ts for r in batch.readings}) == 2
    written = json.loads(batch.to_json())
    assert [r["ts"] for r in written["readings"][:2]] == ["2026-12-06T05:30:00Z", "2026-12-06T05:31:00Z"]
    assert written["sent_at"] == "2026-12-06T05:31:00.500000Z", "written out as pydantic writes UTC"
    assert TelemetryBatch.model_validate_json(batch.to_json()) == batch, "and read back the same"
    with_offset = Reading.model_validate_json(json.dumps({**readings[0], "ts": "2026-12-06T12:30:00+07:00"}))
    assert with_offset.ts == batch.readings[0].ts, "another form: pydantic's parse, the same instant"
