"""When the farm server cannot help, for real: the notifier's roster reaches the edge over a real Mosquitto and is
kept on disk; with the broker gone, a critical alert the edge raises is texted by a real Gammu SMSD on the
greenhouse computer, once, a restart included. (A broker back within the wait means nothing is texted:
tests/edge/test_uplink_sms.py, with the link's state given.)"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.messages import EdgeRoster, SmsContact
from contract.mqtt import make_client
from edge.modem.sms_text import SmsEncoding
from edge.uplink_sms import UPLINK_SMS_AFTER_S
from gateway.notify.edge_roster import EdgeRosters
from gateway.notify.roster import Channel, Duty, Person, Roster
from tests.support.gammu_smsd import GammuSmsd
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeThread, Stack, one_greenhouse_site, rules_yaml, stack

GH = "ca-chua-1"
START = datetime(2026, 1, 15, 3, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
SPEED = 60.0
# The tank is never this full in the simulation: the alert stands from the first poll.
TANK = {"id": "tank-low", "name": "Bể thấp", "name_en": "Tank low", "kind": "alert", "severity": "critical",
        "metric": {"sensors": ["tank-level"]}, "below": 101}  # fmt: skip
ROSTER = Roster(
    people=[
        Person(id="lan", name="Chị Lan", phone="0912 345 678", channels=[Channel.PUSH, Channel.SMS]),
        Person(id="hoa", name="Chị Hoa", email="hoa@htx.vn", channels=[Channel.EMAIL]),  # no SMS: not on the edge's
        Person(id="minh", name="Anh Minh", phone="0987 654 321", channels=[Channel.SMS], plain_sms=True),
    ],
    duties=[Duty(greenhouse=GH, people=["lan", "hoa", "minh"])],
)
LAN = SmsContact(phone="+84912345678", lang="vi")
MINH = SmsContact(phone="+84987654321", lang="vi", plain_sms=True)


def _wait(done: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"no {what} in {timeout_s} s"
        time.sleep(0.1)


def _publish_roster(s: Stack) -> list[EdgeRoster]:
    """The notifier's side: each greenhouse's roster, published retained through its own connection."""
    client = make_client(s.url, client_id="notifier-test")
    client.connect(s.url.host, s.url.port)
    client.loop_start()
    try:
        published: list[EdgeRoster] = []

        def publish(topic: str, payload: bytes) -> None:
            client.publish(topic, payload, qos=1, retain=True).wait_for_publish(10)

        published = EdgeRosters(s.site, publish).update(ROSTER, s.clock.now())
    finally:
        client.disconnect()
        client.loop_stop()
    return published


def test_with_the_broker_gone_a_critical_alert_is_texted_by_the_greenhouses_own_modem_once(
    tmp_path: Path, mosquitto: Mosquitto, smsd: GammuSmsd, caplog: pytest.LogCaptureFixture
) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([TANK]))
    after_s = UPLINK_SMS_AFTER_S
    with stack(tmp_path, mosquitto, site, START, speed=SPEED) as s:
        [message] = _publish_roster(s)
        assert message.contacts == [LAN, MINH]
        # With no alert rules yet, connected: the retained roster arrives and is kept.
        edge = EdgeThread(s, smsd.workdir / "smsd", with_rules=False)
        try:
            _wait(lambda: edge.agent.sms_roster.current is not None, "roster at the edge")
        finally:
            edge.stop()
        mosquitto.stop()
        # Started again with the broker gone and the tank rule: the alert is raised with nobody to hear it.
        down_at = s.clock.now()
        edge = EdgeThread(s, smsd.workdir / "smsd")
        try:
            assert edge.agent.sms_roster.current == message  # from disk
            _wait(lambda: len(smsd.transmissions()) == 2, "SMS through the modem")
            texted_at = s.clock.now()
        finally:
            edge.stop()
        assert texted_at - down_at >= timedelta(seconds=after_s)
        sent = sorted(smsd.transmissions(), key=lambda t: t.number)
        assert [(t.number, t.encoding, t.parts) for t in sent] == [
            ("+84912345678", SmsEncoding.UCS2, 1),
            ("+84987654321", SmsEncoding.GSM7, 1),
        ]
        assert re.fullmatch(r"Nhà màng cà chua 1: Mực nước bể \d+ % — dưới 101 %, từ \d\d:\d\d", sent[0].first_part)
        assert re.fullmatch(r"Nha mang ca chua 1: Muc nuoc be \d+ % - duoi 101 %, tu \d\d:\d\d", sent[1].first_part)
        _wait(lambda: len(list(smsd.folders.sent.glob("OUT*.txt"))) == 2, "both in SMSD's sent folder")

        # Restarted once more, still on its own: it finds both already sent and writes nothing.
        with caplog.at_level(logging.INFO, logger="edge.modem.gammu_sms"):
            edge = EdgeThread(s, smsd.workdir / "smsd")
            try:
                _wait(lambda: _already(caplog) == 2, "the restarted edge finding its SMS sent")
            finally:
                edge.stop()
        assert len(smsd.transmissions()) == 2
        assert list(smsd.folders.outbox.glob("OUT*")) == []


def _already(caplog: pytest.LogCaptureFixture) -> int:
    return sum(r.getMessage() == "sms already queued" for r in caplog.records)
