"""No flood, with an injected clock, the real store on tmp_path and recording senders (a real Gammu SMSD where the
SMS itself is the point): a storm of 50 alerts is a handful of SMS and every critical one reaches somebody; a
silent greenhouse holds its devices' alerts, never a frost; the whole farm silent is one incident and one
"cleared"; past a person's SMS budget only critical alerts go by SMS, merged; the modem's rate makes SMS wait,
critical first; "OK 2" takes that one alone; a restart in the middle of a grouped SMS sends it once."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.messages import Severity
from contract.site_file import load_site
from edge.modem.sms_text import SmsEncoding, SmsForm, segments
from gateway.notify.flood_limits import FloodLimits
from gateway.notify.incidents import Incident, IncidentState
from gateway.notify.local_outbox import LocalOutbox, Written
from gateway.notify.notifier import Delivery, Notifier, Outgoing, Sender
from gateway.notify.policy import DEFAULT_POLICY, Policy
from gateway.notify.roster import Channel, Duty, Person, Roster
from gateway.notify.sms_channel import SmsChannel, fit_ending
from gateway.notify.store import _VERSION_1, AttemptStatus, NotifyStore
from tests.conftest import EXAMPLE_SITE
from tests.support.gammu_smsd import GammuSmsd, Transmission
from tests.support.store_versions import version_of, write_file

SITE = load_site(EXAMPLE_SITE)
HOUSES = [gh.id for gh in SITE.greenhouses]  # ca-chua-1, ca-chua-2, rau-la-1
NIGHT = datetime(2026, 1, 15, 3, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
DAWN = NIGHT.replace(hour=6, minute=30)
FROST = ("Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét", "Frost: 0.4 °C, below 0.5 °C — protecting")
SILENT = ("Mất liên lạc từ 02:55", "No contact since 02:55")
NODE = ("Cảm biến đất A1 không trả lời", "Soil sensor A1 not answering")
MISSING = ("Tưới sáng thiếu số đo độ ẩm đất", "Morning watering lacks soil moisture readings")
HUMID = ("Độ ẩm 96 %, trên 90 %", "Humidity 96 %, above 90 %")
ROSTER = Roster(
    people=[
        Person(id="lan", name="Chị Lan", phone="0912 345 678", channels=[Channel.PUSH, Channel.SMS, Channel.CALL]),
        Person(id="minh", name="Anh Minh", phone="0987 654 321", channels=[Channel.SMS, Channel.CALL], lang="en"),
        Person(id="hung", name="Kỹ thuật Hùng", phone="0900 000 111", channels=[Channel.SMS]),
        Person(id="head", name="Chủ nhiệm Tâm", phone="0900 000 222", channels=[Channel.SMS]),
    ],
    duties=[
        Duty(greenhouse="ca-chua-1", people=["lan", "minh", "hung", "head"]),
        Duty(greenhouse="ca-chua-2", people=["lan", "minh", "hung", "head"]),
        Duty(greenhouse="rau-la-1", people=["minh", "lan", "hung", "head"]),
    ],
)


def _notifier(
    tmp_path: Path, policy: Policy = DEFAULT_POLICY, roster: Roster = ROSTER, sms: Sender | None = None
) -> tuple[Notifier, LocalOutbox]:
    """The notifier on the files of ``tmp_path`` (a second one on the same files is a restart); every channel
    writes to the local outbox, SMS too unless ``sms`` is given."""
    outbox = LocalOutbox(tmp_path / "outbox.jsonl")
    senders: dict[Channel, Sender] = {c: outbox for c in Channel}
    if sms is not None:
        senders[Channel.SMS] = sms
    return Notifier(SITE, roster, policy, NotifyStore(tmp_path / "notify.sqlite3"), senders), outbox


def _sms(outbox: LocalOutbox) -> list[Written]:
    return [w for w in outbox.read() if w.channel is Channel.SMS]


def _s(w: Written, since: datetime = NIGHT) -> int:
    """Seconds after ``since``."""
    return int((w.at - since).total_seconds())


def _statuses(notifier: Notifier, incident: Incident | None, channel: Channel = Channel.SMS) -> set[AttemptStatus]:
    assert incident is not None
    return {a.status for a in notifier.store.attempts(incident.id) if a.send.channel is channel}


def _limits(**limits: float) -> Policy:
    return DEFAULT_POLICY.model_copy(update={"flood": FloodLimits.model_validate(limits)})


def _storm() -> list[tuple[int, str, str, Severity, tuple[str, str]]]:
    """50 alerts of one night in one cooperative, by the second they reach the notifier: frost in every house,
    tomato house 1 gone silent with its eight field devices and ten rules' inputs, and 28 rules' warnings."""
    crit, warn = Severity.CRITICAL, Severity.WARNING
    storm = [(0, gh, "rule:frost", crit, FROST) for gh in HOUSES]
    storm += [(0, "ca-chua-1", "offline", crit, SILENT)]
    storm += [(0, "ca-chua-1", f"node:n{i}", crit, NODE) for i in range(8)]
    storm += [(0, "ca-chua-1", f"input:r{i}", warn, MISSING) for i in range(10)]
    storm += [(0, HOUSES[i % 3], f"rule:humid-{i}", warn, HUMID) for i in range(4)]
    storm += [(15 * (1 + i // 3 % 3), HOUSES[i % 3], f"rule:dry-{i}", warn, HUMID) for i in range(24)]
    return storm


def test_a_storm_of_50_alerts_sends_a_handful_of_sms_and_every_critical_alert_reaches_someone(tmp_path: Path) -> None:
    notifier, outbox = _notifier(tmp_path)
    storm = _storm()  # at dawn, the coldest hour, when quiet hours no longer hold the warnings back
    assert len(storm) == 50
    for second in range(0, 181, 15):  # the loop's passes, 15 s apart
        at = DAWN + timedelta(seconds=second)
        for when, gh, source, severity, text in storm:
            if when == second:
                notifier.alert(gh, source, severity, True, text, at)
        notifier.tick(at)
    # At once, one SMS to each farmer on duty with the critical alerts (and the warnings come with them); a minute
    # later one more with the warnings that came after. Nobody else, nothing per alert.
    sms = _sms(outbox)
    assert [(w.person, _s(w, DAWN)) for w in sms] == [("lan", 0), ("minh", 0), ("lan", 75), ("minh", 75)]
    # The critical ones first, each house named once in a row.
    assert sms[0].text.startswith("6 cảnh báo: Nhà màng cà chua 1: Mất liên lạc từ 02:55; Sương muối: 0,4 °C")
    assert sms[1].text.startswith("2 alerts: Leafy greens house 1: Frost: 0.4 °C")

    incidents = {i.id: i for i in notifier.store.open_incidents()}
    critical = [i for i in incidents.values() if i.severity is Severity.CRITICAL]
    assert len(critical) == 12
    for incident in critical:  # told by SMS, or held by a greenhouse's silence that was
        told = incident if incident.held_by is None else incidents[incident.held_by]
        assert AttemptStatus.SENT in _statuses(notifier, told), incident.source
    held = [i for i in incidents.values() if i.held_by is not None]
    devices = [f"node:n{i}" for i in range(8)] + [f"input:r{i}" for i in range(10)]
    assert sorted(i.source for i in held) == sorted(devices)
    assert all(_statuses(notifier, i) <= {AttemptStatus.HELD} for i in held)

    # Both farmers answer "OK": every chain they were told of stops; nothing more goes by SMS for half an hour.
    notifier.reply("0912 345 678", "OK", DAWN + timedelta(minutes=3, seconds=10))
    notifier.reply("+84987654321", "ok", DAWN + timedelta(minutes=3, seconds=20))
    for minute in range(4, 31):
        notifier.tick(DAWN + timedelta(minutes=minute))
    assert len(_sms(outbox)) == 4


def test_a_silent_greenhouse_holds_its_devices_alerts_never_a_frost_and_tells_what_is_still_wrong_once_back(
    tmp_path: Path,
) -> None:
    notifier, outbox = _notifier(tmp_path)
    offline = notifier.alert("ca-chua-1", "offline", Severity.CRITICAL, True, SILENT, NIGHT)
    node = notifier.alert("ca-chua-1", "node:soil-1", Severity.CRITICAL, True, NODE, NIGHT)
    missing = notifier.alert("ca-chua-1", "input:tuoi-sang", Severity.WARNING, True, MISSING, NIGHT)
    frost = notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, NIGHT)
    assert offline is not None and frost is not None and node is not None
    notifier.tick(NIGHT)
    [told] = _sms(outbox)
    assert told.text == (
        "2 cảnh báo: Nhà màng cà chua 1: Mất liên lạc từ 02:55; Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét"
    )
    # Lan takes both in the app; the house stays silent ten minutes, then speaks again, and the rule's input with
    # it half a minute later — but the soil sensor still does not answer.
    notifier.acknowledge(frost.id, "lan", None, NIGHT + timedelta(minutes=1))
    notifier.acknowledge(offline.id, "lan", None, NIGHT + timedelta(minutes=1))
    for second in range(60, 20 * 60 + 1, 30):
        at = NIGHT + timedelta(seconds=second)
        if second == 600:
            notifier.alert("ca-chua-1", "offline", Severity.CRITICAL, False, ("Đã liên lạc lại", "Back"), at)
        if second == 630:
            notifier.alert("ca-chua-1", "input:tuoi-sang", Severity.WARNING, False, ("Đủ số đo", "Readings back"), at)
        notifier.tick(at)
    later = [(_s(w) // 60, w.text) for w in _sms(outbox)[1:]]
    # Held while the house was silent and for two minutes after; then told from its first step, as if new.
    assert later == [
        (12, "Nhà màng cà chua 1: Cảm biến đất A1 không trả lời"),
        (17, "Nhà màng cà chua 1: Cảm biến đất A1 không trả lời"),
    ]
    assert AttemptStatus.HELD in _statuses(notifier, node)
    assert missing is not None  # back within the two minutes: never told, nor that it cleared
    assert {a.status for a in notifier.store.attempts(missing.id)} <= {AttemptStatus.HELD}


@pytest.mark.parametrize("last_back", [True, False], ids=["all-back", "one-stays-silent"])
def test_the_whole_farm_silent_is_one_incident_told_to_each_farmer_on_duty_and_one_cleared(
    tmp_path: Path, last_back: bool
) -> None:
    notifier, outbox = _notifier(tmp_path)
    houses = [notifier.alert(gh, "offline", Severity.CRITICAL, True, SILENT, NIGHT) for gh in HOUSES]
    for minute in range(20):
        notifier.tick(NIGHT + timedelta(minutes=minute))
    farm = "HTX Rau an toàn Mộc Châu: Mất liên lạc với cả trang trại (3 nhà màng)"
    farm_en = "Mộc Châu Safe Vegetables Cooperative: Lost contact with the whole farm (3 greenhouses)"
    # The people on duty across the houses, each once (Lan for two houses, Minh for one): the steps of one chain.
    assert [(_s(w) // 60, w.person, w.text) for w in _sms(outbox)] == [
        (0, "lan", farm),
        (0, "minh", farm_en),
        (5, "lan", farm),
        (5, "minh", farm_en),
    ]
    assert segments(farm).count == 1
    for house in houses:
        assert _statuses(notifier, house) == {AttemptStatus.HELD}
    back = ("Đã liên lạc lại", "Back in contact")
    at = NIGHT + timedelta(minutes=20)
    for gh in HOUSES[:2]:
        notifier.alert(gh, "offline", Severity.CRITICAL, False, back, at)
    for second in range(0, 6 * 60 + 1, 30):
        at = NIGHT + timedelta(minutes=20, seconds=second)
        if second == 60 and last_back:
            notifier.alert("rau-la-1", "offline", Severity.CRITICAL, False, back, at)
        notifier.tick(at)
    # Each told once that it is over, on the first channel that told them: Lan's phone app at once, Minh's SMS
    # after a minute's wait for company.
    after = [(_s(w) // 60, w.person, w.channel.value, w.text) for w in outbox.read() if _s(w) >= 20 * 60]
    if last_back:
        assert after == [
            (21, "lan", "push", "HTX Rau an toàn Mộc Châu: Đã hết — Đã liên lạc lại với cả trang trại"),
            (22, "minh", "sms", "Mộc Châu Safe Vegetables Cooperative: Cleared — The whole farm is back in contact"),
        ]
    else:  # two minutes after the first came back, the farm clears and the silent house is told of on its own
        assert after == [
            (
                22,
                "minh",
                "sms",
                "2 alerts: Leafy greens house 1: No contact since 02:55; Mộc Châu Safe Vegetables"
                " Cooperative: Cleared — 2 of 3 greenhouses back in contact",
            ),
            (22, "lan", "push", "HTX Rau an toàn Mộc Châu: Đã hết — Đã liên lạc lại 2/3 nhà màng"),
        ]


def test_an_ok_to_the_whole_farm_takes_it_and_each_silent_house_with_it(tmp_path: Path) -> None:
    notifier, outbox = _notifier(tmp_path)
    houses = [notifier.alert(gh, "offline", Severity.CRITICAL, True, SILENT, NIGHT) for gh in HOUSES]
    notifier.tick(NIGHT)
    [farm] = notifier.reply("0912 345 678", "OK", NIGHT + timedelta(minutes=1))
    assert farm.source == "site-offline" and (farm.acked_by, farm.acked_via) == ("lan", Channel.SMS)
    for house in houses:  # the app shows each house's alert taken by her
        assert house is not None
        taken = notifier.store.incident(house.id)
        assert taken is not None and (taken.state, taken.acked_by) == (IncidentState.ACKNOWLEDGED, "lan")
    for minute in range(1, 20):
        notifier.tick(NIGHT + timedelta(minutes=minute))
    after = [(w.person, w.kind, w.text) for w in outbox.read() if w.at > NIGHT]
    assert after == [
        (
            "minh",
            "taken",
            "Mộc Châu Safe Vegetables Cooperative: Chị Lan took it — Lost contact with the whole farm (3 greenhouses)",
        )
    ]


def test_past_the_sms_budget_warnings_go_by_other_channels_and_critical_alerts_are_merged(tmp_path: Path) -> None:
    notifier, outbox = _notifier(tmp_path, _limits(sms_per_person_per_hour=2))
    first = notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, DAWN)
    notifier.tick(DAWN)
    notifier.alert("ca-chua-1", "rule:humid", Severity.WARNING, True, HUMID, DAWN + timedelta(minutes=1))
    for minute in (1, 2):
        notifier.tick(DAWN + timedelta(minutes=minute))
    spent = notifier.alert("ca-chua-2", "rule:humid", Severity.WARNING, True, HUMID, DAWN + timedelta(minutes=3))
    for minute in (3, 4):
        notifier.tick(DAWN + timedelta(minutes=minute))
    second = notifier.alert("ca-chua-2", "rule:frost", Severity.CRITICAL, True, FROST, DAWN + timedelta(minutes=5))
    notifier.tick(DAWN + timedelta(minutes=5))
    assert [(_s(w, DAWN) // 60, w.text) for w in _sms(outbox)] == [
        (0, "Nhà màng cà chua 1: Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét"),
        (2, "Nhà màng cà chua 1: Độ ẩm 96 %, trên 90 %"),
        # Over budget: the first frost's next step and the new frost, merged into one SMS.
        (
            5,
            "2 cảnh báo: Nhà màng cà chua 1: Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét; Nhà màng cà chua 2:"
            " Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét",
        ),
    ]
    assert _statuses(notifier, spent) == {AttemptStatus.OVER_BUDGET}
    assert _statuses(notifier, spent, Channel.PUSH) == {AttemptStatus.SENT}  # the phone app still tells
    [over] = [a for a in notifier.store.attempts(spent.id) if a.status is AttemptStatus.OVER_BUDGET]
    assert over.detail == "not sent by SMS: 2 SMS to this person in the last hour"
    for incident in (first, second):
        assert AttemptStatus.SENT in _statuses(notifier, incident)


def test_the_modem_sends_its_rate_a_minute_critical_first_and_the_rest_waits(tmp_path: Path) -> None:
    roster = ROSTER.model_copy(
        update={
            "duties": [
                Duty(greenhouse="ca-chua-1", people=["lan"]),
                Duty(greenhouse="ca-chua-2", people=["hung"]),
                Duty(greenhouse="rau-la-1", people=["minh"]),
            ]
        }
    )
    notifier, outbox = _notifier(tmp_path, _limits(sms_per_minute=2), roster)
    notifier.alert("ca-chua-1", "rule:humid", Severity.WARNING, True, HUMID, DAWN)
    waits = notifier.alert("ca-chua-2", "rule:humid", Severity.WARNING, True, HUMID, DAWN)
    notifier.tick(DAWN)  # the warnings wait a minute for company
    notifier.alert("rau-la-1", "rule:frost", Severity.CRITICAL, True, FROST, DAWN + timedelta(minutes=1))
    notifier.tick(DAWN + timedelta(minutes=1))
    assert [w.person for w in _sms(outbox)] == ["minh", "lan"]  # the frost first, then the longest waiting
    assert _statuses(notifier, waits) == set()  # not claimed: nothing lost
    notifier.tick(DAWN + timedelta(minutes=1, seconds=30))
    assert len(_sms(outbox)) == 2  # the modem's minute is not over
    notifier.tick(DAWN + timedelta(minutes=2, seconds=1))
    assert [(w.person, _s(w, DAWN)) for w in _sms(outbox)] == [("minh", 60), ("lan", 60), ("hung", 121)]


def _wait(smsd: GammuSmsd, count: int) -> list[Transmission]:
    deadline = time.monotonic() + 30
    while len(got := smsd.transmissions()) < count:
        assert time.monotonic() < deadline, f"{len(got)} of {count} SMS went"
        time.sleep(0.2)
    return got


def test_with_several_open_each_sms_ends_with_its_number_and_ok_n_takes_that_one_alone(
    tmp_path: Path, smsd: GammuSmsd
) -> None:
    notifier, _ = _notifier(tmp_path, sms=SmsChannel(smsd.folders))
    tomato = notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, NIGHT)
    notifier.tick(NIGHT)
    two = notifier.alert("ca-chua-2", "rule:frost", Severity.CRITICAL, True, FROST, NIGHT + timedelta(minutes=2))
    notifier.tick(NIGHT + timedelta(minutes=2))
    assert tomato is not None and two is not None and (tomato.number, two.number) == (1, 2)
    alone, numbered = _wait(smsd, 2)
    assert alone.first_part == "Nhà màng cà chua 1: Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét"
    # The alert is shortened, never the number: one UCS-2 SMS.
    assert numbered.first_part == "Nhà màng cà chua 2: Sương muối: 0,4 °C, dưới 0,5 °C… Trả lời OK 2"
    assert (numbered.parts, numbered.encoding) == (1, SmsEncoding.UCS2)
    plain = fit_ending(f"Tomato house 2: {FROST[1]} " * 4, "Reply OK 12", SmsForm.PLAIN)
    assert plain.endswith("... Reply OK 12") and segments(plain).count == 1

    assert notifier.reply("0912 345 678", "OK 7", NIGHT + timedelta(minutes=3)) == []  # matches nothing
    [taken] = notifier.reply("0912 345 678", "ok 2", NIGHT + timedelta(minutes=3))
    assert taken.id == two.id and taken.state is IncidentState.ACKNOWLEDGED
    still = notifier.store.incident(tomato.id)
    assert still is not None and still.state is IncidentState.NOTIFIED
    [rest] = notifier.reply("0912 345 678", "Đã biết", NIGHT + timedelta(minutes=4))
    assert rest.id == tomato.id


class _Crash(BaseException):
    """The process stopping between the SMS written for the modem and the store told it went."""


def test_a_restart_in_the_middle_of_a_grouped_sms_sends_it_once(tmp_path: Path, smsd: GammuSmsd) -> None:
    sms = SmsChannel(smsd.folders)

    def then_crash(message: Outgoing) -> Delivery:
        sms(message)
        raise _Crash

    notifier, _ = _notifier(tmp_path, sms=then_crash)
    for gh in HOUSES[:2]:
        notifier.alert(gh, "rule:frost", Severity.CRITICAL, True, FROST, NIGHT)
    with pytest.raises(_Crash):
        notifier.tick(NIGHT)
    notifier.store.close()
    restarted, _ = _notifier(tmp_path, sms=sms)
    for second in range(15, 5 * 60 + 1, 15):
        restarted.tick(NIGHT + timedelta(seconds=second))
    [one, step_1] = _wait(smsd, 2)
    smsd.outbox_taken()  # a second copy, queued by those passes, would have gone to the modem by then
    assert len(smsd.transmissions()) == 2
    assert one.first_part.startswith("2 cảnh báo: Nhà màng cà chua 1: Sương muối") and one.parts == 1
    assert step_1.first_part.startswith("2 cảnh báo:")  # minute 5's step, again one SMS for both
    for incident in restarted.store.open_incidents():
        sent = [a for a in restarted.store.attempts(incident.id) if a.send.channel is Channel.SMS]
        assert [(a.send.step, a.status) for a in sent] == [(0, AttemptStatus.SENT), (1, AttemptStatus.SENT)]


def test_a_store_of_version_1_opens_and_its_sms_count_toward_the_budget(tmp_path: Path) -> None:
    path = tmp_path / "notify.sqlite3"
    sent_ms = int((DAWN - timedelta(minutes=10)).timestamp() * 1000)
    body = (
        '{"incident":"ca-chua-1:rule:frost:1","kind":"alert","round":0,"step":0,"person":"lan","channel":"sms",'
        '"due_at":"2026-01-15T06:20:00+07:00"}'
    )
    write_file(
        path,
        _VERSION_1 + f"INSERT INTO attempt VALUES ('k1', 'ca-chua-1:rule:frost:1', 'sent', {sent_ms}, NULL, '{body}');",
        version=1,
    )
    notifier, outbox = _notifier(tmp_path, _limits(sms_per_person_per_hour=1))
    assert version_of(path) == 2
    humid = notifier.alert("ca-chua-1", "rule:humid", Severity.WARNING, True, HUMID, DAWN)
    notifier.tick(DAWN + timedelta(minutes=1))
    assert _sms(outbox) == [] and _statuses(notifier, humid) == {AttemptStatus.OVER_BUDGET}
