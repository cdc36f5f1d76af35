"""A real server the tests start as a child process, stop with SIGTERM (then SIGKILL), and restart."""

from __future__ import annotations

import subprocess
from abc import ABC, abstractmethod


class ServerProcess(ABC):
    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None

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
