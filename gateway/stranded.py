"""Spools another layout of ingest processes left behind: what they still hold is stored, then they are removed.

Each ingest process has a spool file named after its place in the layout (``…-1-spool``, ``…-1-p2of3-spool``):
a technician who changes ``--ingest-processes`` leaves files no process of the new layout opens. Messages in
them were acknowledged to the broker and the edges, so they exist nowhere else. (The rejects log a removed
spool held goes with it: what the ingest report lists is the running layout's.)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from contract.clock import Clock
from contract.site import SiteConfig
from gateway.ingest.derived_points import Deriver
from gateway.ingest.spool import Spool
from gateway.ingest.writer import Writer
from gateway.live.registry import Registry
from gateway.service import spool_path
from gateway.storage.model import Store
from gateway.storage.points import PointMapper

log = logging.getLogger(__name__)

_CHECK_EVERY_S = 1.0


def stranded(data_dir: Path, site_id: str, instance: str, in_use: Iterable[Path]) -> list[Path]:
    """This instance's spool files that no process of the running layout opens."""
    own = [spool_path(data_dir, site_id, instance), *data_dir.glob(f"gateway-{site_id}-{instance}-p*of*-spool.sqlite3")]
    taken = set(in_use)
    return sorted(p for p in own if p.exists() and p not in taken)


class StrandedDrain:
    """Stores what each stranded spool holds, one after the other, with the writer every spool has; removes each
    once it is empty. Its thread ends when all are done, or when stopped (the rest wait for the next start). The
    history store is opened only when there is something to drain."""

    def __init__(
        self, paths: list[Path], site: SiteConfig, open_store: Callable[[], Store], registry: Registry, clock: Clock
    ) -> None:
        self._paths = paths
        self._site = site
        self._open_store = open_store
        self._registry = registry
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gateway-stranded-spools", daemon=True)

    def start(self) -> None:
        if self._paths:
            self._thread.start()

    def _run(self) -> None:
        store = self._open_store()
        try:
            for path in self._paths:
                if self._stop.is_set():
                    return
                self._drain(path, store)
        finally:
            store.close()

    def _drain(self, path: Path, store: Store) -> None:
        spool = Spool(path)
        if spool.depth() > 0:
            log.warning(
                "a spool of another layout of ingest processes holds messages; storing them",
                extra={"spool": str(path), "messages": spool.depth()},
            )
        writer = Writer(spool, store, PointMapper(self._site), self._registry, self._clock, Deriver(self._site))
        done = threading.Event()
        thread = threading.Thread(target=writer.run, args=(done,), name="gateway-stranded-writer", daemon=True)
        thread.start()
        while spool.depth() > 0 and not self._stop.wait(_CHECK_EVERY_S):
            pass
        done.set()
        thread.join(timeout=30)
        empty = spool.depth() == 0
        spool.close()
        if empty:
            for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                file.unlink(missing_ok=True)
            log.info("a spool of another layout was emptied and removed", extra={"spool": str(path)})

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=40)
