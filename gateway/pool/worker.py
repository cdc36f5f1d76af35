"""One ingest process of several: the gateway's own ingest (gateway/service.py) for one partition of the site's
greenhouses, reporting to the process that started it until that one says stop, or is gone."""

from __future__ import annotations

import itertools
import logging
import logging.handlers
import multiprocessing as mp
import signal
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection

from contract.clock import Clock
from contract.site import SiteConfig
from gateway.live.registry import HouseSnapshot
from gateway.pool.report import HOUSES_EVERY, REPORT_EVERY_S, PulseState, WorkerReport
from gateway.service import Gateway, GatewaySettings
from gateway.storage.influx import InfluxV1Store


@dataclass(frozen=True)
class InfluxTarget:
    url: str
    database: str
    token: str | None = None


@dataclass(frozen=True)
class WorkerSpec:
    site: SiteConfig
    settings: GatewaySettings  # with its partition
    influx: InfluxTarget
    clock: Clock
    log_level: int
    # What the API's registry knows of this process's greenhouses: a process started again goes on from there.
    houses: list[HouseSnapshot]


class _Named(logging.Filter):
    """Names the process in each of its records: the parent writes them all to one log."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name

    def filter(self, record: logging.LogRecord) -> bool:
        record.ingest = self._name
        return True


def run_worker(spec: WorkerSpec, conn: Connection, logs: mp.Queue[logging.LogRecord]) -> None:
    """The process's body. Its log records go to the parent's handlers, so that one process writes the log."""
    handler = logging.handlers.QueueHandler(logs)
    handler.addFilter(_Named(f"ingest {spec.settings.partition}"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(spec.log_level)
    # Ctrl-C in a terminal reaches every process of the group: the parent stops its workers itself, in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    influx = spec.influx
    gateway = Gateway(
        spec.site, InfluxV1Store(influx.url, influx.database, token=influx.token), spec.settings, spec.clock
    )
    gateway.registry.absorb(spec.houses)
    gateway.start()
    version = 0
    try:
        for n in itertools.count():
            if stop.is_set():
                break
            houses: list[HouseSnapshot] = []
            if n % HOUSES_EVERY == 0:
                version, houses = gateway.registry.changes(version)
            report = WorkerReport(
                subscribed=gateway.subscribed(),
                figures=gateway.figures(),
                pulses=[PulseState.of(p) for p in gateway.pulses()],
                houses=houses,
            )
            conn.send_bytes(report.model_dump_json().encode())
            if conn.poll(REPORT_EVERY_S):
                break  # the parent's word to stop, or its end of the pipe closed
    except OSError:
        pass  # the parent is gone: stop as asked
    finally:
        gateway.stop()
