"""`greenhouse demo` as a user runs it: the whole loop in one command, ending cleanly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stack import REPO

pytestmark = pytest.mark.slow


def test_demo_runs_the_closed_loop_and_stops_fail_safe(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "greenhouse",
            "demo",
            "--duration",
            "60",
            "--speed",
            "120",
            "--plain",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=150,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout
    # A decision line names the greenhouse, the valve and why, in Vietnamese by default.
    decisions = re.findall(r"\[\d\d:\d\d\] (\S+) · quyết định · (Van khu [AB]) BẬT — (.+)", out)
    assert decisions, out[-3000:]
    assert any("theo lịch 06:00" in why or "trong 5 phút" in why for _, _, why in decisions)
    assert re.search(r"(\S+) · thiết bị · Bơm BẬT", out)
    assert "every actuator left in its fail-safe state" in out
    # Each edge agent really stopped in the fail-safe state, and said so.
    for gh in ("ca-chua-1", "ca-chua-2", "rau-la-1"):
        assert gh in out
    logs = {p.name for p in tmp_path.glob("*.log")}
    assert {"sim.log", "edge-ca-chua-1.log"} <= logs
