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
from gateway.ingest.receiver import Receiver
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


class Gateway:
    def __init__(self, site: SiteConfig, store: Store, settings: GatewaySettings, clock: Clock) -> None:
        self.site = site
        self.store = store
        self.clock = clock
        site_id = site.cooperative.id
        self.spool = Spool(settings.data_dir / f"gateway-{site_id}-{settings.instance}-spool.sqlite3")
        self.registry = Registry(site)
        self.writer = Writer(self.spool, store, PointMapper(site), self.registry, clock, Deriver(site))
        self.receiver = Receiver(
            settings.broker,
            site_id,
            Validator(site),
            self.spool,
            clock,
            client_id=f"gateway-{site_id}-{settings.instance}",
            share_group=settings.share_group,
            mqtt5=settings.mqtt5,
            room=Backpressure(self.spool, self.writer),
        )
        self._stop = threading.Event()
        self._writer_thread = threading.Thread(
            target=self.writer.run, args=(self._stop,), name="gateway-writer", daemon=True
        )

        self.writer.pulse.watch(self._writer_thread)

    def pulses(self) -> tuple[Pulse, ...]:
        return (self.receiver.pulse, self.writer.pulse)

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
