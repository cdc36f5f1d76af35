"""Telemetry payloads serialised once per greenhouse and stamped with a sequence number and the time when sent.

A template is the contract's own JSON (``TelemetryBatch.to_json``) with the sequence number and every
timestamp replaced by ``%``-placeholders, so sending costs one bytes formatting instead of a pydantic dump.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.ingest.site import SITE_ID, greenhouse_id, sensor_id, sensor_kind
from contract import topics
from contract.kinds import Quality
from contract.messages import Reading, TelemetryBatch

_SEQ_MARK = 987_654_321
_TS_MARK = datetime(2001, 2, 3, 4, 5, 6, 789_000, tzinfo=UTC)
# Templates per greenhouse with slightly different values, taken in turn.
VARIANTS = 4


@dataclass(frozen=True)
class Template:
    topic: str
    variants: tuple[bytes, ...]

    def render(self, seq: int, ts_ms: int) -> bytes:
        return self.variants[seq % len(self.variants)] % {b"seq": seq, b"ts": iso_ms(ts_ms)}


def iso_ms(ts_ms: int) -> bytes:
    seconds, ms = divmod(ts_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)).encode() + b".%03dZ" % ms


def _batch(greenhouse: str, sensors: int, variant: int) -> TelemetryBatch:
    readings = []
    for i in range(sensors):
        kind, typical, _range = sensor_kind(i)
        value = round(typical * (1 + 0.01 * variant) + 0.1 * i, 3)
        readings.append(Reading(sensor=sensor_id(i), kind=kind, value=value, ts=_TS_MARK, quality=Quality.GOOD))
    return TelemetryBatch(site=SITE_ID, greenhouse=greenhouse, seq=_SEQ_MARK, sent_at=_TS_MARK, readings=readings)


def _template_bytes(batch: TelemetryBatch) -> bytes:
    payload = batch.to_json().replace(b"%", b"%%")
    ts_text = TelemetryBatch.model_validate({**batch.model_dump(), "readings": []}).to_json()
    ts_mark = ts_text.split(b'"sent_at":"')[1].split(b'"')[0]
    return payload.replace(ts_mark, b"%(ts)s").replace(str(_SEQ_MARK).encode(), b"%(seq)d")


def template(greenhouse_index: int, sensors: int) -> Template:
    gh = greenhouse_id(greenhouse_index)
    variants = tuple(_template_bytes(_batch(gh, sensors, v)) for v in range(VARIANTS))
    return Template(topics.topic(SITE_ID, gh, topics.Channel.TELEMETRY), variants)
