"""What ingest has received, stored and rejected: the figures the ingest report shows, from one process or summed
over several."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel

from contract.durable import StoreRecovery
from gateway.ingest.receiver import IngestCounters
from gateway.ingest.spool import Spool

# The rejections the report lists, newest first.
RECENT_REJECTS = 50


class RejectSeen(BaseModel):
    ts: datetime
    topic: str
    reason: str
    detail: str


class IngestFigures(BaseModel):
    received: int
    accepted: int
    rejected: int
    rejected_by_reason: dict[str, int]
    spool_depth: int
    held: int = 0  # received and not yet taken into the spool
    written_points: int = 0
    duplicates: int = 0  # batches received again and not stored twice
    recent_rejects: list[RejectSeen]
    # The spool found unreadable at start: kept aside, with what was saved of it.
    damaged_stores: list[StoreRecovery] = []


def figures_of(
    spool: Spool, counters: IngestCounters, held: int = 0, written_points: int = 0, duplicates: int = 0
) -> IngestFigures:
    return IngestFigures(
        received=counters.received,
        accepted=counters.accepted,
        rejected=counters.rejected,
        rejected_by_reason=spool.reject_counts(),
        spool_depth=spool.depth(),
        held=held,
        written_points=written_points,
        duplicates=duplicates,
        recent_rejects=[
            RejectSeen(ts=r.ts, topic=r.topic, reason=r.reason, detail=r.detail)
            for r in spool.recent_rejects(RECENT_REJECTS)
        ],
        damaged_stores=[spool.recovery] if spool.recovery is not None else [],
    )


def summed(parts: list[IngestFigures]) -> IngestFigures:
    by_reason: Counter[str] = Counter()
    for p in parts:
        by_reason.update(p.rejected_by_reason)
    recent = sorted((r for p in parts for r in p.recent_rejects), key=lambda r: r.ts, reverse=True)
    return IngestFigures(
        received=sum(p.received for p in parts),
        accepted=sum(p.accepted for p in parts),
        rejected=sum(p.rejected for p in parts),
        rejected_by_reason=dict(by_reason),
        spool_depth=sum(p.spool_depth for p in parts),
        held=sum(p.held for p in parts),
        written_points=sum(p.written_points for p in parts),
        duplicates=sum(p.duplicates for p in parts),
        recent_rejects=recent[:RECENT_REJECTS],
        damaged_stores=[d for p in parts for d in p.damaged_stores],
    )
