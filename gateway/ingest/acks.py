"""What the gateway tells each edge once a spool commit is durable: the numbers of the telemetry batches and
events it now holds, stored or set aside with a reason, so that the edge may delete them from its outbox.

A rejected message is acknowledged too when its number can be read: it is kept in the rejects log, and an
edge that sent it again for ever would gain nothing. One whose number cannot be read is not acknowledged;
the edge sends it again, and it is rejected again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from pydantic import BaseModel, Field, ValidationError

from contract import topics
from contract.compact import inflate, is_compact
from contract.messages import DeliveryAck, Event, TelemetryBatch
from gateway.ingest.spool import Received, Rejection
from gateway.ingest.validate import MAX_PAYLOAD_BYTES, stream_of


class _Numbered(BaseModel):
    """Just the number of a message the contract refused."""

    seq: int = Field(ge=1)


def _number(payload: bytes) -> int | None:
    if len(payload) > MAX_PAYLOAD_BYTES:
        return None
    if is_compact(payload):  # a rejected compact batch is answered too, or its edge would send it for ever
        text = inflate(payload, MAX_PAYLOAD_BYTES)
        if not isinstance(text, bytes):
            return None
        payload = text
    try:
        return _Numbered.model_validate_json(payload, strict=True).seq  # an edge sends only whole numbers
    except ValidationError:
        return None


_Held = tuple[str, topics.Channel, int]  # greenhouse, channel, number


def _held(
    site_id: str, greenhouses: set[str], accepted: Sequence[Received], rejected: Sequence[Rejection]
) -> Iterator[_Held]:
    for r in accepted:
        match r.message:
            case TelemetryBatch(greenhouse=gh, seq=seq):
                yield gh, topics.Channel.TELEMETRY, seq
            case Event(greenhouse=gh, seq=int(seq)):
                yield gh, topics.Channel.EVENTS, seq
    for j in rejected:
        try:
            t = topics.parse(j.topic)
        except topics.TopicError:
            continue
        seq = _number(j.payload) if t.site == site_id and t.greenhouse in greenhouses else None
        if seq is not None:
            yield t.greenhouse, stream_of(t.channel), seq


def delivery_acks(
    site_id: str, greenhouses: set[str], accepted: Sequence[Received], rejected: Sequence[Rejection], now: datetime
) -> list[tuple[str, DeliveryAck]]:
    """(topic, acknowledgement) for each greenhouse that sent something numbered in this commit."""
    by_house: dict[str, dict[topics.Channel, list[int]]] = {}
    for gh, channel, seq in _held(site_id, greenhouses, accepted, rejected):
        by_house.setdefault(gh, {}).setdefault(channel, []).append(seq)
    return [
        (
            topics.topic(site_id, gh, topics.Channel.STORED),
            DeliveryAck(
                site=site_id,
                greenhouse=gh,
                ts=now,
                telemetry=held.get(topics.Channel.TELEMETRY, []),
                events=held.get(topics.Channel.EVENTS, []),
            ),
        )
        for gh, held in by_house.items()
    ]
