"""The edge on its own: the notifier's roster kept (a malformed one refused, the old one kept), and a standing
critical alert written into the local SMSD outbox once the uplink has been down long enough — in each person's
language and form, once per alert and person, a restart included; nothing when the uplink comes back in time."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract.messages import EdgeRoster, Event, EventKind, Severity, SmsContact
from contract.reasons import Reason
from contract.site_file import load_site
from edge.modem.gammu_sms import SmsdFolders
from edge.sms_roster import SmsRoster
from edge.uplink_sms import UplinkSms
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
SITE_ID = SITE.cooperative.id
GH = SITE.greenhouses[0]
T0 = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)
AFTER_S = 300.0
LAN = SmsContact(phone="+84912345678", lang="vi")
MINH = SmsContact(phone="+84987654321", lang="vi", plain_sms=True)
TOM = SmsContact(phone="+447700900123", lang="en")


def _roster(*contacts: SmsContact, greenhouse: str = GH.id) -> EdgeRoster:
    return EdgeRoster(site=SITE_ID, greenhouse=greenhouse, issued_at=T0, contacts=list(contacts))


def _alert(at: datetime, severity: Severity = Severity.CRITICAL, raised: bool = True, node: str = "soil-3") -> Event:
    reason = Reason.NODE_UNREACHABLE if raised else Reason.NODE_ANSWERING
    return Event(
        site=SITE_ID,
        greenhouse=GH.id,
        ts=at,
        kind=EventKind.ALERT,
        severity=severity,
        action="raised" if raised else "cleared",
        reason=reason,
        reason_params={"node": node},
    )


@dataclass(frozen=True)
class Sms:
    number: str
    urgent: bool
    text: str


def _queued(folders: SmsdFolders) -> list[Sms]:
    """What is in SMSD's outbox, as SMSD reads the files (no SMSD runs here: they stay there)."""
    found = []
    for path in sorted(folders.outbox.glob("OUT*.txt")):
        number = path.name.split("_")[3]
        raw = path.read_bytes()
        assert raw[:2] == b"\xfe\xff"
        found.append(Sms(number, path.name.startswith("OUTA"), raw[2:].decode("utf-16-be")))
    return sorted(found, key=lambda s: s.number)


def _edge(tmp_path: Path, now: datetime, *contacts: SmsContact) -> tuple[UplinkSms, SmsRoster, SmsdFolders]:
    folders = SmsdFolders.under(tmp_path / "smsd")
    folders.create()
    roster = SmsRoster(SITE_ID, GH.id, tmp_path / "edge")
    if contacts:
        assert roster.take(_roster(*contacts).to_json())
    return UplinkSms(SITE_ID, GH, tmp_path / "edge", tmp_path / "smsd", roster, now, AFTER_S), roster, folders


def test_the_roster_is_kept_on_disk_and_a_malformed_one_is_refused_naming_the_field_the_old_one_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kept = SmsRoster(SITE_ID, GH.id, tmp_path)
    assert kept.current is None
    assert kept.take(_roster(LAN, MINH).to_json())
    on_disk = sorted(tmp_path.iterdir())
    assert SmsRoster(SITE_ID, GH.id, tmp_path).current == _roster(LAN, MINH)  # what a restart finds

    unnormalised = _roster(LAN).to_json().replace(b"+84912345678", b"0912 345 678")
    other_house = _roster(TOM, greenhouse=SITE.greenhouses[1].id).to_json()
    refusals = (
        (unnormalised, "contacts.0.phone", "should match pattern"),
        (other_house, "greenhouse", f"roster for {SITE_ID}/{SITE.greenhouses[1].id}, this is {SITE_ID}/{GH.id}"),
        (b"{", None, "EOF while parsing"),
    )
    for payload, field, detail in refusals:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="edge.sms_roster"):
            assert not kept.take(payload)
        [record] = caplog.records
        assert record.getMessage() == "sms roster refused; the one kept stays"
        assert record.__dict__["field"] == field
        assert detail in record.__dict__["detail"]
        assert record.__dict__["kept_issued_at"] == T0.isoformat()
        assert kept.current == _roster(LAN, MINH)
    assert SmsRoster(SITE_ID, GH.id, tmp_path).current == _roster(LAN, MINH)
    assert sorted(tmp_path.iterdir()) == on_disk


def test_a_critical_alert_is_texted_to_each_person_in_their_form_once_the_uplink_has_been_down_long_enough(
    tmp_path: Path,
) -> None:
    sms, _, folders = _edge(tmp_path, T0, LAN, MINH, TOM)
    sms.tick(True, T0)
    sms.tick(False, T0 + timedelta(minutes=1))  # the uplink goes
    sms.note(_alert(T0 + timedelta(minutes=2)))
    sms.tick(False, T0 + timedelta(minutes=5, seconds=59))
    assert _queued(folders) == []  # down for 4 min 59 s: not yet
    sms.tick(False, T0 + timedelta(minutes=6))
    assert _queued(folders) == [
        Sms("+447700900123", True, "Tomato house 1: Cannot reach the sensor for Soil moisture B1"),
        Sms("+84912345678", True, "Nhà màng cà chua 1: Không liên lạc được với thiết bị đo Ẩm đất B1"),
        Sms("+84987654321", True, "Nha mang ca chua 1: Khong lien lac duoc voi thiet bi do Am dat B1"),
    ]
    for minutes in (7, 60, 600):
        sms.tick(False, T0 + timedelta(minutes=minutes))
    assert len(_queued(folders)) == 3  # once per alert and person


def test_nothing_is_texted_when_the_uplink_comes_back_in_time_nor_for_a_warning_or_a_cleared_alert(
    tmp_path: Path,
) -> None:
    sms, _, folders = _edge(tmp_path, T0, LAN)
    sms.tick(True, T0)
    sms.tick(False, T0 + timedelta(minutes=1))
    sms.note(_alert(T0 + timedelta(minutes=2)))
    sms.tick(True, T0 + timedelta(minutes=5))  # back after 4 min: the farm server's notifier has it
    sms.tick(False, T0 + timedelta(minutes=6))  # gone again: the wait starts over
    sms.tick(False, T0 + timedelta(minutes=10, seconds=59))
    assert _queued(folders) == []
    sms.note(_alert(T0 + timedelta(minutes=10), raised=False))  # cleared before the wait was over
    sms.note(_alert(T0 + timedelta(minutes=10), Severity.WARNING, node="soil-2"))
    sms.tick(False, T0 + timedelta(hours=2))
    assert _queued(folders) == []
    assert [a.source for a in sms.standing] == ["node:soil-2"]
    sms.note(_alert(T0 + timedelta(hours=2), Severity.CRITICAL, node="soil-2"))  # the same alert, now critical
    sms.tick(False, T0 + timedelta(hours=2))
    assert [s.text for s in _queued(folders)] == ["Nhà màng cà chua 1: Không liên lạc được với thiết bị đo Ẩm đất A2"]


def test_a_restart_texts_nothing_twice_and_knows_the_alerts_that_still_stand(tmp_path: Path) -> None:
    sms, _, folders = _edge(tmp_path, T0, LAN, TOM)
    sms.note(_alert(T0))
    sms.tick(False, T0 + timedelta(minutes=5))
    assert len(_queued(folders)) == 2
    # Restarted, still without its uplink: the alert stands (from disk) and is raised again, as the same one.
    again, roster, _ = _edge(tmp_path, T0 + timedelta(minutes=20))
    assert roster.current == _roster(LAN, TOM)
    assert [(a.source, a.raised_at) for a in again.standing] == [("node:soil-3", T0)]
    again.note(_alert(T0 + timedelta(minutes=22)))
    again.tick(False, T0 + timedelta(minutes=30))
    assert len(_queued(folders)) == 2
    # Cleared and raised again: a new occurrence, told again.
    again.note(_alert(T0 + timedelta(minutes=31), raised=False))
    again.note(_alert(T0 + timedelta(minutes=32)))
    again.tick(False, T0 + timedelta(minutes=32))
    assert len(_queued(folders)) == 4


def test_without_a_roster_nobody_is_texted_and_it_is_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sms, _, folders = _edge(tmp_path, T0)
    sms.note(_alert(T0))
    with caplog.at_level(logging.WARNING, logger="edge.uplink_sms"):
        for minutes in (6, 7, 8):
            sms.tick(False, T0 + timedelta(minutes=minutes))
    assert _queued(folders) == []
    assert [r.getMessage() for r in caplog.records] == [
        "critical alert and no uplink, but no roster received yet: nobody to text"
    ]
