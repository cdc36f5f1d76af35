"""The real gateway on a SQLite history, started and subscribed: until its subscriptions are granted the broker
takes batches for nobody, and a test would lose them for reasons of its own."""

from __future__ import annotations

from pathlib import Path

from contract.clock import Clock
from contract.mqtt import BrokerUrl
from contract.site import SiteConfig
from gateway.service import Gateway, GatewaySettings
from gateway.storage.sqlite import SqliteStore


def started_gateway(site: SiteConfig, history: Path, url: BrokerUrl, data_dir: Path) -> Gateway:
    gateway = Gateway(site, SqliteStore(history), GatewaySettings(broker=url, data_dir=data_dir), Clock())
    gateway.start()
    assert gateway.receiver.subscribed.wait(10), "the gateway subscribed"
    return gateway
