"""The web rule desk deploys through the gateway's live feed, against a real Mosquitto and real edge agents: the
offer goes out on the feed's own connection (the broker sees no client come and go for it) and each edge's answer
is waited for on the rules board, so that deploys to several greenhouses at once each get their own answer —
accepted, refused with its reasons, or none in time — and a feed without its broker says so."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml

from contract.clock import Clock
from contract.site import Greenhouse, SiteConfig
from contract.site_file import load_site
from edge.agent import EdgeAgent
from edge.fieldbus.field import FieldIO
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts
from gateway.api import rules_routes
from gateway.api.app import ApiContext
from gateway.ingest.figures import figures_of
from gateway.ingest.receiver import IngestCounters
from gateway.ingest.spool import Spool
from gateway.live.registry import Registry
from gateway.live.service import Live
from gateway.main import ApiServer
from gateway.storage.sqlite import SqliteStore
from greenhouse.net import free_port, wait_for_port
from greenhouse.runtime_site import on_free_ports
from rules.model import RuleSet
from tests.conftest import EXAMPLE_SITE
from tests.support.accounts import add_user
from tests.support.mosquitto import Mosquitto
from tests.support.stack import Stack, stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 3, 10, 9, 0, tzinfo=TZ)
TAKES = "ca-chua-1"  # its edge knows the site as the gateway does
OLDER = "rau-la-1"  # its edge's site file predates the mister: it refuses a set that uses it
SILENT = "ca-chua-2"  # no edge runs


def _rules(version: int, actuator: str, rule_id: str) -> str:
    rule = {"id": rule_id, "kind": "schedule", "cron": "0 6 * * *", "action": {"actuator": actuator, "on_for_s": 60}}
    return yaml.safe_dump({"version": version, "rules": [rule]}, sort_keys=False)


def _site(tmp: Path) -> SiteConfig:
    site = on_free_ports(load_site(EXAMPLE_SITE), tmp / "tty")
    # Loopback answers within milliseconds: a field timeout of a second would be a minute of simulated time.
    houses = [
        site.greenhouse(g).model_copy(update={"buses": [b.model_copy(update={"timeout_s": 0.2}) for b in bs]})
        for g in (TAKES, OLDER, SILENT)
        for bs in [site.greenhouse(g).buses]
    ]
    return SiteConfig.model_validate(site.model_copy(update={"greenhouses": houses}).model_dump())


def _without_mister(gh: Greenhouse) -> Greenhouse:
    data = gh.model_dump()
    for node in data["nodes"]:
        node["actuators"] = [a for a in node["actuators"] if a["id"] != "mister"]
    return Greenhouse.model_validate(data)


class _Edge:
    """An edge agent in this process, for one greenhouse of the stack's site as ``gh`` describes it."""

    def __init__(self, s: Stack, gh: Greenhouse) -> None:
        self.agent = EdgeAgent(s.site, gh, s.url, s.tmp / "edge" / gh.id, s.clock, FieldIO(gh), RuleSet(version=1))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.agent.run, args=(self._stop,), name=f"edge-{gh.id}")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self) -> None:
        self._thread.join(timeout=20)


@dataclass
class _Desk:
    url: str
    password: str
    live: Live
    stack: Stack
    edges: list[_Edge]

    def technician(self) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=30, headers={"Accept-Language": "en"})
        response = client.post("/api/v1/login", json={"user": "ky-thuat", "password": self.password})
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client


@contextmanager
def _desk(tmp: Path, mosquitto: Mosquitto) -> Iterator[_Desk]:
    site = _site(tmp)
    with stack(tmp, mosquitto, site, START, speed=30) as s:
        store, spool = SqliteStore(tmp / "history.sqlite3"), Spool(tmp / "spool.sqlite3")
        accounts = Accounts(tmp / "gw", Clock().now)
        live = Live(site, store, s.url, s.clock, "1")
        ctx = ApiContext(
            site,
            store,
            Registry(site),
            partial(figures_of, spool, IngestCounters()),
            s.clock.now,
            accounts,
            False,
            live,
        )
        port = free_port()
        server = ApiServer(ctx, "127.0.0.1", port)
        live.start()
        server.start()
        edges = [_Edge(s, site.greenhouse(TAKES)), _Edge(s, _without_mister(site.greenhouse(OLDER)))]
        try:
            wait_for_port(port)

            def heard() -> bool:
                return all(live.feed.rules.now(site.greenhouse(g)).report for g in (TAKES, OLDER))

            s.probe.wait(heard, 30, "both edges' rules reports on the board")
            password = add_user(accounts, "ky-thuat", Role.TECHNICIAN, site.cooperative.id, None)
            yield _Desk(f"http://127.0.0.1:{port}", password, live, s, edges)
        finally:
            # Both told at once: each takes its fail-safe and sends what it holds (a couple of seconds) side by side.
            for edge in edges:
                edge.stop()
            for edge in edges:
                edge.join()
            server.stop()
            live.stop()
            spool.close()
            store.close()
            accounts.close()


def _connections(mosquitto: Mosquitto) -> list[str]:
    """Every client connection the broker has logged (log_type notice), in order."""
    lines = mosquitto.log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if "New client connected" in line]


def _deploy(desk: _Desk, greenhouse: str, text: str) -> dict[str, Any]:
    with closing(desk.technician()) as tech:
        response = tech.post(f"/api/v1/greenhouses/{greenhouse}/rules/deploy", json={"yaml": text})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_deploys_at_once_each_get_their_own_answer_over_the_feeds_connection(
    tmp_path: Path, mosquitto: Mosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The silent greenhouse's deploy waits this long for an answer that never comes; the edges here answer on
    # loopback within a fraction of a second, so three seconds is still plenty for their answers to be taken.
    monkeypatch.setattr(rules_routes, "DEPLOY_WAIT_S", 3.0)
    with _desk(tmp_path, mosquitto) as desk:
        texts = {
            TAKES: _rules(40, "valve-a", "tuoi-khu-a"),
            OLDER: _rules(41, "mister", "phun-suong"),
            SILENT: _rules(42, "fan", "quat-sang"),
        }
        before = _connections(mosquitto)
        assert before, "the broker logs its clients' connections"
        with ThreadPoolExecutor(max_workers=len(texts)) as pool:
            futures = {g: pool.submit(_deploy, desk, g, text) for g, text in texts.items()}
            answers = {g: f.result() for g, f in futures.items()}
        # The feed's client carried every offer: no client of a request's own connected to the broker.
        assert _connections(mosquitto) == before

        took, refused, silent = answers[TAKES], answers[OLDER], answers[SILENT]
        assert all(a["published"] for a in answers.values())
        assert (took["report"]["greenhouse"], took["report"]["outcome"], took["report"]["active_version"]) == (
            TAKES,
            "accepted",
            40,
        )
        assert took["text_en"] == ["ca-chua-1: now running version 40"]
        assert took["text_vi"] == ["ca-chua-1: đang chạy phiên bản 40"]
        assert (refused["report"]["greenhouse"], refused["report"]["outcome"]) == (OLDER, "refused")
        assert refused["report"]["active_version"] == 1
        assert refused["text_en"] == [
            "rau-la-1: REFUSED, still running version 1:",
            "    rule 'phun-suong': actuator 'mister' is not in greenhouse 'rau-la-1'",
        ]
        assert refused["text_vi"] == [
            "rau-la-1: TỪ CHỐI, vẫn chạy phiên bản 1:",
            "    luật 'phun-suong': nhà 'rau-la-1' không có thiết bị 'mister'",
        ]
        assert silent["report"] is None
        assert silent["text_en"] == ["ca-chua-2: no answer yet (offline?): it will take the rules when it reconnects"]

        # The board learnt the published text from the feed too: the page shows what now runs.
        now = desk.live.feed.rules.now(desk.stack.site.greenhouse(TAKES))
        assert (now.yaml_source, now.yaml) == ("published", texts[TAKES])


def test_a_deploy_while_the_feed_has_lost_the_broker_is_refused_until_it_is_back(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    with _desk(tmp_path, mosquitto) as desk:
        feed, probe = desk.live.feed, desk.stack.probe
        with closing(desk.technician()) as tech:
            mosquitto.stop()
            probe.wait(lambda: not feed.connected.is_set(), 10, "the feed notices the broker gone")
            text = _rules(40, "fan", "quat")
            response = tech.post(f"/api/v1/greenhouses/{TAKES}/rules/deploy", json={"yaml": text})
            assert response.status_code == 503 and "broker unreachable" in response.text
            mosquitto.start()
            probe.wait(lambda: feed.connected.is_set() and desk.edges[0].agent.link.connected, 30, "all back")
            again = tech.post(f"/api/v1/greenhouses/{TAKES}/rules/deploy", json={"yaml": text}).json()
            assert (again["report"]["outcome"], again["report"]["active_version"]) == ("accepted", 40)
