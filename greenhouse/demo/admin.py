"""The demo's admin: made for each run with a freshly generated password, so that no password is ever a default."""

from __future__ import annotations

import secrets
from pathlib import Path

from contract.clock import Clock
from gateway.accounts.models import UserSpec
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts

DEMO_ADMIN = "demo-admin"


def demo_admin(data_dir: Path, cooperative: str) -> str:
    """The password of the demo's admin in ``data_dir``'s accounts: a new one at every run, even in a reused dir."""
    password = secrets.token_urlsafe(12)
    accounts = Accounts(data_dir, Clock().now)
    try:
        if accounts.users.get(DEMO_ADMIN) is None:
            accounts.users.add(UserSpec(name=DEMO_ADMIN, role=Role.ADMIN, cooperative=cooperative), password)
        else:
            accounts.users.set_password(DEMO_ADMIN, password)
    finally:
        accounts.close()
    return password
