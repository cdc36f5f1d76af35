"""History of the example cooperative as the gateway stores it: messages mapped by the gateway's own
PointMapper and Deriver (valve runs included), written to a store. Three days up to now, and the same three
days a year back."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from contract.kinds import Quality, SensorKind
from contract.messages import Availability, Event, EventKind, Reading, Severity, Status, TelemetryBatch
from contract.reasons import Reason
from contract.site import Greenhouse, SiteConfig
from gateway.ingest.derived_points import Deriver
from gateway.storage.model import Point, Store
from gateway.storage.points import PointMapper

STEP = timedelta(minutes=15)
DAYS = 3
YEAR = timedelta(days=365)
OFFLINE_HOUSE = 2  # the third greenhouse's gateway is offline at the end


def _value(kind: SensorKind, t: datetime, i: int) -> float:
    day = math.sin((t.hour + t.minute / 60 - 6) / 24 * 2 * math.pi)  # 1 at noon, -1 at midnight
    sun = max(day, 0.0)
    values = {
        SensorKind.AIR_TEMP_C: 20 + 8 * day,
        SensorKind.LEAF_TEMP_C: 19 + 8 * day,
        SensorKind.OUTDOOR_TEMP_C: 14 + 7 * day,
        SensorKind.AIR_RH_PCT: 75 - 20 * day,
        SensorKind.OUTDOOR_RH_PCT: 80 - 20 * day,
        SensorKind.PAR_UMOL_M2_S: 1200 * sun,
        SensorKind.SOLAR_W_M2: 700 * sun,
        SensorKind.SOIL_VWC_PCT: 30 - (i % 96) / 10,
        SensorKind.WATER_TOTAL_L: 1000 + 12.5 * i,
        SensorKind.WATER_FLOW_L_MIN: 25.0 if i % 8 == 0 else 0.0,
    }
    return round(values.get(kind, 5.0), 3)


def _batch(site: SiteConfig, gh: Greenhouse, seq: int, t: datetime) -> TelemetryBatch:
    readings = []
    for n, sensor in enumerate(gh.sensors.values()):
        flagged = (seq + n) % 40 == 0  # now and then a spike, so the data-quality panels have something to show
        quality = Quality.SPIKE if flagged else Quality.GOOD
        readings.append(
            Reading(sensor=sensor.id, kind=sensor.kind, value=_value(sensor.kind, t, seq), ts=t, quality=quality)
        )
    return TelemetryBatch(site=site.cooperative.id, greenhouse=gh.id, seq=seq, sent_at=t, readings=readings)


def _events(site: SiteConfig, gh: Greenhouse, seq: int, t: datetime) -> Iterator[Event]:
    common = {"site": site.cooperative.id, "greenhouse": gh.id, "ts": t}
    # Every 6 hours each actuator is switched on by a rule for one step, then off.
    runs = {0: [(EventKind.DECISION, "on"), (EventKind.ACTUATION, "on")], 1: [(EventKind.ACTUATION, "off")]}
    for actuator in gh.actuators:
        for kind, action in runs.get(seq % 24, []):
            yield Event(**common, kind=kind, rule="demo", actuator=actuator, action=action, reason=Reason.RULE_SCHEDULE)
    if seq % 96 == 50:
        yield Event(
            **common, kind=EventKind.ALERT, severity=Severity.WARNING, rule="frost", reason=Reason.RULE_FROST_RISK
        )


def demo_points(site: SiteConfig, end: datetime | None = None) -> list[Point]:
    end = end or datetime.now(UTC).replace(second=0, microsecond=0)
    mapper = PointMapper(site)
    out: list[Point] = []
    for start in (end - YEAR - timedelta(days=DAYS), end - timedelta(days=DAYS)):
        derive = Deriver(site)
        steps = int(timedelta(days=DAYS) / STEP)
        for seq in range(1, steps + 1):
            t = start + seq * STEP
            for h, gh in enumerate(site.greenhouses):
                batch = _batch(site, gh, seq, t)
                out += mapper.telemetry(batch) + derive(batch)
                out += [p for e in _events(site, gh, seq, t) for p in (mapper.event(e), *derive(e))]
                online = not (h == OFFLINE_HOUSE and seq == steps)
                state = Availability.ONLINE if online else Availability.OFFLINE
                status = Status(site=site.cooperative.id, greenhouse=gh.id, state=state, ts=t, outbox_depth=seq % 7)
                out.append(mapper.status(status, t))
    return out


def write_demo_history(store: Store, site: SiteConfig) -> None:
    store.write(demo_points(site))
