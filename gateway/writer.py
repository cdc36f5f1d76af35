"""Moves spooled messages into the history store, in order, and survives the store being down.

A spool row is removed only after the store has accepted its points. While the
store is unreachable the writer backs off (doubling, up to a cap) and retries the
same rows, so nothing is skipped; points are idempotent (same series and
timestamp), so a retry after a half-finished write is harmless. Rows the store
refuses as bad data are moved to the rejects log one by one, so that one bad row
never blocks the good ones behind it.

A store that takes line protocol (InfluxDB) is given telemetry as lines made
straight from the validated readings, without a ``Point`` per reading: that object
and its checks cost more than the rest of the writer together (docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from contract.clock import Clock
from contract.messages import Event, Status, TelemetryBatch
from gateway.ingest.spool import Queued, Rejection, Spool
from gateway.ingest.validate import RejectReason
from gateway.points import PointMapper
from gateway.registry import Registry
from gateway.storage.line_protocol import LineStore, line
from gateway.storage.model import Point, Store, StoreRejected, StoreUnavailable

log = logging.getLogger(__name__)

_ROWS_PER_WRITE = 500
_BACKOFF_START_S = 0.5
_BACKOFF_MAX_S = 30.0
_SEQ_MEMORY = 10_000  # per greenhouse: enough to recognise any replay of a long outage

Message = TelemetryBatch | Status | Event
_MODELS: dict[str, type[Message]] = {"telemetry": TelemetryBatch, "status": Status, "events": Event}
Enrich = Callable[[TelemetryBatch | Event], list[Point]]


class _SeenSeqs:
    """Telemetry sequence numbers already stored, per greenhouse: at-least-once delivery repeats some."""

    def __init__(self) -> None:
        self._seqs: dict[str, set[int]] = {}
        self._order: dict[str, deque[int]] = {}

    def __contains__(self, key: tuple[str, int]) -> bool:
        greenhouse, seq = key
        return seq in self._seqs.get(greenhouse, ())

    def add(self, greenhouse: str, seq: int) -> None:
        seen = self._seqs.setdefault(greenhouse, set())
        order = self._order.setdefault(greenhouse, deque())
        seen.add(seq)
        order.append(seq)
        if len(order) > _SEQ_MEMORY:
            seen.discard(order.popleft())


class Writer:
    def __init__(
        self,
        spool: Spool,
        store: Store,
        mapper: PointMapper,
        registry: Registry,
        clock: Clock,
        enrich: Enrich | None = None,
    ) -> None:
        self._spool = spool
        self._store = store
        self._mapper = mapper
        self._registry = registry
        self._clock = clock
        self._enrich = enrich
        # A store that takes line protocol gets telemetry without a Point per reading (see PointMapper).
        self._line_store = store if isinstance(store, LineStore) else None
        self._seen = _SeenSeqs()
        self.written_points = 0
        self.duplicates = 0
        self.store_down = False

    def run(self, stop: threading.Event) -> None:
        backoff = _BACKOFF_START_S
        while not stop.is_set():
            try:
                moved = self.drain_once()
            except StoreUnavailable as exc:
                if not self.store_down:
                    log.warning(
                        "history store unavailable; messages wait in the spool",
                        extra={"detail": str(exc), "spool_depth": self._spool.depth()},
                    )
                self.store_down = True
                stop.wait(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_S)
                continue
            if self.store_down:
                log.warning("history store back; writing the backlog", extra={"spool_depth": self._spool.depth()})
                self.store_down = False
            backoff = _BACKOFF_START_S
            if not moved:
                stop.wait(0.05)

    def drain_once(self) -> int:
        """Write one group of spooled rows; return how many left the spool. Raises StoreUnavailable."""
        rows = self._spool.take(_ROWS_PER_WRITE)
        if not rows:
            return 0
        messages = [self._parse(r) for r in rows]
        try:
            self._write([m for m in messages if m is not None])
        except (StoreRejected, ValueError):  # ValueError: a point that could never be stored (pydantic's too)
            # Find the offending rows; the others are written (again: writes are idempotent).
            self._write_one_by_one(rows, messages)
        self._spool.done(rows)
        return len(rows)

    @staticmethod
    def _parse(row: Queued) -> Message | None:
        if row.message is not None:  # validated by the receiver in this process
            return row.message
        try:
            return _MODELS[row.channel].model_validate_json(row.payload)
        except (KeyError, ValidationError):
            return None  # validated on the way in; only a contract change between versions lands here

    def _points(self, message: Message) -> list[Point]:
        match message:
            case TelemetryBatch():
                return self._mapper.telemetry(message) + self._derived(message)
            case Status():
                return [self._mapper.status(message, self._clock.now())]
            case Event():
                return [self._mapper.event(message), *self._derived(message)]

    def _lines(self, message: Message) -> list[str]:
        if isinstance(message, TelemetryBatch):
            return self._mapper.telemetry_lines(message) + [line(p) for p in self._derived(message)]
        return [line(p) for p in self._points(message)]

    def _derived(self, message: TelemetryBatch | Event) -> list[Point]:
        return self._enrich(message) if self._enrich is not None else []

    def _store_all(self, messages: Sequence[Message]) -> int:
        """Write the points of these messages; return how many."""
        if self._line_store is not None:
            lines = [text for m in messages for text in self._lines(m)]
            if lines:
                self._line_store.write_lines(lines)
            return len(lines)
        points = [p for m in messages for p in self._points(m)]
        if points:
            self._store.write(points)
        return len(points)

    def _write(self, messages: Sequence[Message]) -> None:
        fresh: list[Message] = []
        batches: set[tuple[str, int]] = set()
        for m in messages:
            if isinstance(m, TelemetryBatch):
                key = (m.greenhouse, m.seq)
                if key in self._seen or key in batches:
                    self.duplicates += 1
                    continue
                batches.add(key)
            fresh.append(m)
        written = self._store_all(fresh)
        # Only what the store accepted counts as seen: a failed write is retried in full.
        for greenhouse, seq in batches:
            self._seen.add(greenhouse, seq)
        self.written_points += written
        now = self._clock.now()
        for m in fresh:
            self._registry.apply(m, now)

    def _write_one_by_one(self, rows: Sequence[Queued], messages: Sequence[Message | None]) -> None:
        for row, message in zip(rows, messages, strict=True):
            if message is None:
                continue
            try:
                self._write([message])
            except (StoreRejected, ValueError) as exc:  # the store's refusal, or a point it could never hold
                log.warning("store refused a message", extra={"channel": row.channel, "detail": str(exc)})
                rejection = Rejection(
                    self._clock.now(), row.channel, RejectReason.STORE_REFUSED.value, str(exc), row.payload
                )
                self._spool.quarantine([row], [rejection])
