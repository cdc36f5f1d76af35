"""Free loopback ports and waiting for a server to listen: for the demo and the tests."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

# Ports this process has handed out. None is handed out twice: two picks made before either is bound
# could otherwise get the same port, and a client still reconnecting to a server stopped earlier would
# reach whatever listens there next (in the tests, another test's broker).
_given: set[int] = set()
_given_lock = threading.Lock()


def free_port() -> int:
    """A loopback port free now and never returned before by this process."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        with _given_lock:
            if port not in _given:
                _given.add(port)
                return port


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout_s} s")


def wait_for_path(path: Path, timeout_s: float = 10.0) -> None:
    """Wait until ``path`` exists (a simulated serial port, linked once its simulator serves it)."""
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing at {path} after {timeout_s} s")
        time.sleep(0.05)
