"""The farm server's channels as its technician sets them in ``channels.yaml``, taken by the gateway as it starts:
a test alert asked for in the app reaches the technician's mailbox on a real SMTP server and rings his phone
through the gammu tool on Gammu's dummy phone; a file with a mistake is said at its line and the notifier runs on,
writing to its local outbox."""

from __future__ import annotations

import email
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import Envelope, Session

from contract.validation_words import Words
from edge.modem.gammu_sms import Modem
from gateway.accounts.roles import Role
from gateway.notify.local_outbox import OUTBOX_FILE, LocalOutbox
from gateway.notify.modem_watch import ModemWatch
from gateway.notify.ring_call import gammurc
from gateway.notify.roster import Channel, Duty, Person, Roster
from greenhouse.net import free_port
from tests.support.gammu_smsd import GammuSmsd, gammu_binary, operations
from tests.support.mosquitto import Mosquitto
from tests.support.phone import serve_phone

GH = "ca-chua-1"
ROSTER = Roster(
    people=[
        Person(id="lan", name="Chị Lan", phone="0912 345 678", channels=[Channel.SMS]),
        Person(id="hung", name="Anh Hùng", phone="0987 654 321", email="hung@htx.vn", account="ky-thuat",
               channels=[Channel.EMAIL, Channel.CALL]),
    ],
    duties=[Duty(greenhouse=GH, people=["lan", "hung"])],
)  # fmt: skip
USERS = {"ky-thuat": (Role.TECHNICIAN, "htx-moc-chau", None)}


def _email(port: int) -> str:
    """channels.yaml's email section for the mail server on ``port``."""
    return (
        f"email:\n  host: 127.0.0.1\n  port: {port}\n  security: none\n  from_address: canhbao@htx.vn\n"
        "  from_name: HTX Mộc Châu\n"
    )


class Mailbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture
def mail() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def test_a_test_alert_goes_by_the_mail_server_and_the_call_port_of_channels_yaml(
    tmp_path: Path, mosquitto: Mosquitto, mail: tuple[Mailbox, int]
) -> None:
    box, port = mail
    phone = tmp_path / "call-port"
    phone.mkdir()
    rc = tmp_path / "call.gammurc"
    rc.write_text(gammurc(Modem(device=f"{phone}/", connection="none", model="dummy")))
    data = tmp_path / "gateway"
    data.mkdir()
    (data / "channels.yaml").write_text(
        f"""app_url: https://nongtrai.htx.vn
call:
  gammurc: {rc}
  ring_s: 1
  gammu: {gammu_binary("gammu")}
{_email(port)}""",
        encoding="utf-8",
    )
    with serve_phone(tmp_path, mosquitto, [], USERS, roster=ROSTER) as served:
        answer = served.login("ky-thuat", lang="en").post("/api/v1/notify/test").json()
        assert [(r["channel"], r["ok"]) for r in answer["results"]] == [("email", True), ("call", True)]
        deadline = time.monotonic() + 15
        while "Canceling call" not in " ".join(operations(phone)):  # the dummy writes its log when gammu is done
            assert time.monotonic() < deadline, operations(phone)
            time.sleep(0.2)
    [(to, message)] = box.received
    assert to == ["hung@htx.vn"]
    assert "Thử cảnh báo" in str(message["Subject"])  # the person's language: Vietnamese, the roster's default
    assert any(line.startswith("Dialling +84987654321") for line in operations(phone))
    written = LocalOutbox(data / OUTBOX_FILE).read()  # what went, recorded with how it went
    assert [(w.channel, w.ok) for w in written] == [(Channel.EMAIL, True), (Channel.CALL, True)]


def test_a_channels_file_with_a_mistake_is_said_at_its_line_and_messages_go_to_the_outbox(
    tmp_path: Path, mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "gateway"
    data.mkdir()
    (data / "channels.yaml").write_text("email:\n  host: mail.htx.vn\n  port: seventy\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR), serve_phone(tmp_path, mosquitto, [], USERS, roster=ROSTER) as served:
        answer = served.login("ky-thuat").post("/api/v1/notify/test").json()
    [problem] = [r for r in caplog.records if r.getMessage().startswith("channels file has mistakes")]
    assert "channels.yaml:3" in problem.__dict__["problems"]
    assert "port" in problem.__dict__["problems"]
    assert [(r["channel"], r["ok"]) for r in answer["results"]] == [("email", True), ("call", True)]
    assert {w.channel for w in LocalOutbox(data / OUTBOX_FILE).read()} == {Channel.EMAIL, Channel.CALL}


def _checks(monkeypatch: pytest.MonkeyPatch) -> list[list[Words]]:
    """What each check of a modem watch made from now on told, once the check is over: the notifier asks its watch
    at every pass, which reads and judges the modem once its minutes have passed."""
    check = ModemWatch.check
    done: list[list[Words]] = []

    def counted(watch: ModemWatch, now: datetime) -> list[Words]:
        due = watch._next
        said = check(watch, now)
        if watch._next != due:  # the modem was read and judged
            done.append(said)
        return said

    monkeypatch.setattr(ModemWatch, "check", counted)
    return done


def _until(done: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"no {what} in {timeout_s} s"
        time.sleep(0.05)


def test_the_modem_watch_tells_the_technician_by_email_when_smsd_stops(
    tmp_path: Path, mosquitto: Mosquitto, mail: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, port = mail
    smsd = GammuSmsd(tmp_path / "gammu", check_signal=True)
    smsd.start()
    data = tmp_path / "gateway"
    data.mkdir()
    (data / "channels.yaml").write_text(
        f"""modem:
  smsd_dir: {smsd.workdir / "smsd"}
  smsd_config: {smsd.conf}
{_email(port)}watch:
  tell: [hung]
  every_min: 1
""",
        encoding="utf-8",
    )
    try:
        checks = _checks(monkeypatch)
        with serve_phone(tmp_path, mosquitto, [], USERS, roster=ROSTER):
            _until(lambda: len(checks) >= 2, "two checks of a healthy modem")  # nothing to tell
            assert box.received == [], [message.get_content() for _to, message in box.received]
            smsd.stop()
            deadline = time.monotonic() + 30
            while not box.received:
                assert time.monotonic() < deadline, "the technician was never told"
                time.sleep(0.2)
            _until(lambda: any(checks), "the check that told")
            told = next(i for i, said in enumerate(checks) if said)
            _until(lambda: len(checks) > told + 1, "a further check of the same trouble")  # not told again
    finally:
        smsd.stop()
    [(to, message)] = box.received
    assert to == ["hung@htx.vn"]
    assert str(message["Subject"]).startswith("[") and "Modem báo động" in str(message["Subject"])
    assert "Gammu SMSD không chạy trên máy chủ" in message.get_content()
