"""The agronomist's CSV and the charts' history through the real API (uvicorn, SQLite store): times in the
greenhouse's zone with their offset, values rounded per kind, a BOM for spreadsheet programs, the site's names
next to the ids; and each series with the range its values can physically take, where the charts' axes stop."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import httpx
import pytest

from contract.kinds import Quality
from contract.messages import Reading, TelemetryBatch
from contract.site_file import load_site
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts
from gateway.api.app import ApiContext
from gateway.ingest.derived_points import Deriver
from gateway.ingest.figures import figures_of
from gateway.ingest.receiver import IngestCounters
from gateway.ingest.spool import Spool
from gateway.live.registry import Registry
from gateway.main import ApiServer
from gateway.storage.points import PointMapper
from gateway.storage.sqlite import SqliteStore
from greenhouse.net import free_port, wait_for_port
from tests.conftest import EXAMPLE_SITE
from tests.support.accounts import add_user

SITE = load_site(EXAMPLE_SITE)  # a cooperative in Asia/Ho_Chi_Minh (UTC+7)
GH = SITE.greenhouse("ca-chua-1")
NOW = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)
# 22:45 UTC on the 14th is 05:45 on the 15th in Mộc Châu: the hour the farmer lived.
T0 = datetime(2026, 1, 14, 22, 45, tzinfo=UTC)
# (sensor, value, quality) of each poll, a quarter of an hour apart; the values as a float carries them.
POLLS: list[list[tuple[str, float | None, Quality]]] = [
    [
        ("air-temp", 21.456789012345678, Quality.GOOD),
        ("soil-a1", 19.934567890123456, Quality.GOOD),
        ("out-temp", -0.0012345, Quality.GOOD),
    ],
    [
        ("air-temp", 21.5, Quality.GOOD),
        ("soil-a1", 95.123456, Quality.SPIKE),
        ("out-temp", None, Quality.MISSING),
    ],
]


@pytest.fixture(name="api")
def api_fixture(tmp_path: Path) -> Iterator[httpx.Client]:
    store = SqliteStore(tmp_path / "history.sqlite3")
    mapper, derive = PointMapper(SITE), Deriver(SITE)
    for seq, poll in enumerate(POLLS, start=1):
        t = T0 + (seq - 1) * timedelta(minutes=15)
        readings = [Reading(sensor=s, kind=GH.sensors[s].kind, value=v, ts=t, quality=q) for s, v, q in poll]
        batch = TelemetryBatch(site=SITE.cooperative.id, greenhouse=GH.id, seq=seq, sent_at=t, readings=readings)
        store.write(mapper.telemetry(batch) + derive(batch))
    accounts = Accounts(tmp_path / "gw", lambda: NOW)
    spool = Spool(tmp_path / "spool.sqlite3")
    ctx = ApiContext(
        SITE, store, Registry(SITE), partial(figures_of, spool, IngestCounters()), lambda: NOW, accounts, False
    )
    password = add_user(accounts, "nong-hoc", Role.AGRONOMIST)
    port = free_port()
    server = ApiServer(ctx, "127.0.0.1", port)
    server.start()
    try:
        wait_for_port(port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            answer = client.post("/api/v1/login", json={"user": "nong-hoc", "password": password})
            assert answer.status_code == 200, answer.text
            yield client
    finally:
        server.stop()
        spool.close()
        store.close()
        accounts.close()


def _csv(api: httpx.Client, **params: object) -> tuple[bytes, list[dict[str, str]]]:
    answer = api.get(f"/api/v1/greenhouses/{GH.id}/history.csv", params=params)
    assert answer.status_code == 200, answer.text
    return answer.content, list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_the_csv_opens_right_in_a_spreadsheet_in_the_greenhouses_local_time(api: httpx.Client) -> None:
    body, rows = _csv(api, sensor=["air-temp", "soil-a1", "out-temp"], start=(T0 - timedelta(hours=1)).isoformat())
    # Excel reads a file without a BOM in the system's code page, and "°C" comes out as "Â°C".
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").splitlines()[0] == (
        "time,greenhouse,zone,zone_name,sensor,sensor_name,kind,unit,value,quality"
    )
    fields = ("time", "sensor", "sensor_name", "zone_name", "unit", "value", "quality")
    assert [tuple(r[f] for f in fields) for r in rows] == [
        # Temperatures are read in tenths: one digit more, not sixteen.
        ("2026-01-15T05:45:00+07:00", "air-temp", "Nhiệt độ", "", "°C", "21.46", "good"),
        ("2026-01-15T06:00:00+07:00", "air-temp", "Nhiệt độ", "", "°C", "21.50", "good"),
        # Soil water in whole percent on the tile; the probe's tenth is kept. A flagged reading keeps its flag.
        ("2026-01-15T05:45:00+07:00", "soil-a1", "Ẩm đất A1", "Khu A", "%", "19.9", "good"),
        ("2026-01-15T06:00:00+07:00", "soil-a1", "Ẩm đất A1", "Khu A", "%", "95.1", "spike"),
        # A hair below zero is written 0.00, not -0.00; a missing reading has no value, and says so.
        ("2026-01-15T05:45:00+07:00", "out-temp", "Nhiệt độ ngoài trời", "", "°C", "0.00", "good"),
        ("2026-01-15T06:00:00+07:00", "out-temp", "Nhiệt độ ngoài trời", "", "°C", "", "missing"),
    ]
    # The ids stay for scripts, and each time still names its instant.
    assert {(r["greenhouse"], r["zone"], r["kind"]) for r in rows if r["sensor"] == "soil-a1"} == {
        ("ca-chua-1", "khu-a", "soil_vwc_pct")
    }
    assert datetime.fromisoformat(rows[0]["time"]) == T0


def test_the_csv_names_things_in_the_language_its_link_carries(api: httpx.Client) -> None:
    start = (T0 - timedelta(hours=1)).isoformat()
    _, rows = _csv(api, sensor=["soil-a1"], start=start, lang="en")
    assert {(r["sensor_name"], r["zone_name"]) for r in rows} == {("Soil moisture A1", "Zone A")}
    # Without it, the language the request asks for; Vietnamese by default.
    answer = api.get(
        f"/api/v1/greenhouses/{GH.id}/history.csv",
        params={"sensor": "soil-a1", "start": start},
        headers={"Accept-Language": "en-GB,en;q=0.8"},
    )
    assert ",khu-a,Zone A,soil-a1,Soil moisture A1," in answer.text
    _, rows = _csv(api, sensor=["soil-a1"], start=start)
    assert {(r["sensor_name"], r["zone_name"]) for r in rows} == {("Ẩm đất A1", "Khu A")}
    assert api.get(f"/api/v1/greenhouses/{GH.id}/history.csv", params={"lang": "fr"}).status_code == 422


def test_the_csv_keeps_its_query_parameters(api: httpx.Client) -> None:
    # A window given in UTC picks the same readings; kind and zone still choose the sensors.
    _, rows = _csv(api, kind="soil_vwc_pct", start="2026-01-14T22:50:00Z", end="2026-01-15T00:00:00Z")
    assert [(r["time"], r["sensor"]) for r in rows] == [("2026-01-15T06:00:00+07:00", "soil-a1")]
    _, rows = _csv(api, zone="khu-b", start=(T0 - timedelta(hours=1)).isoformat())
    assert rows == []  # zone B's probes sent nothing
    bad = api.get(f"/api/v1/greenhouses/{GH.id}/history.csv", params={"sensor": "soil-z9"})
    assert bad.status_code == 422 and "soil-z9" in bad.json()["detail"]


def test_each_series_says_what_its_values_can_physically_be(api: httpx.Client) -> None:
    answer = api.get(
        f"/api/v1/greenhouses/{GH.id}/history",
        params={
            "sensor": ["air-temp", "air-rh", "soil-a1", "par", "co2"],
            "metric": ["vpd_kpa", "dew_point_c"],
            "start": (T0 - timedelta(hours=1)).isoformat(),
        },
    )
    assert answer.status_code == 200, answer.text
    ranges = {s["name"]: s["range"] for s in answer.json()["series"]}
    assert ranges == {
        "air-temp": {"min": -10.0, "max": 60.0},  # the site's sensor range: temperatures may go below zero
        "air-rh": {"min": 0.0, "max": 100.0},
        "soil-a1": {"min": 0.0, "max": 60.0},  # the probe reads no wetter than the site says
        "par": {"min": 0.0, "max": 2500.0},
        "co2": {"min": 0.0, "max": 10000.0},
        "vpd_kpa": {"min": 0.0, "max": None},  # air VPD is never negative; dew point has no such floor
        "dew_point_c": {"min": None, "max": None},
    }
