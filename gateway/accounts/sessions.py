"""Server-side sessions: the browser holds a random token, the file holds only its hash and an expiry."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from gateway.accounts.db import AccountsDb
from gateway.accounts.models import User
from gateway.accounts.passwords import token_hash
from gateway.accounts.users import user_from_row

DEFAULT_TTL = timedelta(days=7)  # a farmer on a phone should not sign in every morning


def csrf_token(session_token: str) -> str:
    """The session's anti-forgery token: derived from it, so it needs no storage and dies with the session."""
    return hmac.new(session_token.encode(), b"csrf", hashlib.sha256).hexdigest()


class Sessions:
    def __init__(self, db: AccountsDb, now: Callable[[], datetime], ttl: timedelta = DEFAULT_TTL) -> None:
        self._db = db
        self._now = now
        self.ttl = ttl

    def start(self, user: User) -> str:
        """A new session for the user; the returned token is the only copy."""
        token = secrets.token_urlsafe(32)
        now = self._now().timestamp()
        with self._db.transaction() as db:
            db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            db.execute(
                "INSERT INTO sessions (token_hash, user, created_at, expires_at) VALUES (?, ?, ?, ?)",
                (token_hash(token), user.name, now, now + self.ttl.total_seconds()),
            )
        return token

    def user(self, token: str) -> User | None:
        """Whose session this is, while it has not expired and the user is not disabled."""
        columns = "u.name, u.role, u.cooperative, u.greenhouses, u.disabled, u.created_at"
        with self._db.transaction() as db:
            row = db.execute(
                f"SELECT {columns} FROM sessions s JOIN users u ON u.name = s.user"
                " WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
                (token_hash(token), self._now().timestamp()),
            ).fetchone()
        return None if row is None else user_from_row(row)

    def end(self, token: str) -> None:
        with self._db.transaction() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash(token),))

    def end_all(self, name: str, keep: str | None = None) -> int:
        """Every session of the user ends but ``keep``'s (a password reset: a lost phone stays signed in no
        longer, while the admin who reset their own goes on)."""
        kept = None if keep is None else token_hash(keep)
        with self._db.transaction() as db:
            ended = db.execute("DELETE FROM sessions WHERE user = ? AND token_hash IS NOT ?", (name, kept))
            return ended.rowcount
