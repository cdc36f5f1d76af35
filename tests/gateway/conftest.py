"""Fixtures shared by the gateway tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.storage.influx import InfluxV1Store
from gateway.storage.model import Store
from gateway.storage.sqlite import SqliteStore
from tests.support.influxd import Influxd


@pytest.fixture(params=["influxdb", "sqlite"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Opens the history store under test; each call gives a new connection to the same data."""
    if request.param == "sqlite":
        yield lambda: SqliteStore(tmp_path / "history.sqlite3")
        return
    server = Influxd(tmp_path / "influxd")
    server.start()
    yield lambda: InfluxV1Store(server.url, "greenhouse")
    server.stop()
