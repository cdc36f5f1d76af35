"""How contract messages are laid out as time-series points (see docs/storage.md).

Tags identify a series; anything that may change on a replay (a quality flag, a
reason) is a field, so that writing the same message twice overwrites the same
points instead of creating new series.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from contract.kinds import Quality, SensorKind
from contract.messages import Availability, Event, Reading, Status, TelemetryBatch
from contract.site import SiteConfig
from gateway.storage.line_protocol import FieldValue, field_set, series_key, trusted_line, trusted_ms
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
        # A reading's series, once per sensor (sensor ids in messages are not limited to the site's: bounded).
        self._reading_series = lru_cache(maxsize=65_536)(self._reading_series_key)

    def telemetry(self, batch: TelemetryBatch) -> list[Point]:
        points = [Point(measurement=BATCH, tags=_batch_tags(batch), fields=_batch_fields(batch), ts=batch.sent_at)]
        points += [
            Point(
                measurement=READING,
                tags=self._reading_tags(batch.site, batch.greenhouse, r.sensor, r.kind),
                fields=_reading_fields(r),
                ts=r.ts,
            )
            for r in batch.readings
        ]
        return points

    def telemetry_lines(self, batch: TelemetryBatch) -> list[str]:
        """``telemetry`` straight to line protocol, without a ``Point`` per reading: the batch has passed the
        contract, so its names are ids and enums and its values finite, which is all the ``Point`` checks."""
        lines = [trusted_line(series_key(BATCH, _batch_tags(batch)), _batch_fields(batch), batch.sent_at)]
        site, greenhouse, series = batch.site, batch.greenhouse, self._reading_series
        # A batch's readings repeat its sensors (each looked up once) and come poll by poll: a time is converted
        # when it differs from the one before, compared, not hashed (a time's first hash costs more: see
        # contract/timestamps.py).
        keys: dict[str, tuple[SensorKind, str]] = {}
        last_ts: datetime | None = None
        stamp = ""
        for r in batch.readings:
            if last_ts is None or r.ts != last_ts:
                last_ts, stamp = r.ts, trusted_ms(r.ts)
            key = keys.get(r.sensor)
            if key is None or key[0] is not r.kind:
                key = keys[r.sensor] = (r.kind, series(site, greenhouse, r.sensor, r.kind))
            if r.value is None:
                lines.append(f"{key[1]} {_MISSING_HEAD[r.quality]} {stamp}")
            else:  # finite by the contract: repr is field_value's text
                lines.append(f"{key[1]} {_VALUE_HEAD[r.quality]}{r.value!r} {stamp}")
        return lines

    def _reading_tags(self, site: str, greenhouse: str, sensor: str, kind: SensorKind) -> dict[str, str]:
        tags = {"site": site, "greenhouse": greenhouse, "sensor": sensor, "kind": kind.value}
        zone = self._zone_of.get((greenhouse, sensor))
        if zone is not None:
            tags["zone"] = zone
        return tags

    def _reading_series_key(self, site: str, greenhouse: str, sensor: str, kind: SensorKind) -> str:
        return series_key(READING, self._reading_tags(site, greenhouse, sensor, kind))

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


def _batch_tags(batch: TelemetryBatch) -> dict[str, str]:
    return {"site": batch.site, "greenhouse": batch.greenhouse}


def _batch_fields(batch: TelemetryBatch) -> dict[str, FieldValue]:
    return {"seq": batch.seq, "readings": len(batch.readings)}


def _value_field(quality: Quality) -> str:
    # Only good values feed averages and extremes; a flagged one is kept apart, for the record.
    return VALUE if quality is Quality.GOOD else RAW_VALUE


def _fields_head(quality: Quality, missing: bool) -> str:
    """A reading's field set up to its value, the same text ``field_set(_reading_fields(r))`` makes."""
    head = field_set({"quality": quality.value})
    return head if missing else f"{head},{_value_field(quality)}="


_VALUE_HEAD = {q: _fields_head(q, missing=False) for q in Quality}
_MISSING_HEAD = {q: _fields_head(q, missing=True) for q in Quality}


def _reading_fields(r: Reading) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {"quality": r.quality.value}
    if r.value is not None:
        fields[_value_field(r.quality)] = r.value
    return fields
