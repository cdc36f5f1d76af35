"""``greenhouse roster check``: a roster's mistakes at their lines in the technician's language, whether it fits
the site (a greenhouse nobody is told about is a mistake), and who is told about each greenhouse, in order."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.site_file import load_site
from gateway.notify.roster import Channel, Duty, Person, Roster
from greenhouse.cli import main
from greenhouse.demo.roster import write_demo_roster
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)


def test_a_good_roster_says_who_is_told_about_each_greenhouse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_demo_roster(SITE, tmp_path)
    assert main(["roster", "check", str(path), "--site", str(EXAMPLE_SITE), "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{path}: OK — 3 people, 3 greenhouses"
    assert out[1] == (
        "  Tomato house 1 (this week): Chị Lan (notification, SMS, call) → Anh Minh (notification, SMS, call)"
        " → Kỹ thuật Hùng (notification, SMS, email)"
    )


def test_mistakes_are_at_their_lines_and_a_misfit_with_the_site_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_demo_roster(SITE, tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("'+84900000002'", "'abc'"), encoding="utf-8")
    assert main(["roster", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:13: people[1].phone: số điện thoại 'abc' không đúng dạng" in err
    path.write_text(text.replace("greenhouse: rau-la-1", "greenhouse: rau-la-9"), encoding="utf-8")
    assert main(["roster", "check", str(path), "--site", str(EXAMPLE_SITE), "--lang", "en"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[1:] == [
        "  greenhouse rau-la-9: not in the site file",
        "  Leafy greens house 1: nobody is told of its alerts",
    ]


def test_the_first_told_takes_turns_week_by_week() -> None:
    people = [
        Person(id=p, name=p.title(), phone="0912 345 678", channels=[Channel.SMS]) for p in ("lan", "mai", "hung")
    ]
    roster = Roster(people=people, duties=[Duty(greenhouse="ca-chua-1", people=["hung"], rotation=["lan", "mai"])])
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    weeks = [datetime(2026, 1, 5, 9, tzinfo=hanoi), datetime(2026, 1, 12, 9, tzinfo=hanoi)]  # ISO weeks 2 and 3
    firsts = [[p.id for p in roster.chain("ca-chua-1", at, hanoi)] for at in weeks]
    assert firsts == [["lan", "hung"], ["mai", "hung"]]
    # Sunday night 23:30 in Hà Nội is still that week, whatever UTC says.
    assert roster.chain("ca-chua-1", datetime(2026, 1, 11, 23, 30, tzinfo=hanoi), hanoi)[0].id == "lan"
