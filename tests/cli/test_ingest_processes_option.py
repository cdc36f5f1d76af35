"""``greenhouse gateway --ingest-processes N`` from a shell: refused where it cannot work, naming why; run, it
starts its ingest processes, reports them healthy, stores what a spool of the former layout still held, and stops
them all on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from contract.kinds import Quality
from contract.messages import Reading, TelemetryBatch
from contract.site_file import load_site
from gateway.ingest.spool import Received, Spool
from gateway.storage.influx import InfluxV1Store
from greenhouse.net import free_port
from tests.conftest import EXAMPLE_SITE
from tests.support.influxd import Influxd
from tests.support.mosquitto import Mosquitto
from tests.support.stack import REPO

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
SITE = load_site(EXAMPLE_SITE)
GH = SITE.greenhouses[0]
EVERYTHING = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def _batch(seq: int) -> TelemetryBatch:
    at = datetime.now(UTC) - timedelta(hours=2, seconds=-seq)
    readings = [Reading(sensor=s.id, kind=s.kind, value=21.0, ts=at, quality=Quality.GOOD) for s in GH.sensors.values()]
    return TelemetryBatch(site=SITE.cooperative.id, greenhouse=GH.id, seq=seq, sent_at=at, readings=readings)


def _gateway(*args: str, verbose: bool = False) -> list[str]:
    return [
        sys.executable,
        "-m",
        "greenhouse",
        *(["-v"] if verbose else []),
        "gateway",
        "--config",
        str(EXAMPLE_SITE),
        *args,
    ]


def test_a_count_that_cannot_work_is_refused_naming_why(tmp_path: Path) -> None:
    zero = subprocess.run(_gateway("--ingest-processes", "0"), capture_output=True, text=True, env=ENV, timeout=60)
    assert zero.returncode == 2
    assert "argument --ingest-processes: '0' is not a number of processes from 1 to 64" in zero.stderr
    eastern = subprocess.run(_gateway("--ingest-processes", "٣"), capture_output=True, text=True, env=ENV, timeout=60)
    assert eastern.returncode == 2
    assert "argument --ingest-processes: '٣' is not a number of processes from 1 to 64" in eastern.stderr
    no_influx = subprocess.run(
        _gateway("--ingest-processes", "2", "--data-dir", str(tmp_path / "gw")),
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )
    assert no_influx.returncode == 2
    assert no_influx.stderr.splitlines()[-1] == (
        "greenhouse gateway: --ingest-processes: several processes need InfluxDB (--influx-url);"
        " the embedded history is one file"
    )
    assert not (tmp_path / "gw").exists()  # refused before anything was opened


def _children(pid: int) -> dict[int, str]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(p): Path(f"/proc/{p}/cmdline").read_text().replace("\0", " ") for p in found}


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_the_gateway_runs_its_ingest_processes_and_stops_them_on_ctrl_c(
    tmp_path: Path, mosquitto: Mosquitto, influxd: Influxd
) -> None:
    # Left by the same gateway run as one process: acknowledged messages, not yet in the history store.
    data_dir = tmp_path / "gw"
    data_dir.mkdir()
    leftover = Spool(data_dir / "gateway-htx-moc-chau-1-spool.sqlite3")
    batches = [_batch(seq) for seq in (41, 42)]
    leftover.commit([Received("telemetry", b.to_json()) for b in batches], [])
    leftover.close()
    port = free_port()
    args = ("--ingest-processes", "2", "--influx-url", influxd.url, "--mqtt-url", mosquitto.url)
    gateway = subprocess.Popen(
        _gateway(*args, "--http-port", str(port), "--data-dir", str(tmp_path / "gw"), verbose=True),
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        deadline, health = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                started = len(list((tmp_path / "gw").glob("*of2-spool.sqlite3"))) == 2  # each process opens its own
                if started and health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        assert health is not None and health.status_code == 200
        assert set(health.json()["errors_caught"]) == {"ingest 1/2", "ingest 2/2", "live feed"}
        # What the leftover spool held is stored, and the file removed.
        store = InfluxV1Store(influxd.url, "greenhouse")
        while time.monotonic() < deadline and len(store.rows("batch", {"greenhouse": GH.id}, *EVERYTHING, 10)) < 2:
            time.sleep(0.3)
        assert sorted(int(p.fields["seq"]) for p in store.rows("batch", {"greenhouse": GH.id}, *EVERYTHING, 10)) == [
            41,
            42,
        ]
        store.close()
        while time.monotonic() < deadline and list(data_dir.glob("gateway-htx-moc-chau-1-spool.sqlite3*")):
            time.sleep(0.3)
        assert not list(data_dir.glob("gateway-htx-moc-chau-1-spool.sqlite3*"))
        spools = sorted(p.name for p in data_dir.glob("*-spool.sqlite3"))
        assert spools == ["gateway-htx-moc-chau-1-p1of2-spool.sqlite3", "gateway-htx-moc-chau-1-p2of2-spool.sqlite3"]
        workers = _children(gateway.pid)  # the two ingest processes, and multiprocessing's resource tracker
        assert sum("spawn_main" in cmd for cmd in workers.values()) == 2
        gateway.send_signal(signal.SIGINT)
        assert gateway.wait(30) == 0
        deadline = time.monotonic() + 5  # the resource tracker ends once it sees its parent gone
        while time.monotonic() < deadline and any(_running(p) for p in workers):
            time.sleep(0.1)
        assert not {p: cmd for p, cmd in workers.items() if _running(p)}
    finally:
        if gateway.poll() is None:
            gateway.kill()
        _out, err = gateway.communicate()
    assert "Traceback" not in err, err
    # One log, the processes' records in it, each naming its process.
    subscribed = [json.loads(line) for line in err.splitlines() if '"mqtt subscribed"' in line]
    assert {r["ingest"] for r in subscribed} == {"ingest 1/2", "ingest 2/2"}
