"""``python -m bench.fieldbus --quick`` as a user runs it: it finishes, prints its figures, and its report hangs
together. Its timings are the benchmark's business, not asserted here: only that the numbers are consistent with
each other (a cycle cannot beat the wire time its own frames take, the edge's counts agree with the line's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.fieldbus.bus import DEVICES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("fieldbus") / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.fieldbus", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr
    assert "all answering, cycle 1/3" in done.stderr  # progress goes to stderr, not into the table
    return done.stdout, json.loads(out.read_text())


def test_the_table_shows_both_figures_their_ratio_and_the_verdicts(run: tuple[str, dict[str, Any]]) -> None:
    table, report = run
    figures = report["figures"]
    cycle, wire = figures["cycle_median_s"], figures["wire_median_s"]
    median_row = next(line for line in table.splitlines() if line.strip().startswith("median"))
    assert f"{1000 * cycle:.1f} ms" in median_row
    assert f"{1000 * wire:.1f} ms" in median_row
    assert f"{figures['ratio_median']:.3f}" in median_row
    for target in ("target: cycle ≤ 1.3× wire time", "steady cycles", "cycles until quarantined"):
        assert target in table
    assert "a 30 s poll carries about" in table


def test_every_device_answers_and_each_cycle_is_no_faster_than_its_frames_on_the_wire(
    run: tuple[str, dict[str, Any]],
) -> None:
    measured, figures = run[1]["run"], run[1]["figures"]
    assert measured["devices"] == len(DEVICES) == 16
    assert measured["baud"] == 9600
    assert len(measured["answering"]) == 3
    for c in measured["answering"]:
        assert (c["reads"], c["reads_answered"]) == (16, 16)
        assert c["requests"] == c["answers"] == c["edge_requests"] == figures["exchanges_per_cycle"] >= 16
        assert c["timeouts"] == 0
        assert c["wire_s"] > 0
        assert c["wall_s"] >= 0.9 * c["wire_s"]
        assert len(c["master_extra_s"]) == c["requests"] - 1
    ratios = sorted(c["wall_s"] / c["wire_s"] for c in measured["answering"])
    assert (figures["ratio_median"], figures["ratio_worst"]) == (pytest.approx(ratios[1]), pytest.approx(ratios[2]))


def test_the_dead_device_costs_timeouts_until_quarantined_then_nothing(run: tuple[str, dict[str, Any]]) -> None:
    measured, figures = run[1]["run"], run[1]["figures"]
    dead = measured["dead"]
    assert len(dead) == 4
    # Two reads of one try each (no retry after silence), then left alone (quarantined after two failed reads).
    assert [c["timeouts"] for c in dead] == [1, 1, 0, 0]
    assert [c["dead_quarantined"] for c in dead] == [False, True, True, True]
    assert [c["dead_probed"] for c in dead] == [True, True, False, False]
    assert len(figures["first_growth_s"]) == 2 and len(figures["steady_growth_s"]) == 2
    assert figures["probe_growth_s"] == []
    for c in dead[:2]:  # a cycle waits out each of its timeouts
        assert c["wall_s"] >= c["timeouts"] * measured["timeout_s"]
        assert (c["reads"], c["reads_answered"]) == (16, 15)
    assert figures["cost_per_timeout_s"] > 0
    for c in dead[2:]:  # the dead device is sent nothing
        assert c["requests"] == c["answers"] == c["edge_requests"] < figures["exchanges_per_cycle"]
        assert (c["reads"], c["reads_answered"]) == (16, 15)
        assert c["wall_s"] >= 0.9 * c["wire_s"] > 0
