"""The email channel against a real SMTP server on loopback (aiosmtpd): a frost alarm reaches the technician's
mailbox with its Vietnamese subject and body intact, the "taken" message that follows joins its thread, signing in
works with either mechanism a server offers, and every refusal — a wrong password, an unknown mailbox, no server at
all — is a failed delivery with the server's own answer, never an exception."""

from __future__ import annotations

import email
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from pydantic import SecretStr, ValidationError

from contract.messages import Severity
from contract.site_file import load_site
from gateway.notify.email_channel import EmailChannel, SmtpSecurity, SmtpSettings
from gateway.notify.incidents import raised
from gateway.notify.notifier import Notifier, Outgoing, Sender
from gateway.notify.planner import Send, SendKind
from gateway.notify.policy import Escalation, Policy, Step
from gateway.notify.roster import Channel, Duty, Person, Roster
from gateway.notify.store import NotifyStore
from greenhouse.net import free_port
from tests.conftest import EXAMPLE_SITE

# aiosmtpd warns of AUTH without TLS; on loopback there is nobody to listen in.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
SITE = load_site(EXAMPLE_SITE)
NIGHT = datetime(2026, 1, 15, 3, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
FROST = ("Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét", "Frost: 0.4 °C, below 0.5 °C — protecting")
APP = "https://nongtrai.htx-bac-ha.vn"
HUNG = Person(id="hung", name="Kỹ thuật Hùng", email="hung@htx-bac-ha.vn", channels=[Channel.EMAIL])
ANNA = Person(id="anna", name="Anna Berg", email="anna@agro.example", lang="en", channels=[Channel.EMAIL])
USER, PASSWORD = "canhbao@htx-bac-ha.vn", "mat-khau-dung-2026"


@dataclass
class Mailbox:
    """aiosmtpd's handler: takes mail for the addresses it knows, refuses the others as a real server does."""

    known: set[str]
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    sign_ins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SmtpServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address not in self.known:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def authenticator(
        self, server: SmtpServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.sign_ins.append((mechanism, login))
        # Not handled: aiosmtpd then answers a failure with its own 535, as a real server does.
        return AuthResult(success=(login, password) == (USER, PASSWORD), handled=False)


@dataclass
class MailServer:
    mailbox: Mailbox
    port: int


def _serve(mailbox: Mailbox, **options: Any) -> Iterator[MailServer]:
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield MailServer(mailbox, port)
    finally:
        controller.stop()


@pytest.fixture
def open_server() -> Iterator[MailServer]:
    """A relay on the farm server that takes mail for its known mailboxes without signing in."""
    yield from _serve(Mailbox(known={HUNG.email or "", ANNA.email or ""}))


def _settings(port: int, *, user: str | None = None, password: str | None = None) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=port,
        security=SmtpSecurity.NONE,
        user=user,
        password=SecretStr(password) if password is not None else None,
        from_address="canhbao@htx-bac-ha.vn",
        from_name="HTX Bắc Hà — cảnh báo",
        timeout_s=5,
    )


def _text(message: EmailMessage) -> str:
    """The body as a mail reader shows it: MIME writes text with CRLF line ends (RFC 2046 §4.1.1)."""
    content = message.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def _outgoing(person: Person) -> Outgoing:
    incident = raised(None, "ca-chua-1", "rule:frost", Severity.CRITICAL, FROST, NIGHT)
    send = Send(incident=incident.id, kind=SendKind.ALERT, round=0, step=0, person=person.id,
                channel=Channel.EMAIL, due_at=NIGHT)
    house = "Nhà màng cà chua 1"
    return Outgoing(send=send, person=person, incident=incident, at=NIGHT, title=house, body=FROST[0],
                    text=f"{house}: {FROST[0]}")


def test_a_frost_alarm_reaches_both_readers_in_their_language_and_the_taken_message_joins_its_thread(
    open_server: MailServer, tmp_path: Any
) -> None:
    both_at_once = Escalation(steps=[Step(after_min=0, rank=0, channels=[Channel.EMAIL]),
                                     Step(after_min=0, rank=1, channels=[Channel.EMAIL])])
    policy = Policy(critical=both_at_once, warning=both_at_once, info=both_at_once)
    roster = Roster(people=[HUNG, ANNA], duties=[Duty(greenhouse="ca-chua-1", people=["hung", "anna"])])
    senders: dict[Channel, Sender] = {Channel.EMAIL: EmailChannel(_settings(open_server.port), APP)}
    notifier = Notifier(SITE, roster, policy, NotifyStore(tmp_path / "notify.sqlite3"), senders)
    incident = notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, NIGHT)
    assert incident is not None

    notifier.tick(NIGHT)

    by_address = {to[0]: message for to, message in open_server.mailbox.received}
    assert sorted(by_address) == ["anna@agro.example", "hung@htx-bac-ha.vn"]
    vi, en = by_address["hung@htx-bac-ha.vn"], by_address["anna@agro.example"]
    assert vi["Subject"] == "[Nguy cấp] Nhà màng cà chua 1: Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét"
    assert _text(vi) == (
        "Nhà màng cà chua 1: Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét\n"
        "\n"
        "Xem trong ứng dụng: https://nongtrai.htx-bac-ha.vn/#/gh/ca-chua-1/alerts\n"
    )
    assert (vi.get_content_charset(), vi["Importance"], vi["Auto-Submitted"]) == ("utf-8", "high", "auto-generated")
    assert (vi["To"].addresses[0].display_name, vi["From"].addresses[0].display_name) == (
        "Kỹ thuật Hùng", "HTX Bắc Hà — cảnh báo")
    assert en["Subject"] == "[Critical] Tomato house 1: Frost: 0.4 °C, below 0.5 °C — protecting"
    assert _text(en).endswith("See it in the app: https://nongtrai.htx-bac-ha.vn/#/gh/ca-chua-1/alerts\n")

    notifier.acknowledge(incident.id, "hung", None, NIGHT)
    notifier.tick(NIGHT)

    [(to, taken)] = open_server.mailbox.received[2:]
    assert to == ["anna@agro.example"]  # the one who took it is not told he did
    assert taken["Subject"] == (
        "[Taken] Tomato house 1: Kỹ thuật Hùng took it — Frost: 0.4 °C, below 0.5 °C — protecting")
    assert _text(taken).startswith("Tomato house 1: Kỹ thuật Hùng took it — Frost")
    ids = {m["Message-ID"] for m in (vi, en, taken)}
    assert len(ids) == 3  # one per send
    assert {m["References"] for m in (vi, en, taken)} == {vi["In-Reply-To"]}  # one thread per incident
    assert vi["References"] not in ids


def test_a_send_made_again_after_a_restart_carries_the_same_message_id(open_server: MailServer) -> None:
    channel = EmailChannel(_settings(open_server.port), None)
    assert channel(_outgoing(HUNG)).ok and channel(_outgoing(HUNG)).ok
    first, again = (m for _, m in open_server.mailbox.received)
    assert first["Message-ID"] == again["Message-ID"]
    assert "Xem trong ứng dụng" not in _text(first)  # no app address given, no link


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_signing_in_with_the_mechanism_the_server_offers(mechanism: str) -> None:
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    mailbox = Mailbox(known={"hung@htx-bac-ha.vn"})
    for server in _serve(mailbox, authenticator=mailbox.authenticator, auth_required=True,
                         auth_require_tls=False, auth_exclude_mechanism=[other]):
        delivery = EmailChannel(_settings(server.port, user=USER, password=PASSWORD), APP)(_outgoing(HUNG))

        assert (delivery.ok, delivery.detail) == (True, None)
        assert mailbox.sign_ins == [(mechanism, USER)]
        [(to, message)] = mailbox.received
        assert to == ["hung@htx-bac-ha.vn"] and message["Subject"].startswith("[Nguy cấp] Nhà màng cà chua 1")


def test_a_wrong_password_is_a_failed_delivery_with_the_servers_code() -> None:
    mailbox = Mailbox(known={"hung@htx-bac-ha.vn"})
    for server in _serve(mailbox, authenticator=mailbox.authenticator, auth_required=True, auth_require_tls=False):
        wrong = EmailChannel(_settings(server.port, user=USER, password="mat-khau-cu"), APP)(_outgoing(HUNG))
        anonymous = EmailChannel(_settings(server.port), APP)(_outgoing(HUNG))

        assert wrong.ok is False and wrong.detail is not None
        assert wrong.detail.startswith("sign-in refused: 535")
        assert anonymous.ok is False and anonymous.detail is not None
        assert anonymous.detail.startswith("mail server answered 530")  # the server wants a sign-in
        assert mailbox.received == []


def test_a_mailbox_the_server_refuses_is_a_failed_delivery_naming_it(open_server: MailServer) -> None:
    gone = HUNG.model_copy(update={"email": "hung.cu@htx-bac-ha.vn"})

    delivery = EmailChannel(_settings(open_server.port), APP)(_outgoing(gone))

    assert delivery.ok is False
    assert delivery.detail == "recipient hung.cu@htx-bac-ha.vn refused: 550 5.1.1 No such mailbox here"
    assert open_server.mailbox.received == []


def test_no_mail_server_is_a_failed_delivery_not_an_exception() -> None:
    port = free_port()  # nothing listens there

    delivery = EmailChannel(_settings(port).model_copy(update={"timeout_s": 2}), APP)(_outgoing(HUNG))

    assert delivery.ok is False and delivery.detail is not None
    assert delivery.detail.startswith(f"mail server 127.0.0.1:{port} not reached: ConnectionRefusedError")


def test_settings_that_would_fail_or_leak_the_password_are_refused_when_read() -> None:
    with pytest.raises(ValidationError, match="plain ASCII"):  # smtplib would fail at the first alert
        _settings(25, user=USER, password="mật-khẩu")
    with pytest.raises(ValidationError, match="only to this machine"):
        SmtpSettings.model_validate(
            _settings(25).model_dump() | {"host": "mail.htx-bac-ha.vn", "user": USER, "password": PASSWORD})


def test_a_person_without_an_address_is_told_so() -> None:
    # Their email was taken off the roster after the send was claimed: it is due, and fails with the reason.
    nobody = Person(id="hung", name="Kỹ thuật Hùng", phone="0900 000 111", channels=[Channel.SMS])
    delivery = EmailChannel(_settings(free_port()), APP)(_outgoing(nobody))
    assert (delivery.ok, delivery.detail) == (False, "no email address")
