"""``greenhouse roster`` editing the gateway's roster.yaml, each command a fresh process as a technician runs it on
the farm server: people added and changed, a greenhouse's order and weekly turns, the farm's number; mistakes
refused at the argument they came from, in Vietnamese or English, with the file left as it was; and a running
notifier's watch sees the new file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from gateway.notify.roster import Channel
from gateway.notify.settings_files import NotifyFiles, SettingsWatch
from tests.conftest import EXAMPLE_SITE
from tests.support.mosquitto import Mosquitto
from tests.support.phone import serve_phone
from tests.support.stack import REPO


def _roster(data_dir: Path, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GREENHOUSE_")}
    env["PYTHONPATH"] = str(REPO)
    command = [sys.executable, "-m", "greenhouse", "roster", *args, "--data-dir", str(data_dir), "--lang", lang]
    return subprocess.run([*command, "--site", str(EXAMPLE_SITE)], capture_output=True, text=True, env=env,
                          cwd=data_dir.parent, timeout=120)  # fmt: skip


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_technician_builds_the_roster_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "gateway-data"
    added = _ok(_roster(data, "add-person", "lan", "--name", "Chị Lan", "--phone", "0912 345 678",
                        "--channel", "sms", "--channel", "call"))  # fmt: skip
    assert added.splitlines()[0] == (
        f"Saved {data / 'roster.yaml'} (the old one is kept as {data / 'roster.yaml'}.prev)."
        " A running gateway takes it within seconds."
    )
    _ok(_roster(data, "add-person", "minh", "--name", "Anh Minh", "--phone", "0987654321", "--channel", "sms",
                "--person-lang", "en", "--plain-sms"))  # fmt: skip
    _ok(_roster(data, "duty", "ca-chua-1", "minh", "lan"))
    _ok(_roster(data, "rotation", "ca-chua-1", "lan", "minh"))
    _ok(_roster(data, "set-person", "lan", "--channel", "push", "--channel", "sms", "--email", "lan@example.vn"))
    _ok(_roster(data, "farm-number", "0900 000 099"))

    roster = NotifyFiles(data).roster().model
    lan, minh = roster.people
    assert (lan.phone, lan.channels, lan.email) == ("+84912345678", [Channel.PUSH, Channel.SMS], "lan@example.vn")
    assert (minh.lang, minh.plain_sms) == ("en", True)
    [duty] = roster.duties
    assert (duty.greenhouse, duty.people, duty.rotation) == ("ca-chua-1", ["minh", "lan"], ["lan", "minh"])
    assert roster.farm_number == "+84900000099"
    assert "farm_number" not in (data / "roster.yaml.prev").read_text()  # the file before the last change

    shown = _roster(data, "show", lang="vi")
    assert shown.returncode == 2  # two greenhouses nobody is told about
    lines = shown.stdout.splitlines()
    assert lines[0] == f"{data / 'roster.yaml'}: hợp lệ — 2 người, 1 nhà màng"
    assert lines[1] in (  # whose week it is depends on the week the test runs in
        "  Nhà màng cà chua 1 (tuần này): Chị Lan (thông báo, tin nhắn) → Anh Minh (tin nhắn)",
        "  Nhà màng cà chua 1 (tuần này): Anh Minh (tin nhắn) → Chị Lan (thông báo, tin nhắn)",
    )
    assert "  Nhà màng cà chua 2: chưa ai được báo khi có cảnh báo" in shown.stderr


def test_mistakes_are_refused_at_their_argument_and_the_file_stays_as_it_was(tmp_path: Path) -> None:
    data = tmp_path / "gateway-data"
    _ok(_roster(data, "add-person", "lan", "--name", "Chị Lan", "--phone", "0912 345 678", "--channel", "sms"))
    _ok(_roster(data, "duty", "ca-chua-1", "lan"))
    before = (data / "roster.yaml").read_text()

    refused = {
        "bad phone vi": (_roster(data, "set-person", "lan", "--phone", "12", lang="vi"),
                         "--phone: số điện thoại '12' không đúng dạng, ví dụ 0912 345 678 hoặc +84 912 345 678"),
        "bad phone en": (_roster(data, "set-person", "lan", "--phone", "12"),
                         "--phone: '12' is not a phone number such as 0912 345 678 or +84 912 345 678"),
        "sms without a phone": (_roster(data, "add-person", "mai", "--name", "Chị Mai", "--channel", "sms"),
                                "Chị Mai: a phone number is needed for SMS, calls or Zalo"),
        "still on duty": (_roster(data, "remove-person", "lan"),
                          "ID lan: lan is still on duty for ca-chua-1: take them off with 'greenhouse roster duty'"
                          " first"),
        "no such greenhouse": (_roster(data, "duty", "ca-chua-9", "lan", lang="vi"),
                               f"GREENHOUSE ca-chua-9: tệp cấu hình {EXAMPLE_SITE} không có nhà màng ca-chua-9"),
        "no such person": (_roster(data, "duty", "ca-chua-1", "lan", "hoa"),
                           "PERSON hoa: no person hoa in the roster; add them with 'greenhouse roster add-person'"),
    }  # fmt: skip
    for what, (done, said) in refused.items():
        assert (done.returncode, done.stderr.strip()) == (2, f"greenhouse roster: {said}"), what
    assert (data / "roster.yaml").read_text() == before

    _ok(_roster(data, "duty", "ca-chua-2", "lan"))  # lan is still on duty for ca-chua-1 too
    _ok(_roster(data, "add-person", "hung", "--name", "Kỹ thuật Hùng", "--phone", "0900000003", "--channel", "sms"))
    _ok(_roster(data, "duty", "ca-chua-1", "hung"))
    _ok(_roster(data, "duty", "ca-chua-2", "hung"))
    _ok(_roster(data, "remove-person", "lan"))  # on no duty any more
    assert [p.id for p in NotifyFiles(data).roster().model.people] == ["hung"]


def test_a_running_notifier_sees_the_roster_the_command_saved(tmp_path: Path) -> None:
    data = tmp_path / "gateway-data"
    _ok(_roster(data, "add-person", "lan", "--name", "Chị Lan", "--phone", "0912 345 678", "--channel", "sms"))
    watch = SettingsWatch(NotifyFiles(data))
    assert watch.changed() is None  # nothing new since it started watching
    _ok(_roster(data, "add-person", "minh", "--name", "Anh Minh", "--phone", "0987654321", "--channel", "sms"))
    changed = watch.changed()
    assert changed is not None
    roster, policy = changed
    assert [p.id for p in roster.people] == ["lan", "minh"]
    assert policy.critical.steps[0].after_min == 0  # no policy file: the shipped defaults
    assert watch.changed() is None
    # A hand edit with a mistake is not taken: the notifier keeps the roster it has.
    (data / "roster.yaml").write_text("people: [oops]\nduties: []\n", encoding="utf-8")
    assert watch.changed() is None


def test_a_running_notifier_takes_a_roster_edited_from_the_command_line(tmp_path: Path, mosquitto: Mosquitto) -> None:
    with serve_phone(tmp_path, mosquitto, [], {}) as phone:  # no roster yet: the notifier tells nobody
        assert phone.notify.notifier.roster.people == []
        _ok(_roster(tmp_path / "gateway", "add-person", "lan", "--name", "Chị Lan", "--phone", "0912 345 678",
                    "--channel", "sms"))  # fmt: skip
        deadline = time.monotonic() + 30
        while [p.id for p in phone.notify.notifier.roster.people] != ["lan"]:
            assert time.monotonic() < deadline, "the running notifier never took the new roster"
            time.sleep(0.2)
