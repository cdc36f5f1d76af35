"""The Zalo ZNS channel against a local stand-in that checks what Zalo checks (token, phone, template and its
parameters) and answers Zalo's error codes: a frost alarm goes out with its template's data, the access token is
refreshed before it expires and once when Zalo refuses it — the new refresh token written to the file before it is
used, the spent one refused — a parameter that does not fit is cut or refused before any request, and every
failure is a failed delivery naming what went wrong."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.messages import Severity
from contract.site_file import load_site
from gateway.notify.incidents import Incident, acknowledged, raised
from gateway.notify.notifier import Delivery, Notifier, Outgoing, Sender
from gateway.notify.planner import Send, SendKind
from gateway.notify.policy import Escalation, Policy, Step
from gateway.notify.roster import Channel, Duty, Person, Roster
from gateway.notify.store import NotifyStore
from gateway.notify.zalo_zns import (
    ParamValue,
    TemplateParam,
    ZaloTokens,
    ZaloZns,
    ZnsSettings,
    ZnsTemplate,
    ZnsTemplates,
    save_tokens,
    tracking_id,
)
from tests.conftest import EXAMPLE_SITE
from tests.support.zns_service import RegisteredTemplate, ZnsService

SITE = load_site(EXAMPLE_SITE)
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = datetime(2026, 1, 15, 3, 0, tzinfo=HANOI)
FROST = ("Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét", "Frost: 0.4 °C, below 0.5 °C — protecting")
APP_ID, SECRET, FIRST_REFRESH = "4318750902415698", "zalo-app-secret", "rt-from-the-oa-authorisation"
ALERT = ZnsTemplate(template_id="301234", params=[
    TemplateParam(name="house", value=ParamValue.GREENHOUSE, max_length=30),
    TemplateParam(name="alert", value=ParamValue.ALERT_TEXT, max_length=60, may_cut=True),
    TemplateParam(name="level", value=ParamValue.SEVERITY, max_length=10),
    TemplateParam(name="time", value=ParamValue.TIME, max_length=20),
])  # fmt: skip
TAKEN = ZnsTemplate(template_id="301235", params=[
    TemplateParam(name="house", value=ParamValue.GREENHOUSE, max_length=30),
    TemplateParam(name="who", value=ParamValue.TAKEN_BY, max_length=30),
    TemplateParam(name="time", value=ParamValue.TIME, max_length=20),
])  # fmt: skip
LAN = Person(id="lan", name="Chị Lan", phone="0912 345 678", channels=[Channel.ZALO])
MINH = Person(id="minh", name="Anh Minh", phone="0987 654 321", channels=[Channel.ZALO])
ROSTER = Roster(people=[LAN, MINH], duties=[Duty(greenhouse="ca-chua-1", people=["lan", "minh"])])


def _registered(template: ZnsTemplate) -> RegisteredTemplate:
    return RegisteredTemplate(template.template_id, {p.name: p.max_length for p in template.params})


@pytest.fixture
def zns() -> Iterator[ZnsService]:
    with ZnsService(APP_ID, SECRET, FIRST_REFRESH, [_registered(ALERT), _registered(TAKEN)]) as service:
        yield service


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 14, 20, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _settings(url: str, token_file: Path) -> ZnsSettings:
    return ZnsSettings(
        app_id=APP_ID,
        secret_key=SECRET,  # type: ignore[arg-type]  # pydantic wraps it in a SecretStr
        token_file=token_file,
        templates=ZnsTemplates(alert=ALERT, taken=TAKEN),
        api_url=url,
        oauth_url=url,
        timeout_s=5,
    )


def _channel(url: str, tmp_path: Path, clock: Clock | None = None) -> ZaloZns:
    token_file = tmp_path / "zalo-tokens.json"
    if not token_file.exists():
        save_tokens(token_file, ZaloTokens(refresh_token=FIRST_REFRESH))  # as the technician first writes it
    return ZaloZns(_settings(url, token_file), HANOI, ROSTER.person, clock or Clock())


def _outgoing(person: Person = LAN, *, title: str = "Nhà màng cà chua 1", text: str = FROST[0],
              kind: SendKind = SendKind.ALERT, incident: Incident | None = None) -> Outgoing:  # fmt: skip
    incident = incident or raised(None, "ca-chua-1", "rule:frost", Severity.CRITICAL, (text, text), NIGHT)
    send = Send(incident=incident.id, kind=kind, round=0, step=0 if kind is SendKind.ALERT else -1,
                person=person.id, channel=Channel.ZALO, due_at=NIGHT)  # fmt: skip
    return Outgoing(send=send, person=person, incident=incident, at=NIGHT, title=title, body=text,
                    text=f"{title}: {text}")  # fmt: skip


def _failed(delivery: Delivery) -> str:
    assert delivery.ok is False and delivery.detail is not None
    return delivery.detail


def test_a_frost_alarm_goes_out_with_its_template_data_and_the_taken_message_names_who_took_it(
    zns: ZnsService, tmp_path: Path
) -> None:
    both = Escalation(steps=[Step(after_min=0, rank=0, channels=[Channel.ZALO]),
                             Step(after_min=0, rank=1, channels=[Channel.ZALO])])  # fmt: skip
    senders: dict[Channel, Sender] = {Channel.ZALO: _channel(zns.url, tmp_path)}
    notifier = Notifier(SITE, ROSTER, Policy(critical=both, warning=both, info=both),
                        NotifyStore(tmp_path / "notify.sqlite3"), senders)  # fmt: skip
    incident = notifier.alert("ca-chua-1", "rule:frost", Severity.CRITICAL, True, FROST, NIGHT)
    assert incident is not None

    notifier.tick(NIGHT)

    assert zns.state.refused == []
    to_lan, to_minh = sorted(zns.state.accepted, key=lambda a: a.phone)
    assert (to_lan.phone, to_minh.phone) == ("84912345678", "84987654321")
    assert to_lan.template_id == "301234"
    assert to_lan.template_data == {
        "house": "Nhà màng cà chua 1",
        "alert": "Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét",
        "level": "Nguy cấp",
        "time": "03:00 15/01/2026",
    }
    key = Send(incident=incident.id, kind=SendKind.ALERT, round=0, step=0, person="lan", channel=Channel.ZALO,
               due_at=NIGHT).key  # fmt: skip
    assert to_lan.tracking_id == tracking_id(key) and len(to_lan.tracking_id) == 48
    assert zns.state.refreshes == [FIRST_REFRESH]  # no access token yet: one refresh, then it serves both

    notifier.acknowledge(incident.id, "minh", Channel.ZALO, NIGHT + timedelta(minutes=2))
    notifier.tick(NIGHT + timedelta(minutes=2))

    taken = zns.state.accepted[2:]
    assert [(t.phone, t.template_id, t.template_data) for t in taken] == [
        ("84912345678", "301235", {"house": "Nhà màng cà chua 1", "who": "Anh Minh", "time": "03:02 15/01/2026"})
    ]


def test_a_refused_token_is_refreshed_once_saved_before_it_is_used_and_the_spent_refresh_token_is_refused(
    tmp_path: Path,
) -> None:
    token_file = tmp_path / "zalo-tokens.json"
    saved_at_send: list[bool] = []

    def the_file_holds(token: str) -> None:
        saved_at_send.append(ZaloTokens.model_validate_json(token_file.read_bytes()).access_token == token)

    with ZnsService(APP_ID, SECRET, FIRST_REFRESH, [_registered(ALERT)], on_send=the_file_holds) as zns:
        channel = _channel(zns.url, tmp_path)
        assert channel(_outgoing()).ok
        spent = zns.refresh_token  # the refresh token the file holds now
        zns.expire_access_token()

        delivery = channel(_outgoing())

        assert (delivery.ok, delivery.detail) == (True, None)
        assert zns.state.refreshes == [FIRST_REFRESH, spent]  # refreshed once more, on the refusal
        assert [error for error, _ in zns.state.refused] == [-124]  # sent once more, and taken
        assert saved_at_send == [True, True, True]  # every token used was in the file before it was used
        saved = json.loads(token_file.read_text())
        assert saved["refresh_token"] == zns.refresh_token != spent
        assert saved["access_token"] == zns.state.accepted[-1].access_token
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600

        # Another gateway with the file as it was before the refresh: Zalo no longer takes the spent token.
        save_tokens(tmp_path / "old" / "zalo-tokens.json", ZaloTokens(refresh_token=spent))
        old = _channel(zns.url, tmp_path / "old")
        assert _failed(old(_outgoing())).startswith("Zalo refused the refresh token: Invalid refresh token (-14014)")
        assert zns.state.refused_refreshes == [spent]


def test_the_access_token_is_refreshed_before_it_expires(zns: ZnsService, tmp_path: Path) -> None:
    clock = Clock()
    channel = _channel(zns.url, tmp_path, clock)
    assert channel(_outgoing()).ok
    expires_at = ZaloTokens.model_validate_json((tmp_path / "zalo-tokens.json").read_bytes()).expires_at
    assert expires_at == clock.now + timedelta(seconds=90000)

    clock.now = expires_at - timedelta(hours=1, minutes=1)  # more than the margin left: the token serves
    assert channel(_outgoing()).ok
    assert len(zns.state.refreshes) == 1
    clock.now = expires_at - timedelta(minutes=59)  # within the margin: a fresh one first, no refusal needed
    assert channel(_outgoing()).ok

    assert len(zns.state.refreshes) == 2 and zns.state.refused == []
    assert len({a.access_token for a in zns.state.accepted}) == 2


def test_a_long_alert_is_cut_at_a_word_where_its_parameter_may_be_cut(zns: ZnsService, tmp_path: Path) -> None:
    long = "Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét bằng quạt và đèn sưởi ở cả hai luống phía bắc"

    assert _channel(zns.url, tmp_path)(_outgoing(text=long)).ok

    cut = zns.state.accepted[0].template_data["alert"]
    assert cut == "Sương muối: 0,4 °C, dưới 0,5 °C — đang chống rét bằng quạt…"
    assert len(cut) <= 60 and long.startswith(cut.removesuffix("…"))


def test_a_parameter_that_does_not_fit_is_refused_before_any_request(zns: ZnsService, tmp_path: Path) -> None:
    channel = _channel(zns.url, tmp_path)
    long_name = "Nhà màng cà chua số 1 — khu đồi phía đông"  # 41 characters; a name is never cut
    nobody_took_it = raised(None, "ca-chua-1", "rule:frost", Severity.CRITICAL, FROST, NIGHT)
    taken_by_a_stranger = acknowledged(nobody_took_it, "someone-gone", None, NIGHT)

    too_long = _failed(channel(_outgoing(title=long_name)))
    no_name = _failed(channel(_outgoing(kind=SendKind.TAKEN, incident=taken_by_a_stranger)))
    no_template = _failed(channel(_outgoing(kind=SendKind.CLEARED)))

    assert too_long == (
        "ZNS template 301234 (alert): parameter house takes 30 characters, the greenhouse's name has 41 — not sent")
    assert no_name == "ZNS template 301235 (taken): parameter who: the name of who took it is empty — not sent"
    assert no_template == "no ZNS template for cleared messages"
    assert (zns.state.sends_seen, zns.state.refreshes) == (0, [])  # nothing asked of Zalo at all


def test_zalos_refusals_are_failed_deliveries_naming_them(zns: ZnsService, tmp_path: Path) -> None:
    channel = _channel(zns.url, tmp_path)
    short_number = LAN.model_copy(update={"phone": "+8412345678"})  # one digit short of a Vietnamese mobile

    assert _failed(channel(_outgoing(short_number))) == "Zalo: phone number refused by Zalo (-108)"
    zns.answer_next_send(-115)
    assert _failed(channel(_outgoing())) == "Zalo: ZNS quota used up: top up the ZNS account (-115)"
    zns.without_zalo("84912345678")
    assert _failed(channel(_outgoing())) == "Zalo: no Zalo account on this number (-118)"
    assert zns.state.accepted == []


def test_zalo_down_is_a_failed_delivery_not_an_exception(tmp_path: Path) -> None:
    zns = ZnsService(APP_ID, SECRET, FIRST_REFRESH, [_registered(ALERT)])
    with zns:
        assert _channel(zns.url, tmp_path)(_outgoing()).ok  # a valid access token in the file
    down = _channel(zns.url, tmp_path)  # a new process: the token from the file, Zalo gone

    assert _failed(down(_outgoing())).startswith("Zalo not reached: ConnectError")
    (tmp_path / "zalo-tokens.json").unlink()
    save_tokens(tmp_path / "zalo-tokens.json", ZaloTokens(refresh_token="rt-any"))
    assert _failed(_channel(zns.url, tmp_path)(_outgoing())).startswith("Zalo sign-in not reached: ConnectError")


def test_no_token_file_says_what_to_do(tmp_path: Path) -> None:
    channel = ZaloZns(_settings("http://127.0.0.1:9", tmp_path / "missing.json"), HANOI, ROSTER.person)
    assert "authorise the Official Account and write its refresh token there" in _failed(channel(_outgoing()))
