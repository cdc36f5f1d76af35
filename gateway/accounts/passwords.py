"""Password hashes: argon2id, with the library's current parameters (RFC 9106's second recommendation); and the
hashes of random tokens (sessions, devices) that the file keeps instead of the tokens."""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# Checked against when the user does not exist, so that an unknown name takes as long as a wrong password.
_UNKNOWN_USER_HASH = _HASHER.hash("no such user")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _UNKNOWN_USER_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    """SHA-256: a random token of 32 bytes cannot be guessed, so it needs no slow hash as a password does."""
    return hashlib.sha256(token.encode()).hexdigest()
