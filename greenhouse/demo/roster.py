"""The demo cooperative's duty roster: who is told about which greenhouse. The numbers are made up; with no modem
the demo's gateway writes every message to its local outbox, which the demo's screen shows as it happens. The
technician is the demo's admin account, so that "send me a test alert" in the app reaches somebody, and the demo
has its own VAPID key, so that a phone may turn notifications on."""

from __future__ import annotations

from pathlib import Path

import yaml

from contract.site import SiteConfig
from gateway.notify.roster import ROSTER_FILE, Channel, Duty, Person, Roster
from gateway.notify.setup import VAPID_FILE
from gateway.notify.webpush import VapidKeys
from greenhouse.demo.admin import DEMO_ADMIN

_PEOPLE = [
    Person(id="lan", name="Chị Lan", phone="0900 000 001", channels=[Channel.PUSH, Channel.SMS, Channel.CALL]),
    Person(id="minh", name="Anh Minh", phone="0900 000 002", channels=[Channel.PUSH, Channel.SMS, Channel.CALL]),
    Person(id="hung", name="Kỹ thuật Hùng", phone="0900 000 003", email="hung@example.vn",
           channels=[Channel.PUSH, Channel.SMS, Channel.EMAIL], lang="en", account=DEMO_ADMIN),
]  # fmt: skip


_FARM_NUMBER = "0900 000 099"


def write_demo_vapid(data_dir: Path) -> None:
    """The demo's own key for phone notifications, unless a kept demo folder has one (its phones subscribed with it)."""
    path = data_dir / VAPID_FILE
    if not path.exists():
        VapidKeys.generate().save(path)


def write_demo_roster(site: SiteConfig, data_dir: Path) -> Path:
    """The roster in ``data_dir``, unless one is there (a kept demo folder keeps its own)."""
    path = data_dir / ROSTER_FILE
    if not path.exists():
        duties = [Duty(greenhouse=gh.id, people=["lan", "minh", "hung"]) for gh in site.greenhouses]
        roster = Roster(people=_PEOPLE, duties=duties, farm_number=_FARM_NUMBER)
        data = roster.model_dump(mode="json", exclude_none=True)  # a technician reads no "email: null"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path
