"""The audit trail, asked as a technician asks it: "why did zone B's valve open at 05:40?"

Every rule decision, suppression, safety verdict, alert and actuator change reaches
the store as an ``event`` point (gateway.storage.points). This module reads them back for one
actuator, zone or rule around a time, with each reason rendered in Vietnamese and
English (names from the site file, numbers in each reader's locale) and the input
values it was based on, and names the entry that answers the question: the last change
of the actuator at or before that time, the decision behind it, and — for a manual act —
who did it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contract.messages import EventKind, Id, Severity
from contract.reasons import Reason, render
from contract.site import Greenhouse
from gateway.storage import points
from gateway.storage.model import Point, Store

# Enough for a night of events on one actuator; a question about one moment never needs more.
MAX_ENTRIES = 2000


class AuditError(ValueError):
    pass


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: AwareDatetime
    # Ids as the site and the rules write them: an empty or odd one names nothing, and the store cannot be asked it.
    actuator: Id | None = None
    zone: Id | None = None  # its valve and pump
    rule: Id | None = None
    before_min: float = Field(default=60, gt=0, le=7 * 24 * 60)
    after_min: float = Field(default=5, ge=0, le=24 * 60)


class AuditEntry(BaseModel):
    ts: datetime
    kind: EventKind
    severity: Severity
    actuator: str | None
    rule: str | None
    action: str
    reason: str  # a Reason's code, or one this gateway does not know yet (a newer agent's)
    text_vi: str
    text_en: str
    inputs: dict[str, float]
    by: str | None = None  # who did it, for a manual act


class AuditAnswer(BaseModel):
    greenhouse: str
    actuators: list[str]
    # The last change of the actuator(s) at or before ``at``, and the rule decision that caused it, if any.
    change: AuditEntry | None
    decided_by: AuditEntry | None
    # Who made that change by hand; None when a rule, safety or the default state made it.
    who: str | None = None
    entries: list[AuditEntry]  # everything in the window, oldest first


def audit(store: Store, gh: Greenhouse, q: AuditQuery) -> AuditAnswer:
    actuators = _actuators(gh, q)
    try:
        start, end = q.at - timedelta(minutes=q.before_min), q.at + timedelta(minutes=q.after_min)
    except OverflowError:  # a window reaching past year 1 or 9999
        raise AuditError(f"at: {q.at.isoformat()} is too near the first or last day a date can have") from None
    tag_sets = [{"greenhouse": gh.id, "actuator": a} for a in actuators]
    if q.rule is not None:
        tag_sets = [{**t, "rule": q.rule} for t in tag_sets] if tag_sets else [{"greenhouse": gh.id, "rule": q.rule}]
    rows = [p for tags in tag_sets for p in store.rows(points.EVENT, tags, start, end, MAX_ENTRIES)]
    entries = sorted((_entry(p, gh) for p in rows), key=lambda e: e.ts)
    changes = [e for e in entries if e.kind is EventKind.ACTUATION and e.ts <= q.at]
    # For a zone the question is about its valve; the pump only follows it.
    primary = [e for e in changes if e.actuator == actuators[0]] if actuators else []
    change = (primary or changes)[-1] if changes else None
    decided_by = None
    if change is not None and change.rule is not None:
        decisions = [
            e
            for e in entries
            if e.kind is EventKind.DECISION
            and e.rule == change.rule
            and e.actuator == change.actuator
            and e.ts <= change.ts
        ]
        decided_by = decisions[-1] if decisions else None
    who = change.by if change is not None else None
    return AuditAnswer(
        greenhouse=gh.id, actuators=actuators, change=change, decided_by=decided_by, who=who, entries=entries
    )


def _actuators(gh: Greenhouse, q: AuditQuery) -> list[str]:
    if q.zone is not None:
        zone = next((z for z in gh.zones if z.id == q.zone), None)
        if zone is None:
            zones = ", ".join(z.id for z in gh.zones)
            raise AuditError(f"zone {q.zone!r} is not in greenhouse {gh.id!r} (has {zones})")
        return [zone.valve, *([zone.pump] if zone.pump else [])]
    if q.actuator is not None:
        if q.actuator not in gh.actuators:
            raise AuditError(f"actuator {q.actuator!r} is not in greenhouse {gh.id!r}")
        return [q.actuator]
    if q.rule is None:
        raise AuditError("ask about an actuator, a zone or a rule")
    return []


def _entry(p: Point, gh: Greenhouse) -> AuditEntry:
    f = p.fields
    params = json.loads(str(f.get("params", "{}")))
    try:
        reason = Reason(str(f["reason"]))
        text_vi, text_en = render(reason, params, "vi", gh), render(reason, params, "en", gh)
    except ValueError:  # a reason from a newer agent: show its code rather than fail
        text_vi = text_en = str(f["reason"])
    return AuditEntry(
        ts=p.ts,
        # Written from an Event the gateway decoded (points.event): its kind and severity are this contract's.
        kind=EventKind(p.tags["kind"]),
        severity=Severity(str(f["severity"])),
        actuator=p.tags.get("actuator"),
        rule=p.tags.get("rule"),
        action=str(f.get("action", "")),
        reason=str(f["reason"]),
        text_vi=text_vi,
        text_en=text_en,
        inputs=json.loads(str(f.get("inputs", "{}"))),
        by=params.get("by"),
    )
