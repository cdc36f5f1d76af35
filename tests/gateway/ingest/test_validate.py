"""Every kind of hostile or broken message is rejected with its own reason; good ones pass."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from contract.kinds import Quality, SensorKind
from contract.messages import Reading, TelemetryBatch
from contract.site_file import load_site
from gateway.ingest.validate import MAX_PAYLOAD_BYTES, Accepted, Rejected, RejectReason, Validator
from tests.conftest import EXAMPLE_SITE

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
VALIDATOR = Validator(load_site(EXAMPLE_SITE))
TOPIC = "gh/v1/htx-moc-chau/ca-chua-1/telemetry"


def _batch(**over: object) -> dict[str, object]:
    reading = Reading(sensor="air-temp", kind=SensorKind.AIR_TEMP_C, value=21.5, ts=NOW, quality=Quality.GOOD)
    batch = TelemetryBatch(site="htx-moc-chau", greenhouse="ca-chua-1", seq=1, sent_at=NOW, readings=[reading])
    body = json.loads(batch.to_json())
    body.update(over)
    return body


def _check(payload: bytes, topic: str = TOPIC) -> Accepted | Rejected:
    return VALIDATOR.check(topic, payload, NOW)


def test_a_good_batch_is_accepted() -> None:
    result = _check(json.dumps(_batch()).encode())
    assert isinstance(result, Accepted)
    assert isinstance(result.message, TelemetryBatch) and result.message.readings[0].value == 21.5


def _reading(**over: object) -> list[dict[str, object]]:
    r: dict[str, object] = {
        "sensor": "air-temp",
        "kind": "air_temp_c",
        "value": 21.5,
        "ts": NOW.isoformat(),
        "quality": "good",
    }
    r.update(over)
    return [r]


# Each kind of bad message the gateway must survive: (topic, payload, reason, a fragment of the detail).
HOSTILE: list[tuple[str, bytes, RejectReason, str]] = [
    (TOPIC, b"\x00\x01 binary", RejectReason.NOT_JSON, ""),
    (TOPIC, b'{"v": 1, "site": ', RejectReason.NOT_JSON, ""),
    (TOPIC, json.dumps(_batch(seq="one")).encode(), RejectReason.INVALID, "seq"),
    (TOPIC, json.dumps(_batch(readings=_reading(value="hot"))).encode(), RejectReason.INVALID, "readings.0.value"),
    (
        TOPIC,
        json.dumps(_batch(readings=_reading(value=1.0))).encode().replace(b"1.0", b"NaN"),
        RejectReason.NON_FINITE,
        "readings.0.value",
    ),
    (
        TOPIC,
        json.dumps(_batch(readings=_reading(value=1.0))).encode().replace(b"1.0", b"1e999"),
        RejectReason.NON_FINITE,
        "readings.0.value",
    ),
    (
        TOPIC,
        json.dumps(_batch(readings=_reading(value=1.0))).encode().replace(b"1.0", b"-Infinity"),
        RejectReason.NON_FINITE,
        "readings.0.value",
    ),
    (
        TOPIC,
        json.dumps(_batch(sent_at=(NOW + timedelta(days=2)).isoformat())).encode(),
        RejectReason.FUTURE_TIMESTAMP,
        "",
    ),
    (
        TOPIC,
        json.dumps(_batch(readings=_reading(ts="2019-01-01T00:00:00+00:00"))).encode(),
        RejectReason.ANCIENT_TIMESTAMP,
        "2019",
    ),
    (
        "gh/v1/htx-other/ca-chua-1/telemetry",
        json.dumps(_batch(site="htx-other")).encode(),
        RejectReason.UNKNOWN_SITE,
        "htx-other",
    ),
    (
        "gh/v1/htx-moc-chau/nha-la/telemetry",
        json.dumps(_batch(greenhouse="nha-la")).encode(),
        RejectReason.UNKNOWN_GREENHOUSE,
        "nha-la",
    ),
    (
        "gh/v1/htx-moc-chau/ca-chua-2/telemetry",
        json.dumps(_batch()).encode(),
        RejectReason.TOPIC_MISMATCH,
        "ca-chua-1",
    ),
    (TOPIC, b"[" * (MAX_PAYLOAD_BYTES + 1), RejectReason.TOO_LARGE, ""),
    ("gh/v1/htx-moc-chau/ca-chua-1/cmd/valve-a", b"{}", RejectReason.BAD_TOPIC, "cmd"),
    ("garbage/topic", b"{}", RejectReason.BAD_TOPIC, ""),
    (TOPIC, json.dumps(_batch(v=9)).encode(), RejectReason.INVALID, "v"),
    (TOPIC, json.dumps(_batch(extra_field=1)).encode(), RejectReason.INVALID, "extra_field"),
    # Nesting past the parser's bound: json.loads raised RecursionError here and killed the ingest thread.
    (TOPIC, b"[" * 5000, RejectReason.TOO_DEEP, "recursion limit"),
    (TOPIC, b'{"a":' * 3000 + b"1" + b"}" * 3000, RejectReason.TOO_DEEP, "recursion limit"),
    # Strict: no coercion of a string to a number, nor of a boolean to a value.
    (TOPIC, json.dumps(_batch(seq="5")).encode(), RejectReason.INVALID, "seq"),
    (TOPIC, json.dumps(_batch(readings=_reading(value=True))).encode(), RejectReason.INVALID, "readings.0.value"),
    # UTF-8 only: the same batch in UTF-16, and a lone surrogate in a string.
    (TOPIC, json.dumps(_batch()).encode("utf-16"), RejectReason.NOT_JSON, ""),
    (TOPIC, json.dumps(_batch(readings=_reading(sensor="\ud800"))).encode(), RejectReason.NOT_JSON, ""),
    (TOPIC, json.dumps(_batch()).encode().replace(b'"good"', b'"go\xffod"'), RejectReason.NOT_JSON, ""),
]


@pytest.mark.parametrize(("topic", "payload", "reason", "detail"), HOSTILE)
def test_hostile_messages_are_rejected_with_their_reason(
    topic: str, payload: bytes, reason: RejectReason, detail: str
) -> None:
    result = _check(payload, topic)
    assert isinstance(result, Rejected), result
    assert result.reason is reason
    assert detail in result.detail


def test_a_lone_surrogate_in_an_event_is_refused_and_a_surrogate_pair_is_not() -> None:
    # A lone surrogate passed the old step-by-step parse and broke every view that encoded the event as UTF-8.
    event: dict[str, object] = {
        "site": "htx-moc-chau",
        "greenhouse": "ca-chua-1",
        "ts": NOW.isoformat(),
        "kind": "alert",
        "reason": "rule_alert",
        "rule": "frost",
        "reason_params": {"name": "\ud800"},
    }
    topic = "gh/v1/htx-moc-chau/ca-chua-1/events"
    refused = _check(json.dumps(event).encode(), topic)
    assert isinstance(refused, Rejected) and refused.reason is RejectReason.NOT_JSON
    event["reason_params"] = {"name": "sương muối \U0001f345"}  # a surrogate pair in JSON: valid
    accepted = _check(json.dumps(event).encode(), topic)
    assert isinstance(accepted, Accepted)
    assert accepted.message.reason_params == {"name": "sương muối \U0001f345"}  # type: ignore[union-attr]


def test_free_text_is_bounded() -> None:
    event = {
        "site": "htx-moc-chau",
        "greenhouse": "ca-chua-1",
        "ts": NOW.isoformat(),
        "kind": "alert",
        "reason": "rule_alert",
    }
    topic = "gh/v1/htx-moc-chau/ca-chua-1/events"
    for too_much in ({"rule": "x" * 100}, {"action": "x" * 65}, {"reason_params": {"detail": "x" * 1001}}):
        refused = _check(json.dumps({**event, **too_much}).encode(), topic)
        assert isinstance(refused, Rejected) and refused.reason is RejectReason.INVALID, too_much
