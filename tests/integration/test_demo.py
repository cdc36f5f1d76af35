"""`greenhouse demo` as a user runs it: the whole loop in one command, ending cleanly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.api.client import signed_in
from greenhouse.net import free_port
from tests.support.demo_app import printed_app
from tests.support.stack import REPO

pytestmark = pytest.mark.slow


def _query_api_while_running(api: str, password: str) -> tuple[list[dict[str, object]], dict[str, Any]]:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        time.sleep(2)
        try:
            assert httpx.get(f"{api}/api/v1/status", timeout=5).status_code == 401  # nothing without signing in
            with signed_in(api, "demo-admin", password, "en", timeout_s=5) as client:
                status = client.get("/api/v1/status").json()
                if all((h["last_seq"] or 0) >= 20 for h in status):
                    soil = client.get(
                        "/api/v1/greenhouses/ca-chua-1/history", params={"sensor": "soil-a1", "bucket_s": 600}
                    ).json()
                    return status, soil
        except httpx.HTTPError:
            continue
    raise AssertionError("the demo's history API never showed 20 polls from every greenhouse")


def test_demo_runs_the_closed_loop_and_stops_fail_safe(tmp_path: Path) -> None:
    out_path = tmp_path / "demo.out"
    out_file = out_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "greenhouse",
            "demo",
            "--duration",
            "28",
            "--speed",
            "120",
            "--plain",
            "--data-dir",
            str(tmp_path),
            "--http-port",
            str(free_port()),
        ],
        stdout=out_file,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    # While it runs, the gateway it started keeps history (SQLite) and serves it to the admin the demo made.
    app = printed_app(out_path, proc, timeout_s=30)
    status, soil = _query_api_while_running(app.url, app.admin_password)
    _, stderr = proc.communicate(timeout=150)
    out_file.close()
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out_path.read_text(), stderr)
    assert {h["greenhouse"]: h["availability"] for h in status} == {
        "ca-chua-1": "online",
        "ca-chua-2": "online",
        "rau-la-1": "online",
    }
    assert sum(b["count"] for b in soil["series"][0]["buckets"]) >= 10  # the gateway trails the edge a little
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout
    # A decision line names the greenhouse, the valve and why, in Vietnamese by default.
    decisions = re.findall(r"\[\d\d:\d\d\] (Nhà màng [^·]+) · quyết định · (Van khu [AB]) BẬT — (.+)", out)
    assert decisions, out[-3000:]
    assert any("theo lịch 06:00" in why or "trong 5 phút" in why for _, _, why in decisions)
    assert re.search(r"(\S+) · thiết bị · Bơm BẬT", out)
    assert "mọi thiết bị ở trạng thái an toàn" in out
    # Each edge agent really stopped in the fail-safe state, and said so.
    for house in ("Nhà màng cà chua 1", "Nhà màng cà chua 2", "Nhà màng rau ăn lá 1"):
        assert f"Bộ điều khiển {house}: đã dừng" in out
    logs = {p.name for p in tmp_path.glob("*.log")}
    assert {"sim.log", "edge-ca-chua-1.log"} <= logs
