"""Telemetry payloads serialised once per greenhouse and stamped with a sequence number and times when sent.

A template is the contract's own JSON (``TelemetryBatch.to_json``) with the sequence number and every
timestamp replaced by ``%``-placeholders, so sending costs one bytes formatting instead of a pydantic dump
(and, for the compact uplink, one deflate: ``contract.compact``, as the edge sends it). A message holds
``polls`` polls of every sensor, ``poll_interval_ms`` apart and ending at the send time, as an edge's held
batch does (``uplink.batch_period_s``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.ingest.site import SITE_ID, greenhouse_id, sensor_id, sensor_kind
from contract import topics
from contract.compact import UplinkEncoding, deflated
from contract.kinds import Quality
from contract.messages import Reading, TelemetryBatch

_SEQ_MARK = 987_654_321
_SENT_MARK = datetime(2001, 2, 3, 4, 59, 59, tzinfo=UTC)
# Poll k of a message is stamped with this mark plus k seconds in the template (distinct, none a prefix of another).
_POLL_MARK = datetime(2001, 2, 3, 4, 0, 0, tzinfo=UTC)
# Templates per greenhouse with slightly different values, taken in turn.
VARIANTS = 4


@dataclass(frozen=True)
class Template:
    topic: str
    variants: tuple[bytes, ...]
    readings: int  # per message
    polls: int
    poll_interval_ms: int
    encoding: UplinkEncoding
    deflate_level: int = 9  # the edge's; a lower one costs the publishers less of the machine

    def render(self, seq: int, ts_ms: int) -> bytes:
        """Message ``seq`` sent at ``ts_ms``: its newest poll taken then, the others before, one interval apart."""
        stamps = {b"t%d" % k: iso_ms(ts_ms - (self.polls - 1 - k) * self.poll_interval_ms) for k in range(self.polls)}
        text = self.variants[seq % len(self.variants)] % {b"seq": seq, b"ts": iso_ms(ts_ms), **stamps}
        # The edge's own encoder, on the text the template made (the same bytes a model dump would give).
        return text if self.encoding is UplinkEncoding.JSON else deflated(text, self.deflate_level)


def iso_ms(ts_ms: int) -> bytes:
    seconds, ms = divmod(ts_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)).encode() + b".%03dZ" % ms


def _batch(greenhouse: str, sensors: int, polls: int, variant: int) -> TelemetryBatch:
    readings = []
    for k in range(polls):
        for i in range(sensors):
            kind, typical, _range = sensor_kind(i)
            value = round(typical * (1 + 0.01 * variant) + 0.1 * i + 0.01 * k, 3)
            ts = _POLL_MARK + timedelta(seconds=k)
            readings.append(Reading(sensor=sensor_id(i), kind=kind, value=value, ts=ts, quality=Quality.GOOD))
    return TelemetryBatch(site=SITE_ID, greenhouse=greenhouse, seq=_SEQ_MARK, sent_at=_SENT_MARK, readings=readings)


def _mark(ts: datetime) -> bytes:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ").encode()


def _template_bytes(batch: TelemetryBatch, polls: int) -> bytes:
    payload = batch.to_json().replace(b"%", b"%%").replace(_mark(_SENT_MARK), b"%(ts)s")
    for k in range(polls):
        payload = payload.replace(_mark(_POLL_MARK + timedelta(seconds=k)), b"%%(t%d)s" % k)
    return payload.replace(str(_SEQ_MARK).encode(), b"%(seq)d")


def template(
    greenhouse_index: int,
    sensors: int,
    polls: int = 1,
    poll_interval_ms: int = 30_000,
    encoding: UplinkEncoding = UplinkEncoding.JSON,
    channel: topics.Channel = topics.Channel.TELEMETRY,
    deflate_level: int = 9,
) -> Template:
    gh = greenhouse_id(greenhouse_index)
    variants = tuple(_template_bytes(_batch(gh, sensors, polls, v), polls) for v in range(VARIANTS))
    topic = topics.topic(SITE_ID, gh, channel)
    return Template(topic, variants, sensors * polls, polls, poll_interval_ms, encoding, deflate_level)
