"""The roster each edge keeps for when the farm server cannot help: the first people of the greenhouse's chain who
take SMS, with only what an SMS needs, drawn again as the weekly turn of duty changes, and published retained over
a real Mosquitto so that an edge that connects later still reads it, strictly, as the contract's message."""

from __future__ import annotations

import json
import queue
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import paho.mqtt.client as paho

from contract.messages import EdgeRoster, SmsContact
from contract.mqtt import BrokerUrl, make_client
from contract.site_file import load_site
from contract.topics import Channel as Topic
from contract.topics import topic
from contract.wire import decode
from gateway.notify.edge_roster import EdgeRosters, edge_roster
from gateway.notify.roster import Channel, Duty, Person, Roster
from tests.conftest import EXAMPLE_SITE
from tests.support.mosquitto import Mosquitto

SITE = load_site(EXAMPLE_SITE)
SITE_ID = SITE.cooperative.id
GH_A, GH_B = SITE.greenhouses[0].id, SITE.greenhouses[1].id
# A Monday of ISO week 3, at night in Mộc Châu.
AT = datetime(2026, 1, 12, 2, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
ROSTER = Roster(
    people=[
        Person(id="lan", name="Chị Lan", phone="0912 345 678", channels=[Channel.PUSH, Channel.SMS]),
        Person(id="tuan", name="Anh Tuấn", phone="0913 000 111", channels=[Channel.SMS], plain_sms=True),
        Person(id="hoa", name="Chị Hoa", email="hoa@htx.vn", phone="0914 222 333", channels=[Channel.EMAIL]),
        Person(id="minh", name="Anh Minh", phone="+84 987 654 321", channels=[Channel.SMS, Channel.CALL]),
        Person(id="kt", name="Kỹ thuật", phone="0915.444.555", lang="en", channels=[Channel.SMS]),
    ],
    duties=[
        # Lan and Tuấn take turns as the first told; Hoa reads email only, so the edge never texts her.
        Duty(greenhouse=GH_A, people=["lan", "tuan", "hoa", "minh", "kt"], rotation=["lan", "tuan"]),
        Duty(greenhouse=GH_B, people=["hoa"]),
    ],
)
LAN = SmsContact(phone="+84912345678", lang="vi")
TUAN = SmsContact(phone="+84913000111", lang="vi", plain_sms=True)
MINH = SmsContact(phone="+84987654321", lang="vi")
KT = SmsContact(phone="+84915444555", lang="en")


def test_the_first_people_of_the_chain_who_take_sms_with_only_what_an_sms_needs() -> None:
    week_3 = edge_roster(SITE, GH_A, ROSTER, AT, people=3)
    assert week_3 == EdgeRoster(site=SITE_ID, greenhouse=GH_A, issued_at=AT, contacts=[TUAN, LAN, MINH])
    week_4 = edge_roster(SITE, GH_A, ROSTER, AT + timedelta(days=7), people=3)
    assert week_4.contacts == [LAN, TUAN, MINH]  # Lan's week: she is texted first
    assert edge_roster(SITE, GH_A, ROSTER, AT, people=10).contacts == [TUAN, LAN, MINH, KT]
    # Nobody of greenhouse B's chain takes SMS: its edge is told so, rather than keeping an older list.
    assert edge_roster(SITE, GH_B, ROSTER, AT, people=3).contacts == []
    # No names, no ids: a number, a language and a form, and that is all an edge holds of a person.
    wire = json.loads(week_3.to_json())
    assert {tuple(sorted(c)) for c in wire["contacts"]} == {("lang", "phone", "plain_sms")}


def test_published_retained_when_it_changes_and_read_by_an_edge_that_connects_later(mosquitto: Mosquitto) -> None:
    url = BrokerUrl.parse(mosquitto.url)
    notifier = _connected(url, "notifier")
    try:
        sent: list[paho.MQTTMessageInfo] = []
        rosters = EdgeRosters(
            SITE, lambda topic, payload: sent.append(notifier.publish(topic, payload, qos=1, retain=True))
        )
        first = rosters.update(ROSTER, AT)
        assert [m.greenhouse for m in first] == [gh.id for gh in SITE.greenhouses]
        assert rosters.update(ROSTER, AT + timedelta(hours=1)) == []  # the same people: nothing sent again
        [turned] = rosters.update(ROSTER, AT + timedelta(days=7))  # the turn of duty changed
        assert (turned.greenhouse, turned.contacts) == (GH_A, [LAN, TUAN, MINH])
        for message in sent:  # the broker has each one (its PUBACK) before anyone subscribes
            message.wait_for_publish(10)
            assert message.is_published()
    finally:
        notifier.disconnect()
        notifier.loop_stop()

    got: queue.SimpleQueue[paho.MQTTMessage] = queue.SimpleQueue()
    edge = _connected(url, "edge", lambda _c, _u, msg: got.put(msg))
    try:
        edge.subscribe(topic(SITE_ID, GH_A, Topic.ROSTER), qos=1)
        msg = got.get(timeout=10)
    finally:
        edge.disconnect()
        edge.loop_stop()
    assert msg.retain
    kept = decode(EdgeRoster, msg.payload, 16 * 1024)
    assert isinstance(kept, EdgeRoster)
    assert kept == turned


def _connected(url: BrokerUrl, name: str, on_message: paho.CallbackOnMessage | None = None) -> paho.Client:
    client = make_client(url, client_id=f"{name}-test")
    if on_message is not None:
        client.on_message = on_message
    client.connect(url.host, url.port)
    client.loop_start()
    deadline = time.monotonic() + 10
    while not client.is_connected():
        assert time.monotonic() < deadline, f"{name} not connected"
        time.sleep(0.05)
    return client
