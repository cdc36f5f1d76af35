"""Sign-in attempts limited per user name and per client address, so passwords cannot be guessed at speed.

Failures are counted in a sliding window; once a key has its maximum, it waits until the oldest failure
leaves the window. Kept in memory: a gateway restart forgets them, which costs an attacker a restart.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LimitSettings:
    window: timedelta = timedelta(minutes=15)
    per_user: int = 5
    per_address: int = 20  # several farmers of one cooperative may share one address behind a 3G NAT
    remembered_keys: int = 10_000  # past this, keys with no failure left in the window are forgotten


DEFAULT_LIMITS = LimitSettings()


class Limiter:
    def __init__(self, now: Callable[[], datetime], settings: LimitSettings = DEFAULT_LIMITS) -> None:
        self._now = now
        self.settings = settings
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()  # sign-ins are served by several threads

    def retry_after_s(self, user: str, address: str) -> int:
        """0 if this attempt may go ahead; otherwise how many seconds until it may."""
        now = self._now()
        with self._lock:
            return max(
                self._wait(("user", user), self.settings.per_user, now),
                self._wait(("address", address), self.settings.per_address, now),
            )

    def failed(self, user: str, address: str) -> None:
        now = self._now()
        with self._lock:
            if len(self._failures) >= self.settings.remembered_keys:
                for key in list(self._failures):
                    self._wait(key, 1, now)  # drops the key if nothing of it is left in the window
            for key in (("user", user), ("address", address)):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, user: str) -> None:
        """The user knew their password: their name is not under attack. The address keeps its count."""
        with self._lock:
            self._failures.pop(("user", user), None)

    def _wait(self, key: tuple[str, str], limit: int, now: datetime) -> int:
        failures = self._failures.get(key)
        if failures is None:
            return 0
        while failures and failures[0] <= now - self.settings.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return 0
        if len(failures) < limit:
            return 0
        return max(1, math.ceil((failures[0] + self.settings.window - now).total_seconds()))
