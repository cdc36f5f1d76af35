"""The whole gateway API, every router of it, for the hostile-input tests: the example site with three days of
stored history, the live side on a Mosquitto of its own, the site file to edit, and a user of each role of the
site's cooperative. Sessions are started on the accounts directly, so that a test can have as many as it needs without
sign-in limits (which the sign-in tests cover) holding it off."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract.clock import Clock
from contract.mqtt import BrokerUrl
from contract.site import SiteConfig
from contract.site_file import load_site
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts
from gateway.accounts.sessions import csrf_token
from gateway.api.app import ApiContext
from gateway.api.auth import CSRF_HEADER, SESSION_COOKIE
from gateway.diary.book import DiaryBook
from gateway.diary.store import DIARY_FILE, DiaryStore
from gateway.ingest.figures import figures_of
from gateway.ingest.receiver import IngestCounters
from gateway.ingest.spool import Spool
from gateway.live.registry import Registry
from gateway.live.service import Live
from gateway.main import ApiServer
from gateway.notify.setup import build_notifier
from gateway.site_setup import SiteFile
from gateway.storage.sqlite import SqliteStore
from greenhouse.net import free_port, wait_for_port
from greenhouse.runtime_site import write_site
from rules.model import rules_file_text
from tests.conftest import EXAMPLE_SITE
from tests.support.accounts import add_user
from tests.support.demo_history import demo_points
from tests.support.mosquitto import Mosquitto

# The one user of each role; the farmer is given one greenhouse, as farmers are.
USERS: dict[Role, str] = {
    Role.ADMIN: "quan-tri",
    Role.TECHNICIAN: "ky-thuat",
    Role.FARMER: "nong-dan",
    Role.AGRONOMIST: "nong-hoc",
}
FARMERS_GREENHOUSE = "ca-chua-1"
# Every kind of caller: no one signed in, then each role.
CALLERS: list[Role | None] = [None, *USERS]


@dataclass
class FullApi:
    url: str
    site: SiteConfig
    accounts: Accounts

    def openapi(self) -> dict[str, Any]:
        """The schema the gateway serves: what the tests draw their requests from."""
        schema: dict[str, Any] = httpx.get(f"{self.url}/openapi.json", timeout=30).json()
        return schema

    def headers(self, role: Role | None) -> dict[str, str]:
        """A new session of the role's user, as a browser sends it (cookie and CSRF token); None: no one."""
        if role is None:
            return {}
        user = self.accounts.users.get(USERS[role])
        assert user is not None
        token = self.accounts.sessions.start(user)
        return {"Cookie": f"{SESSION_COOKIE}={token}", CSRF_HEADER: csrf_token(token)}


@pytest.fixture(scope="module", name="whole_api")
def whole_api_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FullApi]:
    """``whole_api``: one gateway for a test module, which imports this function to have the fixture."""
    with full_api(tmp_path_factory.mktemp("gateway")) as api:
        yield api


@contextmanager
def full_api(tmp: Path) -> Iterator[FullApi]:
    broker = Mosquitto(tmp / "mosquitto")
    broker.start()
    try:
        with _serve(tmp, BrokerUrl.parse(broker.url)) as api:
            yield api
    finally:
        broker.stop()


@contextmanager
def _serve(tmp: Path, broker: BrokerUrl) -> Iterator[FullApi]:
    site = load_site(EXAMPLE_SITE)
    clock = Clock()
    accounts = Accounts(tmp / "gw", clock.now)
    for role, name in USERS.items():
        add_user(accounts, name, role, greenhouses=[FARMERS_GREENHOUSE] if role is Role.FARMER else None)
    store = SqliteStore(tmp / "history.sqlite3")
    store.write(demo_points(site, clock.now().replace(second=0, microsecond=0)))
    spool = Spool(tmp / "spool.sqlite3")
    live = Live(site, store, broker, clock, "fuzz")
    notify = build_notifier(site, live, clock, tmp / "gw")  # no roster: it tells nobody, its routes still answer
    site_file = SiteFile(write_site(site, tmp / "site" / "site.yaml"), site, rules_file_text)
    diary = DiaryBook(site, DiaryStore(tmp / "gw" / DIARY_FILE), clock.now)
    ctx = ApiContext(
        site,
        store,
        Registry(site),
        partial(figures_of, spool, IngestCounters()),
        clock.now,
        accounts,
        secure_cookies=False,
        live=live,
        site_file=site_file,
        pulses=(live.feed.pulse,),
        notify=notify,
        data_dir=tmp / "gw",
        diary=diary,
    )
    port = free_port()
    server = ApiServer(ctx, "127.0.0.1", port)
    live.start()
    server.start()
    notify.start()
    try:
        wait_for_port(port)
        yield FullApi(f"http://127.0.0.1:{port}", site, accounts)
    finally:
        notify.stop()
        server.stop()
        live.stop()
        spool.close()
        store.close()
        accounts.close()
        diary.close()
