"""The central gateway: MQTT → validation → spool → history store, plus the registry the API reads."""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass
from pathlib import Path

from contract.clock import Clock
from contract.mqtt import BrokerUrl
from contract.site import SiteConfig
from gateway.health import Pulse
from gateway.ingest.backpressure import Backpressure
from gateway.ingest.derived_points import Deriver
from gateway.ingest.figures import IngestFigures, figures_of
from gateway.ingest.partition import Partition
from gateway.ingest.receiver import Lane, Receiver
from gateway.ingest.spool import Spool
from gateway.ingest.validate import Validator
from gateway.ingest.writer import Writer
from gateway.live.registry import Registry
from gateway.storage.model import Store
from gateway.storage.points import PointMapper

# Allocations between two collections of the young generation (Python's default is 700).
_GC_YOUNG_THRESHOLD = 50_000


@dataclass(frozen=True)
class GatewaySettings:
    broker: BrokerUrl
    data_dir: Path
    instance: str = "1"
    # None: a plain subscription (the embedded broker has no shared subscriptions).
    share_group: str | None = "gateway"
    mqtt5: bool = True
    # None: every greenhouse of the site; otherwise only this partition's, in a process of several.
    partition: Partition | None = None

    @property
    def name(self) -> str:
        """The instance, and the partition if any: the spool's file, the broker sessions' ids."""
        return self.instance if self.partition is None else f"{self.instance}-{self.partition.name}"

    @property
    def group(self) -> str | None:
        # A share group per partition: another layout of partitions must not share messages with sessions of the old.
        if self.share_group is None or self.partition is None:
            return self.share_group
        return f"{self.share_group}-{self.partition.name}"


def spool_path(data_dir: Path, site_id: str, name: str) -> Path:
    return data_dir / f"gateway-{site_id}-{name}-spool.sqlite3"


class Gateway:
    def __init__(self, site: SiteConfig, store: Store, settings: GatewaySettings, clock: Clock) -> None:
        self.site = site
        self.store = store
        self.clock = clock
        site_id = site.cooperative.id
        self.spool_path = spool_path(settings.data_dir, site_id, settings.name)
        self.spool = Spool(self.spool_path)
        self.registry = Registry(site)
        self.writer = Writer(self.spool, store, PointMapper(site), self.registry, clock, Deriver(site))
        self.receiver = Receiver(
            settings.broker,
            site_id,
            Validator(site),
            self.spool,
            clock,
            client_id=f"gateway-{site_id}-{settings.name}",
            share_group=settings.group,
            mqtt5=settings.mqtt5,
            room=Backpressure(self.spool, self.writer),
            greenhouses=None if settings.partition is None else settings.partition.greenhouses(site),
        )
        self._stop = threading.Event()
        self._writer_thread = threading.Thread(
            target=self.writer.run, args=(self._stop,), name="gateway-writer", daemon=True
        )

        self.writer.pulse.watch(self._writer_thread)

    def subscribed(self) -> bool:
        """The broker has granted every subscription."""
        return self.receiver.subscribed.is_set()

    def spool_paths(self) -> list[Path]:
        return [self.spool_path]

    def pulses(self) -> tuple[Pulse, ...]:
        return (self.receiver.pulse, self.writer.pulse)

    def figures(self) -> IngestFigures:
        return figures_of(
            self.spool,
            self.receiver.counters,
            sum(self.receiver.held_back(lane) for lane in Lane),
            self.writer.written_points,
            self.writer.duplicates,
        )

    def start(self) -> None:
        # Ingest makes and drops a model per reading, tens of thousands a second: with Python's default thresholds
        # the collector walks every object the process holds many times a second. Objects made before now (the
        # site, the app) are frozen out of its walks; young garbage is collected in larger, rarer rounds.
        gc.freeze()
        gc.set_threshold(_GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        self._writer_thread.start()
        self.receiver.start()

    def stop(self) -> None:
        self.receiver.stop()
        self._stop.set()
        self._writer_thread.join(timeout=10)
        self.spool.close()
        self.store.close()
