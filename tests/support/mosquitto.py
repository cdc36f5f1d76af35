"""A real Mosquitto broker on a free loopback port, with its own config and data folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from greenhouse.net import free_port, wait_for_port
from tests.support.server import ServerProcess


def mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if Path(p).exists()), None
    )
    if found is None:
        raise RuntimeError("mosquitto is not installed: run ./run-tests.sh, which installs it (apt package mosquitto)")
    return found


class Mosquitto(ServerProcess):
    def __init__(self, workdir: Path) -> None:
        super().__init__()
        self.workdir = workdir
        self.conf = workdir / "mosquitto.conf"
        self.log = workdir / "mosquitto.log"
        self._started = False
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
            "max_queued_messages 100000\n"
        )

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        for attempt in range(3):
            self._proc = subprocess.Popen([mosquitto_binary(), "-c", str(self.conf)], stdin=subprocess.DEVNULL)
            try:
                wait_for_port(self.port)
            except TimeoutError:
                # A port found free can be taken before the broker binds it: on a first start, take another
                # (a restart keeps its port, which the clients know).
                if self._started or attempt == 2 or self._proc.poll() is None:
                    raise
                self._proc = None
                self._configure()
                continue
            self._started = True
            return
