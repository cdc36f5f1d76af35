"""Users of the accounts file: added, listed, given a new password or greenhouses, disabled or enabled again,
and checked at sign-in."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime

from gateway.accounts.db import AccountsDb
from gateway.accounts.errors import AccountError
from gateway.accounts.models import User, UserSpec
from gateway.accounts.passwords import hash_password, verify
from gateway.accounts.roles import Role
from gateway.accounts.words import NO_GREENHOUSE_GIVEN, NO_USER, ONLY_FARMERS_LIMITED, ROLES, USER_EXISTS

_COLUMNS = "name, role, cooperative, greenhouses, disabled, created_at"


def user_from_row(row: tuple[object, ...]) -> User:
    """A ``users`` row, selected as ``_COLUMNS``, as a model."""
    name, role, cooperative, greenhouses, disabled, created_at = row
    return User.model_validate(
        {
            "name": name,
            "role": role,
            "cooperative": cooperative,
            "greenhouses": None if greenhouses is None else json.loads(str(greenhouses)),
            "disabled": bool(disabled),
            "created_at": created_at,
        }
    )


def check_limit(role: Role, greenhouses: frozenset[str] | None) -> None:
    """What ``UserSpec`` insists on, as a refusal a person reads in their language."""
    if greenhouses is not None and role is not Role.FARMER:
        raise AccountError(ONLY_FARMERS_LIMITED, role=ROLES[role])
    if greenhouses is not None and not greenhouses:
        raise AccountError(NO_GREENHOUSE_GIVEN)


class Users:
    def __init__(self, db: AccountsDb, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now

    def add(self, spec: UserSpec, password: str) -> User:
        user = User(**spec.model_dump(), created_at=self._now())
        greenhouses = None if user.greenhouses is None else json.dumps(sorted(user.greenhouses))
        password_hash = hash_password(password)  # outside the lock: argon2 takes a while on purpose
        try:
            with self._db.transaction() as db:
                db.execute(
                    "INSERT INTO users (name, role, cooperative, greenhouses, password_hash, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (user.name, user.role, user.cooperative, greenhouses, password_hash, user.created_at.isoformat()),
                )
        except sqlite3.IntegrityError:
            raise AccountError(USER_EXISTS, name=user.name) from None
        return user

    def get(self, name: str) -> User | None:
        with self._db.transaction() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM users WHERE name = ?", (name,)).fetchone()
        return None if row is None else user_from_row(row)

    def all(self, cooperative: str | None = None) -> list[User]:
        """Every user, or those of one cooperative, by name."""
        with self._db.transaction() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM users WHERE ?1 IS NULL OR cooperative = ?1 ORDER BY name", (cooperative,)
            ).fetchall()
        return [user_from_row(r) for r in rows]

    def set_password(self, name: str, password: str) -> None:
        self._update(name, "password_hash = ?", hash_password(password))

    def disable(self, name: str) -> None:
        """The user can no longer sign in, and their open sessions stop working (sessions check this)."""
        self._update(name, "disabled = ?", 1)

    def enable(self, name: str) -> None:
        self._update(name, "disabled = ?", 0)

    def set_greenhouses(self, name: str, greenhouses: frozenset[str] | None) -> User:
        """The greenhouses the user may see (None: every one); checked as a new user's are (only a farmer's)."""
        user = self.get(name)
        if user is None:
            raise AccountError(NO_USER, name=name)
        check_limit(user.role, greenhouses)
        spec = UserSpec(name=user.name, role=user.role, cooperative=user.cooperative, greenhouses=greenhouses)
        stored = None if spec.greenhouses is None else json.dumps(sorted(spec.greenhouses))
        self._update(name, "greenhouses = ?", stored)
        return user.model_copy(update={"greenhouses": spec.greenhouses})

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if the password is theirs, disabled or not; None otherwise (an unknown name takes as long)."""
        with self._db.transaction() as db:
            row = db.execute(f"SELECT {_COLUMNS}, password_hash FROM users WHERE name = ?", (name,)).fetchone()
        if not verify(None if row is None else str(row[-1]), password) or row is None:
            return None
        return user_from_row(row[:-1])

    def _update(self, name: str, assignment: str, value: object) -> None:
        with self._db.transaction() as db:
            if db.execute(f"UPDATE users SET {assignment} WHERE name = ?", (value, name)).rowcount == 0:
                raise AccountError(NO_USER, name=name)
