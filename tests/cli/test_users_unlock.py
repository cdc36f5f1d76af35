"""``greenhouse users unlock NAME`` on a real accounts file: the name may sign in again from where it was held off,
while the address keeps its count over other names; an unknown name is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.clock import Clock
from gateway.accounts.models import UserSpec
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts, RateLimited
from gateway.accounts.trust import Client
from greenhouse.cli import main

PASSWORD = "mat-khau-nong-dan"
GUESSER = Client(address="10.0.0.66")


def test_unlock_lets_a_held_off_user_sign_in_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Wall time, as the CLI has it: the failures are seconds old when it runs.
    accounts = Accounts(tmp_path, Clock().now)
    try:
        accounts.users.add(UserSpec(name="nong-dan", role=Role.FARMER, cooperative="htx-moc-chau"), PASSWORD)
        for _ in range(5):  # the default limit for a name from one address
            accounts.limiter.failed("nong-dan", GUESSER)
        accounts.limiter.failed("doan-ten", GUESSER)
        with pytest.raises(RateLimited):
            accounts.sign_in("nong-dan", PASSWORD, GUESSER.address)

        assert main(["users", "unlock", "nong-dan", "--data-dir", str(tmp_path), "--lang", "en"]) == 0
        assert capsys.readouterr().out == "unlocked nong-dan: 5 failed sign-ins no longer count\n"
        user, _session = accounts.sign_in("nong-dan", PASSWORD, GUESSER.address)
        assert user.name == "nong-dan"
        address = [h for h in accounts.limiter.report() if h.address == GUESSER.address and h.name is None]
        assert [h.failures for h in address] == [6]  # the address keeps them all
    finally:
        accounts.close()


def test_unlock_names_an_unknown_user(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Accounts(tmp_path, Clock().now).close()
    assert main(["users", "unlock", "ai-do", "--data-dir", str(tmp_path)]) == 2
    # The last line: before it, which accounts file it opened (and the log may say that the file was new).
    assert capsys.readouterr().err.splitlines()[-1] == "greenhouse users: Không có người dùng 'ai-do'"
