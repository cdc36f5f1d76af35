"""Whether the gateway's own machinery still turns: each consumer loop beats a pulse at every pass, and the
health report (``GET /healthz``, which the compose healthcheck reads) says which one stopped or stalled.

A loop that has died, or has not come round for longer than its limit (stuck on a disk, a lock, a store
call that never returns), makes the service unhealthy, so that a stopped pipeline is restarted instead of
answering 200 while nothing is stored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from pydantic import BaseModel


class Watched(Protocol):
    """A loop, or a process of them, that the health report asks after."""

    @property
    def name(self) -> str: ...

    @property
    def errors(self) -> int: ...

    def problem(self) -> str | None: ...


class Pulse:
    """The heartbeat of one loop, beaten from its own thread."""

    def __init__(self, name: str, stall_after_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.stall_after_s = stall_after_s
        self._clock = clock
        self._last = clock()
        self._thread: threading.Thread | None = None
        self.errors = 0  # unexpected errors caught in the loop (each one logged where it was caught)

    def watch(self, thread: threading.Thread) -> None:
        self._thread = thread

    def beat(self) -> None:
        self._last = self._clock()

    def problem(self) -> str | None:
        if self._thread is not None and not self._thread.is_alive():
            return f"{self.name}: thread has stopped"
        silent_s = self._clock() - self._last
        if silent_s > self.stall_after_s:
            return f"{self.name}: no progress for {silent_s:.0f} s"
        return None


class HealthReport(BaseModel):
    ok: bool
    problems: list[str]
    errors_caught: dict[str, int]  # per loop: messages or passes that raised and were set aside


def report(pulses: Sequence[Watched]) -> HealthReport:
    problems = [p for p in (pulse.problem() for pulse in pulses) if p is not None]
    return HealthReport(ok=not problems, problems=problems, errors_caught={p.name: p.errors for p in pulses})
