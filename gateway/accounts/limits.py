"""Sign-in limits: failures hold off the client that fails, and never lock a name's owner out.

As OWASP's authentication guidance has it: every failed sign-in is kept with the name tried, the client's address,
and the device if it signed that name in before (``trust.py``). Four limits count them over a sliding window:

- a name from one address: the guesser's address is held off that name, other addresses are not;
- an address over every name: one address guessing many names;
- a name from clients it has not signed in from: past it, each further try from such a client waits after the
  last failure, twice as long each time up to ``slow_max``. Slowed, never shut: the owner on a new phone waits
  a minute at worst, and an address the name signed in from before is not slowed at all;
- a device the name signed in with before passes the three limits above; only its own failures hold it off.

Past a limit the answer says how long to wait. An admin sees who is held off (``report``) and unlocks a name or an
address. The failures are kept in the accounts file, so a restart does not forget them, and gateway instances
that share the file share the count.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from gateway.accounts.db import AccountsDb
from gateway.accounts.trust import Client, known_address, known_device, remember


class Limit(StrEnum):
    NAME_FROM_ADDRESS = "name_from_address"
    ADDRESS = "address"
    NAME = "name"  # from every client the name has not signed in from: slows them down, never locks
    DEVICE = "device"  # a device the name signed in with before


@dataclass(frozen=True)
class LimitSettings:
    window: timedelta = timedelta(minutes=15)
    per_name_from_address: int = 5
    per_address: int = 20  # several farmers of one cooperative may share one address behind a 3G NAT
    per_name: int = 10  # failures from strangers before each further try from a stranger waits
    per_device: int = 5
    slow_first: timedelta = timedelta(seconds=1)
    slow_max: timedelta = timedelta(minutes=1)  # the most the owner on a phone new to them waits
    remember: timedelta = timedelta(days=90)  # a client that signed a name in stays known this long after

    def allowed(self, limit: Limit) -> int:
        return {
            Limit.NAME_FROM_ADDRESS: self.per_name_from_address,
            Limit.ADDRESS: self.per_address,
            Limit.NAME: self.per_name,
            Limit.DEVICE: self.per_device,
        }[limit]


DEFAULT_LIMITS = LimitSettings()


class Hold(BaseModel):
    """One limit's count of failures in the window; ``retry_after_s`` is 0 while it still lets sign-ins through."""

    limit: Limit
    name: str | None = None  # None for an address over every name
    address: str | None = None  # None for a name or a device
    failures: int
    retry_after_s: int


# Which failures each limit counts: those not unlocked since, by an admin or the owner signing in from there.
_WHERE = {
    Limit.NAME_FROM_ADDRESS: "user = ? AND address = ? AND user_held AND address_held",
    Limit.ADDRESS: "address = ? AND address_held",
    Limit.NAME: "user = ? AND device IS NULL AND user_held",
    Limit.DEVICE: "user = ? AND device = ? AND user_held",
}


class Limiter:
    def __init__(self, db: AccountsDb, now: Callable[[], datetime], settings: LimitSettings = DEFAULT_LIMITS) -> None:
        self._db = db
        self._now = now
        self.settings = settings

    def hold(self, name: str, client: Client) -> Hold | None:
        """The limit that holds this sign-in off longest, or None: it may go ahead."""
        now = self._now().timestamp()
        with self._db.transaction() as db:
            self._forget_old(db, now)
            device = known_device(db, name, client, now - self.settings.remember.total_seconds())
            if device is not None:  # the owner's own device: failures elsewhere do not hold it off
                holds = [self._count(db, now, Limit.DEVICE, (name, device), name=name)]
            else:
                holds = [
                    self._count(db, now, Limit.NAME_FROM_ADDRESS, (name, client.address), name, client.address),
                    self._count(db, now, Limit.ADDRESS, (client.address,), address=client.address),
                ]
                if not known_address(db, name, client.address, now - self.settings.remember.total_seconds()):
                    holds.append(self._count(db, now, Limit.NAME, (name,), name=name))
        return max((h for h in holds if h.retry_after_s), key=lambda h: h.retry_after_s, default=None)

    def failed(self, name: str, client: Client) -> None:
        at = self._now().timestamp()
        with self._db.transaction() as db:
            device = known_device(db, name, client, at - self.settings.remember.total_seconds())
            db.execute(
                "INSERT INTO failed_sign_ins (user, address, device, at) VALUES (?, ?, ?, ?)",
                (name, client.address, device, at),
            )

    def succeeded(self, name: str, client: Client) -> None:
        """The owner knew their password: their failures from this client stop counting against the name, and the
        client is remembered. The address keeps its count over every name."""
        at = self._now().timestamp()
        forget_before = at - self.settings.remember.total_seconds()
        with self._db.transaction() as db:
            device = known_device(db, name, client, forget_before)
            db.execute(
                "UPDATE failed_sign_ins SET user_held = 0 WHERE user = ? AND (address = ? OR device = ?)",
                (name, client.address, device),
            )
            remember(db, name, client, at, forget_before)

    def report(self) -> list[Hold]:
        """Every name, name from an address, and address with failures in the window; the longest waits first.
        A device's own count is not listed: unlocking its name clears it."""
        now = self._now().timestamp()
        since = now - self.settings.window.total_seconds()
        with self._db.transaction() as db:
            self._forget_old(db, now)
            pick = "SELECT DISTINCT {} FROM failed_sign_ins WHERE {} AND at > ?"
            names = db.execute(pick.format("user", "user IS NOT NULL AND device IS NULL AND user_held"), (since,))
            pairs = db.execute(
                pick.format("user, address", "user IS NOT NULL AND address IS NOT NULL AND user_held AND address_held"),
                (since,),
            )
            addresses = db.execute(pick.format("address", "address IS NOT NULL AND address_held"), (since,))
            holds = [
                *(self._count(db, now, Limit.NAME, (n,), name=n) for (n,) in names.fetchall()),
                *(self._count(db, now, Limit.NAME_FROM_ADDRESS, (n, a), n, a) for n, a in pairs.fetchall()),
                *(self._count(db, now, Limit.ADDRESS, (a,), address=a) for (a,) in addresses.fetchall()),
            ]
        return sorted(holds, key=lambda h: (-h.retry_after_s, h.limit, h.name or "", h.address or ""))

    def unlock_name(self, name: str) -> int:
        """The name may sign in again from anywhere; how many failures stopped counting. Addresses keep theirs."""
        return self._unlock("user_held = 0 WHERE user = ? AND user_held", name)

    def unlock_address(self, address: str) -> int:
        """The address may sign in again, as any name; how many failures stopped counting. Names keep theirs."""
        return self._unlock("address_held = 0 WHERE address = ? AND address_held", address)

    def _unlock(self, assignment: str, key: str) -> int:
        since = self._now().timestamp() - self.settings.window.total_seconds()
        with self._db.transaction() as db:
            return db.execute(f"UPDATE failed_sign_ins SET {assignment} AND at > ?", (key, since)).rowcount

    def _forget_old(self, db: sqlite3.Connection, now: float) -> None:
        db.execute("DELETE FROM failed_sign_ins WHERE at <= ?", (now - self.settings.window.total_seconds(),))

    def _count(
        self,
        db: sqlite3.Connection,
        now: float,
        limit: Limit,
        params: tuple[str, ...],
        name: str | None = None,
        address: str | None = None,
    ) -> Hold:
        since = now - self.settings.window.total_seconds()
        rows = db.execute(
            f"SELECT at FROM failed_sign_ins WHERE {_WHERE[limit]} AND at > ? ORDER BY at DESC", (*params, since)
        ).fetchall()
        newest_first = [at for (at,) in rows]
        wait = self._slowed(newest_first, now) if limit is Limit.NAME else self._full(newest_first, limit, now)
        return Hold(limit=limit, name=name, address=address, failures=len(newest_first), retry_after_s=wait)

    def _full(self, newest_first: list[float], limit: Limit, now: float) -> int:
        """Held off until fewer than the allowed number are left in the window."""
        allowed = self.settings.allowed(limit)
        if len(newest_first) < allowed:
            return 0
        return max(1, math.ceil(newest_first[allowed - 1] + self.settings.window.total_seconds() - now))

    def _slowed(self, newest_first: list[float], now: float) -> int:
        """Past the allowed number, each try waits after the last failure, twice as long as the one before."""
        over = len(newest_first) - self.settings.per_name
        if over < 0:
            return 0
        delay = min(self.settings.slow_first * 2 ** min(over, 32), self.settings.slow_max)
        return max(0, math.ceil(newest_first[0] + delay.total_seconds() - now))
