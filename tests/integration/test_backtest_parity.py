"""One control cycle: what the edge agent did with its rules, recorded by the gateway, is what the backtest of
the same rules over the same recorded readings says it would have done — same runs of the same actuators, each
started within a poll of the other. A backtest is only worth something while it does what the field does."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.messages import Event
from desk.backtest import replay
from gateway.service import Gateway, GatewaySettings
from gateway.storage import points
from gateway.storage.recorded import backtest_stored, recorded_polls, recorded_runs
from gateway.storage.sqlite import SqliteStore
from rules.model import load_rules
from tests.conftest import EXAMPLE_SITE
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeThread, one_greenhouse_site, stack

pytestmark = pytest.mark.slow

# A cold January dawn at the demo's tomato house: the heater, the vents and the 06:00 watering all act.
START = datetime(2026, 1, 15, 5, 45, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
SPEED = 120
HOURS = 1.5
TOMATO_RULES = (EXAMPLE_SITE.parent / "rules" / "tomato.yaml").read_text(encoding="utf-8")


# Made by the agent around the cycle: its start and stop, and the contact with its field devices (a node gone, an
# output whose read-back lagged its write on a loaded machine): the field's, which no replay of readings can know.
_NOT_THE_CYCLE = ("fail_safe", "node_", "output_did_not_switch")


def _said(kind: str, actuator: str | None, action: str, reason: str) -> tuple[str, str, str, str]:
    return str(kind), actuator or "", action, str(reason)


@pytest.mark.timeout(240)
def test_the_backtest_of_the_rules_the_edge_ran_finds_what_the_edge_did(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=TOMATO_RULES)
    gh = site.greenhouses[0]
    store = SqliteStore(tmp_path / "history.sqlite3")
    with stack(tmp_path, mosquitto, site, START, speed=SPEED) as s:
        gateway = Gateway(site, store, GatewaySettings(broker=s.url, data_dir=tmp_path / "gw"), s.clock)
        gateway.start()
        assert gateway.receiver.subscribed.wait(10), "the gateway subscribed"
        edge = EdgeThread(s)
        try:
            time.sleep(HOURS * 3600 / SPEED)
        finally:
            edge.stop()
        end = s.clock.now()
        deadline = time.monotonic() + 30
        while gateway.spool.depth() and time.monotonic() < deadline:
            time.sleep(0.2)
        gateway.stop()  # closes its store: the backtest reads the file as the CLI would
    store = SqliteStore(tmp_path / "history.sqlite3")
    did = recorded_runs(store, gh, START, end)
    assert {r.actuator for r in did} >= {"heater", "valve-a"}, did  # the day was not idle
    ruleset = load_rules(gh.rules_file)
    report = backtest_stored(store, site, gh.id, ruleset, START, end)
    replayed: list[Event] = []
    replay(recorded_polls(store, gh, START, end), site, gh, ruleset, START, end, events=replayed.append)
    recorded = store.rows(points.EVENT, {"greenhouse": gh.id}, START, end, 100_000)
    store.close()
    # The same events, of every kind the control cycle makes: decisions, actuations, safety, suppressions, alerts.
    field = Counter(_said(p.tags["kind"], p.tags.get("actuator"), str(p.fields["action"]), str(p.fields["reason"]))
                    for p in recorded if not str(p.fields["reason"]).startswith(_NOT_THE_CYCLE))
    desk = Counter(_said(e.kind, e.actuator, e.action or "", e.reason) for e in replayed)
    assert field == desk, (field - desk, desk - field)
    assert {"decision", "actuation", "alert"} <= {kind for kind, _, _, _ in field}  # all kinds were compared
    starts = {a.actuator: (a.would_starts, a.did_starts) for a in report.actuators if a.would_starts or a.did_starts}
    assert all(would == done for would, done in starts.values()), starts
    assert report.differences == [], [d.model_dump() for d in report.differences]
    for a in report.actuators:
        # Time on agrees to within a poll per run: the edge ends runs on its passes, the backtest at their due time.
        slack_h = (a.did_starts + 1) * timedelta(seconds=2 * gh.poll_interval_s).total_seconds() / 3600
        assert abs(a.would_on_h - a.did_on_h) <= slack_h, a
