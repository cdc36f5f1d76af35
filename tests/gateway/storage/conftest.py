from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from gateway.storage.influx import InfluxV1Store
from gateway.storage.model import Store
from gateway.storage.sqlite import SqliteStore
from tests.support.influxd import Influxd


@pytest.fixture(scope="session")
def shared_influxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Influxd]:
    """One server for the whole session (it takes seconds to start); each test gets its own database."""
    server = Influxd(tmp_path_factory.mktemp("influxd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def influx_store(shared_influxd: Influxd) -> Iterator[InfluxV1Store]:
    store = InfluxV1Store(shared_influxd.url, f"test_{uuid4().hex}")
    yield store
    store.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "history.sqlite3")
    yield store
    store.close()


@pytest.fixture(params=["influx", "sqlite"])
def store(request: pytest.FixtureRequest) -> Store:
    """Each behaviour test runs against both stores: they promise the same semantics."""
    return request.getfixturevalue(f"{request.param}_store")
