"""A frost alarm through a real Gammu SMSD (dummy phone, files backend): the farmer on duty gets it as one SMS in
the form she reads, her "OK" from the modem's inbox takes it, and the chain stops — no SMS or call at minute 5."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from contract.messages import Severity
from contract.site_file import load_site
from edge.modem.sms_text import SmsEncoding
from gateway.notify.incidents import Incident, IncidentState
from gateway.notify.local_outbox import LocalOutbox
from gateway.notify.notifier import Notifier, Sender
from gateway.notify.policy import DEFAULT_POLICY
from gateway.notify.roster import Channel, Duty, Person, Roster
from gateway.notify.sms_channel import SmsChannel
from gateway.notify.store import NotifyStore
from tests.conftest import EXAMPLE_SITE
from tests.support.gammu_smsd import GammuSmsd, Transmission

SITE = load_site(EXAMPLE_SITE)
NIGHT = datetime(2026, 1, 15, 3, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
FROST = ("Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét", "Frost: 0.4 °C, below 0.5 °C — protecting")
ROSTER = Roster(
    people=[
        Person(id="lan", name="Chị Lan", phone="0912 345 678", channels=[Channel.SMS, Channel.CALL]),
        Person(id="ba", name="Bà Ba", phone="0987 654 321", channels=[Channel.SMS], plain_sms=True),
    ],
    duties=[Duty(greenhouse="ca-chua-1", people=["lan", "ba"])],
)


def test_the_farmers_ok_by_sms_takes_the_frost_alarm_and_the_chain_stops(tmp_path: Path, smsd: GammuSmsd) -> None:
    sms = SmsChannel(smsd.folders)
    outbox = LocalOutbox(tmp_path / "calls.jsonl")  # calls are not placed through the dummy phone
    senders: dict[Channel, Sender] = {Channel.SMS: sms, Channel.CALL: outbox}
    notifier = Notifier(SITE, ROSTER, DEFAULT_POLICY, NotifyStore(tmp_path / "notify.sqlite3"), senders)
    incident = notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, NIGHT)
    assert incident is not None
    notifier.tick(NIGHT)
    [sent] = _wait(lambda: smsd.transmissions(), 1)
    assert (sent.number, sent.parts, sent.encoding) == ("+84912345678", 1, SmsEncoding.UCS2)
    assert sent.first_part == "Nhà màng cà chua 1: Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét"

    smsd.inject_sms("+84912345678", "Ok")
    deadline = time.monotonic() + 30
    while not (taken := _taken(notifier, incident.id)):
        assert time.monotonic() < deadline, "the reply was never taken"
        assert sms.take_replies(notifier, NIGHT + timedelta(minutes=2)) == []
        time.sleep(0.2)
    assert (taken.acked_by, taken.acked_via) == ("lan", Channel.SMS)
    for minute in range(3, 20):
        notifier.tick(NIGHT + timedelta(minutes=minute))
    smsd.outbox_taken()  # anything those passes queued has gone to the modem by then
    assert len(smsd.transmissions()) == 1 and outbox.read() == []  # no SMS at minute 5, no call, no backup


def test_a_reply_from_a_stranger_or_in_other_words_takes_nothing(tmp_path: Path) -> None:
    notifier = Notifier(SITE, ROSTER, DEFAULT_POLICY, NotifyStore(tmp_path / "n.sqlite3"), {})
    incident = notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, NIGHT)
    assert incident is not None
    assert notifier.reply("+84900000000", "OK", NIGHT) == []
    assert notifier.reply("0912345678", "ai đấy?", NIGHT) == []
    still = notifier.store.incident(incident.id)
    assert still is not None and still.state is IncidentState.OPEN


def _wait(get: Callable[[], list[Transmission]], count: int) -> list[Transmission]:
    deadline = time.monotonic() + 30
    while len(got := get()) < count:
        assert time.monotonic() < deadline, f"{len(got)} of {count}"
        time.sleep(0.2)
    return got


def _taken(notifier: Notifier, incident_id: str) -> Incident | None:
    found = notifier.store.incident(incident_id)
    return found if found is not None and found.state is IncidentState.ACKNOWLEDGED else None
