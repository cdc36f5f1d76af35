"""A real server the tests start as a child process, stop with SIGTERM (then SIGKILL), and restart."""

from __future__ import annotations

import subprocess
from abc import ABC, abstractmethod
from collections.abc import Callable


class ServerProcess(ABC):
    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._started = False

    def _start_on_free_ports(
        self, launch: Callable[[], None], port_taken: Callable[[Exception], bool], configure: Callable[[], None]
    ) -> None:
        """``launch`` starts the server and waits until it is ready. A port found free can be taken before the
        server binds it (another process's outgoing connection): on a first start, ``configure`` takes other
        ports and the launch is tried again. A restart keeps its port, which the clients know."""
        for attempt in range(3):
            try:
                launch()
            except Exception as exc:
                if self._started or attempt == 2 or not port_taken(exc):
                    raise
                self._proc = None
                configure()
                continue
            self._started = True
            return

    @abstractmethod
    def start(self) -> None:
        """Start the server and return once it accepts connections."""

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()
