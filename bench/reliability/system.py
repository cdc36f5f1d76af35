"""The whole system as separate processes on loopback: Mosquitto, ``greenhouse edge`` per greenhouse and
``greenhouse gateway`` (SQLite history, its API for ``/healthz``), with the simulated greenhouses' Modbus nodes
in this process. Every process shares one clock, so that simulated time can run fast under load."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from contract.site import SiteConfig
from contract.site_file import load_site
from gateway.accounts.db import ACCOUNTS_FILE
from gateway.storage.sqlite import SqliteStore
from greenhouse.net import free_port
from greenhouse.runtime_site import on_free_ports, write_site
from tests.conftest import EXAMPLE_SITE
from tests.hostile.rig import EVERYTHING, first_greenhouses, wait_until
from tests.support.mosquitto import Mosquitto
from tests.support.stack import REPO, EdgeProcess, Stack, stack


def sqlite_rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows read from a store another process has open (read-only; nothing at all if it does not exist)."""
    if not path.exists():
        return []
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
        return db.execute(sql).fetchall()


class GatewayProcess:
    """``greenhouse gateway`` as its own process: it can be SIGKILLed and started again on the same data."""

    def __init__(self, s: Stack, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.log = data_dir.parent / "gateway.log"
        self.http_port = free_port()
        assert s.clock.origin is not None
        options = {
            "--config": str(write_site(s.site, s.tmp / "site.yaml")),
            "--mqtt-url": s.broker.url,
            "--data-dir": str(data_dir),
            "--http-port": str(self.http_port),
            # The edges' clock: simulated time runs fast, and the gateway bounds timestamps by it.
            "--speed": repr(s.clock.speed),
            "--start": s.clock.origin.isoformat(),
            "--wall-origin": repr(s.clock.wall_origin),
        }
        # -v: its log says when it has subscribed.
        self.args = [sys.executable, "-m", "greenhouse", "-v", "gateway", *(x for kv in options.items() for x in kv)]
        self.proc: subprocess.Popen[bytes] | None = None
        self.history = data_dir / f"history-{s.site.cooperative.id}.sqlite3"
        self.spool = data_dir / f"gateway-{s.site.cooperative.id}-1-spool.sqlite3"
        self.accounts = data_dir / ACCOUNTS_FILE

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        subscribed = self.log.read_text().count("mqtt subscribed") if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)
        if not wait_until(lambda: self.log.read_text().count("mqtt subscribed") > subscribed or not self.alive(), 60):
            raise RuntimeError(f"the gateway did not subscribe; see {self.log}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def healthy(self) -> bool:
        """``GET /healthz`` answers 200: ingest, the writer and the live feed all turn."""
        try:
            return httpx.get(f"http://127.0.0.1:{self.http_port}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout=30)

    def stored(self, greenhouse: str) -> list[int]:
        """The telemetry numbers stored for ``greenhouse`` (one per stored batch point)."""
        if not self.history.exists():
            return []
        store = SqliteStore(self.history)
        try:
            return [int(p.fields["seq"]) for p in store.rows("batch", {"greenhouse": greenhouse}, *EVERYTHING, 10**7)]
        finally:
            store.close()

    def rejected(self) -> int:
        return sum(int(str(n)) for (n,) in sqlite_rows(self.spool, "SELECT n FROM reject_counts"))


@dataclass(frozen=True)
class Outboxed:
    """What an edge's outbox file says, read while the edge is stopped."""

    last: int  # the last telemetry number given
    queued: list[int]  # telemetry numbers still waiting for the gateway


class Edge:
    """One greenhouse's edge agent as a process, and its files."""

    def __init__(self, s: Stack) -> None:
        self.greenhouse = s.gh.id
        self.data_dir = s.tmp / "edge"
        site_id = s.site.cooperative.id
        self.outbox = self.data_dir / f"{site_id}-{s.gh.id}-outbox.sqlite3"
        self.memory = self.data_dir / f"{site_id}-{s.gh.id}-memory.sqlite3"
        self.process = EdgeProcess(s)

    def alive(self) -> bool:
        return self.process.proc is not None and self.process.proc.poll() is None

    def read(self) -> Outboxed:
        last = sqlite_rows(self.outbox, "SELECT value FROM counters WHERE name = 'telemetry'")
        queued = sqlite_rows(self.outbox, "SELECT seq FROM outbox WHERE topic LIKE '%/telemetry' AND seq IS NOT NULL")
        return Outboxed(int(str(last[0][0])) if last else 0, sorted(int(str(q)) for (q,) in queued))


@dataclass
class System:
    broker: Mosquitto
    gateway: GatewayProcess
    edges: list[Edge]

    def alive(self) -> dict[str, bool]:
        found = {f"edge {e.greenhouse}": e.alive() for e in self.edges}
        return {**found, "gateway": self.gateway.alive() and self.gateway.healthy()}

    def stop_edges(self) -> None:
        for e in self.edges:
            e.process.stop()

    def start_edges(self) -> None:
        for e in self.edges:
            e.process.start()

    def stored_past(self, greenhouse: str, above: int) -> bool:
        return max(self.gateway.stored(greenhouse), default=0) > above


def two_greenhouses(serial_dir: Path) -> SiteConfig:
    return first_greenhouses(on_free_ports(load_site(EXAMPLE_SITE), serial_dir), 2)


@contextmanager
def running_system(workdir: Path, speed: float, site: SiteConfig | None = None) -> Iterator[System]:
    """Everything started, each edge's first telemetry stored; everything stopped at the end."""
    site = site or two_greenhouses(workdir / "tty")
    with ExitStack() as exit_stack:
        broker = Mosquitto(workdir / "mosquitto")
        broker.start()
        exit_stack.callback(broker.stop)
        start = datetime.now(UTC).replace(microsecond=0)
        s = exit_stack.enter_context(stack(workdir, broker, site, start, speed))
        gateway = GatewayProcess(s, workdir / "gateway")
        gateway.start()
        exit_stack.callback(gateway.stop)
        edges = []
        for gh in site.greenhouses:
            # Each edge reads the same site; the stack's greenhouse is the first one, so each gets its own order.
            others = [g for g in site.greenhouses if g.id != gh.id]
            mine = site.model_copy(update={"greenhouses": [gh, *others]})
            folder = workdir / gh.id
            folder.mkdir(exist_ok=True)
            edge = Edge(dataclasses.replace(s, site=mine, tmp=folder))
            exit_stack.callback(edge.process.stop)
            edges.append(edge)
        system = System(broker, gateway, edges)
        for e in edges:
            if not wait_until(lambda e=e: system.stored_past(e.greenhouse, 0), 60):
                raise RuntimeError(f"no telemetry of {e.greenhouse} stored; see {e.process.log}")
        yield system


def wipe(broker: Mosquitto) -> None:
    """The broker's persistence file gone: it forgets every session, subscription and queued message."""
    for kept in (broker.workdir / "data").iterdir():
        kept.unlink()


def restart_broker(broker: Mosquitto, wiped: bool, down_s: float = 0.3) -> None:
    broker.stop()
    if wiped:
        wipe(broker)
    time.sleep(down_s)
    broker.start()
