from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from contract import topics
from contract.kinds import Quality, SensorKind
from contract.messages import Reading, TelemetryBatch
from contract.reasons import Reason, render

T0 = datetime(2026, 1, 15, 0, 0, tzinfo=UTC)


def test_topics_build_and_parse_round_trip() -> None:
    name = topics.topic("htx-moc-chau", "ca-chua-1", topics.Channel.CMD, "valve-a")
    assert name == "gh/v1/htx-moc-chau/ca-chua-1/cmd/valve-a"
    parsed = topics.parse(name)
    assert (parsed.site, parsed.greenhouse, parsed.channel, parsed.actuator) == (
        "htx-moc-chau",
        "ca-chua-1",
        topics.Channel.CMD,
        "valve-a",
    )
    assert topics.subscription(topics.Channel.CMD, "s", "g") == "gh/v1/s/g/cmd/+"


@pytest.mark.parametrize(
    "bad",
    ["gh/v2/s/g/telemetry", "gh/v1/s/g/nonsense", "gh/v1/s/g/cmd", "gh/v1/S#/g/state", "gh/v1/s/g/telemetry/extra"],
)
def test_topics_outside_the_scheme_are_refused(bad: str) -> None:
    with pytest.raises(topics.TopicError):
        topics.parse(bad)


def test_ids_with_wildcards_cannot_become_topics() -> None:
    with pytest.raises(topics.TopicError):
        topics.topic("site", "gh/#", topics.Channel.STATUS)


def test_telemetry_batch_round_trips_and_keeps_each_readings_timestamp() -> None:
    readings = [
        Reading(sensor="soil-a1", kind=SensorKind.SOIL_VWC_PCT, value=27.5, ts=T0, quality=Quality.GOOD),
        Reading(
            sensor="air-temp",
            kind=SensorKind.AIR_TEMP_C,
            value=None,
            ts=T0 + timedelta(seconds=3),
            quality=Quality.STALE,
        ),
    ]
    batch = TelemetryBatch(site="s", greenhouse="g", seq=5, sent_at=T0, readings=readings)
    again = TelemetryBatch.model_validate_json(batch.to_json())
    assert again == batch
    assert again.readings[1].ts == T0 + timedelta(seconds=3)
    assert json.loads(batch.to_json())["v"] == 1


@pytest.mark.parametrize("value", ["NaN", "Infinity"])
def test_non_finite_values_and_naive_times_are_refused(value: str) -> None:
    raw = {"sensor": "x", "kind": "air_temp_c", "value": value, "ts": T0.isoformat(), "quality": "good"}
    with pytest.raises(ValidationError):
        Reading.model_validate_json(json.dumps(raw).replace(f'"{value}"', value))
    with pytest.raises(ValidationError):
        Reading(sensor="x", kind=SensorKind.AIR_TEMP_C, value=1.0, ts=datetime(2026, 1, 1), quality=Quality.GOOD)


def test_reading_is_usable_only_when_good_and_fresh() -> None:
    r = Reading(sensor="x", kind=SensorKind.SOIL_VWC_PCT, value=30.0, ts=T0, quality=Quality.GOOD)
    assert r.usable(T0 + timedelta(seconds=299), 300) == 30.0
    assert r.usable(T0 + timedelta(seconds=301), 300) is None
    flagged = r.model_copy(update={"quality": Quality.SPIKE})
    assert flagged.usable(T0, 300) is None


def test_every_reason_has_both_languages_and_fills_its_parameters() -> None:
    for reason in Reason:
        vi, en = render(reason, {}, "vi"), render(reason, {}, "en")
        assert vi and en
    params = {"sensor": "tank-level", "kind": "tank_level_pct", "value": "8.0", "op": "<", "limit": "15"}
    said = render(Reason.INTERLOCK_SENSOR, params, "vi")
    assert said == "tank-level đang 8 %, dưới ngưỡng an toàn 15 % — không chạy được"
