"""Faults under load, against real processes: broker restarts (half of them with its persistence wiped) and the
gateway SIGKILLed and started again. Each edge produces telemetry throughout; at the end, every number an edge
gave is looked for in the gateway's history."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.reliability.system import System, restart_broker
from tests.hostile.rig import wait_until

# After a fault, how long the system may take to store new telemetry of every greenhouse again.
_RECOVER_S = 60.0


@dataclass
class FaultFigures:
    name: str
    tried: int = 0
    survived: int = 0  # faults after which every process ran and new telemetry of every greenhouse was stored
    dead: set[str] = field(default_factory=set)  # processes found stopped, or a gateway whose /healthz is not 200
    produced: int = 0  # telemetry batches the edges numbered
    stored: int = 0  # of those, stored
    lost: int = 0
    duplicates: int = 0  # stored more than once
    delayed: int = 0  # not stored while the edges ran on (within the settle time): sent only after they restarted


def _recovered(system: System, figures: FaultFigures) -> None:
    """Counts the fault survived if every process runs and every greenhouse's telemetry is stored again past
    where it stood; and the processes that have died."""
    marks = {e.greenhouse: max(system.gateway.stored(e.greenhouse), default=0) for e in system.edges}
    progressed = wait_until(lambda: all(system.stored_past(gh, mark) for gh, mark in marks.items()), _RECOVER_S)
    dead = {name for name, ok in system.alive().items() if not ok}
    figures.dead |= dead
    figures.tried += 1
    figures.survived += progressed and not dead


def _missing(system: System, marks: dict[str, int]) -> int:
    return sum(len(set(range(1, mark + 1)) - set(system.gateway.stored(gh))) for gh, mark in marks.items())


def _count(system: System, figures: FaultFigures, settle_s: float) -> None:
    """Let the system catch up, then count. Numbers an edge gave by the end of the faults must be stored while it
    runs on (``delayed`` counts those that were not); then the edges stop, and start again once if their outboxes
    still hold telemetry, which they send at start; what is still not stored after that is lost."""
    marks = {e.greenhouse: e.read().last for e in system.edges}
    wait_until(lambda: _missing(system, marks) == 0, settle_s)
    figures.delayed = _missing(system, marks)
    system.stop_edges()
    if any(e.read().queued for e in system.edges):
        system.start_edges()
        wait_until(lambda: _missing(system, {e.greenhouse: e.read().last for e in system.edges}) == 0, settle_s)
        system.stop_edges()
    # The gateway writes what it has spooled: wait until the history stops growing.
    wait_until(_steady(lambda: sum(len(system.gateway.stored(e.greenhouse)) for e in system.edges)), settle_s)
    for e in system.edges:
        produced = set(range(1, e.read().last + 1))
        stored = system.gateway.stored(e.greenhouse)
        figures.produced += len(produced)
        figures.stored += len(produced & set(stored))
        figures.lost += len(produced - set(stored))
        figures.duplicates += len(stored) - len(set(stored))


def _steady(measure: Callable[[], int], for_s: float = 2.0) -> Callable[[], bool]:
    last: list[tuple[int, float]] = []

    def check() -> bool:
        now, value = time.monotonic(), measure()
        if not last or last[0][0] != value:
            last[:] = [(value, now)]
        return now - last[0][1] >= for_s

    return check


def broker_restarts(system: System, restarts: int, load_s: float, settle_s: float) -> FaultFigures:
    figures = FaultFigures("broker restarts (half wiped)")
    for i in range(restarts):
        time.sleep(load_s)
        restart_broker(system.broker, wiped=i % 2 == 0)
        _recovered(system, figures)
    _count(system, figures, settle_s)
    return figures


def gateway_kills(system: System, kills: int, load_s: float, settle_s: float) -> FaultFigures:
    figures = FaultFigures("gateway SIGKILLed, restarted")
    for _ in range(kills):
        time.sleep(load_s)
        system.gateway.kill()
        time.sleep(0.5)  # the edges and the broker carry on without it; the broker queues for its session
        system.gateway.start()
        _recovered(system, figures)
    _count(system, figures, settle_s)
    return figures
