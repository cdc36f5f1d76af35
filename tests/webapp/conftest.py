"""The phone web app in a real headless Chromium (Debian's, driven by Playwright) against a running
`greenhouse demo`, at phone size; screenshots of the main screens are kept in test-artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import yaml

from contract.clock import Clock
from contract.site_file import load_site
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts
from greenhouse.demo.roster import write_demo_roster
from greenhouse.net import free_port
from tests.conftest import EXAMPLE_SITE
from tests.support.accounts import add_user
from tests.support.demo_app import printed_app
from tests.support.stack import REPO

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
# The demo roster's farmer on duty for every greenhouse, as this sign-in name (made below): phone notifications
# of her alerts go to the phones this account turns them on with.
FARMER = "nong-dan"
FARMER_ON_DUTY = "lan"
# Fast enough that a one-minute watering takes 3 s and a sensor changes every 1.5 s (30 s polls), slow
# enough for a screen to be read between two changes.
SPEED = 20
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_browser() -> None:
    """Called at the top of each browser test module: skips it, saying what to install, where there is none."""
    pytest.importorskip("playwright.sync_api", reason="pip install playwright (not its browser download)")
    if not CHROMIUM.exists():
        pytest.skip("apt-get install chromium chromium-driver", allow_module_level=True)


@dataclass(frozen=True)
class Demo:
    url: str
    pid: int  # the demo's own process; its children are the simulator, the gateway and the edge agents
    data_dir: Path
    passwords: dict[str, str]  # user → password


def _roster_with_farmer_account(data_dir: Path) -> None:
    """The demo's own roster, written before the demo starts (it keeps a roster it finds), with its farmer on duty
    signed in as FARMER: a browser test can then turn notifications on as the person alerts go to first."""
    path = write_demo_roster(load_site(EXAMPLE_SITE), data_dir)
    roster = yaml.safe_load(path.read_text("utf-8"))
    for person in roster["people"]:
        if person["id"] == FARMER_ON_DUTY:
            person["account"] = FARMER
    path.write_text(yaml.safe_dump(roster, allow_unicode=True, sort_keys=False), "utf-8")


def _wait_for_app(url: str, out: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/sw.js", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url}/sw.js never answered; the demo said:\n{out.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """One demo for every browser test: three greenhouses, history in SQLite, the app on its API port."""
    data_dir = tmp_path_factory.mktemp("demo")
    port = free_port()
    out = data_dir / "demo.out"
    args = ["demo", "--plain", "--speed", str(SPEED), "--duration", "1800", "--data-dir", str(data_dir)]
    _roster_with_farmer_account(data_dir)
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "greenhouse", *args, "--http-port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))},
        )
    try:
        app = printed_app(out, proc)
        passwords, url = {"demo-admin": app.admin_password}, app.url
        _wait_for_app(url, out)
        accounts = Accounts(data_dir, Clock().now)
        try:
            passwords[FARMER] = add_user(accounts, FARMER, Role.FARMER, greenhouses=["ca-chua-1", "rau-la-1"])
            passwords["ky-su"] = add_user(accounts, "ky-su", Role.AGRONOMIST)
            passwords["ky-thuat"] = add_user(accounts, "ky-thuat", Role.TECHNICIAN)
        finally:
            accounts.close()
        yield Demo(url, proc.pid, data_dir, passwords)
    finally:
        proc.send_signal(signal.SIGINT)  # as Ctrl-C: edges to fail-safe, then the rest
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def phone_context(
    profile: Path, timezone_id: str = "Asia/Ho_Chi_Minh", extra_args: tuple[str, ...] = ()
) -> Iterator[BrowserContext]:
    """A phone-size Chromium with a fresh profile, in Vietnamese, set to ``timezone_id`` (Vietnam's unless a test
    gives its owner another); ``extra_args`` for Chromium besides the usual ones."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, *extra_args],
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="vi-VN",
            timezone_id=timezone_id,
        )
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[BrowserContext]:
    """A phone-size Chromium with a fresh profile, in Vietnam's time zone and language."""
    with phone_context(tmp_path / "profile") as context:
        yield context


@pytest.fixture(scope="session")
def screenshot() -> Callable[..., None]:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)

    def take(page: Page, name: str, full_page: bool = False) -> None:
        """What the phone's screen shows; with ``full_page``, the whole screen as if scrolled through."""
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    return take


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.iterdir()):
        terminalreporter.write_line(f"phone screenshots of the web app: {SCREENSHOTS}")


def sign_in(page: Page, demo: Demo, user: str = "demo-admin") -> None:
    page.goto(demo.url + "/")
    page.fill("#user", user)
    page.fill("#password", demo.passwords[user])
    page.click("button[type=submit]")
    page.wait_for_selector(".card, .desk")  # the greenhouses, or the agronomist's history explorer


def edge_pid(demo: Demo, greenhouse: str) -> int:
    """The demo's edge agent of one greenhouse, among the demo's own children."""
    for task in Path(f"/proc/{demo.pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if b"edge" in cmdline and greenhouse.encode() in cmdline:
                return int(child)
    raise AssertionError(f"no edge agent of {greenhouse} under the demo")


@contextmanager
def paused_edge(demo: Demo, greenhouse: str) -> Iterator[None]:
    """The greenhouse's edge agent paused, as a hung computer would be (a killed one would end the whole demo)."""
    edge = edge_pid(demo, greenhouse)
    os.kill(edge, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(edge, signal.SIGCONT)


def wait_silent(page: Page, greenhouse: str) -> None:
    """Until the gateway says the greenhouse is silent (three missed polls, five simulated minutes)."""
    deadline = time.monotonic() + 60
    script = """async (gh) => (await (await fetch("/api/v1/live/greenhouses")).json())
        .find((g) => g.greenhouse === gh).silent"""
    while not page.evaluate(script, greenhouse):
        assert time.monotonic() < deadline, f"{greenhouse} never went silent"
        page.wait_for_timeout(500)
