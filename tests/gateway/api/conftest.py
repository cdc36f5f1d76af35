"""A real gateway API (uvicorn on a free port) over the example site, with users of two cooperatives and a clock
the tests move by hand, so that expiry and sign-in limits are tested without waiting."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import httpx
import pytest

from contract.site_file import load_site
from gateway.accounts.limits import LimitSettings
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts
from gateway.api.app import ApiContext
from gateway.diary.book import DiaryBook
from gateway.diary.store import DIARY_FILE, DiaryStore
from gateway.ingest.figures import figures_of
from gateway.ingest.receiver import IngestCounters
from gateway.ingest.spool import Spool
from gateway.live.registry import Registry
from gateway.main import ApiServer
from gateway.site_setup import SiteFile
from gateway.storage.sqlite import SqliteStore
from greenhouse.net import free_port, wait_for_port
from greenhouse.runtime_site import write_site
from rules.model import rules_file_text
from tests.conftest import EXAMPLE_SITE
from tests.support.accounts import add_user

OTHER_COOPERATIVE = "htx-bac-ha"
LIMITS = LimitSettings(window=timedelta(minutes=15), per_name_from_address=3, per_address=6)
SESSION_TTL = timedelta(hours=8)


class ManualClock:
    def __init__(self) -> None:
        self._now = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


@dataclass
class Api:
    url: str
    data_dir: Path
    accounts: Accounts
    clock: ManualClock
    passwords: dict[str, str] = field(default_factory=dict)

    def anonymous(self, lang: str = "vi") -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, headers={"Accept-Language": lang})

    def login(self, name: str, lang: str = "vi") -> httpx.Client:
        """A client signed in as ``name``, sending the session's CSRF token with every request."""
        client = self.anonymous(lang)
        response = client.post("/api/v1/login", json={"user": name, "password": self.passwords[name]})
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client


# name: (role, cooperative, greenhouses the user is limited to)
USERS: dict[str, tuple[Role, str, list[str] | None]] = {
    "quan-tri": (Role.ADMIN, "htx-moc-chau", None),
    "ky-thuat": (Role.TECHNICIAN, "htx-moc-chau", None),
    "nong-hoc": (Role.AGRONOMIST, "htx-moc-chau", None),
    "nong-dan": (Role.FARMER, "htx-moc-chau", ["ca-chua-1"]),
    "bac-ha-admin": (Role.ADMIN, OTHER_COOPERATIVE, None),
    "bac-ha-ky-thuat": (Role.TECHNICIAN, OTHER_COOPERATIVE, None),
}


def serve(tmp: Path, secure_cookies: bool = False, diary: bool = False) -> Iterator[Api]:
    """``diary``: with the record book and the public lot pages (their files in the gateway's data folder)."""
    site = load_site(EXAMPLE_SITE)
    clock = ManualClock()
    accounts = Accounts(tmp / "gw", clock.now, session_ttl=SESSION_TTL, limits=LIMITS)
    store = SqliteStore(tmp / "history.sqlite3")
    spool = Spool(tmp / "spool.sqlite3")
    site_file = SiteFile(write_site(site, tmp / "site.yaml"), site, rules_file_text)
    book = DiaryBook(site, DiaryStore(tmp / "gw" / DIARY_FILE), clock.now) if diary else None
    ctx = ApiContext(
        site,
        store,
        Registry(site),
        partial(figures_of, spool, IngestCounters()),
        clock.now,
        accounts,
        secure_cookies,
        site_file=site_file,
        data_dir=tmp / "gw" if diary else None,
        diary=book,
    )
    port = free_port()
    server = ApiServer(ctx, "127.0.0.1", port)
    server.start()
    try:
        wait_for_port(port)
        api = Api(f"http://127.0.0.1:{port}", tmp / "gw", accounts, clock)
        for name, (role, cooperative, greenhouses) in USERS.items():
            api.passwords[name] = add_user(accounts, name, role, cooperative, greenhouses)
        yield api
    finally:
        server.stop()
        spool.close()
        store.close()
        accounts.close()
        if book is not None:
            book.close()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from serve(tmp_path)
