"""The alerts list of each greenhouse: alert events folded into occurrences (raised, escalated or repeated,
cleared), with who acknowledged them.

Alert events come from the edge (rules, frost, inputs, unreachable nodes); they reach the board live from the
feed and, at start, from the history store, so a restarted gateway shows the same list. Acknowledgements are
written to the store too, and read from it again when a list is asked for (at most every few seconds), so that
an acknowledgement made through another gateway instance shows here. An offline or silent greenhouse is an
alert of its own, made from its status; so is one whose telemetry numbering started again (the registry's).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from contract.alert_sources import alert_source
from contract.messages import Availability, Event, EventKind, Severity
from contract.reasons import Reason, render
from contract.site import Greenhouse, SiteConfig
from gateway.live.models import AlertNow
from gateway.live.registry import GreenhouseHealth
from gateway.live.words import NEVER_HEARD, OFFLINE, SILENT
from gateway.storage import points
from gateway.storage.model import Point, Store, StoreError, from_ms, to_ms

log = logging.getLogger(__name__)

ACK = "alert_ack"
# How far back the board reaches at start, and how many alert events it keeps per greenhouse.
HISTORY = timedelta(days=7)
_KEEP = 2000
# Another instance's acknowledgements are read again, per greenhouse, at most this often (wall seconds); after
# a failed read (the store down), not before a minute, so that the alerts list does not wait on it each time.
_ACKS_FRESH_S = 5.0
_ACKS_RETRY_S = 60.0
OFFLINE_SOURCE = "offline"
_RENUMBERED_SOURCE = "renumbered"

@dataclass(frozen=True)
class AlertRecord:
    """One alert event, as the board needs it."""

    greenhouse: str
    ts_ms: int
    severity: Severity
    raised: bool
    reason: str
    params: dict[str, str]
    source: str  # what raised it; a cleared record ends the occurrence of the same source

    @classmethod
    def of_event(cls, e: Event) -> AlertRecord:
        params, reason = dict(e.reason_params), e.reason.value
        raised = e.action != "cleared"
        return cls(e.greenhouse, to_ms(e.ts), e.severity, raised, reason, params, alert_source(e.rule, reason, params))

    @classmethod
    def of_point(cls, p: Point) -> AlertRecord:
        f = p.fields
        params = json.loads(str(f.get("params", "{}")))
        reason, rule = str(f["reason"]), p.tags.get("rule")
        severity = Severity(str(f.get("severity", "warning")))
        raised = str(f.get("action", "")) != "cleared"
        source = alert_source(rule, reason, params)
        return cls(p.tags["greenhouse"], to_ms(p.ts), severity, raised, reason, params, source)


def alert_id(greenhouse: str, source: str, raised_ms: int) -> str:
    """Stable for one occurrence, whichever gateway instance computes it."""
    return hashlib.sha256(f"{greenhouse}|{source}|{raised_ms}".encode()).hexdigest()[:16]


def _texts(reason: str, params: dict[str, str], greenhouse: Greenhouse | None = None) -> tuple[str, str]:
    try:
        known = Reason(reason)
    except ValueError:  # a reason from a newer agent: its code rather than nothing
        return reason, reason
    return render(known, params, "vi", greenhouse), render(known, params, "en", greenhouse)


def fold(
    records: Iterable[AlertRecord], acks: dict[str, tuple[str, datetime]], greenhouse: Greenhouse | None = None
) -> list[AlertNow]:
    """Occurrences, newest first: a raise opens one (a further raise of the same source escalates or repeats
    it), a clear ends it. Texts name sensors, devices and zones as ``greenhouse`` does."""
    open_: dict[str, AlertNow] = {}
    done: list[AlertNow] = []
    for r in sorted(records, key=lambda r: r.ts_ms):
        at = from_ms(r.ts_ms)
        current = open_.get(r.source)
        if not r.raised:
            if current is not None:
                done.append(current.model_copy(update={"cleared_at": at, "active": False}))
                del open_[r.source]
            continue
        vi, en = _texts(r.reason, r.params, greenhouse)
        if current is None:
            open_[r.source] = _raised(r.greenhouse, r.source, r.severity, r.ts_ms, (vi, en), acks)
        else:
            open_[r.source] = current.model_copy(
                update={"last_at": at, "severity": r.severity, "text_vi": vi, "text_en": en}
            )
    return sorted([*open_.values(), *done], key=lambda a: a.raised_at, reverse=True)


def offline_alert(health: GreenhouseHealth, acks: dict[str, tuple[str, datetime]], tz: ZoneInfo) -> AlertNow | None:
    """A greenhouse that said it went offline, or has gone silent, is an alert until it is heard again."""
    if not health.silent and health.availability is not Availability.OFFLINE:
        return None
    since = health.last_seen
    if since is None:
        (vi, en), since_ms = NEVER_HEARD, 0
    else:
        words = OFFLINE if health.availability is Availability.OFFLINE else SILENT
        vi, en = (w.format(since=_local(since, tz)) for w in words)
        since_ms = to_ms(since)
    return _raised(health.greenhouse, OFFLINE_SOURCE, Severity.CRITICAL, since_ms, (vi, en), acks)


def renumbered_alert(health: GreenhouseHealth, acks: dict[str, tuple[str, datetime]], tz: ZoneInfo) -> AlertNow | None:
    """A greenhouse whose numbering started again: what its edge had not sent may be lost. Someone should look,
    so it stays on the list (acknowledged or not) while the registry remembers it."""
    if health.renumbered is None:
        return None
    at = health.renumbered.at
    texts = _texts(Reason.TELEMETRY_RENUMBERED.value, {"at": _local(at, tz)})
    return _raised(health.greenhouse, _RENUMBERED_SOURCE, Severity.WARNING, to_ms(at), texts, acks)


def _local(ts: datetime, tz: ZoneInfo) -> str:
    return ts.astimezone(tz).strftime("%H:%M %d/%m")


def _raised(
    greenhouse: str,
    source: str,
    severity: Severity,
    raised_ms: int,
    texts: tuple[str, str],
    acks: dict[str, tuple[str, datetime]],
) -> AlertNow:
    """A new occurrence, with its acknowledgement if it has one."""
    ident = alert_id(greenhouse, source, raised_ms)
    by, acked_at = acks.get(ident, (None, None))
    at = from_ms(raised_ms)
    return AlertNow(
        id=ident,
        greenhouse=greenhouse,
        source=source,
        severity=severity,
        raised_at=at,
        last_at=at,
        cleared_at=None,
        active=True,
        text_vi=texts[0],
        text_en=texts[1],
        acked_by=by,
        acked_at=acked_at,
    )


class AlertBoard:
    """Thread-safe: the feed adds records, the API reads lists and adds acknowledgements."""

    def __init__(self, site: SiteConfig, store: Store) -> None:
        self._site = site
        self._store = store
        self._records: dict[str, deque[AlertRecord]] = {g.id: deque(maxlen=_KEEP) for g in site.greenhouses}
        self._seen: set[tuple[str, int, str, str]] = set()
        self._acks: dict[str, tuple[str, datetime]] = {}
        self._acks_due: dict[str, float] = {}  # greenhouse: when its acknowledgements are read again (monotonic)
        self._lock = threading.Lock()

    def load(self, now: datetime) -> bool:
        """What the store holds of the last week's alerts and acknowledgements; False when the store cannot
        be read now: the board then fills from the feed alone, and the gateway starts all the same."""
        try:
            self._load(now)
        except StoreError as exc:
            log.warning("alerts list starts empty: the history store cannot be read", extra={"detail": str(exc)})
            return False
        return True

    def _load(self, now: datetime) -> None:
        start, end = now - HISTORY, now + timedelta(seconds=1)
        for g in self._site.greenhouses:
            tags = {"greenhouse": g.id, "kind": EventKind.ALERT.value}
            for p in self._store.rows(points.EVENT, tags, start, end, _KEEP):
                self._add(AlertRecord.of_point(p))
            self._read_acks(g.id, now)

    def _read_acks(self, greenhouse: str, now: datetime) -> None:
        found = self._store.rows(ACK, {"greenhouse": greenhouse}, now - HISTORY, now + timedelta(seconds=1), _KEEP)
        with self._lock:
            self._acks_due[greenhouse] = time.monotonic() + _ACKS_FRESH_S
            for p in found:
                self._acks.setdefault(p.tags["alert"], (str(p.fields["by"]), p.ts))

    def refresh_acks(self, greenhouse: str, now: datetime) -> None:
        """Reads the acknowledgements the store holds for this greenhouse again, unless that is not due yet:
        other instances write theirs there. A store that cannot be read now leaves the list as it was."""
        with self._lock:
            if time.monotonic() < self._acks_due.get(greenhouse, 0.0):
                return
            # Claimed: requests meanwhile take the list as it is rather than asking the store too.
            self._acks_due[greenhouse] = time.monotonic() + _ACKS_FRESH_S
        try:
            self._read_acks(greenhouse, now)
        except StoreError as exc:
            with self._lock:
                self._acks_due[greenhouse] = time.monotonic() + _ACKS_RETRY_S
            log.info("acknowledgements not read again: the history store cannot be read", extra={"detail": str(exc)})

    def add(self, event: Event) -> bool:
        """An alert event from the feed; False for any other event or one already on the board."""
        if event.kind is not EventKind.ALERT or event.greenhouse not in self._records:
            return False
        return self._add(AlertRecord.of_event(event))

    def _add(self, record: AlertRecord) -> bool:
        key = (record.greenhouse, record.ts_ms, record.source, record.reason)
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            self._records[record.greenhouse].append(record)
            return True

    def alerts(self, greenhouse: str, health: GreenhouseHealth) -> list[AlertNow]:
        with self._lock:
            records, acks = list(self._records[greenhouse]), dict(self._acks)
        listed = fold(records, acks, self._site.greenhouse(greenhouse))
        tz = self._site.cooperative.tz
        own = [a for a in (offline_alert(health, acks, tz), renumbered_alert(health, acks, tz)) if a is not None]
        return [*own, *listed]

    def acknowledge(
        self, greenhouse: str, ident: str, by: str, at: datetime, health: GreenhouseHealth
    ) -> AlertNow | None:
        """Records who acknowledged alert ``ident``; None if the greenhouse has no such alert."""
        alert = next((a for a in self.alerts(greenhouse, health) if a.id == ident), None)
        if alert is None:
            return None
        if alert.acked_by is None:
            tags = {"site": self._site.cooperative.id, "greenhouse": greenhouse, "alert": ident}
            self._store.write([Point(measurement=ACK, tags=tags, fields={"by": by}, ts=at)])
            with self._lock:
                self._acks[ident] = (by, from_ms(to_ms(at)))
        return next(a for a in self.alerts(greenhouse, health) if a.id == ident)
