"""Escalation with an injected clock: a frost alert at 3 a.m. wakes the farmer on duty at once and keeps at it,
reaches the backup at minute 15 when nobody answers, stops at the first acknowledgement from anyone, comes back
while still critical, waits out the quiet hours only if it is not critical, and survives a restart with nothing
sent twice."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from contract.messages import Severity
from contract.site_file import load_site
from gateway.notify.local_outbox import LocalOutbox, Written
from gateway.notify.notifier import Delivery, Notifier, Outgoing, Sender
from gateway.notify.planner import SendKind, due
from gateway.notify.policy import DEFAULT_POLICY
from gateway.notify.roster import Channel, Duty, Person, Roster
from gateway.notify.store import AttemptStatus, NotifyStore
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = datetime(2026, 1, 15, 3, 0, tzinfo=HANOI)
FROST = ("Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét", "Frost: 0.4 °C, below 0.5 °C — protecting")
EVERYTHING = [Channel.PUSH, Channel.SMS, Channel.CALL]
ROSTER = Roster(
    people=[
        Person(id="lan", name="Chị Lan", phone="0912 345 678", channels=EVERYTHING),
        Person(id="minh", name="Anh Minh", phone="0987 654 321", channels=EVERYTHING, lang="en"),
        Person(id="hung", name="Kỹ thuật Hùng", phone="0900 000 111", email="hung@example.vn",
               channels=[Channel.SMS, Channel.CALL, Channel.EMAIL]),
        Person(id="head", name="Chủ nhiệm Tâm", phone="0900 000 222", channels=[Channel.SMS]),
    ],
    duties=[Duty(greenhouse="ca-chua-1", people=["lan", "minh", "hung", "head"])],
)


def _notifier(tmp_path: Path, **senders: Sender) -> tuple[Notifier, LocalOutbox]:
    """The notifier on the files of ``tmp_path`` (a second one on the same files is a restart); every channel
    writes to the local outbox but those given."""
    outbox = LocalOutbox(tmp_path / "outbox.jsonl")
    channels: dict[Channel, Sender] = {c: senders.get(c.value, outbox) for c in Channel}
    store = NotifyStore(tmp_path / "notify.sqlite3")
    return Notifier(SITE, ROSTER, DEFAULT_POLICY, store, channels), outbox


def _minutes(outbox: LocalOutbox) -> list[tuple[int, str, str]]:
    """Who was told on which channel, by minutes after 03:00."""
    return [(_after(w), w.person, w.channel.value) for w in outbox.read()]


def _after(w: Written) -> int:
    return int((w.at - NIGHT).total_seconds() // 60)


def _ticks(notifier: Notifier, until_min: int, from_min: int = 0) -> None:
    """A tick a minute, as the notifier's loop makes them, from ``from_min`` to ``until_min`` after 03:00."""
    for minute in range(from_min, until_min + 1):
        notifier.tick(NIGHT + timedelta(minutes=minute))


def test_nobody_answers_the_farmer_is_called_and_the_backup_gets_it_at_minute_15(tmp_path: Path) -> None:
    notifier, outbox = _notifier(tmp_path)
    notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, NIGHT)
    _ticks(notifier, 20)
    assert _minutes(outbox) == [
        (0, "lan", "push"), (0, "lan", "sms"),
        (5, "lan", "sms"), (5, "lan", "call"),
        (10, "lan", "call"),
        (15, "minh", "push"), (15, "minh", "sms"), (15, "minh", "call"),
    ]
    texts = {w.person: w.text for w in outbox.read()}
    # Each in their own language, with the greenhouse's name the way they read it.
    assert texts["lan"] == "Nhà màng cà chua 1: Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét"
    assert texts["minh"] == "Tomato house 1: Frost: 0.4 °C, below 0.5 °C — protecting"
    _ticks(notifier, 60, from_min=21)
    later = [m for m in _minutes(outbox) if m[0] > 20]
    assert later == [(30, "hung", "sms"), (30, "hung", "call"), (30, "hung", "email"), (45, "head", "sms")]
    assert max(m for m, _, _ in _minutes(outbox)) == 45  # the last step caps the chain


def test_the_first_acknowledgement_stops_every_channel_and_the_others_are_told_who(tmp_path: Path) -> None:
    notifier, outbox = _notifier(tmp_path)
    incident = notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, NIGHT)
    assert incident is not None
    _ticks(notifier, 16)  # lan and minh were told
    notifier.acknowledge(incident.id, "minh", Channel.SMS, NIGHT + timedelta(minutes=16, seconds=30))
    _ticks(notifier, 29, from_min=17)  # before the acknowledged incident could come back
    after = [w for w in outbox.read() if _after(w) > 16]
    assert [(w.person, w.kind, w.channel.value) for w in after] == [("lan", "taken", "push")]
    assert after[0].text == "Nhà màng cà chua 1: Anh Minh đã nhận — Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét"


def test_still_critical_half_an_hour_after_it_was_taken_it_comes_back(tmp_path: Path) -> None:
    notifier, outbox = _notifier(tmp_path)
    incident = notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, NIGHT)
    assert incident is not None
    notifier.tick(NIGHT)
    notifier.acknowledge(incident.id, "lan", None, NIGHT + timedelta(minutes=2))
    _ticks(notifier, 40, from_min=3)
    # Told again from the first step, and on up the chain while nobody takes it.
    assert [m for m in _minutes(outbox) if m[0] > 0] == [
        (32, "lan", "push"), (32, "lan", "sms"), (37, "lan", "sms"), (37, "lan", "call")
    ]
    back = notifier.store.incident(incident.id)
    assert back is not None and (back.round, back.acked_by) == (1, None)


def test_quiet_hours_hold_a_warning_until_morning_but_never_a_frost_alarm(tmp_path: Path) -> None:
    notifier, outbox = _notifier(tmp_path)
    late = datetime(2026, 1, 14, 23, 0, tzinfo=HANOI)
    notifier.alert("ca-chua-1", "rule:tank-low", Severity.WARNING, True, ("Bể nước sắp cạn", "Tank low"), late)
    notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, late)
    for hour in range(9):
        notifier.tick(late + timedelta(hours=hour))
    told = [(w.at.astimezone(HANOI).strftime("%H:%M"), w.text) for w in outbox.read() if w.person == "lan"]
    assert told[0][0] == "23:00" and "Sương muối" in told[0][1]  # at once, quiet hours or not
    assert next(t for t in told if "Bể nước" in t[1])[0] == "06:00"  # the warning waited for the morning
    assert DEFAULT_POLICY.quiet is not None and DEFAULT_POLICY.quiet.start == time(21, 0)


def test_a_restart_mid_chain_resumes_it_and_sends_nothing_twice(tmp_path: Path) -> None:
    notifier, outbox = _notifier(tmp_path)
    notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, NIGHT)
    _ticks(notifier, 6)
    # The process stops between claiming the minute-10 call and sending it.
    notifier.store.close()
    crashed, _ = _notifier(tmp_path)
    [incident] = crashed.store.open_incidents()
    at_ten = NIGHT + timedelta(minutes=10)
    # The very send the tick at 03:10 makes: step 2, the call to the farmer on duty.
    call = due(incident, DEFAULT_POLICY, ROSTER.chain("ca-chua-1", at_ten, HANOI), at_ten, HANOI)[-1]
    assert (call.step, call.person, call.channel) == (2, "lan", Channel.CALL)
    assert crashed.store.claim(call, at_ten)
    crashed.store.close()
    restarted, outbox = _notifier(tmp_path)
    for minute in range(10, 21):
        restarted.tick(NIGHT + timedelta(minutes=minute))
    minutes = _minutes(outbox)
    assert minutes.count((10, "lan", "call")) == 1  # the claimed call went once, after the restart
    assert len(minutes) == len(set(minutes))  # nothing twice
    assert [m for m in minutes if m[0] == 15] == [(15, "minh", "push"), (15, "minh", "sms"), (15, "minh", "call")]


def test_a_channel_that_fails_moves_the_chain_on_at_once_and_its_error_is_in_the_timeline(tmp_path: Path) -> None:
    def modem_gone(message: Outgoing) -> Delivery:
        return Delivery(ok=False, detail="modem not registered")

    notifier, _ = _notifier(tmp_path, sms=modem_gone, call=modem_gone)
    incident = notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, NIGHT)
    assert incident is not None
    notifier.tick(NIGHT)
    notifier.tick(NIGHT + timedelta(minutes=1))  # the SMS failed at 03:00: minute 5's step is due now
    attempts = notifier.store.attempts(incident.id)
    failed = [(a.send.step, a.send.channel.value, a.detail) for a in attempts if a.status is AttemptStatus.FAILED]
    assert (0, "sms", "modem not registered") in failed and (1, "call", "modem not registered") in failed
    assert [(a.send.step, a.send.kind) for a in attempts if a.status is AttemptStatus.SENT] == [(0, SendKind.ALERT)]


def test_cleared_is_said_once_to_those_who_were_told(tmp_path: Path) -> None:
    notifier, outbox = _notifier(tmp_path)
    notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, NIGHT)
    _ticks(notifier, 16)
    cleared = ("Hết sương muối: 2,1 °C", "Frost over: 2.1 °C")
    notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, False, cleared, NIGHT + timedelta(minutes=17))
    _ticks(notifier, 40, from_min=17)
    after = [(w.person, w.kind, w.text) for w in outbox.read() if _after(w) > 16]
    assert after == [
        ("lan", "cleared", "Nhà màng cà chua 1: Đã hết — Hết sương muối: 2,1 °C"),
        ("minh", "cleared", "Tomato house 1: Cleared — Frost over: 2.1 °C"),
    ]


def test_a_warning_that_turns_critical_is_told_again_from_the_first_step(tmp_path: Path) -> None:
    notifier, outbox = _notifier(tmp_path)
    day = datetime(2026, 1, 15, 9, 0, tzinfo=HANOI)
    notifier.alert("ca-chua-1", "rule:frost", Severity.WARNING, True, FROST, day)
    notifier.tick(day)
    notifier.tick(day + timedelta(minutes=1))  # a warning's SMS waits a minute for others to go with it
    notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, day + timedelta(minutes=3))
    notifier.tick(day + timedelta(minutes=3))
    told = [(int((w.at - day).total_seconds() // 60), w.channel.value) for w in outbox.read()]
    assert told == [(0, "push"), (1, "sms"), (3, "push"), (3, "sms")]
