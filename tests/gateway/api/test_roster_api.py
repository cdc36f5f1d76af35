"""The roster and the escalation settings through the gateway's API: admins and technicians edit them, farmers and
agronomists read who is on duty (a farmer: only their greenhouses); refusals name their field in the reader's
language; a critical alert cannot be silenced; and a roster saved while the gateway runs is the one its notifier
tells the next alert by."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import closing
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest

from contract.site_file import load_site
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts
from gateway.api.app import ApiContext
from gateway.ingest.figures import figures_of
from gateway.ingest.receiver import IngestCounters
from gateway.ingest.spool import Spool
from gateway.live.registry import Registry
from gateway.main import ApiServer
from gateway.notify.local_outbox import OUTBOX_FILE, LocalOutbox
from gateway.notify.roster import Channel, Person, Roster
from gateway.notify.settings_files import NotifyFiles
from gateway.storage.sqlite import SqliteStore
from greenhouse.net import free_port, wait_for_port
from tests.conftest import EXAMPLE_SITE
from tests.gateway.api.conftest import USERS, Api, ManualClock
from tests.support.accounts import add_user
from tests.support.mosquitto import Mosquitto
from tests.support.phone import serve_phone

T = TypeVar("T")
SITE = load_site(EXAMPLE_SITE)
LAN = {"id": "lan", "name": "Chị Lan", "phone": "0912 345 678", "channels": ["push", "sms"], "account": "nong-dan"}
MINH = {"id": "minh", "name": "Anh Minh", "phone": "0987 654 321", "channels": ["sms", "call"]}


def _roster(**change: Any) -> dict[str, Any]:
    roster: dict[str, Any] = {
        "people": [dict(LAN), dict(MINH)],
        "duties": [
            {"greenhouse": "ca-chua-1", "people": ["lan", "minh"]},
            {"greenhouse": "ca-chua-2", "people": ["minh"]},
        ],
        "farm_number": "0900 000 099",
    }
    return roster | change


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """The example site's API with a data dir, and no notifier running: a saved roster runs from the next start."""
    clock = ManualClock()
    data_dir = tmp_path / "gw"
    accounts = Accounts(data_dir, clock.now)
    store = SqliteStore(tmp_path / "history.sqlite3")
    spool = Spool(tmp_path / "spool.sqlite3")
    ctx = ApiContext(
        SITE,
        store,
        Registry(SITE),
        partial(figures_of, spool, IngestCounters()),
        clock.now,
        accounts,
        False,
        data_dir=data_dir,
    )
    port = free_port()
    server = ApiServer(ctx, "127.0.0.1", port)
    server.start()
    try:
        wait_for_port(port)
        api = Api(f"http://127.0.0.1:{port}", data_dir, accounts, clock)
        for name, (role, cooperative, greenhouses) in USERS.items():
            api.passwords[name] = add_user(accounts, name, role, cooperative, greenhouses)
        yield api
    finally:
        server.stop()
        spool.close()
        store.close()
        accounts.close()


def test_technicians_and_admins_edit_the_roster_others_read_who_is_on_duty(api: Api) -> None:
    for editor in ("ky-thuat", "quan-tri"):
        with closing(api.login(editor, "en")) as client:
            base = client.get("/api/v1/roster").json()["sha256"]
            saved = client.put("/api/v1/roster", json={"roster": _roster(), "base_sha256": base})
            assert saved.status_code == 200, saved.text
            assert saved.json()["said"] == "Saved. The server uses it from its next start."
            # What the roster leaves out is said plainly, and saved all the same: the list is built step by step.
            assert saved.json()["problems"] == ["Leafy greens house 1: nobody is told of its alerts"]
    assert NotifyFiles(api.data_dir).roster().model.person("lan") is not None
    assert (api.data_dir / "roster.yaml.prev").exists()  # the first editor's file, kept

    with closing(api.login("nong-dan")) as farmer:  # given ca-chua-1 only
        page = farmer.get("/api/v1/roster").json()
        assert page["roster"] is None and page["sha256"] is None  # nobody's phone number for a farmer
        assert page["this_week"] == [
            {"greenhouse": "ca-chua-1", "name": "Nhà màng cà chua 1", "chain": ["Chị Lan", "Anh Minh"]}
        ]
        refused = farmer.put("/api/v1/roster", json={"roster": _roster(), "base_sha256": ""})
        assert refused.status_code == 403
        assert farmer.get("/api/v1/notify-policy").status_code == 403
    with closing(api.login("nong-hoc", "en")) as agronomist:
        page = agronomist.get("/api/v1/roster").json()
        assert [(d["name"], d["chain"]) for d in page["this_week"]] == [
            ("Tomato house 1", ["Chị Lan", "Anh Minh"]),
            ("Tomato house 2", ["Anh Minh"]),
            ("Leafy greens house 1", []),
        ]
        assert agronomist.put("/api/v1/roster", json={"roster": _roster(), "base_sha256": ""}).status_code == 403
    with closing(api.login("bac-ha-ky-thuat")) as stranger:  # another cooperative's technician
        assert stranger.get("/api/v1/roster").status_code == 404
        assert stranger.put("/api/v1/roster", json={"roster": _roster(), "base_sha256": ""}).status_code == 404


def test_a_bad_phone_is_refused_at_its_field_in_both_languages_and_nothing_is_saved(api: Api) -> None:
    bad = _roster(people=[LAN | {"phone": "12"}, MINH])
    said = {}
    for lang in ("vi", "en"):
        with closing(api.login("ky-thuat", lang)) as client:
            answer = client.put("/api/v1/roster", json={"roster": bad, "base_sha256": ""})
            assert answer.status_code == 422
            [problem] = answer.json()["detail"]
            assert problem["loc"] == ["people", 0, "phone"]
            said[lang] = problem["msg"]
    assert said["vi"] == (
        "Chị Lan › số điện thoại: số điện thoại '12' không đúng dạng, ví dụ 0912 345 678 hoặc +84 912 345 678"
    )
    assert said["en"] == "Chị Lan › phone number: '12' is not a phone number such as 0912 345 678 or +84 912 345 678"
    assert not (api.data_dir / "roster.yaml").exists()


def test_a_greenhouse_the_site_has_not_and_an_unknown_account_are_refused_at_their_fields(api: Api) -> None:
    roster = _roster(
        people=[LAN | {"account": "khong-co"}, MINH],
        duties=[{"greenhouse": "ca-chua-9", "people": ["lan"]}],
    )
    with closing(api.login("ky-thuat", "en")) as client:
        answer = client.put("/api/v1/roster", json={"roster": roster, "base_sha256": ""})
    assert answer.status_code == 422
    assert [(p["loc"], p["msg"]) for p in answer.json()["detail"]] == [
        (["duties", 0, "greenhouse"], "list 1 › greenhouse: the site has no greenhouse ca-chua-9"),
        (["people", 0, "account"], "Chị Lan › web app account: the cooperative has no account khong-co"),
    ]


def test_a_save_over_a_file_somebody_else_saved_meanwhile_is_refused(api: Api) -> None:
    with closing(api.login("ky-thuat", "en")) as one, closing(api.login("quan-tri", "en")) as other:
        base = one.get("/api/v1/roster").json()["sha256"]
        assert other.put("/api/v1/roster", json={"roster": _roster(), "base_sha256": base}).status_code == 200
        late = one.put("/api/v1/roster", json={"roster": _roster(farm_number=None), "base_sha256": base})
    assert late.status_code == 409
    assert late.json()["detail"] == "Somebody else saved while you were editing: reload to see theirs"
    assert NotifyFiles(api.data_dir).roster().model.farm_number == "+84900000099"


def test_the_escalation_settings_cannot_silence_a_critical_alert(api: Api) -> None:
    with closing(api.login("ky-thuat")) as client:
        page = client.get("/api/v1/notify-policy").json()
        assert page["shipped"] is True and page["sha256"] == ""
        policy = page["policy"]
        late = policy | {"critical": policy["critical"] | {"steps": [{"after_min": 5, "rank": 0, "channels": ["sms"]}]}}
        push_only = policy | {"critical": {"steps": [{"after_min": 0, "rank": 0, "channels": ["push"]}]}}
        refused = [client.put("/api/v1/notify-policy", json={"policy": p, "base_sha256": ""})
                   for p in (late, push_only)]  # fmt: skip
        assert [r.status_code for r in refused] == [422, 422]
        assert [r.json()["detail"][0]["msg"] for r in refused] == [
            "cảnh báo nguy cấp phải được báo ngay: bước đầu tiên phải là phút 0",
            "cảnh báo nguy cấp phải đánh thức người trực: bước đầu tiên phải có tin nhắn SMS hoặc cuộc gọi",
        ]
        step = {"after_min": "soon", "rank": 0, "channels": ["sms"]}
        wrong = client.put("/api/v1/notify-policy", json={"policy": policy | {"warning": {"steps": [step]}},
                                                          "base_sha256": ""})  # fmt: skip
        assert wrong.json()["detail"][0]["msg"].startswith("Cảnh báo › bước 1 › sau (phút): phải là một con số")
        assert not (api.data_dir / "notify-policy.yaml").exists()

        # Quiet hours from 20:00 and a later second step: saved, and read back as saved.
        quieter = policy | {"quiet": {"start": "20:00", "end": "06:30"}}
        quieter["warning"]["steps"][1]["after_min"] = 90
        saved = client.put("/api/v1/notify-policy", json={"policy": quieter, "base_sha256": ""})
        assert saved.status_code == 200, saved.text
        again = client.get("/api/v1/notify-policy").json()
    assert again["shipped"] is False and again["sha256"] == saved.json()["sha256"]
    assert again["policy"]["quiet"] == {"start": "20:00:00", "end": "06:30:00"}
    assert again["policy"]["warning"]["steps"][1]["after_min"] == 90
    assert "after_min: 90\n" in (api.data_dir / "notify-policy.yaml").read_text()  # whole minutes, as people write


# --- the running notifier ---------------------------------------------------------------------------------------

# The tank is never this full in the simulation: a critical alert stands from the first poll.
TANK = {"id": "tank-low", "name": "Bể thấp", "name_en": "Tank low", "kind": "alert", "severity": "critical",
        "metric": {"sensors": ["tank-level"]}, "below": 101}  # fmt: skip


def test_a_roster_saved_while_the_gateway_runs_is_the_one_its_notifier_tells_the_alert_by(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    people = [Person.model_validate(LAN | {"account": None}), Person.model_validate(MINH)]
    nobody_on_duty = Roster(people=people, duties=[])
    users = {"ky-thuat": (Role.TECHNICIAN, "htx-moc-chau", None)}
    with serve_phone(tmp_path, mosquitto, [TANK], users, roster=nobody_on_duty) as phone:
        outbox = LocalOutbox(tmp_path / "gateway" / OUTBOX_FILE)
        _until(lambda: phone.notify.notifier.store.open_incidents(), "the incident")
        assert outbox.read() == []  # an incident, and nobody to tell it to
        with closing(phone.login("ky-thuat")) as client:
            page = client.get("/api/v1/roster").json()
            assert page["running"] is True
            roster = page["roster"] | {"duties": [{"greenhouse": "ca-chua-1", "people": ["minh", "lan"]}]}
            saved = client.put("/api/v1/roster", json={"roster": roster, "base_sha256": page["sha256"]})
        assert saved.status_code == 200, saved.text
        assert saved.json()["said"] == "Đã lưu. Từ giờ cảnh báo được báo theo danh sách này."
        first = _until(lambda: next(iter(outbox.read()), None), "a message from the running notifier")
        assert (first.person, first.channel) == ("minh", Channel.SMS)  # the new first on duty, without a restart


def _until(get: Callable[[], T], what: str) -> T:
    """Until the running gateway has done it (its notifier passes every half second at the test's speed)."""
    deadline = time.monotonic() + 30
    while not (found := get()):
        assert time.monotonic() < deadline, f"no {what} in 30 s"
        time.sleep(0.3)
    return found
