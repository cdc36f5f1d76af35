"""The two real servers, on free loopback ports with their own temporary folders, always stopped at the end."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from greenhouse.net import free_port, wait_for_port
from tests.support.influxd import Influxd
from tests.support.mosquitto import mosquitto_binary
from tests.support.server import ServerProcess

# Tuned for throughput; docs/benchmarks.md explains each line.
MOSQUITTO_TUNING = (
    "persistence false",
    "max_inflight_messages 1000",
    "max_queued_messages 1000000",
    "max_queued_bytes 0",
    "set_tcp_nodelay true",
)


class TunedMosquitto(ServerProcess):
    def __init__(self, workdir: Path) -> None:
        super().__init__()
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            "\n".join(
                [
                    f"listener {self.port} 127.0.0.1",
                    "allow_anonymous true",
                    "user root",  # run as root, mosquitto would otherwise switch users and lose its folder
                    f"log_dest file {workdir / 'mosquitto.log'}",
                    "log_type error",
                    "log_type warning",
                    *MOSQUITTO_TUNING,
                ]
            )
            + "\n"
        )

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        # stderr only says that it runs as root; everything else goes to its log file.
        self._proc = subprocess.Popen(
            [mosquitto_binary(), "-c", str(self.conf)], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(self.port)


@contextmanager
def running(server: ServerProcess) -> Iterator[None]:
    server.start()
    try:
        yield
    finally:
        server.stop()


@contextmanager
def mosquitto(workdir: Path) -> Iterator[TunedMosquitto]:
    server = TunedMosquitto(workdir)
    with running(server):
        yield server


@contextmanager
def influxd(workdir: Path) -> Iterator[Influxd]:
    """The test suite's quiet influxd: no monitoring store, no background services, log level warn."""
    server = Influxd(workdir)
    with running(server):
        yield server


def server_pid(server: ServerProcess) -> int:
    assert server._proc is not None, "the server is not running"
    return server._proc.pid


def create_database(url: str, name: str) -> None:
    httpx.post(f"{url}/query", data={"q": f'CREATE DATABASE "{name}"'}, timeout=10).raise_for_status()


def points_written(url: str) -> int:
    """Points influxd has accepted over HTTP since it started (its own ``httpd`` counter)."""
    stats = httpx.get(f"{url}/debug/vars", timeout=5).json()
    return sum(v["values"].get("pointsWrittenOK", 0) for k, v in stats.items() if k.startswith("httpd"))
