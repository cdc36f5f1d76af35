from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.storage.influx import InfluxV1Store
from gateway.storage.model import Store
from gateway.storage.sqlite import SqliteStore
from tests.support.gammu_smsd import GammuSmsd
from tests.support.influxd import Influxd
from tests.support.mosquitto import Mosquitto

EXAMPLE_SITE = Path(__file__).resolve().parents[1] / "greenhouse" / "examples" / "cooperative.yaml"


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = Mosquitto(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def smsd(tmp_path: Path) -> Iterator[GammuSmsd]:
    """A real gammu-smsd on Gammu's dummy phone, its folders under ``tmp_path``: a farm server's or a greenhouse
    computer's modem."""
    server = GammuSmsd(tmp_path / "gammu")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def influxd(tmp_path: Path) -> Iterator[Influxd]:
    """A fresh InfluxDB 1.x server of its own, for tests that stop or restart it."""
    server = Influxd(tmp_path / "influxd")
    server.start()
    yield server
    server.stop()


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
