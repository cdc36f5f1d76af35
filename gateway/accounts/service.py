"""The accounts as the gateway uses them: one file, its users, sessions and sign-in failures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from gateway.accounts.db import AccountsDb, accounts_path
from gateway.accounts.errors import AccountError
from gateway.accounts.limits import DEFAULT_LIMITS, Limiter, LimitSettings
from gateway.accounts.models import User
from gateway.accounts.sessions import DEFAULT_TTL, Sessions
from gateway.accounts.users import Users
from gateway.accounts.words import BAD_CREDENTIALS, DISABLED, RATE_LIMITED


class RateLimited(AccountError):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(RATE_LIMITED, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class Accounts:
    def __init__(
        self,
        data_dir: Path,
        now: Callable[[], datetime],
        session_ttl: timedelta = DEFAULT_TTL,
        limits: LimitSettings = DEFAULT_LIMITS,
    ) -> None:
        """``now`` is wall time (or a test's clock), never the demo's scaled clock: sessions expire in real hours."""
        self.db = AccountsDb(accounts_path(data_dir))
        self.users = Users(self.db, now)
        self.sessions = Sessions(self.db, now, session_ttl)
        self.limiter = Limiter(self.db, now, limits)

    def sign_in(self, name: str, password: str, address: str) -> tuple[User, str]:
        """The user and their new session token; AccountError (RateLimited when too many failures) otherwise."""
        wait = self.limiter.retry_after_s(name, address)
        if wait:
            raise RateLimited(wait)
        user = self.users.authenticate(name, password)
        if user is None:
            self.limiter.failed(name, address)
            raise AccountError(BAD_CREDENTIALS)
        self.limiter.succeeded(name)
        if user.disabled:
            raise AccountError(DISABLED)
        return user, self.sessions.start(user)

    def close(self) -> None:
        self.db.close()
