"""``python -m bench.live_stream --quick`` as a user runs it: against the real demo, it finishes and prints the
bytes of each way of sending the stream, and its figures hang together — patches never cost more than whole
pictures, gzip never more than the same text uncompressed, and the table says what the report holds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("live-stream") / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.live_stream", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "reading the stream for 10 s" in done.stderr  # progress goes to stderr, not into the table
    return done.stdout, json.loads(out.read_text())


def test_patches_and_gzip_each_cost_less_than_whole_pictures(run: tuple[str, dict[str, Any]]) -> None:
    _, report = run
    steady, connect = report["stream"]["steady"], report["stream"]["connect"]
    assert steady["events"] > 0 and connect["events"] == report["greenhouses"] == 3
    assert steady["wire"] < steady["unzipped"] < steady["whole"]
    assert steady["wire"] < steady["whole_gzip"] < steady["whole"]
    # At connection every greenhouse comes whole: the same text either way.
    assert connect["unzipped"] == connect["whole"] + sum(len(f"id: {n}\n") for n in range(1, 4))
    # About ten simulated minutes (the gateway's own clock says how long): the stream is read for 10 s at ×60.
    assert 300 < report["stream"]["steady_simulated_s"] < 700


def test_the_table_shows_each_way_an_hour_and_a_day(run: tuple[str, dict[str, Any]]) -> None:
    table, report = run
    s = report["stream"]
    hours = s["steady_simulated_s"] / 3600
    rows = {line.split("  ")[0]: line for line in table.splitlines()}
    assert f"{s['steady']['whole'] / hours / 1000:,.1f} KB" in rows["whole pictures, uncompressed (before)"]
    assert f"{s['steady']['wire'] / hours / 1000:,.1f} KB" in rows["patches, gzip (sent now)"]
    assert "MB" in rows["patches, gzip (sent now)"] and "1.0×" in rows["whole pictures, uncompressed (before)"]
