"""The real gateway over a damaged spool and a damaged or lost accounts file: each is kept aside, what can be
read of it is taken up (queued messages written in order, users able to sign in), the gateway starts, and the
ingest report and the log say what happened. What an edge says of its own files reaches the alerts list."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract.clock import Clock
from contract.kinds import Quality
from contract.messages import Availability, Event, EventKind, Reading, Severity, Status, TelemetryBatch
from contract.mqtt import BrokerUrl
from contract.reasons import Reason, render
from contract.site_file import load_site
from gateway.accounts.db import accounts_path
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts
from gateway.api.app import ApiContext
from gateway.api.client import signed_in
from gateway.ingest.spool import Received, Spool
from gateway.live.alerts import AlertBoard
from gateway.live.registry import Registry
from gateway.main import ApiServer
from gateway.service import Gateway, GatewaySettings
from gateway.storage.sqlite import SqliteStore
from greenhouse.net import free_port, wait_for_port
from tests.conftest import EXAMPLE_SITE
from tests.support.accounts import add_user
from tests.support.damage import Damage, damage, kept_aside

SITE = load_site(EXAMPLE_SITE)
GH = SITE.greenhouses[0]
T0 = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
N = 300  # about a hundred pages of queued batches


def _batch(seq: int) -> TelemetryBatch:
    at = T0 + timedelta(seconds=30 * seq)
    readings = [Reading(sensor=s.id, kind=s.kind, value=20.0, ts=at, quality=Quality.GOOD) for s in GH.sensors.values()]
    return TelemetryBatch(site=SITE.cooperative.id, greenhouse=GH.id, seq=seq, sent_at=at, readings=readings)


def _gateway(data: Path, store: SqliteStore) -> Gateway:
    settings = GatewaySettings(broker=BrokerUrl.parse("mqtt://127.0.0.1:1"), data_dir=data)
    return Gateway(SITE, store, settings, Clock(origin=T0 + timedelta(hours=3)))


def _spool_path(data: Path) -> Path:
    return data / f"gateway-{SITE.cooperative.id}-1-spool.sqlite3"


def _queued(data: Path) -> list[TelemetryBatch]:
    """A gateway stopped with ``N`` batches in its spool, not yet written (the store was down)."""
    batches = [_batch(seq) for seq in range(1, N + 1)]
    spool = Spool(_spool_path(data))
    for b in batches:
        spool.commit([Received("telemetry", b.to_json())], [])
    spool.close()
    return batches


@pytest.mark.parametrize("how", [Damage.TRUNCATED, Damage.OVERWRITTEN, Damage.HEADER_SMASHED])
def test_a_damaged_spool_is_kept_aside_and_what_it_held_is_written_in_order(tmp_path: Path, how: Damage) -> None:
    data = tmp_path / "gw"
    queued = _queued(data)
    damaged = damage(_spool_path(data), how)

    store = SqliteStore(tmp_path / "history.sqlite3")
    gateway = _gateway(data, store)  # before this change: sqlite3.DatabaseError, and the gateway does not start
    report = gateway.spool.recovery
    assert report is not None and 0 < report.salvaged["inbox"] <= N
    [kept] = kept_aside(_spool_path(data))
    assert kept.read_bytes() == damaged
    taken = [TelemetryBatch.model_validate_json(r.payload) for r in gateway.spool.take(N, 1_000_000)]
    assert len(taken) == report.salvaged["inbox"]
    assert all(b == queued[b.seq - 1] for b in taken), "nothing made up from garbage"
    assert [b.seq for b in taken] == sorted(b.seq for b in taken), "in the order they arrived"

    while gateway.writer.drain_once():
        pass
    assert gateway.spool.depth() == 0
    assert gateway.registry.house_health(GH.id, T0).last_seq == taken[-1].seq
    gateway.spool.close()
    store.close()


def test_damaged_spool_and_accounts_show_in_the_ingest_report_and_their_users_still_sign_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "gw"
    _queued(data)
    accounts = Accounts(data, Clock().now)
    passwords = {"ky-thuat": add_user(accounts, "ky-thuat", Role.TECHNICIAN)}
    passwords["nong-dan"] = add_user(accounts, "nong-dan", Role.FARMER)
    accounts.close()
    damage(_spool_path(data), Damage.HEADER_SMASHED)
    damage(accounts_path(data), Damage.HEADER_SMASHED)

    store = SqliteStore(tmp_path / "history.sqlite3")
    gateway = _gateway(data, store)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        accounts = Accounts(data, Clock().now)
    [said] = [r for r in caplog.records if r.name == "gateway.accounts.db"]
    assert said.levelno == logging.ERROR and said.__dict__["users_saved"] == 2
    assert kept_aside(accounts_path(data))
    assert all(accounts.users.authenticate(name, password) for name, password in passwords.items())

    port = free_port()
    server = ApiServer(ApiContext.of(gateway, accounts, secure_cookies=False), "127.0.0.1", port)
    server.start()
    try:
        wait_for_port(port)
        with signed_in(f"http://127.0.0.1:{port}", "ky-thuat", passwords["ky-thuat"], "en") as api:
            report = api.get("/api/v1/ingest").json()
    finally:
        server.stop()
        gateway.spool.close()
        store.close()
        accounts.close()
    damaged = {Path(d["path"]).name: d for d in report["damaged_stores"]}
    assert set(damaged) == {_spool_path(data).name, accounts_path(data).name}
    assert damaged[_spool_path(data).name]["salvaged"]["inbox"] == N
    assert damaged[accounts_path(data).name]["salvaged"]["users"] == 2
    assert report["spool_depth"] == N


@pytest.mark.parametrize(("lose", "level"), [("zero_bytes", logging.ERROR), ("deleted", logging.WARNING)])
def test_an_accounts_file_lost_is_said_in_the_log_not_passed_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, lose: str, level: int
) -> None:
    data = tmp_path / "gw"
    accounts = Accounts(data, Clock().now)
    add_user(accounts, "quan-tri", Role.ADMIN)
    accounts.close()
    Spool(_spool_path(data)).close()  # the gateway ran here: its spool is beside the accounts file
    if lose == "deleted":
        accounts_path(data).unlink()
    else:
        damage(accounts_path(data), Damage.ZERO_BYTES)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        accounts = Accounts(data, Clock().now)
    assert accounts.users.all() == []
    accounts.close()
    [said] = [r for r in caplog.records if r.name == "gateway.accounts.db"]
    assert said.levelno == level and "user" in said.getMessage()


def test_the_edges_alerts_about_its_files_are_each_an_alert_of_their_own(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "history.sqlite3")
    board, registry = AlertBoard(SITE, store), Registry(SITE)
    registry.apply(Status(site=SITE.cooperative.id, greenhouse=GH.id, state=Availability.ONLINE, ts=T0), T0)
    told = [(Reason.OUTBOX_DAMAGED, {"saved": "41"}), (Reason.MEMORY_DAMAGED, {"saved": "1"})]
    for minute, (reason, params) in enumerate(told):
        at = T0 + timedelta(minutes=minute)
        alert = Event(
            site=SITE.cooperative.id,
            greenhouse=GH.id,
            ts=at,
            kind=EventKind.ALERT,
            severity=Severity.WARNING,
            action="raised",
            reason=reason,
            reason_params=params,
        )
        assert board.add(alert)
    listed = board.alerts(GH.id, registry.house_health(GH.id, T0))
    texts = {a.text_en for a in listed if a.active}
    assert texts == {render(reason, params, "en") for reason, params in told}, "not folded into one"
    store.close()


def test_a_first_start_in_an_empty_folder_is_no_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        Accounts(tmp_path / "new", Clock().now).close()
    assert [r for r in caplog.records if r.name == "gateway.accounts.db"] == []
