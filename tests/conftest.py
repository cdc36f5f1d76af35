from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
def influxd(tmp_path: Path) -> Iterator[Influxd]:
    """A fresh InfluxDB 1.x server of its own, for tests that stop or restart it."""
    server = Influxd(tmp_path / "influxd")
    server.start()
    yield server
    server.stop()
