"""Mosquitto password-file entries in its own format, as ``mosquitto_passwd`` (2.x) writes them.

``user:$7$<iterations>$<base64 salt>$<base64 PBKDF2-HMAC-SHA512 hash>``: written here so that
``greenhouse init`` needs no Mosquitto tools on the machine that runs it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

# mosquitto_passwd's own defaults (src/password_mosq.c): 101 iterations, 12-byte salt, SHA-512.
ITERATIONS = 101
SALT_BYTES = 12


def hash_entry(username: str, password: str, salt: bytes | None = None) -> str:
    if ":" in username or not username:
        raise ValueError(f"MQTT user name {username!r} must be non-empty and contain no ':'")
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS)
    return f"{username}:$7${ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify(entry: str, password: str) -> bool:
    """Whether ``password`` matches a ``$7$`` entry (for tests and for checking a file by hand)."""
    _user, _, hashed = entry.partition(":")
    parts = hashed.split("$")
    if len(parts) != 5 or parts[1] != "7":
        return False
    iterations, salt, digest = int(parts[2]), base64.b64decode(parts[3]), base64.b64decode(parts[4])
    return hmac.compare_digest(hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations), digest)


def users(path: Path) -> list[str]:
    """The user names in a password file, in order."""
    if not path.exists():
        return []
    return [line.split(":", 1)[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
