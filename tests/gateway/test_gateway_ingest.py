"""The gateway end to end: edge agent → real Mosquitto → gateway → history store, with hostile traffic mixed in."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from contract.clock import Clock
from contract.messages import TelemetryBatch
from contract.mqtt import BrokerUrl
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts
from gateway.api.app import ApiContext
from gateway.api.client import signed_in
from gateway.main import ApiServer
from gateway.service import Gateway, GatewaySettings
from gateway.storage.model import Store
from gateway.storage.sqlite import SqliteStore
from greenhouse.net import free_port, wait_for_port
from tests.gateway.ingest.test_validate import HOSTILE
from tests.support.accounts import add_user
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeThread, one_greenhouse_site, rules_yaml, stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
GH = "ca-chua-1"
FAR = timedelta(days=3)


def _es_kpa(t_c: float) -> float:
    return 0.6108 * math.exp(17.27 * t_c / (t_c + 237.3))  # FAO-56 eq. 11, written out independently


# The hostile cases that reach a gateway subscribed to this site's telemetry, status and events.
OVER_THE_BROKER = [
    (t, p, r)
    for t, p, r, _ in HOSTILE
    if t.startswith(f"gh/v1/htx-moc-chau/{GH}/") and t.rsplit("/", 1)[1] in ("telemetry", "status", "events")
]


def test_readings_land_with_tags_times_and_derived_metrics(
    tmp_path: Path, mosquitto: Mosquitto, open_store: Callable[[], Store]
) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    assert len(OVER_THE_BROKER) >= 10
    with stack(tmp_path, mosquitto, site, datetime(2026, 3, 10, 10, 0, tzinfo=TZ), speed=60) as s:
        store = open_store()
        gateway = Gateway(site, store, GatewaySettings(broker=s.url, data_dir=tmp_path / "gw"), s.clock)
        gateway.start()
        edge = EdgeThread(s)
        p = s.probe
        try:
            p.wait(lambda: len(p.unique_seqs(GH)) >= 6, 30, "six polls published")
            # Hostile traffic on the same broker, while good telemetry keeps flowing.
            for topic, payload, _ in OVER_THE_BROKER:
                p.client.publish(topic, payload, qos=1)
            p.client.publish("gh/v1/htx-moc-chau/nha-khac/telemetry", b"{}", qos=1)
            seqs_then = len(p.unique_seqs(GH))
            p.wait(lambda: len(p.unique_seqs(GH)) >= seqs_then + 4, 30, "four more polls")

            def stored_all() -> bool:
                now = s.clock.now()
                stored = store.rows("batch", {"greenhouse": GH}, now - FAR, now + FAR, 10_000)
                return gateway.spool.depth() == 0 and len(stored) >= seqs_then + 4

            p.wait(stored_all, 20, "the gateway stored the good batches")
            p.wait(lambda: gateway.receiver.counters.rejected == len(OVER_THE_BROKER) + 1, 10, "all rejected")
        finally:
            edge.stop()
        counts = gateway.spool.reject_counts()
        gateway.stop()
    expected = Counter(r.value for _, _, r in OVER_THE_BROKER) + Counter({"unknown_greenhouse": 1})
    assert counts == dict(expected)

    store = open_store()
    start, end = s.clock.origin - FAR, s.clock.origin + FAR  # type: ignore[operator]
    # The edge's own batches: the first of each seq (hostile copies that parse came later).
    batches: dict[int, TelemetryBatch] = {}
    for b in p.batches:
        batches.setdefault(b.seq, b)
    # Every reading the edge published is stored once, at its own timestamp, with its tags.
    stored_temp = store.rows("reading", {"greenhouse": GH, "sensor": "air-temp"}, start, end, 10_000)
    published = sorted(
        {
            r.ts.replace(microsecond=r.ts.microsecond // 1000 * 1000): r
            for b in batches.values()
            for r in b.readings
            if r.sensor == "air-temp"
        }.items()
    )
    assert [pt.ts for pt in stored_temp] == [ts for ts, _ in published]
    assert [pt.fields["value"] for pt in stored_temp] == [r.value for _, r in published]
    assert stored_temp[0].tags == {"site": "htx-moc-chau", "greenhouse": GH, "sensor": "air-temp", "kind": "air_temp_c"}
    assert stored_temp[0].fields["quality"] == "good"
    soil = store.rows("reading", {"greenhouse": GH, "zone": "khu-b"}, start, end, 10_000)
    assert {pt.tags["sensor"] for pt in soil} == {"soil-b1", "soil-b2"}
    # Derived VPD matches the FAO-56 computation from the same batch's air temperature and humidity.
    derived = store.rows("derived", {"greenhouse": GH}, start, end, 10_000)
    assert len(derived) >= 10
    for point in derived[:5]:
        batch = next(b for b in batches.values() if abs((b.sent_at - point.ts).total_seconds()) < 0.001)
        t = next(r.value for r in batch.readings if r.sensor == "air-temp")
        rh = next(r.value for r in batch.readings if r.sensor == "air-rh")
        assert t is not None and rh is not None
        # Fog can read a touch over 100 %; the metric caps humidity at saturation.
        expected_vpd = _es_kpa(t) * (1 - min(rh, 100.0) / 100)
        assert math.isclose(float(point.fields["vpd_kpa"]), expected_vpd, rel_tol=1e-6, abs_tol=1e-9)
    store.close()


def test_api_reports_rejects_and_serves_history(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    with stack(tmp_path, mosquitto, site, datetime(2026, 3, 10, 10, 0, tzinfo=TZ), speed=120) as s:
        store = SqliteStore(tmp_path / "history.sqlite3")
        gateway = Gateway(
            site, store, GatewaySettings(broker=BrokerUrl.parse(mosquitto.url), data_dir=tmp_path / "gw"), s.clock
        )
        gateway.start()
        edge = EdgeThread(s)
        server: ApiServer | None = None
        accounts = Accounts(tmp_path / "gw", Clock().now)
        password = add_user(accounts, "ky-thuat", Role.TECHNICIAN)  # the ingest report is for technicians
        session = ExitStack()
        try:
            s.probe.client.publish(f"gh/v1/htx-moc-chau/{GH}/telemetry", b"\xff", qos=1)
            s.probe.wait(lambda: len(s.probe.unique_seqs(GH)) >= 20, 30, "twenty polls (10 simulated minutes)")
            edge.stop()  # a quiet stream, so that the report below is of a settled spool
            s.probe.wait(
                lambda: gateway.spool.depth() == 0 and gateway.receiver.counters.rejected == 1, 10, "all stored"
            )
            port = free_port()
            server = ApiServer(ApiContext.of(gateway, accounts, secure_cookies=False), "127.0.0.1", port)
            server.start()
            wait_for_port(port)
            api = session.enter_context(signed_in(f"http://127.0.0.1:{port}", "ky-thuat", password, "en"))
            report = api.get("/api/v1/ingest").json()
            assert report["rejected_by_reason"] == {"not_json": 1} and report["spool_depth"] == 0
            status = api.get("/api/v1/status").json()
            # The agent said goodbye when it stopped: offline, with an empty outbox.
            assert status[0]["greenhouse"] == GH and status[0]["availability"] == "offline"
            assert status[0]["outbox_depth"] == 0 and status[0]["last_seq"] >= 20
            hist = api.get(
                f"/api/v1/greenhouses/{GH}/history",
                params={
                    "sensor": "air-temp",
                    "metric": "vpd_kpa",
                    "bucket_s": 300,
                    "start": (s.clock.now() - timedelta(hours=1)).isoformat(),
                },
            ).json()
            names = [series["name"] for series in hist["series"]]
            assert names == ["air-temp", "vpd_kpa"]
            temp = hist["series"][0]["buckets"]
            assert temp and all(b["min"] <= b["mean"] <= b["max"] for b in temp)
            assert sum(b["count"] for b in temp) >= 15
            csv_text = api.get(
                f"/api/v1/greenhouses/{GH}/history.csv",
                params={"sensor": "soil-a1", "start": (s.clock.now() - timedelta(hours=1)).isoformat()},
            )
            lines = csv_text.content.decode("utf-8-sig").strip().splitlines()
            assert lines[0] == "time,greenhouse,zone,zone_name,sensor,sensor_name,kind,unit,value,quality"
            soil = ",khu-a,Zone A,soil-a1,Soil moisture A1,soil_vwc_pct,%,"  # the client asks for English
            assert len(lines) >= 16 and all(soil in line for line in lines[1:])
            assert api.get("/api/v1/greenhouses/nha-khac/history").status_code == 404
            bad = api.get(
                f"/api/v1/greenhouses/{GH}/history",
                params={"start": "2026-01-02T00:00:00+07:00", "end": "2026-01-01T00:00:00+07:00"},
            )
            assert bad.status_code == 422 and "must be before end" in bad.json()["detail"]
            bad = api.get(f"/api/v1/greenhouses/{GH}/history", params={"sensor": "soil-z9"})
            assert bad.status_code == 422 and "no sensor 'soil-z9'" in bad.json()["detail"]
        finally:
            session.close()
            edge.stop()
            if server is not None:
                server.stop()
            gateway.stop()
            accounts.close()
