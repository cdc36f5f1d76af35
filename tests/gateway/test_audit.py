""" "Why did zone B's valve open?" — asked of the gateway's audit API after a real edge agent watered zone B."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.clock import Clock
from contract.messages import EventKind
from firmware_sim.physics import InitialConditions
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts
from gateway.api.app import ApiContext
from gateway.api.client import signed_in
from gateway.main import ApiServer
from gateway.service import Gateway, GatewaySettings
from gateway.storage.model import Store
from greenhouse.cli import main
from greenhouse.net import free_port, wait_for_port
from tests.support.accounts import add_user
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeThread, one_greenhouse_site, rules_yaml, stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
GH = "ca-chua-1"
DRY_B = {
    "id": "dry-soil-khu-b",
    "name": "Đất khô khu B",
    "kind": "threshold",
    "metric": {"sensors": ["soil-b1", "soil-b2"]},
    "below": 28,
    "for_s": 60,
    "action": {"actuator": "valve-b", "on_for_s": 300},
}


def test_the_audit_names_the_rule_and_the_soil_readings_behind_a_valve_opening(
    tmp_path: Path,
    mosquitto: Mosquitto,
    open_store: Callable[[], Store],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([DRY_B]))
    initial = InitialConditions(soil_vwc_pct_by_zone={"khu-a": 34.0, "khu-b": 22.0})
    with stack(tmp_path, mosquitto, site, datetime(2026, 1, 15, 5, 30, tzinfo=TZ), speed=60, initial=initial) as s:
        store = open_store()
        gateway = Gateway(site, store, GatewaySettings(broker=s.url, data_dir=tmp_path / "gw"), s.clock)
        gateway.start()
        edge = EdgeThread(s)
        port = free_port()
        accounts = Accounts(tmp_path / "gw", Clock().now)
        password = add_user(accounts, "nong-hoc", Role.AGRONOMIST)
        server = ApiServer(ApiContext.of(gateway, accounts, secure_cookies=False), "127.0.0.1", port)
        server.start()
        p = s.probe
        stack_exit = ExitStack()
        try:
            wait_for_port(port)

            def opened() -> list[datetime]:
                return [
                    e.ts
                    for e in p.events
                    if e.kind is EventKind.ACTUATION and e.actuator == "valve-b" and e.action == "on"
                ]

            p.wait(lambda: opened() != [], 30, "the rule opens zone B's valve")
            opened_at = opened()[0]
            later = opened_at + timedelta(minutes=2)
            p.wait(lambda: gateway.spool.depth() == 0 and s.clock.now() > later, 20, "the events stored")
            url = f"http://127.0.0.1:{port}"
            api = stack_exit.enter_context(signed_in(url, "nong-hoc", password, "en"))
            asked = (opened_at + timedelta(seconds=40)).isoformat()
            answer = api.get(f"/api/v1/greenhouses/{GH}/audit", params={"zone": "khu-b", "at": asked}).json()

            assert answer["actuators"] == ["valve-b", "pump"]
            change, why = answer["change"], answer["decided_by"]
            assert (change["actuator"], change["action"], change["rule"]) == ("valve-b", "on", "dry-soil-khu-b")
            # Stores keep milliseconds.
            assert datetime.fromisoformat(change["ts"]) == opened_at.replace(
                microsecond=opened_at.microsecond // 1000 * 1000
            )
            assert (why["kind"], why["rule"], why["reason"]) == ("decision", "dry-soil-khu-b", "rule_threshold")
            soil = why["inputs"]["mean(soil-b1, soil-b2)"]
            assert soil < 28 and set(why["inputs"]) == {"soil-b1", "soil-b2", "mean(soil-b1, soil-b2)"}
            assert why["text_vi"].startswith("Đất khô khu B: độ ẩm đất trung bình Khu B ")
            assert why["text_en"].endswith(", below 28 % for 1 min") and "soil-b1" not in why["text_en"]
            # The pump went on with the valve, for the same rule.
            assert any(e["actuator"] == "pump" and e["action"] == "on" for e in answer["entries"])

            # The same question from a terminal, signed in as the agronomist (password on stdin, as a script does).
            at_local = (opened_at + timedelta(seconds=40)).astimezone(TZ).isoformat()
            ask = ["rules", "why", "--gateway", url, "--user", "nong-hoc", "--password-stdin", "--greenhouse", GH]
            monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
            assert main([*ask, "--zone", "khu-b", "--at", at_local]) == 0
            printed = capsys.readouterr().out.splitlines()
            assert printed[1].startswith(f"Thay đổi: {opened_at.astimezone(TZ):%Y-%m-%d %H:%M:%S} actuation  valve-b")
            assert printed[2].startswith("Vì: ") and "Đất khô khu B: độ ẩm đất trung bình Khu B " in printed[2]
            assert printed[3].startswith("Số liệu: ") and "soil-b1 = " in printed[3] and "soil-b2 = " in printed[3]
            monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
            assert main([*ask, "--actuator", "valve-z", "--at", at_local]) == 2
            assert "the gateway refused: 422: actuator 'valve-z' is not in greenhouse" in capsys.readouterr().err
            monkeypatch.setattr("sys.stdin", io.StringIO("not-the-password\n"))
            assert main([*ask, "--zone", "khu-b", "--at", at_local, "--lang", "en"]) == 2
            refused = capsys.readouterr().err
            assert "the gateway refused to sign in nong-hoc: 401: Wrong user name or password" in refused

            bad = api.get(f"/api/v1/greenhouses/{GH}/audit", params={"zone": "khu-z", "at": asked})
            assert bad.status_code == 422 and "zone 'khu-z' is not in greenhouse" in bad.json()["detail"]
            naive = api.get(f"/api/v1/greenhouses/{GH}/audit", params={"zone": "khu-b", "at": "2026-01-15T05:40"})
            assert naive.status_code == 422 and "give a UTC offset" in naive.json()["detail"]
        finally:
            stack_exit.close()
            server.stop()
            edge.stop()
            gateway.stop()
            store.close()
            accounts.close()
