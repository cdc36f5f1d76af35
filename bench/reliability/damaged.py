"""Each local SQLite store damaged while its program is stopped — cut short, garbage in the middle, emptied —
and the program started on it: it must start, and the system must store new telemetry of every greenhouse again
(contract/durable.py keeps the damaged file aside and saves what can be read of it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.reliability.system import Edge, System
from tests.hostile.rig import wait_until
from tests.support.damage import Damage, damage, kept_aside

DAMAGES = (Damage.TRUNCATED, Damage.OVERWRITTEN, Damage.ZERO_BYTES)
_RECOVER_S = 60.0
# While the gateway is away the edge's outbox fills: the damaged file has rows to lose and to save.
_QUEUE_S = 2.0


@dataclass
class StoreFigures:
    name: str
    tried: int = 0
    survived: int = 0
    dead: set[str] = field(default_factory=set)
    kept_aside: int = 0  # damaged files kept beside the new one (an emptied file holds nothing to keep)


def _check(system: System, figures: StoreFigures, path: Path, marks: dict[str, int]) -> None:
    progressed = wait_until(lambda: all(system.stored_past(gh, mark) for gh, mark in marks.items()), _RECOVER_S)
    dead = {name for name, ok in system.alive().items() if not ok}
    figures.dead |= dead
    figures.tried += 1
    figures.survived += progressed and not dead
    figures.kept_aside = len(kept_aside(path))


def _marks(system: System) -> dict[str, int]:
    return {e.greenhouse: max(system.gateway.stored(e.greenhouse), default=0) for e in system.edges}


def _edge_store(system: System, figures: StoreFigures, file_of: Callable[[Edge], Path], how: Damage) -> None:
    edge = system.edges[0]
    system.gateway.stop()
    time.sleep(_QUEUE_S)
    edge.process.stop()
    marks = _marks(system)
    damage(file_of(edge), how)
    system.gateway.start()
    edge.process.start()
    _check(system, figures, file_of(edge), marks)


def _gateway_store(system: System, figures: StoreFigures, path: Path, how: Damage) -> None:
    # Stopped, not killed: a killed gateway leaves its latest pages in the write-ahead log, which SQLite reads
    # over the damaged ones, and the damage would go unseen.
    system.gateway.stop()
    marks = _marks(system)
    damage(path, how)
    system.gateway.start()
    _check(system, figures, path, marks)


def damaged_stores(system: System) -> list[StoreFigures]:
    stores = {
        "edge outbox": lambda how, f: _edge_store(system, f, lambda e: e.outbox, how),
        "edge memory": lambda how, f: _edge_store(system, f, lambda e: e.memory, how),
        "gateway spool": lambda how, f: _gateway_store(system, f, system.gateway.spool, how),
        "accounts file": lambda how, f: _gateway_store(system, f, system.gateway.accounts, how),
    }
    found = []
    for name, run in stores.items():
        figures = StoreFigures(name)
        for how in DAMAGES:
            run(how, figures)
        found.append(figures)
    return found
