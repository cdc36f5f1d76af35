"""Checking every MQTT message against the contract before anything stores it.

A message becomes either an ``Accepted`` contract model, or a ``Rejected`` with a
reason code and a detail naming what is wrong. Nothing here raises: hostile
input must never stop the gateway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from contract import topics
from contract.messages import CommandAck, Event, RuleSetOffer, RulesReport, StateSnapshot, Status, TelemetryBatch
from contract.site import SiteConfig
from contract.wire import WireError, decode

MAX_PAYLOAD_BYTES = 256 * 1024
# Edge clocks drift and 3G delivers late; beyond these a timestamp is a bug or an attack.
MAX_FUTURE = timedelta(minutes=10)
MAX_PAST = timedelta(days=400)

Ingested = TelemetryBatch | Status | Event
Live = Ingested | StateSnapshot | CommandAck | RulesReport | RuleSetOffer
INGESTED: dict[topics.Channel, type[Ingested]] = {
    topics.Channel.TELEMETRY: TelemetryBatch,
    topics.Channel.BACKLOG: TelemetryBatch,
    topics.Channel.STATUS: Status,
    topics.Channel.EVENTS: Event,
}
# What the live feed follows: live telemetry, status and events; actuator states, the answers to commands, rule sets.
LIVE: dict[topics.Channel, type[Live]] = {
    **{c: m for c, m in INGESTED.items() if c is not topics.Channel.BACKLOG},  # old news, and a storm of it
    topics.Channel.STATE: StateSnapshot,
    topics.Channel.ACK: CommandAck,
    topics.Channel.RULES_STATUS: RulesReport,
    topics.Channel.RULES: RuleSetOffer,
}


def stream_of(channel: topics.Channel) -> topics.Channel:
    """The stream a message belongs to: a late batch on ``backlog`` is telemetry, spooled, stored and
    acknowledged by its number as telemetry."""
    return topics.Channel.TELEMETRY if channel is topics.Channel.BACKLOG else channel


class RejectReason(StrEnum):
    TOO_LARGE = "too_large"
    BAD_TOPIC = "bad_topic"
    NOT_JSON = "not_json"
    TOO_DEEP = "too_deep"
    NON_FINITE = "non_finite"
    INVALID = "invalid"
    UNKNOWN_SITE = "unknown_site"
    UNKNOWN_GREENHOUSE = "unknown_greenhouse"
    TOPIC_MISMATCH = "topic_mismatch"
    FUTURE_TIMESTAMP = "future_timestamp"
    ANCIENT_TIMESTAMP = "ancient_timestamp"
    STORE_REFUSED = "store_refused"  # valid by the contract, refused by the database
    # Handling it raised what nothing expected: set aside with the error, so that it is never redelivered forever.
    INTERNAL_ERROR = "internal_error"


@dataclass(frozen=True)
class Accepted:
    channel: topics.Channel
    message: Live


@dataclass(frozen=True)
class Rejected:
    reason: RejectReason
    detail: str


def _timestamps(message: Live) -> list[datetime]:
    match message:
        case TelemetryBatch():
            # Compared, never hashed: a time's first hash costs more than the comparisons (contract/timestamps.py).
            return [message.sent_at, *[r.ts for r in message.readings]]
        case Status():
            return [message.ts] if message.ts else []
        case Event() | StateSnapshot() | CommandAck() | RulesReport():
            return [message.ts]
        case RuleSetOffer():
            # Published by the central side on its own (wall) clock, not an edge's: nothing to bound.
            return []


class Validator:
    def __init__(self, site: SiteConfig, models: Mapping[topics.Channel, type[Live]] = INGESTED) -> None:
        self.site_id = site.cooperative.id
        self.greenhouses = {g.id for g in site.greenhouses}
        self._models = models

    def check(self, topic: str, payload: bytes, now: datetime) -> Accepted | Rejected:
        if len(payload) > MAX_PAYLOAD_BYTES:  # before even the topic: nothing large is looked at
            return Rejected(RejectReason.TOO_LARGE, f"{len(payload)} bytes > {MAX_PAYLOAD_BYTES}")
        try:
            t = topics.parse(topic)
        except topics.TopicError as exc:
            return Rejected(RejectReason.BAD_TOPIC, str(exc))
        model = self._models.get(t.channel)
        if model is None:
            return Rejected(RejectReason.BAD_TOPIC, f"channel {t.channel.value!r} is not ingested")
        if t.site != self.site_id:
            return Rejected(RejectReason.UNKNOWN_SITE, f"site {t.site!r}")
        if t.greenhouse not in self.greenhouses:
            return Rejected(RejectReason.UNKNOWN_GREENHOUSE, f"greenhouse {t.greenhouse!r}")
        message = decode(model, payload, MAX_PAYLOAD_BYTES)
        if isinstance(message, WireError):
            return Rejected(RejectReason(message.problem.value), message.detail)
        if (message.site, message.greenhouse) != (t.site, t.greenhouse):
            return Rejected(
                RejectReason.TOPIC_MISMATCH,
                f"payload is for {message.site}/{message.greenhouse}, topic for {t.site}/{t.greenhouse}",
            )
        stamps = _timestamps(message)
        if stamps:
            newest, oldest = max(stamps), min(stamps)
            if newest > now + MAX_FUTURE:
                return Rejected(RejectReason.FUTURE_TIMESTAMP, f"{newest.isoformat()} is ahead of {now.isoformat()}")
            if oldest < now - MAX_PAST:
                detail = f"{oldest.isoformat()} is older than {MAX_PAST.days} days"
                return Rejected(RejectReason.ANCIENT_TIMESTAMP, detail)
        return Accepted(t.channel, message)
