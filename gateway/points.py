"""How contract messages are laid out as time-series points (see docs/storage.md).

Tags identify a series; anything that may change on a replay (a quality flag, a
reason) is a field, so that writing the same message twice overwrites the same
points instead of creating new series.
"""

from __future__ import annotations

import json
from datetime import datetime

from contract.kinds import Quality
from contract.messages import Availability, Event, Status, TelemetryBatch
from contract.site import SiteConfig
from gateway.storage.model import Point

READING = "reading"
BATCH = "batch"
EVENT = "event"
STATUS = "gateway_status"
DERIVED = "derived"
VALUE = "value"
RAW_VALUE = "raw_value"


class PointMapper:
    def __init__(self, site: SiteConfig) -> None:
        # Soil sensors carry their zone as a tag, so history can be asked for per zone.
        self._zone_of = {(g.id, s): z.id for g in site.greenhouses for z in g.zones for s in z.soil_sensors}

    def telemetry(self, batch: TelemetryBatch) -> list[Point]:
        base = {"site": batch.site, "greenhouse": batch.greenhouse}
        points = [
            Point(
                measurement=BATCH,
                tags=base,
                ts=batch.sent_at,
                fields={"seq": batch.seq, "readings": len(batch.readings)},
            )
        ]
        for r in batch.readings:
            tags = {**base, "sensor": r.sensor, "kind": r.kind.value}
            zone = self._zone_of.get((batch.greenhouse, r.sensor))
            if zone is not None:
                tags["zone"] = zone
            fields: dict[str, float | int | bool | str] = {"quality": r.quality.value}
            if r.value is not None:
                # Only good values feed averages and extremes; a flagged one is kept apart, for the record.
                fields[VALUE if r.quality is Quality.GOOD else RAW_VALUE] = r.value
            points.append(Point(measurement=READING, tags=tags, fields=fields, ts=r.ts))
        return points

    @staticmethod
    def event(event: Event) -> Point:
        tags = {"site": event.site, "greenhouse": event.greenhouse, "kind": event.kind.value}
        if event.actuator:
            tags["actuator"] = event.actuator
        if event.rule:
            tags["rule"] = event.rule
        fields: dict[str, float | int | bool | str] = {
            "reason": event.reason.value,
            "severity": event.severity.value,
            "action": event.action or "",
            "params": json.dumps(event.reason_params, ensure_ascii=False, sort_keys=True),
            "inputs": json.dumps(event.inputs, sort_keys=True),
        }
        return Point(measurement=EVENT, tags=tags, fields=fields, ts=event.ts)

    @staticmethod
    def status(status: Status, received_at: datetime) -> Point:
        fields: dict[str, float | int | bool | str] = {"online": status.state is Availability.ONLINE}
        if status.outbox_depth is not None:
            fields["outbox_depth"] = status.outbox_depth
        if status.agent_version:
            fields["agent_version"] = status.agent_version
        # The last will carries no time: the broker sent it when the agent vanished.
        ts = status.ts or received_at
        return Point(
            measurement=STATUS, tags={"site": status.site, "greenhouse": status.greenhouse}, fields=fields, ts=ts
        )
