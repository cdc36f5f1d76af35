"""The issue's "done when", end to end over a real Mosquitto, a real edge agent, the gateway's API and notifier, a
real Gammu SMSD and a Web Push service on loopback: a frost alert raised in the quiet hours reaches the farmer on
duty by phone notification and SMS at once; nobody answers, so the backup gets the SMS at the next step; his "OK"
from the modem stops the chain for everyone (the farmer's phone is told who took it, nobody is rung); and the app
shows the whole story, in order, in the farmer's words.

The escalation's minutes are the cooperative's own (``notify-policy.yaml``), short so that a simulated minute
passes in two seconds at the stack's speed."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

import httpx
import pytest
import yaml

from contract.messages import Severity
from gateway.accounts.roles import Role
from gateway.notify.incidents import IncidentState
from gateway.notify.policy import DEFAULT_POLICY, Escalation, QuietHours, Step
from gateway.notify.roster import Channel, Duty, Person, Roster
from gateway.notify.settings_files import POLICY_FILE
from gateway.notify.webpush import PushSubscription, VapidKeys
from tests.support.gammu_smsd import GammuSmsd
from tests.support.mosquitto import Mosquitto
from tests.support.phone import serve_phone, timeline, until
from tests.support.push_service import PushService, Received

GH = "ca-chua-1"
LAN, MINH = "+84912345678", "+84987654321"
# Stands from the first poll, whatever the simulated weather: what matters here is who hears of it.
FROST = {"id": "frost", "name": "Sương muối", "name_en": "Frost", "kind": "alert", "severity": "critical",
         "metric": {"sensors": ["air-temp"]}, "below": 60}  # fmt: skip
ROSTER = Roster(
    people=[
        Person(id="lan", name="Chị Lan", phone=LAN, channels=[Channel.PUSH, Channel.SMS, Channel.CALL],
               account="chi-lan"),
        Person(id="minh", name="Anh Minh", phone=MINH, channels=[Channel.SMS, Channel.CALL]),
    ],
    duties=[Duty(greenhouse=GH, people=["lan", "minh"])],
)  # fmt: skip
POLICY = DEFAULT_POLICY.model_copy(
    update={
        "critical": Escalation(
            steps=[
                Step(after_min=0, rank=0, channels=[Channel.PUSH, Channel.SMS]),
                Step(after_min=1, rank=1, channels=[Channel.SMS]),
                Step(after_min=6, rank=0, channels=[Channel.CALL]),  # never reached: Minh takes it first
            ],
            back_after_ack_min=30,
        ),
        # The whole simulated day is "night" for the quiet hours, which never hold a critical alert.
        "quiet": QuietHours(start=clock(0, 0), end=clock(23, 59)),
    }
)
USERS = {"chi-lan": (Role.FARMER, "htx-moc-chau", [GH])}


def test_a_frost_alert_at_night_reaches_the_farmer_escalates_to_the_backup_and_stops_at_his_ok(
    tmp_path: Path, mosquitto: Mosquitto, smsd: GammuSmsd, push_service: PushService, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = VapidKeys.generate()
    phone = PushSubscription.model_validate(push_service.subscribe(keys.application_server_key).subscription_json())
    data = tmp_path / "gateway"
    data.mkdir()
    (data / POLICY_FILE).write_text(yaml.safe_dump(POLICY.model_dump(mode="json")), encoding="utf-8")
    with serve_phone(
        tmp_path, mosquitto, [FROST], USERS, roster=ROSTER, vapid=keys, smsd_root=smsd.workdir / "smsd",
        phones={"chi-lan": phone},
    ) as served:  # fmt: skip
        lan = served.login("chi-lan")
        passes: list[datetime] = []  # the simulated time of each pass of the notifier, once it is done
        tick = served.notify.notifier.tick

        def counted_tick(at: datetime) -> None:
            tick(at)
            passes.append(at)

        monkeypatch.setattr(served.notify.notifier, "tick", counted_tick)
        # At once, in the quiet hours: her phone and her SMS.
        alert = until(lambda: next(iter(push_service.received), None), "the frost alert on her phone")
        assert (alert.payload["title"], alert.urgency) == ("Nhà màng cà chua 1", "high")
        assert alert.payload["body"].startswith("Nhiệt độ")
        until(lambda: _sms_to(smsd, LAN), "her SMS")
        # Nobody answers: the backup's SMS at the next step.
        backup = until(lambda: _sms_to(smsd, MINH), "the backup's SMS")
        assert backup.startswith("Nhà màng cà chua 1: Nhiệt độ")
        smsd.inject_sms(MINH, "ok")

        taken = until(lambda: _taken(push_service), "her phone told who took it")
        assert taken.payload["body"].startswith("Anh Minh đã nhận — Nhiệt độ")
        assert taken.topic == alert.topic  # it replaces the alert on the push service, and the tag on the phone
        assert taken.payload["actions"] == []
        incident = served.notify.notifier.store.open_incidents()[0]
        assert (incident.severity, incident.state) == (Severity.CRITICAL, IncidentState.ACKNOWLEDGED)
        assert (incident.acked_by, incident.acked_via) == ("minh", Channel.SMS)
        shown = until(lambda: _acked(lan), "the app showing who took it")
        assert shown["acked_by"] == "Anh Minh"

        # Until the notifier's pass at the time the step that would have rung her falls due is done: what it would
        # have sent is on the timeline by then.
        rings_at = incident.round_at + timedelta(minutes=POLICY.critical.steps[-1].after_min)
        until(lambda: (passes and passes[-1] >= rings_at) or None, "the notifier's pass when she would be rung")
        story = [e["said"] for e in timeline(lan, GH, shown["id"])]
    assert story[:3] == ["Đã gửi thông báo tới Chị Lan", "Đã gửi tin nhắn tới Chị Lan", "Đã gửi tin nhắn tới Anh Minh"]
    assert story[3] == "Anh Minh đã nhận (bằng tin nhắn)"
    assert story[4:] == ["Đã báo Chị Lan là đã có người nhận"]  # and nobody rung
    assert [t.number for t in smsd.transmissions()] == [LAN, MINH]


def _sms_to(smsd: GammuSmsd, number: str) -> str | None:
    return next((t.first_part for t in smsd.transmissions() if t.number == number), None)


def _taken(push_service: PushService) -> Received | None:
    return next((r for r in push_service.received if "đã nhận" in r.payload["body"]), None)


def _acked(client: httpx.Client) -> dict[str, object] | None:
    alerts = client.get(f"/api/v1/greenhouses/{GH}/alerts").json()
    return next((a for a in alerts if a["source"] == "rule:frost" and a["acked_by"]), None)
