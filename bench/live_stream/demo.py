"""The demo as a user starts it (``greenhouse demo``), at a speed where the stream still sees every poll on its
own, with a farmer of every greenhouse to sign in as."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from contract.clock import Clock
from contract.site_file import load_site
from gateway.accounts.models import UserSpec
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts
from greenhouse.net import free_port

USER = "bench-farmer"
_START_S = 90  # the simulator, the broker, three edges and the gateway
_STOP_S = 60


@dataclass(frozen=True)
class RunningDemo:
    url: str
    user: str
    password: str
    greenhouses: int


def _wait_for_api(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _START_S
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/sw.js", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the demo's API did not answer:\n{log.read_text(errors='replace')[-2000:]}")


def _add_farmer(data_dir: Path) -> tuple[str, int]:
    """A farmer who sees every greenhouse of the demo's site: their password, and how many greenhouses."""
    site = load_site(data_dir / "site.yaml")
    password = secrets.token_urlsafe(12)
    accounts = Accounts(data_dir, Clock().now)
    try:
        houses = frozenset(g.id for g in site.greenhouses)
        spec = UserSpec(name=USER, role=Role.FARMER, cooperative=site.cooperative.id, greenhouses=houses)
        accounts.users.add(spec, password)
    finally:
        accounts.close()
    return password, len(houses)


@contextmanager
def running_demo(data_dir: Path, speed: float, wall_s: float) -> Iterator[RunningDemo]:
    port = free_port()
    log = data_dir / "demo.out"
    args = ["demo", "--plain", "--speed", f"{speed:g}", "--duration", f"{wall_s:.0f}", "--data-dir", str(data_dir)]
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "greenhouse", *args, "--http-port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for_api(url, proc, log)
        password, houses = _add_farmer(data_dir)
        yield RunningDemo(url, USER, password, houses)
    finally:
        proc.send_signal(signal.SIGINT)  # as Ctrl-C: the edges to fail-safe, then the rest
        try:
            proc.wait(timeout=_STOP_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
