"""``greenhouse users``: the first admin, listing, new passwords and disabling, run for real; bad arguments named."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from contract.clock import Clock
from gateway.accounts.service import Accounts
from greenhouse.cli import main
from tests.conftest import EXAMPLE_SITE
from tests.support.stack import REPO

PASSWORD = "mat-khau-quan-tri"


@pytest.fixture(autouse=True)
def _nowhere_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No data dir or site file but those the tests name: none from the environment or a stack in the folder."""
    monkeypatch.delenv("GREENHOUSE_DATA_DIR", raising=False)
    monkeypatch.delenv("GREENHOUSE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


def _users(args: list[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch, password: str | None = None) -> int:
    if password is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        args = [*args, "--password-stdin"]
    return main(["users", *args, "--data-dir", str(data_dir), "--lang", "en"])


def _authenticates(data_dir: Path, name: str, password: str) -> bool:
    accounts = Accounts(data_dir, Clock().now)
    try:
        return accounts.users.authenticate(name, password) is not None
    finally:
        accounts.close()


def test_the_first_admin_is_created_from_a_script_in_a_real_process(tmp_path: Path) -> None:
    data_dir = tmp_path / "gateway-data"
    add = [sys.executable, "-m", "greenhouse", "users", "add", "quan-tri", "--role", "admin"]
    done = subprocess.run(
        [*add, "--cooperative", "htx-moc-chau", "--data-dir", str(data_dir), "--password-stdin", "--lang", "en"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "added quan-tri: admin of htx-moc-chau"
    assert _authenticates(data_dir, "quan-tri", PASSWORD)
    assert not _authenticates(data_dir, "quan-tri", PASSWORD + "\n")  # the line end is not part of it


def test_add_list_passwd_disable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    coop = ["--cooperative", "htx-moc-chau"]
    assert _users(["add", "quan-tri", "--role", "admin", *coop], tmp_path, monkeypatch, PASSWORD) == 0
    farmer = ["add", "nong-dan", "--role", "farmer", *coop, "--greenhouse", "ca-chua-1", "--greenhouse", "rau-la-1"]
    farmer += ["--config", str(EXAMPLE_SITE)]  # the site file the greenhouses are checked against
    assert _users(farmer, tmp_path, monkeypatch, "mat-khau-nong-dan") == 0
    other = ["add", "bac-ha", "--role", "technician", "--cooperative", "htx-bac-ha"]
    assert _users(other, tmp_path, monkeypatch, "mat-khau-bac-ha") == 0
    capsys.readouterr()

    assert _users(["list"], tmp_path, monkeypatch) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["bac-ha", "technician", "htx-bac-ha"],
        ["nong-dan", "farmer", "htx-moc-chau"],
        ["quan-tri", "admin", "htx-moc-chau"],
    ]
    assert lines[1].endswith("ca-chua-1, rau-la-1") and lines[2].endswith("every greenhouse")
    assert _users(["list", "--cooperative", "htx-bac-ha"], tmp_path, monkeypatch) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == ["bac-ha"]

    # A new password asked at the prompt, twice.
    answers = iter(["mat-khau-moi-123", "mat-khau-moi-123"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert _users(["passwd", "nong-dan"], tmp_path, monkeypatch) == 0
    assert _authenticates(tmp_path, "nong-dan", "mat-khau-moi-123")
    assert not _authenticates(tmp_path, "nong-dan", "mat-khau-nong-dan")

    assert _users(["disable", "nong-dan"], tmp_path, monkeypatch) == 0
    assert "disabled nong-dan" in capsys.readouterr().out
    assert _users(["list"], tmp_path, monkeypatch) == 0
    assert capsys.readouterr().out.splitlines()[1].endswith("(disabled)")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["add", "x1", "--role", "boss", "--cooperative", "htx"], "argument --role: invalid choice: 'boss'"),
        (["add", "Nông-Dân", "--role", "farmer", "--cooperative", "htx"], "'Nông-Dân' is not an id"),
        (["add", "x1", "--role", "farmer", "--cooperative", "HTX Mộc Châu"], "--cooperative: 'HTX Mộc Châu'"),
        (["passwd"], "the following arguments are required: name"),
    ],
)
def test_bad_arguments_are_named_by_argparse(
    tmp_path: Path, args: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["users", *args, "--data-dir", str(tmp_path)])
    assert exit_.value.code == 2 and error in capsys.readouterr().err


def test_bad_values_are_refused_naming_what_is_wrong_and_nothing_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    coop = ["--cooperative", "htx-moc-chau"]
    assert _users(["list"], tmp_path, monkeypatch) == 2
    assert "No accounts file" in capsys.readouterr().err and not (tmp_path / "accounts.sqlite3").exists()

    tech = ["add", "ky-thuat", "--role", "technician", *coop, "--greenhouse", "ca-chua-1"]
    assert _users(tech, tmp_path, monkeypatch, PASSWORD) == 2
    assert "greenhouse users: --greenhouse: Only a farmer is limited to some greenhouses, not a technician" in (
        capsys.readouterr().err
    )
    # No site file: the cooperative must be named.
    assert _users(["add", "quan-tri", "--role", "admin"], tmp_path, monkeypatch, PASSWORD) == 2
    assert "--cooperative: name the cooperative (no site file of the gateway was found)" in capsys.readouterr().err
    assert _users(["add", "quan-tri", "--role", "admin", *coop], tmp_path, monkeypatch, "ngan") == 2
    assert "the password needs 10 to 256 characters; nothing changed" in capsys.readouterr().err
    answers = iter(["mat-khau-quan-tri", "mat-khau-khac-han"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert _users(["add", "quan-tri", "--role", "admin", *coop], tmp_path, monkeypatch) == 2
    assert "the two passwords differ; nothing changed" in capsys.readouterr().err

    assert _users(["add", "quan-tri", "--role", "admin", *coop], tmp_path, monkeypatch, PASSWORD) == 0
    assert _users(["add", "quan-tri", "--role", "farmer", *coop], tmp_path, monkeypatch, PASSWORD) == 2
    assert "User 'quan-tri' already exists" in capsys.readouterr().err
    assert _users(["passwd", "ai-do"], tmp_path, monkeypatch, PASSWORD) == 2
    assert "No user 'ai-do'" in capsys.readouterr().err
    assert _users(["disable", "ai-do"], tmp_path, monkeypatch) == 2
    assert "No user 'ai-do'" in capsys.readouterr().err
    assert _authenticates(tmp_path, "quan-tri", PASSWORD)
