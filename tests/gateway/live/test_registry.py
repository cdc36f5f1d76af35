"""Device registry: each greenhouse's availability and last contact; stale sensors and silent houses flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contract.kinds import Quality, SensorKind
from contract.messages import Availability, Reading, Status, TelemetryBatch
from contract.site_file import load_site
from gateway.live.registry import Registry
from tests.conftest import EXAMPLE_SITE

T0 = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
SITE = load_site(EXAMPLE_SITE)


def _batch(seq: int, at: datetime, soil_quality: Quality = Quality.GOOD) -> TelemetryBatch:
    readings = [
        Reading(sensor="air-temp", kind=SensorKind.AIR_TEMP_C, value=21.0, ts=at, quality=Quality.GOOD),
        Reading(sensor="soil-a1", kind=SensorKind.SOIL_VWC_PCT, value=31.0, ts=at, quality=soil_quality),
    ]
    return TelemetryBatch(site="htx-moc-chau", greenhouse="ca-chua-1", seq=seq, sent_at=at, readings=readings)


def test_status_and_telemetry_make_a_health_report() -> None:
    reg = Registry(SITE)
    reg.apply(
        Status(
            site="htx-moc-chau",
            greenhouse="ca-chua-1",
            state=Availability.ONLINE,
            ts=T0,
            agent_version="0.1.0",
            outbox_depth=12,
        ),
        T0,
    )
    reg.apply(_batch(7, T0 + timedelta(seconds=30), soil_quality=Quality.SPIKE), T0)
    report = {h.greenhouse: h for h in reg.health(T0 + timedelta(seconds=60))}
    house = report["ca-chua-1"]
    assert house.availability is Availability.ONLINE and house.agent_version == "0.1.0"
    assert house.outbox_depth == 12 and house.last_seq == 7 and not house.silent
    assert house.last_seen == T0 + timedelta(seconds=30)
    by_id = {s.sensor: s for s in house.sensors}
    assert not by_id["air-temp"].stale and by_id["air-temp"].age_s == 30
    assert by_id["soil-a1"].stale and by_id["soil-a1"].quality is Quality.SPIKE  # flagged counts as stale
    assert "soil-b1" in house.stale_sensors  # never reported
    # Houses never heard from are silent and have no availability yet.
    assert report["ca-chua-2"].silent and report["ca-chua-2"].availability is None


def test_readings_go_stale_and_houses_silent_with_time() -> None:
    reg = Registry(SITE)
    reg.apply(_batch(1, T0), T0)
    later = {h.greenhouse: h for h in reg.health(T0 + timedelta(minutes=6))}["ca-chua-1"]
    assert later.silent  # 3 missed 30 s polls, with a 5-minute floor
    assert "air-temp" in later.stale_sensors  # max_age_s 300


def test_the_last_will_marks_a_house_offline_at_the_time_it_arrived() -> None:
    reg = Registry(SITE)
    reg.apply(_batch(1, T0), T0)
    will = Status(site="htx-moc-chau", greenhouse="ca-chua-1", state=Availability.OFFLINE)
    reg.apply(will, T0 + timedelta(minutes=2))
    house = {h.greenhouse: h for h in reg.health(T0 + timedelta(minutes=2))}["ca-chua-1"]
    assert house.availability is Availability.OFFLINE
    assert house.last_seen == T0 + timedelta(minutes=2)


def test_an_older_replayed_reading_does_not_replace_a_newer_one() -> None:
    reg = Registry(SITE)
    reg.apply(_batch(2, T0 + timedelta(minutes=1)), T0)
    reg.apply(_batch(1, T0), T0)  # backlog from an outage arrives late
    house = {h.greenhouse: h for h in reg.health(T0 + timedelta(minutes=1))}["ca-chua-1"]
    assert next(s for s in house.sensors if s.sensor == "air-temp").ts == T0 + timedelta(minutes=1)
    assert house.last_seq == 2
