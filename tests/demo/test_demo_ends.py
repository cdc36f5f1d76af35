"""``greenhouse demo`` ends as a user expects: Ctrl-C stops everything in order and exits 0, each part saying that
it stopped, in the chosen language; its temporary folder goes with it unless it is asked to keep it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.stack import REPO

pytestmark = pytest.mark.slow

HOUSES = ("Nhà màng cà chua 1", "Nhà màng cà chua 2", "Nhà màng rau ăn lá 1")
HOUSES_EN = ("Tomato house 1", "Tomato house 2", "Leafy greens house 1")  # the site file's English names


def _demo(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path]:
    """The demo in a session of its own, as in a terminal; its temporary folder under ``tmp_path``."""
    out = tmp_path / "demo.out"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "greenhouse", "demo", "--plain", "--speed", "60", "--http-port", "0", *args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path), "COLUMNS": "200"},
        )
    return proc, out


def _folder(text: str, said: str) -> Path:
    found = re.search(rf"{said} (\S+)", text)
    assert found, text
    return Path(found.group(1))


def test_ctrl_c_stops_every_part_in_order_exits_0_and_removes_the_temporary_folder(tmp_path: Path) -> None:
    proc, out = _demo(tmp_path, "--lang", "en")
    try:
        deadline = time.monotonic() + 120
        # Running: an edge has decided something (the 06:00 watering comes 15 s into the run).
        while not re.search(r"^\[\d\d:\d\d\] ", out.read_text(), re.MULTILINE):
            assert time.monotonic() < deadline and proc.poll() is None, out.read_text()
            time.sleep(0.5)
        logs = _folder(out.read_text(), "logs in")
        assert logs.is_dir() and logs.parent == tmp_path
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole foreground group
        assert proc.wait(timeout=90) == 0, out.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = out.read_text()
    said = text[text.index("Stopping…") :].splitlines()
    assert said[1:6] == [
        *(f"Controller of {house}: stopped" for house in HOUSES_EN),
        "Central gateway: stopped",
        "Greenhouse simulator: stopped",
    ], text[-3000:]
    assert "every actuator left in its fail-safe state." in text
    for noise in ("exited with", "Failed to connect", "Traceback", "ended abnormally"):
        assert noise not in text, text[-3000:]
    assert said[-1] == f"removed the temporary folder {logs}"
    assert not logs.exists() and not list(tmp_path.glob("greenhouse-demo-*"))


def test_a_demo_that_runs_its_time_says_so_in_vietnamese_and_keeps_its_folder_when_asked(tmp_path: Path) -> None:
    proc, out = _demo(tmp_path, "--duration", "10", "--keep")
    assert proc.wait(timeout=120) == 0, out.read_text()[-3000:]
    text = out.read_text()
    assert text.startswith("Demo nhà màng — 3 nhà màng, broker mqtt://127.0.0.1:")
    assert "Bộ điều khiển Nhà màng cà chua 1: đã dừng" in text and "Mô phỏng nhà màng: đã dừng" in text
    assert "mọi thiết bị ở trạng thái an toàn." in text
    kept = _folder(text, "Dữ liệu và nhật ký giữ ở")
    assert kept.parent == tmp_path and (kept / "edge-ca-chua-1.log").is_file()
    for english in ("greenhouse demo", "stopped", "rule decisions", "fail-safe"):
        assert english not in text, text[-3000:]
