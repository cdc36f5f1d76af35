"""Sign-in attempts limited per user name and per client address, so passwords cannot be guessed at speed.

Failures are counted in a sliding window; once a key has its maximum, it waits until the oldest failure
leaves the window. They are kept in the accounts file, so a restart does not forget them, and gateway
instances that share the file share the count.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.accounts.db import AccountsDb


@dataclass(frozen=True)
class LimitSettings:
    window: timedelta = timedelta(minutes=15)
    per_user: int = 5
    per_address: int = 20  # several farmers of one cooperative may share one address behind a 3G NAT


DEFAULT_LIMITS = LimitSettings()


def _user(name: str) -> str:
    return f"user:{name}"


def _address(address: str) -> str:
    return f"address:{address}"


class Limiter:
    def __init__(self, db: AccountsDb, now: Callable[[], datetime], settings: LimitSettings = DEFAULT_LIMITS) -> None:
        self._db = db
        self._now = now
        self.settings = settings

    def retry_after_s(self, user: str, address: str) -> int:
        """0 if this attempt may go ahead; otherwise how many seconds until it may."""
        now = self._now().timestamp()
        since = now - self.settings.window.total_seconds()
        with self._db.transaction() as db:
            db.execute("DELETE FROM sign_in_failures WHERE at <= ?", (since,))  # out of the window: forgotten
            waits = [
                self._wait(db.execute(_COUNT, (key, since)).fetchone(), limit, now)
                for key, limit in (
                    (_user(user), self.settings.per_user),
                    (_address(address), self.settings.per_address),
                )
            ]
        return max(waits)

    def failed(self, user: str, address: str) -> None:
        at = self._now().timestamp()
        with self._db.transaction() as db:
            db.executemany(
                "INSERT INTO sign_in_failures (key, at) VALUES (?, ?)", [(_user(user), at), (_address(address), at)]
            )

    def succeeded(self, user: str) -> None:
        """The user knew their password: their name is not under attack. The address keeps its count."""
        with self._db.transaction() as db:
            db.execute("DELETE FROM sign_in_failures WHERE key = ?", (_user(user),))

    def _wait(self, found: tuple[int, float | None], limit: int, now: float) -> int:
        count, oldest = found
        if count < limit or oldest is None:
            return 0
        return max(1, math.ceil(oldest + self.settings.window.total_seconds() - now))


_COUNT = "SELECT COUNT(*), MIN(at) FROM sign_in_failures WHERE key = ? AND at > ?"
