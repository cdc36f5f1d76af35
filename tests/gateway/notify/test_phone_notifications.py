"""The phone's side of alerts, end to end over a real Mosquitto, a real edge agent, the gateway's HTTP API, a real
Gammu SMSD and a Web Push service on loopback that decrypts what it gets: the edge's critical alert reaches the
farmer's phone (notifications turned on yesterday) and her SMS, the alert's timeline says so, and the notification's
"Đã biết" button — with no session — takes it: the chain stops and the app shows who took it. Turning
notifications on and off, and a test alert, through the API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from gateway.accounts.roles import Role
from gateway.live.alerts import OFFLINE_SOURCE
from gateway.notify.incidents import IncidentState
from gateway.notify.roster import Channel, Duty, Person, Roster
from gateway.notify.webpush import PushSubscription, VapidKeys
from tests.support.gammu_smsd import GammuSmsd
from tests.support.mosquitto import Mosquitto
from tests.support.phone import Phone, serve_phone, timeline, until
from tests.support.push_service import PushService
from tests.support.stack import EdgeThread

GH = "ca-chua-1"
TANK = {"id": "tank-low", "name": "Bể thấp", "name_en": "Tank low", "kind": "alert", "severity": "critical",
        "metric": {"sensors": ["tank-level"]}, "below": 101}  # fmt: skip
ROSTER = Roster(
    people=[
        Person(id="lan", name="Chị Lan", phone="0912 345 678", channels=[Channel.PUSH, Channel.SMS],
               account="chi-lan"),
        Person(id="minh", name="Anh Minh", phone="0987 654 321", channels=[Channel.SMS]),
    ],
    duties=[Duty(greenhouse=GH, people=["lan", "minh"])],
    farm_number="0900 111 222",
)


KEYS = VapidKeys.generate()
USERS = {"chi-lan": (Role.FARMER, "htx-moc-chau", [GH]), "ky-thuat": (Role.TECHNICIAN, "htx-moc-chau", None)}


@contextmanager
def _phone(
    tmp_path: Path, mosquitto: Mosquitto, smsd: GammuSmsd, phones: dict[str, PushSubscription] | None = None
) -> Iterator[Phone]:
    root = smsd.workdir / "smsd"
    with serve_phone(tmp_path, mosquitto, [TANK], USERS, roster=ROSTER, vapid=KEYS, smsd_root=root, phones=phones) as p:
        yield p


def test_the_alert_reaches_the_farmers_phone_and_she_takes_it_from_the_notification(
    tmp_path: Path, mosquitto: Mosquitto, smsd: GammuSmsd, push_service: PushService
) -> None:
    subscriber = push_service.subscribe(KEYS.application_server_key)
    yesterdays = PushSubscription.model_validate(subscriber.subscription_json())
    with _phone(tmp_path, mosquitto, smsd, {"chi-lan": yesterdays}) as phone:
        lan = phone.login("chi-lan")
        got = until(lambda: next(iter(push_service.received), None), "the alert on her phone")
        assert got.payload["title"] == "Nhà màng cà chua 1"
        assert got.payload["body"].startswith("Mực nước bể 80 % — dưới 101 %")
        assert got.payload["actions"] == [{"action": "ack", "title": "Đã biết"}]
        assert (got.urgency, got.ttl_s) == ("high", 28 * 24 * 3600)
        sms = until(lambda: next(iter(smsd.transmissions()), None), "her SMS through the modem")
        assert sms.number == "+84912345678"

        alert = _alert(lan)
        said = [e["said"] for e in timeline(lan, GH, alert["id"])]
        assert "Đã gửi thông báo tới Chị Lan" in said
        assert "Đã gửi tin nhắn tới Chị Lan" in said
        assert said[-1] == "Chưa ai nhận"

        # The button on the lock screen: no cookie, no CSRF token, only the path's token.
        pressed = httpx.post(phone.url + got.payload["ack_url"], headers={"Accept-Language": "vi"})
        assert pressed.status_code == 200
        assert pressed.json()["said"] == "Đã nhận. Mọi người khác sẽ được báo là bạn đã nhận."
        assert _alert(lan)["acked_by"] == "Chị Lan"  # the list shows who took it, at once
        [incident] = phone.notify.notifier.store.open_incidents()
        assert (incident.state, incident.acked_by, incident.acked_via) == (
            IncidentState.ACKNOWLEDGED, "lan", Channel.PUSH
        )  # fmt: skip
        assert timeline(lan, GH, alert["id"])[-1]["said"] == "Chị Lan đã nhận (bằng thông báo)"
        again = httpx.post(phone.url + got.payload["ack_url"], headers={"Accept-Language": "en"})
        assert (again.status_code, again.json()["said"]) == (200, "Chị Lan took it already")
        assert httpx.post(phone.url + "/api/v1/notify/ack/not-a-token").status_code == 404


def test_taken_from_the_list_stops_the_chain_at_once_as_the_person_of_the_roster(
    tmp_path: Path, mosquitto: Mosquitto, smsd: GammuSmsd
) -> None:
    with _phone(tmp_path, mosquitto, smsd) as phone:
        lan = phone.login("chi-lan")
        alert = until(lambda: _told(phone, lan), "the alert told")
        taken = lan.post(f"/api/v1/greenhouses/{GH}/alerts/{alert['id']}/ack")
        assert taken.status_code == 200, taken.text
        [incident] = phone.notify.notifier.store.open_incidents()  # at once: no pass of the notifier needed
        assert (incident.state, incident.acked_by, incident.acked_via) == (IncidentState.ACKNOWLEDGED, "lan", None)
        assert timeline(lan, GH, alert["id"])[-1]["said"] == "Chị Lan đã nhận (trong ứng dụng)"


def _told(phone: Phone, client: httpx.Client) -> dict[str, object] | None:
    """The alert, once the notifier has told somebody of it."""
    if not [i for i in phone.notify.notifier.store.open_incidents() if i.state is IncidentState.NOTIFIED]:
        return None
    return _alert(client)


def test_a_test_alert_reaches_the_phone_and_the_sms_once_in_two_minutes(
    tmp_path: Path, mosquitto: Mosquitto, smsd: GammuSmsd, push_service: PushService
) -> None:
    with _phone(tmp_path, mosquitto, smsd) as phone:
        _test_alert(phone, push_service, smsd)


def _test_alert(phone: Phone, push_service: PushService, smsd: GammuSmsd) -> None:
    lan = phone.login("chi-lan", lang="en")
    subscriber = push_service.subscribe(lan.get("/api/v1/notify/push-key").json()["public_key"])
    lan.post("/api/v1/notify/subscriptions", json=subscriber.subscription_json())

    answer = lan.post("/api/v1/notify/test").json()
    assert [(r["channel"], r["ok"]) for r in answer["results"]] == [("push", True), ("sms", True)]
    assert answer["said"] == "Test sent — check your phone"
    assert [r["said"] for r in answer["results"]] == ["notification: sent", "SMS: sent"]
    tests = [r for r in push_service.received if r.payload["title"] == "Test alert"]
    assert [r.endpoint for r in tests] == [subscriber.endpoint]
    assert tests[0].payload["actions"] == []
    # The SMS in her own language (the roster's), whole in one message.
    sms = until(lambda: next((s for s in smsd.transmissions() if "Thử" in s.first_part), None), "the test SMS")
    assert (sms.number, sms.parts) == ("+84912345678", 1)
    assert sms.first_part == "Thử cảnh báo: Nếu đọc được tin này, cảnh báo sẽ đến được bạn."
    assert lan.post("/api/v1/notify/test").json()["results"] == []  # a second press within 2 minutes: nothing

    # Notifications off: the phone is forgotten, and the next test has nothing to push to.
    off = lan.post("/api/v1/notify/subscriptions/remove", json={"endpoint": subscriber.endpoint})
    assert off.json()["said"] == "Notifications are off for this phone"
    assert phone.notify.phones.phones("chi-lan") == []


def test_the_edge_keeps_the_roster_the_notifier_publishes_for_its_own_sms(
    tmp_path: Path, mosquitto: Mosquitto, smsd: GammuSmsd
) -> None:
    with _phone(tmp_path, mosquitto, smsd) as phone:
        kept = until(lambda: phone.edge.agent.sms_roster.current, "the roster kept by the edge")
    # Lan, then Minh: the greenhouse's chain, only what an SMS needs.
    assert [(c.phone, c.lang) for c in kept.contacts] == [("+84912345678", "vi"), ("+84987654321", "vi")]


def test_a_greenhouse_heard_from_again_resolves_its_silence_and_those_told_hear_it_cleared(
    tmp_path: Path, mosquitto: Mosquitto, smsd: GammuSmsd
) -> None:
    with _phone(tmp_path, mosquitto, smsd) as phone:
        store = phone.notify.notifier.store
        phone.edge.stop()  # the greenhouse's computer goes away
        silent = until(lambda: store.open_incident(GH, OFFLINE_SOURCE), "the silence told")
        until(lambda: _sms_about(smsd, "mất kết nối"), "the SMS saying it is gone")
        back = EdgeThread(phone.stack)
        try:
            until(lambda: store.open_incident(GH, OFFLINE_SOURCE) is None or None, "the silence resolved")
            cleared = until(lambda: _sms_about(smsd, "Đã hết"), "the cleared SMS")
        finally:
            back.stop()
    assert store_state(phone, silent.id) is IncidentState.RESOLVED
    assert cleared.startswith("Nhà màng cà chua 1: Đã hết — Nhà màng mất kết nối")


def _sms_about(smsd: GammuSmsd, words: str) -> str | None:
    return next((t.first_part for t in smsd.transmissions() if words in t.first_part), None)


def store_state(phone: Phone, incident_id: str) -> IncidentState | None:
    found = phone.notify.notifier.store.incident(incident_id)
    return found.state if found is not None else None


def test_the_farm_number_is_offered_as_a_contact(tmp_path: Path, mosquitto: Mosquitto, smsd: GammuSmsd) -> None:
    with _phone(tmp_path, mosquitto, smsd) as phone:
        tech = phone.login("ky-thuat")
        contact = tech.get("/api/v1/notify/contact").json()
        card = tech.get("/api/v1/notify/contact.vcf")
    assert contact["farm_number"] == "+84900111222"
    assert card.headers["content-type"].startswith("text/vcard")
    assert "TEL;TYPE=CELL:+84900111222\r\n" in card.text
    assert card.text.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n")


def _alert(client: httpx.Client) -> dict[str, object]:
    alerts = client.get(f"/api/v1/greenhouses/{GH}/alerts").json()
    return next(a for a in alerts if a["source"] == "rule:tank-low")



