"""A whole gateway as a phone meets it: real Mosquitto, a simulated greenhouse with its edge agent, the
gateway's ingest and live side, its API on a free port, and users to sign in as; with a roster, its notifier too
(built as `greenhouse gateway` builds it, from the files in its data dir)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import yaml

from contract.clock import Clock
from firmware_sim.physics import InitialConditions
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts
from gateway.api.app import ApiContext
from gateway.live.service import Live
from gateway.main import ApiServer
from gateway.notify.phone_book import PHONE_BOOK_FILE, PhoneBook
from gateway.notify.roster import ROSTER_FILE, Roster
from gateway.notify.service import NotifyService
from gateway.notify.setup import VAPID_FILE, build_notifier
from gateway.notify.webpush import PushSubscription, VapidKeys
from gateway.service import Gateway, GatewaySettings
from gateway.storage.sqlite import SqliteStore
from greenhouse.net import free_port, wait_for_port
from greenhouse.runtime_site import write_site
from tests.support.accounts import add_user
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeThread, Stack, one_greenhouse_site, rules_yaml, stack

T = TypeVar("T")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 3, 10, 9, 0, tzinfo=TZ)


@dataclass
class Phone:
    url: str
    passwords: dict[str, str]
    stack: Stack
    edge: EdgeThread
    notify: NotifyService

    def login(self, name: str, lang: str = "vi") -> httpx.Client:
        """A client signed in as ``name``, sending the session's CSRF token with every request."""
        client = httpx.Client(base_url=self.url, timeout=30, headers={"Accept-Language": lang})
        response = client.post("/api/v1/login", json={"user": name, "password": self.passwords[name]})
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client


@contextmanager
def serve_phone(
    tmp: Path,
    mosquitto: Mosquitto,
    rules: list[dict[str, Any]],
    users: dict[str, tuple[Role, str, list[str] | None]],
    initial: InitialConditions | None = None,
    roster: Roster | None = None,
    vapid: VapidKeys | None = None,
    smsd_root: Path | None = None,
    phones: dict[str, PushSubscription] | None = None,
) -> Iterator[Phone]:
    """``phones``: each account's phone that turned notifications on before the gateway started."""
    site = one_greenhouse_site(tmp, rules=rules_yaml(rules))
    data_dir = tmp / "gateway"
    data_dir.mkdir(parents=True, exist_ok=True)
    if roster is not None:
        (data_dir / ROSTER_FILE).write_text(yaml.safe_dump(roster.model_dump(mode="json"), allow_unicode=True))
    if vapid is not None:
        vapid.save(data_dir / VAPID_FILE)
    book = PhoneBook(data_dir / PHONE_BOOK_FILE)
    for account, sub in (phones or {}).items():
        book.subscribe(account, sub, START)
    book.close()
    with stack(tmp, mosquitto, site, START, speed=30, initial=initial) as s:
        store = SqliteStore(tmp / "history.sqlite3")
        gateway = Gateway(site, store, GatewaySettings(broker=s.url, data_dir=data_dir), s.clock)
        accounts = Accounts(data_dir, Clock().now)
        live = Live(site, store, s.url, s.clock, "1")
        notify = build_notifier(site, live, s.clock, data_dir, smsd_root)
        port = free_port()
        site_path = write_site(site, tmp / "site.yaml")  # for the set-up page to edit
        ctx = ApiContext.of(gateway, accounts, False, live, site_path=site_path, notify=notify, data_dir=data_dir)
        server = ApiServer(ctx, "127.0.0.1", port)
        gateway.start()
        live.start()
        server.start()
        notify.start()
        edge = EdgeThread(s)
        try:
            wait_for_port(port)
            # The edge tells its state once its first poll is in: a command before it would find no readings.
            gh = site.greenhouses[0].id
            s.probe.wait(lambda: s.probe.latest_state(gh) is not None, 30, "the edge has read its sensors")
            passwords = {name: add_user(accounts, name, *spec) for name, spec in users.items()}
            yield Phone(f"http://127.0.0.1:{port}", passwords, s, edge, notify)
        finally:
            edge.stop()
            notify.stop()
            server.stop()
            live.stop()
            gateway.stop()
            accounts.close()


def timeline(client: httpx.Client, greenhouse: str, alert_id: object) -> list[dict[str, str]]:
    """An alert's timeline as the app asks for it: each line's time, whether it went well, and its words."""
    answer = client.get(f"/api/v1/greenhouses/{greenhouse}/alerts/{alert_id}/timeline")
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, str]] = answer.json()["entries"]
    return entries


def until(get: Callable[[], T | None], what: str, timeout_s: float = 45) -> T:
    """``get()`` again and again until it finds something; its absence after ``timeout_s`` fails the test."""
    deadline = time.monotonic() + timeout_s
    while (found := get()) is None:
        assert time.monotonic() < deadline, f"no {what} in {timeout_s:.0f} s"
        time.sleep(0.2)
    return found
