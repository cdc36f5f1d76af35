"""End to end over a real Mosquitto and a real edge agent: an alert the edge raises reaches the farmer on duty by
SMS through a real Gammu SMSD, her "OK" from the modem takes it, and the phone app's alert list shows who took it;
one taken in the app stops the chain the same way."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from contract.messages import Severity
from gateway.live.models import AlertNow
from gateway.live.service import Live
from gateway.notify.incidents import IncidentState
from gateway.notify.local_outbox import LocalOutbox
from gateway.notify.loop import NotifierLoop
from gateway.notify.notifier import Notifier, Sender
from gateway.notify.policy import DEFAULT_POLICY
from gateway.notify.roster import Channel, Duty, Person, Roster
from gateway.notify.sms_channel import SmsChannel
from gateway.notify.store import NotifyStore
from gateway.storage.sqlite import SqliteStore
from tests.support.gammu_smsd import GammuSmsd
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeThread, one_greenhouse_site, rules_yaml, stack

T = TypeVar("T")
GH = "ca-chua-1"
START = datetime(2026, 1, 15, 3, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
# The tank is never this full in the simulation: the alert stands from the first poll.
TANK = {"id": "tank-low", "name": "Bể thấp", "name_en": "Tank low", "kind": "alert", "severity": "critical",
        "metric": {"sensors": ["tank-level"]}, "below": 101}
ROSTER = Roster(
    people=[
        Person(id="lan", name="Chị Lan", phone="0912 345 678", channels=[Channel.PUSH, Channel.SMS]),
        Person(id="minh", name="Anh Minh", phone="0987 654 321", channels=[Channel.SMS]),
    ],
    duties=[Duty(greenhouse=GH, people=["lan", "minh"])],
)


@contextmanager
def _running(tmp_path: Path, mosquitto: Mosquitto, smsd: GammuSmsd) -> Iterator[tuple[Live, NotifierLoop, LocalOutbox]]:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([TANK]))
    with stack(tmp_path, mosquitto, site, START, speed=30) as s:
        live = Live(site, SqliteStore(tmp_path / "history.sqlite3"), s.url, s.clock, "1")
        live.start()
        pushes = LocalOutbox(tmp_path / "push.jsonl")
        senders: dict[Channel, Sender] = {Channel.SMS: SmsChannel(smsd.folders), Channel.PUSH: pushes}
        notifier = Notifier(site, ROSTER, DEFAULT_POLICY, NotifyStore(tmp_path / "notify.sqlite3"), senders)
        loop = NotifierLoop(live, notifier, s.clock, SmsChannel(smsd.folders))
        edge = EdgeThread(s)
        try:
            yield live, loop, pushes
        finally:
            edge.stop()
            live.stop()


def test_an_alert_from_the_edge_reaches_the_farmer_by_sms_and_her_ok_shows_in_the_app(
    tmp_path: Path, mosquitto: Mosquitto, smsd: GammuSmsd
) -> None:
    with _running(tmp_path, mosquitto, smsd) as (live, loop, pushes):
        alert = _until(lambda: _standing(live), loop, "the edge's alert on the board")
        assert alert.severity is Severity.CRITICAL
        sms = _until(lambda: next(iter(smsd.transmissions()), None), loop, "an SMS through the modem")
        assert sms.number == "+84912345678"
        assert sms.first_part.startswith("Nhà màng cà chua 1: Mực nước bể 80 % — dưới 101 %")
        assert [w.person for w in pushes.read()] == ["lan"]
        smsd.inject_sms("+84912345678", "OK")
        taken = _until(lambda: _taken(live), loop, "the reply taken")
        assert taken.acked_by == "Chị Lan"  # the app says who, by name
        [incident] = loop.notifier.store.open_incidents()
        assert (incident.state, incident.acked_by) == (IncidentState.ACKNOWLEDGED, "lan")
        assert incident.acked_via is Channel.SMS


def test_taken_in_the_app_stops_the_chain(tmp_path: Path, mosquitto: Mosquitto, smsd: GammuSmsd) -> None:
    with _running(tmp_path, mosquitto, smsd) as (live, loop, _):
        alert = _until(lambda: _standing(live), loop, "the edge's alert on the board")
        live.acknowledge(GH, alert.id, "ky-thuat")
        loop.step()
        [incident] = loop.notifier.store.open_incidents()
        assert (incident.state, incident.acked_by) == (IncidentState.ACKNOWLEDGED, "ky-thuat")


def _standing(live: Live) -> AlertNow | None:
    return next((a for a in live.alerts(GH, include_cleared=False) if a.source == "rule:tank-low"), None)


def _taken(live: Live) -> AlertNow | None:
    alert = _standing(live)
    return alert if alert is not None and alert.acked_by is not None else None


def _until(get: Callable[[], T | None], loop: NotifierLoop, what: str) -> T:
    """Passes of the notifier, as its thread makes them, until ``get`` finds something."""
    deadline = time.monotonic() + 30
    while (found := get()) is None:
        assert time.monotonic() < deadline, f"no {what} in 30 s"
        loop.step()
        time.sleep(0.3)
    return found
