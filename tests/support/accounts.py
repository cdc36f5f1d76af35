"""Users for tests of the gateway's API: added straight to the accounts file, each with a fresh password."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from gateway.accounts.models import UserSpec
from gateway.accounts.roles import Role
from gateway.accounts.service import Accounts

COOPERATIVE = "htx-moc-chau"  # the example site's


def add_user(
    accounts: Accounts,
    name: str,
    role: Role,
    cooperative: str = COOPERATIVE,
    greenhouses: Iterable[str] | None = None,
) -> str:
    """Adds the user and returns their password."""
    password = secrets.token_urlsafe(12)
    limited = None if greenhouses is None else frozenset(greenhouses)
    accounts.users.add(UserSpec(name=name, role=role, cooperative=cooperative, greenhouses=limited), password)
    return password
