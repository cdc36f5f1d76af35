"""A real Mosquitto broker on a free loopback port, with its own config and data folder."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from greenhouse.net import free_port, wait_for_port
from tests.support.server import ServerProcess

START_TIMEOUT_S = 10.0  # as greenhouse.net.wait_for_port's


def mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if Path(p).exists()), None
    )
    if found is None:
        raise RuntimeError("mosquitto is not installed: run ./run-tests.sh, which installs it (apt package mosquitto)")
    return found


class Mosquitto(ServerProcess):
    def __init__(self, workdir: Path, extra_conf: str = "") -> None:
        super().__init__()
        self.workdir = workdir
        self.extra_conf = extra_conf
        self.conf = workdir / "mosquitto.conf"
        self.log = workdir / "mosquitto.log"
        (workdir / "data").mkdir(parents=True, exist_ok=True)
        self._configure()

    def _configure(self) -> None:
        workdir = self.workdir
        self.port = free_port()
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            # Run as root, mosquitto would switch to the 'mosquitto' user and lose its data folder.
            "user root\n"
            "persistence true\n"
            f"persistence_location {workdir / 'data'}/\n"
            f"log_dest file {self.log}\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            "max_queued_messages 100000\n" + self.extra_conf
        )

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        def launch() -> None:
            proc = subprocess.Popen([mosquitto_binary(), "-c", str(self.conf)], stdin=subprocess.DEVNULL)
            self._proc = proc
            # Until it listens, or has exited (its port taken): a broker that exited is not waited for to the end.
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    wait_for_port(self.port, timeout_s=0.5)
                    return
                except TimeoutError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise

        def port_taken(exc: Exception) -> bool:
            # The broker exited instead of listening: its port was not free after all.
            return isinstance(exc, TimeoutError) and self._proc is not None and self._proc.poll() is not None

        self._start_on_free_ports(launch, port_taken, self._configure)
