"""InfluxDB going away or refusing us: StoreUnavailable (the data waits), never StoreRejected (quarantine)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gateway.storage.influx import InfluxV1Store
from gateway.storage.model import StoreUnavailable
from tests.gateway.storage.support import T0, at, point
from tests.support.influxd import Influxd


def test_unavailable_while_stopped_and_writing_again_after_restart(influxd: Influxd) -> None:
    store = InfluxV1Store(influxd.url, "history", timeout_s=2)
    store.write([point(0, value=1.0)])
    influxd.stop()
    with pytest.raises(StoreUnavailable):
        store.write([point(1, value=2.0)])
    with pytest.raises(StoreUnavailable):
        store.tag_values("reading", "greenhouse")
    influxd.start()
    store.write([point(1, value=2.0)])
    assert store.rows("reading", {}, T0, at(10), 10) == [point(0, value=1.0), point(1, value=2.0)]
    influxd.restart()
    store.write([point(2, value=3.0)])
    assert len(store.rows("reading", {}, T0, at(10), 10)) == 3
    store.close()


def test_nothing_listening_is_unavailable() -> None:
    store = InfluxV1Store("http://127.0.0.1:9", "history", timeout_s=1)  # the discard port: nothing listens
    with pytest.raises(StoreUnavailable):
        store.write([point(0, value=1.0)])
    store.close()


def test_a_dropped_database_is_created_again(shared_influxd: Influxd) -> None:
    def drop() -> None:
        httpx.post(f"{shared_influxd.url}/query", data={"q": 'DROP DATABASE "dropped"'}).raise_for_status()

    store = InfluxV1Store(shared_influxd.url, "dropped")
    store.write([point(0, value=1.0)])
    drop()
    assert store.tag_values("reading", "greenhouse") == []
    drop()
    store.write([point(1, value=2.0)])
    assert store.rows("reading", {}, T0, at(10), 10) == [point(1, value=2.0)]
    store.close()


def test_user_and_password_and_a_wrong_password(tmp_path: Path) -> None:
    server = Influxd(tmp_path / "influxd", auth=True)
    server.start()
    try:
        create_admin = "CREATE USER admin WITH PASSWORD 'pw' WITH ALL PRIVILEGES"  # allowed once, with no users yet
        httpx.post(f"{server.url}/query", data={"q": create_admin}).raise_for_status()
        store = InfluxV1Store(server.url, "history", username="admin", password="pw")
        store.write([point(0, value=1.0)])
        assert store.tag_values("reading", "greenhouse") == ["gh1"]
        store.close()
        wrong = InfluxV1Store(server.url, "history", username="admin", password="nope")
        # A configuration problem, not bad data: the writer must keep the data and retry.
        with pytest.raises(StoreUnavailable, match="401"):
            wrong.write([point(1, value=2.0)])
        wrong.close()
    finally:
        server.stop()
