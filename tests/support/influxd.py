"""A real InfluxDB 1.x server on free loopback ports, with its own config and data folders."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx

from greenhouse.net import free_port
from tests.support.server import ServerProcess


def influxd_binary() -> str:
    found = shutil.which("influxd") or next(
        (p for p in ("/usr/bin/influxd", "/usr/sbin/influxd") if Path(p).exists()), None
    )
    if found is None:
        raise RuntimeError("influxd is not installed: run ./run-tests.sh, which installs it (apt package influxdb)")
    return found


class Influxd(ServerProcess):
    def __init__(self, workdir: Path, auth: bool = False) -> None:
        super().__init__()
        self.workdir = workdir
        self.auth = auth
        self.conf = workdir / "influxdb.conf"
        self.log = workdir / "influxd.log"
        workdir.mkdir(parents=True, exist_ok=True)
        self._configure()

    def _configure(self) -> None:
        workdir, auth = self.workdir, self.auth
        self.port = free_port()
        self.rpc_port = free_port()  # backup/restore service; on a free port so parallel servers do not clash
        # Everything that writes in the background or listens elsewhere is off: quiet, fast, isolated.
        self.conf.write_text(
            "reporting-disabled = true\n"
            f'bind-address = "127.0.0.1:{self.rpc_port}"\n'
            "[meta]\n"
            f'  dir = "{workdir / "meta"}"\n'
            "  logging-enabled = false\n"
            "[data]\n"
            f'  dir = "{workdir / "data"}"\n'
            f'  wal-dir = "{workdir / "wal"}"\n'
            "  query-log-enabled = false\n"
            "[http]\n"
            f'  bind-address = "127.0.0.1:{self.port}"\n'
            "  log-enabled = false\n"
            "  pprof-enabled = false\n"
            f"  auth-enabled = {'true' if auth else 'false'}\n"
            "[monitor]\n  store-enabled = false\n"
            "[subscriber]\n  enabled = false\n"
            "[continuous_queries]\n  enabled = false\n"
            "[retention]\n  enabled = false\n"
            "[shard-precreation]\n  enabled = false\n"
            '[logging]\n  level = "warn"\n  suppress-logo = true\n'
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> None:
        def launch() -> None:
            with self.log.open("ab") as log:
                self._proc = subprocess.Popen(
                    [influxd_binary(), "run", "-config", str(self.conf)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            self._wait_ready(timeout_s)

        def port_taken(exc: Exception) -> bool:
            return isinstance(exc, RuntimeError) and "address already in use" in str(exc)

        self._start_on_free_ports(launch, port_taken, self._configure)

    def _wait_ready(self, timeout_s: float) -> None:
        # /ping answers only once the HTTP service is up, after the meta and data stores have opened.
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"influxd exited with {self._proc.returncode}:\n{self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/ping", timeout=0.5).status_code == 204:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"influxd not ready on {self.url} after {timeout_s} s:\n{self.log.read_text()[-2000:]}")
