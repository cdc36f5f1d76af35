"""The test influxd: a port taken between being found free and being bound does not fail the test."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

from tests.support.influxd import Influxd


def test_a_port_taken_before_influxd_binds_it_is_traded_for_another(tmp_path: Path) -> None:
    server = Influxd(tmp_path / "influxd")
    taken = server.port
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        server.start()
        try:
            assert server.port != taken
            assert httpx.get(f"{server.url}/ping", timeout=5).status_code == 204
        finally:
            server.stop()
