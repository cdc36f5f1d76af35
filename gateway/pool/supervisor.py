"""Ingest in several processes: one interpreter stores about 90,000 readings a second on this project's benchmark
machine (docs/benchmarks.md), and a province of greenhouses may send more.

Each process takes whole greenhouses (gateway/ingest/partition.py) and reports to this one every second: its
figures, its loops' health, and every fifth time the greenhouses whose health changed, which this process's
registry takes in.
So the API, served from here, sees every greenhouse as one gateway would. A process that dies is started again,
sooner at first, then less often; its spool and its broker sessions keep what it had not stored.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import logging.handlers
import multiprocessing as mp
import threading
import time
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from pydantic import ValidationError

from contract.clock import Clock
from contract.site import SiteConfig
from gateway.ingest.figures import IngestFigures, summed
from gateway.ingest.partition import Partition
from gateway.live.registry import Registry
from gateway.pool.report import REPORT_EVERY_S, WorkerReport
from gateway.pool.worker import InfluxTarget, WorkerSpec, run_worker
from gateway.service import GatewaySettings, spool_path
from gateway.storage.model import Store

log = logging.getLogger(__name__)

# A process not heard from for this long is stalled (it reports every REPORT_EVERY_S).
_SILENT_AFTER_S = 30.0
_RESTART_FIRST_S = 1.0
_RESTART_MAX_S = 60.0
_STOP_WAIT_S = 30.0
_SPAWN = mp.get_context("spawn")  # no fork: the parent runs threads (the API, the live feed)


class _Worker:
    def __init__(self, partition: Partition) -> None:
        self.partition = partition
        self.process: BaseProcess | None = None
        self.conn: Connection | None = None
        self.started = 0.0
        self.report: WorkerReport | None = None
        self.reported_at = 0.0
        self.restart_wait_s = _RESTART_FIRST_S
        self.restart_at: float | None = None

    @property
    def name(self) -> str:
        return f"ingest {self.partition}"

    @property
    def errors(self) -> int:
        """Messages and passes that raised in this process's loops (each logged there)."""
        return sum(p.errors for p in self.report.pulses) if self.report is not None else 0

    def problem(self) -> str | None:
        """What the health report says of this process, if anything is wrong."""
        if self.process is None or self.process.exitcode is not None:
            code = None if self.process is None else self.process.exitcode
            return f"{self.name}: process stopped (exit code {code}), starting it again"
        since = self.reported_at or self.started
        silent_s = time.monotonic() - since
        if silent_s > _SILENT_AFTER_S:
            return f"{self.name}: no report for {silent_s:.0f} s"
        problems = [f"{self.name}: {p.problem}" for p in self.report.pulses if p.problem] if self.report else []
        return "; ".join(problems) or None


class IngestPool:
    """What the API reads of a gateway (``site``, ``store``, ``registry``, ``figures``, ``pulses``), as
    ``gateway.service.Gateway`` offers it, with ingest in ``processes`` processes."""

    def __init__(
        self,
        site: SiteConfig,
        store: Store,
        settings: GatewaySettings,
        influx: InfluxTarget,
        processes: int,
        clock: Clock,
    ) -> None:
        self.site = site
        self.store = store  # this process's, for the API's reads
        self.clock = clock
        self.registry = Registry(site)
        self._settings = settings
        self._influx = influx
        partitions = [Partition(index=i, count=processes) for i in range(processes)]
        # A partition that owns no greenhouse would subscribe to nothing: it gets no process.
        self._workers = [_Worker(p) for p in partitions if p.greenhouses(site)]
        self._logs: mp.Queue[logging.LogRecord] = _SPAWN.Queue()
        root = logging.getLogger()
        self._listener = logging.handlers.QueueListener(self._logs, *root.handlers, respect_handler_level=True)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="gateway-ingest-pool", daemon=True)

    @property
    def processes(self) -> list[BaseProcess]:
        return [w.process for w in self._workers if w.process is not None]

    def subscribed(self) -> bool:
        """Every process has been granted its subscriptions."""
        return all(w.report is not None and w.report.subscribed for w in self._workers)

    def figures(self) -> IngestFigures:
        return summed([w.report.figures for w in self._workers if w.report is not None])

    def per_process(self) -> list[tuple[Partition, IngestFigures | None]]:
        """Each process's greenhouses and figures (None until it has reported)."""
        return [(w.partition, w.report.figures if w.report is not None else None) for w in self._workers]

    def pulses(self) -> tuple[_Worker, ...]:
        return tuple(self._workers)

    def start(self) -> None:
        self._listener.start()
        for w in self._workers:
            self._spawn(w)
        self._thread.start()
        log.info("ingest processes started", extra={"processes": len(self._workers)})

    def _settings_of(self, w: _Worker) -> GatewaySettings:
        return dataclasses.replace(self._settings, partition=w.partition)

    def spool_paths(self) -> list[Path]:
        return [spool_path(s.data_dir, self.site.cooperative.id, s.name) for s in map(self._settings_of, self._workers)]

    def _spawn(self, w: _Worker) -> None:
        settings = self._settings_of(w)
        known = [h for h in self.registry.changes(0)[1] if w.partition.owns(h.greenhouse)]
        level = logging.getLogger().getEffectiveLevel()
        spec = WorkerSpec(self.site, settings, self._influx, self.clock, level, known)
        parent, child = _SPAWN.Pipe()
        process = _SPAWN.Process(
            target=run_worker, args=(spec, child, self._logs), name=f"gateway-ingest-{w.partition.name}", daemon=True
        )
        process.start()
        child.close()  # the worker's end: once the worker is gone, reading ours says so
        w.process, w.conn, w.started, w.report, w.reported_at = process, parent, time.monotonic(), None, 0.0

    def _watch(self) -> None:
        while not self._stopping.is_set():
            try:
                self._watch_once()
            except Exception:  # a fault of ours here must not leave the processes unwatched
                log.exception("watching the ingest processes failed; going on")
                self._stopping.wait(REPORT_EVERY_S)

    def _watch_once(self) -> None:
        conns = {w.conn: w for w in self._workers if w.conn is not None}
        if conns:
            for conn in wait(list(conns), timeout=REPORT_EVERY_S):
                self._receive(conns[conn])  # type: ignore[index]
        else:
            self._stopping.wait(REPORT_EVERY_S)
        for w in self._workers:
            self._restart_if_dead(w)

    def _receive(self, w: _Worker) -> None:
        assert w.conn is not None
        try:
            report = WorkerReport.model_validate_json(w.conn.recv_bytes())
        except (EOFError, OSError):
            w.conn.close()
            w.conn = None  # the process is gone or going: _restart_if_dead sees to it
            return
        except ValidationError as exc:
            log.error(
                "an ingest process sent a report that could not be read", extra={"ingest": w.name, "detail": str(exc)}
            )
            return
        self.registry.absorb(report.houses)
        w.report, w.reported_at = report, time.monotonic()

    def _restart_if_dead(self, w: _Worker) -> None:
        if w.process is None or w.process.exitcode is None or self._stopping.is_set():
            return
        now = time.monotonic()
        if w.restart_at is None:
            # One that ran a good while before it died starts again at once; one that keeps dying, less often.
            if now - w.started > _RESTART_MAX_S:
                w.restart_wait_s = _RESTART_FIRST_S
            w.restart_at = now + w.restart_wait_s
            log.error(
                "an ingest process stopped; starting it again",
                extra={"ingest": w.name, "exit_code": w.process.exitcode, "in_s": w.restart_wait_s},
            )
        if now >= w.restart_at:
            w.restart_at = None
            w.restart_wait_s = min(w.restart_wait_s * 2, _RESTART_MAX_S)
            self._spawn(w)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)
        for w in self._workers:
            if w.conn is not None:
                with contextlib.suppress(OSError):  # gone already
                    w.conn.send_bytes(b"stop")
        deadline = time.monotonic() + _STOP_WAIT_S
        for w in self._workers:
            if w.process is None:
                continue
            w.process.join(max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                log.error("an ingest process did not stop in time; ended", extra={"ingest": w.name})
                w.process.terminate()
                w.process.join(5)
        self._listener.stop()
        self.store.close()
