"""A store written by a newer release (a farm server downgraded by mistake) stops the command with one line that
names the file and both versions, and the file is left exactly as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gateway.accounts.db import accounts_path
from greenhouse.cli import main


def test_an_accounts_file_from_a_newer_release_is_refused_by_name_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = accounts_path(tmp_path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.execute("CREATE TABLE from_the_future (x)")
    db.commit()
    db.close()
    before = path.read_bytes()
    assert main(["users", "list", "--data-dir", str(tmp_path), "--lang", "en"]) == 2
    said = capsys.readouterr().err.strip().splitlines()[-1]  # after the line that says which file it reads
    assert said == (
        f"greenhouse users: {path}: schema version 99 is newer than this program knows (version 1): it was written"
        " by a newer release; run that release, or restore a copy this one wrote"
    )
    assert main(["users", "list", "--data-dir", str(tmp_path)]) == 2
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert said.startswith(f"greenhouse users: {path}: tệp được ghi bởi phiên bản phần mềm mới hơn (cấu trúc 99,")
    assert path.read_bytes() == before
