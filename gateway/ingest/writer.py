"""Moves spooled messages into the history store, in order (live ones first), and survives the store being down.

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
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime

from contract.clock import Clock
from contract.messages import Event, Status, TelemetryBatch
from contract.wire import WireError, decode
from gateway.health import Pulse
from gateway.ingest.spool import Queued, Rejection, Spool
from gateway.ingest.validate import MAX_PAYLOAD_BYTES, RejectReason
from gateway.live.registry import Registry
from gateway.storage.line_protocol import LineStore, line
from gateway.storage.model import Point, Store, StoreRejected, StoreUnavailable
from gateway.storage.points import PointMapper

log = logging.getLogger(__name__)

_ROWS_PER_WRITE = 500
# A write's size in readings: large enough that a request's overhead is small, small enough that a pass takes a
# fraction of a second and live rows behind it wait little.
_READINGS_PER_WRITE = 20_000
# The writer's rate as the receiver's backpressure sees it: a guess until measured, then a moving average over
# passes large enough to say something (a few readings' pass is mostly its fixed cost).
_INITIAL_READINGS_PER_S = 10_000.0
_MEASURED_FROM_READINGS = 2_000
_RATE_WEIGHT = 0.2
# Under load, a pass starts at most this often unless a full write is waiting: a pass has a fixed cost (a request,
# a spool transaction), and without a wait each took the few rows spooled during the one before.
_PASS_EVERY_S = 0.1
_IDLE_WAIT_S = 0.05
_BACKOFF_START_S = 0.5
_BACKOFF_MAX_S = 30.0
_BATCHES_REMEMBERED = 10_000  # per greenhouse: enough to recognise any replay of a long outage

Message = TelemetryBatch | Status | Event
_MODELS: dict[str, type[Message]] = {"telemetry": TelemetryBatch, "status": Status, "events": Event}
Enrich = Callable[[TelemetryBatch | Event], list[Point]]


class _SeenBatches:
    """Telemetry batches already stored, per greenhouse: at-least-once delivery repeats some. A batch is
    known by its sequence number and send time together: an edge agent whose outbox was wiped (a new SD
    card) numbers from 1 again, and its new batches must not pass for repeats of the old ones."""

    def __init__(self) -> None:
        self._keys: dict[str, set[_BatchKey]] = {}
        self._order: dict[str, deque[_BatchKey]] = {}

    def __contains__(self, batch: TelemetryBatch) -> bool:
        return _key(batch) in self._keys.get(batch.greenhouse, ())

    def add(self, batch: TelemetryBatch) -> None:
        seen = self._keys.setdefault(batch.greenhouse, set())
        order = self._order.setdefault(batch.greenhouse, deque())
        seen.add(_key(batch))
        order.append(_key(batch))
        if len(order) > _BATCHES_REMEMBERED:
            seen.discard(order.popleft())


_BatchKey = tuple[str, int, datetime]


def _key(batch: TelemetryBatch) -> _BatchKey:
    return batch.greenhouse, batch.seq, batch.sent_at


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
        self._seen = _SeenBatches()
        self.written_points = 0
        self.duplicates = 0
        self.store_down = False
        self.readings_per_s = _INITIAL_READINGS_PER_S
        # Comes round at least every _BACKOFF_MAX_S; a store call that hangs far longer is a stall.
        self.pulse = Pulse("writer", stall_after_s=10 * _BACKOFF_MAX_S)

    def run(self, stop: threading.Event) -> None:
        backoff = _BACKOFF_START_S
        while not stop.is_set():
            self.pulse.beat()
            started = time.monotonic()
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
            except Exception:  # the spool itself failed, or a fault of ours outside one message: the rows stay
                self.pulse.errors += 1
                log.exception("writer pass failed; trying again")
                stop.wait(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_S)
                continue
            if self.store_down:
                log.warning("history store back; writing the backlog", extra={"spool_depth": self._spool.depth()})
                self.store_down = False
            backoff = _BACKOFF_START_S
            if not moved:
                stop.wait(_IDLE_WAIT_S)
            elif self._spool.queued_readings() < _READINGS_PER_WRITE:
                stop.wait(started + _PASS_EVERY_S - time.monotonic())

    def drain_once(self) -> int:
        """Write one group of spooled rows; return how many left the spool. Raises StoreUnavailable."""
        started = time.perf_counter()
        rows = self._spool.take(_ROWS_PER_WRITE, _READINGS_PER_WRITE)
        if not rows:
            return 0
        parsed = [(r, self._parse(r)) for r in rows]
        unreadable = [(r, m) for r, m in parsed if isinstance(m, str)]
        if unreadable:
            self._quarantine(unreadable, RejectReason.INVALID)
        readable = [(r, m) for r, m in parsed if not isinstance(m, str)]
        try:
            self._write([m for _r, m in readable])
        except StoreUnavailable:
            raise
        except Exception:  # a refusal, a point that could never be stored, or a fault of ours with one message
            # Find the offending rows; the others are written (again: writes are idempotent).
            self._write_one_by_one(readable)
        self._spool.done(rows)
        self._measure(sum(r.readings for r in rows), time.perf_counter() - started)
        return len(rows)

    def _measure(self, readings: int, seconds: float) -> None:
        if readings >= _MEASURED_FROM_READINGS and seconds > 0:
            rate = readings / seconds
            self.readings_per_s += _RATE_WEIGHT * (rate - self.readings_per_s)

    @staticmethod
    def _parse(row: Queued) -> Message | str:
        """The row's message, or why it cannot be read."""
        if row.message is not None:  # validated by the receiver in this process
            return row.message
        model = _MODELS.get(row.channel)
        if model is None:
            return f"no such channel {row.channel!r}"
        # Read as the receiver read it (the compact form too); validated on the way in, so only a contract change
        # between versions lands in the refusal: kept, not dropped.
        message = decode(model, row.payload, MAX_PAYLOAD_BYTES)
        if isinstance(message, WireError):
            return f"no longer a valid {row.channel} message: {message.detail}"
        return message

    def _quarantine(self, refused: Sequence[tuple[Queued, str]], reason: RejectReason) -> None:
        now = self._clock.now()
        for row, why in refused:
            log.warning("spooled message set aside", extra={"channel": row.channel, "reason": reason, "detail": why})
        self._spool.quarantine(
            [row for row, _why in refused],
            [Rejection(now, row.channel, reason.value, why, row.payload) for row, why in refused],
        )

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
        batches: list[TelemetryBatch] = []
        in_group: set[_BatchKey] = set()
        for m in messages:
            if isinstance(m, TelemetryBatch):
                if m in self._seen or _key(m) in in_group:
                    self.duplicates += 1
                    continue
                in_group.add(_key(m))
                batches.append(m)
            fresh.append(m)
        written = self._store_all(fresh)
        # Only what the store accepted counts as seen: a failed write is retried in full.
        for batch in batches:
            self._seen.add(batch)
        self.written_points += written
        now = self._clock.now()
        for m in fresh:
            self._registry.apply(m, now)

    def _write_one_by_one(self, readable: Sequence[tuple[Queued, Message]]) -> None:
        for row, message in readable:
            try:
                self._write([message])
            except StoreUnavailable:
                raise
            except (StoreRejected, ValueError) as exc:  # the store's refusal, or a point it could never hold
                self._quarantine([(row, str(exc))], RejectReason.STORE_REFUSED)
            except Exception as exc:  # kept with the error, never retried for ever
                self.pulse.errors += 1
                log.exception("writing a message failed; set aside", extra={"channel": row.channel})
                self._quarantine([(row, f"{type(exc).__name__}: {exc}")], RejectReason.INTERNAL_ERROR)
