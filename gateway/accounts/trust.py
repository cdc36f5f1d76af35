"""Clients a user has signed in from before: a device (by its cookie) or an address.

Failures against a name from elsewhere must not lock its owner out (OWASP's device cookies): a device the name
signed in with before passes the limits meant for strangers, and only its own failures hold it off; an address it
signed in from before is not slowed by failures elsewhere. The browser keeps a random token (cookie ``gh_device``,
sent to the sign-in only); the file keeps its SHA-256 per user, and when each client last signed that user in.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from gateway.accounts.passwords import token_hash

_DEVICE_TOKEN = r"^[A-Za-z0-9_-]{43}$"  # what secrets.token_urlsafe(32) gives
DeviceToken = Annotated[str, Field(pattern=_DEVICE_TOKEN)]


def device_token(presented: str | None) -> str:
    """The device's token: the one its browser presented if well-formed, or a new one for a new device."""
    if presented is not None and re.fullmatch(_DEVICE_TOKEN, presented):
        return presented
    return secrets.token_urlsafe(32)


class Client(BaseModel):
    """Where a sign-in comes from: the TCP peer's address, and the device cookie if the browser sent one."""

    model_config = ConfigDict(frozen=True)

    address: str
    device: DeviceToken | None = None


def _device_key(device_hash: str) -> str:
    return f"device:{device_hash}"


def _address_key(address: str) -> str:
    return f"address:{address}"


def known_device(db: sqlite3.Connection, name: str, client: Client, since: float) -> str | None:
    """The hash of the client's device if ``name`` signed in with it since ``since``, else None."""
    if client.device is None:
        return None
    device_hash = token_hash(client.device)
    return device_hash if _known(db, name, _device_key(device_hash), since) else None


def known_address(db: sqlite3.Connection, name: str, address: str, since: float) -> bool:
    return _known(db, name, _address_key(address), since)


def remember(db: sqlite3.Connection, name: str, client: Client, at: float, forget_before: float) -> None:
    """``name`` signed in from this client at ``at``; clients not seen since ``forget_before`` are forgotten."""
    db.execute("DELETE FROM known_clients WHERE last_sign_in <= ?", (forget_before,))
    keys = [_address_key(client.address)]
    if client.device is not None:
        keys.append(_device_key(token_hash(client.device)))
    db.executemany(
        "INSERT INTO known_clients (user, client, last_sign_in) VALUES (?, ?, ?)"
        " ON CONFLICT (user, client) DO UPDATE SET last_sign_in = excluded.last_sign_in",
        [(name, key, at) for key in keys],
    )


def _known(db: sqlite3.Connection, name: str, key: str, since: float) -> bool:
    found = db.execute(
        "SELECT 1 FROM known_clients WHERE user = ? AND client = ? AND last_sign_in > ?", (name, key, since)
    )
    return found.fetchone() is not None
