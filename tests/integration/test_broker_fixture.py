"""The test broker: a port taken between being found free and being bound does not fail the test."""

from __future__ import annotations

import socket
from pathlib import Path

from greenhouse.net import wait_for_port
from tests.support.mosquitto import Mosquitto


def test_a_port_taken_before_mosquitto_binds_it_is_traded_for_another(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path / "mosquitto")
    taken = broker.port
    with socket.socket() as squatter:  # bound, not listening: as another process's outgoing connection is
        squatter.bind(("127.0.0.1", taken))
        broker.start()
        try:
            assert broker.port != taken
            wait_for_port(broker.port, timeout_s=1)
        finally:
            broker.stop()
