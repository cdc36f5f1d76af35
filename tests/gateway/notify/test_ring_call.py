"""Ring calls through the real `gammu` tool on Gammu's dummy phone (a folder playing the modem's call port): the
person's number dialled and hung up after the ring, calls one after the other, a modem that is not there said so."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contract.messages import Severity
from edge.modem.gammu_sms import Modem
from gateway.notify.incidents import Incident, IncidentState
from gateway.notify.modem_health import Registration
from gateway.notify.notifier import Outgoing
from gateway.notify.planner import Send, SendKind
from gateway.notify.ring_call import RingCall, RingSettings, gammurc
from gateway.notify.roster import Channel, Person
from tests.support.gammu_smsd import gammu_binary, operations

AT = datetime(2026, 1, 15, 20, 0, tzinfo=UTC)
LAN = Person(id="lan", name="Chị Lan", phone="0912 345 678", channels=[Channel.CALL])
BA = Person(id="ba", name="Bà Ba", phone="0987 654 321", channels=[Channel.CALL])
INCIDENT = Incident(
    id="i1", greenhouse="ca-chua-1", source="rule:frost", severity=Severity.CRITICAL, state=IncidentState.OPEN,
    opened_at=AT, round_at=AT, text_vi="Sương muối", text_en="Frost",
)  # fmt: skip


def call_for(person: Person) -> Outgoing:
    send = Send(incident="i1", kind=SendKind.ALERT, round=0, step=1, person=person.id, channel=Channel.CALL, due_at=AT)
    return Outgoing(
        send=send,
        person=person,
        incident=INCIDENT,
        at=AT,
        title="Nhà màng cà chua 1",
        body="Sương muối",
        text="Nhà màng cà chua 1: Sương muối",
    )


def port(tmp_path: Path, modem: Modem, ring_s: float = 1.0, dial_timeout_s: float = 15.0) -> RingSettings:
    rc = tmp_path / "call-port.gammurc"
    rc.write_text(gammurc(modem))
    return RingSettings(gammurc=rc, ring_s=ring_s, dial_timeout_s=dial_timeout_s, gammu=gammu_binary("gammu"))


@pytest.fixture
def phone(tmp_path: Path) -> Path:
    folder = tmp_path / "phone"
    folder.mkdir()
    return folder


def dummy(phone: Path) -> Modem:
    return Modem(device=f"{phone}/", connection="none", model="dummy")


def test_the_phone_rings_and_is_hung_up_without_holding_the_notifier(tmp_path: Path, phone: Path) -> None:
    ring = RingCall(port(tmp_path, dummy(phone), ring_s=2.0))
    delivery = ring(call_for(LAN))
    assert delivery.ok and delivery.detail is None
    assert ring.ringing == "+84912345678"  # the dial returned while the phone still rings
    assert ring.wait_idle(30)
    assert operations(phone) == ["Dialling +84912345678", "Canceling call 0 (1)"]


def test_calls_asked_for_during_a_ring_are_made_one_after_the_other(tmp_path: Path, phone: Path) -> None:
    ring = RingCall(port(tmp_path, dummy(phone), ring_s=1.5))
    assert ring(call_for(LAN)).ok
    assert ring(call_for(BA)).ok  # waits for the line
    assert ring(call_for(LAN)).ok  # already ringing: not rung twice
    assert ring.ringing == "+84912345678"
    assert ring.wait_idle(30)
    # One connection to the modem for the run of calls, each hung up before the next is dialled.
    assert operations(phone) == [
        "Dialling +84912345678",
        "Canceling call 0 (1)",
        "Dialling +84987654321",
        "Canceling call 0 (1)",
    ]
    assert ring(call_for(BA)).ok  # the line was let go, and is taken again
    assert ring.wait_idle(30)
    assert operations(phone) == ["Dialling +84987654321", "Canceling call 0 (1)"]


def test_a_modem_that_is_not_there_is_said_so_and_nothing_rings(tmp_path: Path) -> None:
    ring = RingCall(port(tmp_path, Modem(device=str(tmp_path / "ttyUSB3"))))
    delivery = ring(call_for(LAN))
    assert not delivery.ok
    assert delivery.detail == "Error opening device, it doesn't exist."
    assert ring.ringing is None and ring.wait_idle(0)


def test_a_modem_that_does_not_answer_is_given_up_on(tmp_path: Path) -> None:
    # A serial port nobody answers on: gammu waits for the modem's reply to its first AT command.
    controller, device = os.openpty()
    try:
        ring = RingCall(port(tmp_path, Modem(device=os.ttyname(device)), dial_timeout_s=1.0))
        delivery = ring(call_for(LAN))
    finally:
        os.close(controller)
        os.close(device)
    assert not delivery.ok
    assert delivery.detail == "no answer from the modem within 1 s"
    assert ring.ringing is None and ring.wait_idle(0)


def test_no_gammu_configuration_and_no_gammu_are_said_so(tmp_path: Path, phone: Path) -> None:
    settings = port(tmp_path, dummy(phone))
    missing_rc = RingCall(settings.model_copy(update={"gammurc": tmp_path / "nowhere.gammurc"}))
    assert missing_rc(call_for(LAN)).detail == f"no gammu configuration at {tmp_path / 'nowhere.gammurc'}"
    no_gammu = RingCall(settings.model_copy(update={"gammu": str(tmp_path / "gammu")}))
    assert no_gammu(call_for(LAN)).detail == f"{tmp_path / 'gammu'} not found: the gammu package is not installed"


def test_the_network_state_is_asked_on_the_call_port_while_no_call_holds_it(tmp_path: Path, phone: Path) -> None:
    ring = RingCall(port(tmp_path, dummy(phone), ring_s=1.0))
    assert ring.registration() is Registration.HOME  # the dummy phone is always on its home network
    assert ring(call_for(LAN)).ok
    assert ring.registration() is None  # the port is the call's
    assert ring.wait_idle(30)
