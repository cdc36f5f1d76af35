"""The accounts as the gateway uses them: one file, its users, sessions and sign-in failures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from gateway.accounts.db import AccountsDb, accounts_path
from gateway.accounts.errors import AccountError
from gateway.accounts.limits import DEFAULT_LIMITS, Hold, Limiter, LimitSettings
from gateway.accounts.models import User
from gateway.accounts.sessions import DEFAULT_TTL, Sessions
from gateway.accounts.trust import Client
from gateway.accounts.users import Users
from gateway.accounts.words import BAD_CREDENTIALS, DISABLED, HELD_OFF, NO_USER, wait_words


class RateLimited(AccountError):
    """Held off by a sign-in limit: which one, and for how long."""

    def __init__(self, hold: Hold) -> None:
        super().__init__(HELD_OFF[hold.limit], wait=wait_words(hold.retry_after_s))
        self.hold = hold
        self.retry_after_s = hold.retry_after_s


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

    def sign_in(self, name: str, password: str, address: str, device: str | None = None) -> tuple[User, str]:
        """The user and their new session token; AccountError (RateLimited when too many failures) otherwise.

        ``device`` is the browser's device token (``trust.device_token``): a device that signed this user in
        before is not held off by failures from elsewhere, and after this sign-in this one is such a device."""
        client = Client(address=address, device=device)
        hold = self.limiter.hold(name, client)
        if hold is not None:
            raise RateLimited(hold)
        user = self.users.authenticate(name, password)
        if user is None:
            self.limiter.failed(name, client)
            raise AccountError(BAD_CREDENTIALS)
        self.limiter.succeeded(name, client)
        if user.disabled:
            raise AccountError(DISABLED)
        return user, self.sessions.start(user)

    def unlock(self, name: str) -> int:
        """The user may sign in again from anywhere; how many of their failures stopped counting."""
        if self.users.get(name) is None:
            raise AccountError(NO_USER, name=name)
        return self.limiter.unlock_name(name)

    def close(self) -> None:
        self.db.close()
