"""The demo cooperative's duty roster: who is told about which greenhouse. The numbers are made up; with no modem
the demo's gateway writes every message to its local outbox, which the demo's screen shows as it happens."""

from __future__ import annotations

from pathlib import Path

import yaml

from contract.site import SiteConfig
from gateway.notify.roster import ROSTER_FILE, Channel, Duty, Person, Roster

_PEOPLE = [
    Person(id="lan", name="Chị Lan", phone="0900 000 001", channels=[Channel.PUSH, Channel.SMS, Channel.CALL]),
    Person(id="minh", name="Anh Minh", phone="0900 000 002", channels=[Channel.PUSH, Channel.SMS, Channel.CALL]),
    Person(id="hung", name="Kỹ thuật Hùng", phone="0900 000 003", email="hung@example.vn",
           channels=[Channel.SMS, Channel.EMAIL], lang="en"),
]  # fmt: skip


def write_demo_roster(site: SiteConfig, data_dir: Path) -> Path:
    """The roster in ``data_dir``, unless one is there (a kept demo folder keeps its own)."""
    path = data_dir / ROSTER_FILE
    if not path.exists():
        duties = [Duty(greenhouse=gh.id, people=["lan", "minh", "hung"]) for gh in site.greenhouses]
        roster = Roster(people=_PEOPLE, duties=duties)
        path.write_text(yaml.safe_dump(roster.model_dump(mode="json"), allow_unicode=True, sort_keys=False), "utf-8")
    return path
