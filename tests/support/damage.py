"""Damage done to a real SQLite file, the ways a card or a disk does it: cut short, a stretch overwritten with
garbage, the header smashed, emptied, or its write-ahead log damaged."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

_PAGE = 4096  # SQLite's default page size, which every store here uses
_WAL_HEADER, _WAL_FRAME = 32, 24 + _PAGE


class Damage(StrEnum):
    TRUNCATED = "truncated"  # cut at half its length
    OVERWRITTEN = "overwritten"  # two pages in the middle turned to garbage
    OVERWRITTEN_TWICE = "overwritten_twice"  # a page a third of the way in, and one two thirds of the way
    HEADER_SMASHED = "header_smashed"  # its first 100 bytes (the database header) turned to garbage
    ZERO_BYTES = "zero_bytes"


def garbage(n: int) -> bytes:
    """Reproducible bytes that SQLite cannot take for anything."""
    return random.Random(n).randbytes(n)


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _overwrite(path: Path, at: tuple[float, ...], pages: int) -> None:
    size = path.stat().st_size
    with path.open("r+b") as f:
        for fraction in at:
            f.seek(int(size * fraction) // _PAGE * _PAGE)
            f.write(garbage(pages * _PAGE))


def _smash_header(path: Path) -> None:
    with path.open("r+b") as f:
        f.write(garbage(100))


_DO: dict[Damage, Callable[[Path], None]] = {
    Damage.TRUNCATED: _truncate,
    Damage.OVERWRITTEN: lambda path: _overwrite(path, (0.5,), 2),
    Damage.OVERWRITTEN_TWICE: lambda path: _overwrite(path, (1 / 3, 2 / 3), 1),
    Damage.HEADER_SMASHED: _smash_header,
    Damage.ZERO_BYTES: lambda path: os.truncate(path, 0),
}


def damage(path: Path, how: Damage) -> bytes:
    """Damages the (closed) file; returns what it holds afterwards."""
    _DO[how](path)
    return path.read_bytes()


def crash_copy(live: Path, to: Path) -> None:
    """The file and its write-ahead log as a power cut would leave them, taken while a connection is open."""
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{live}{suffix}", f"{to}{suffix}")


def smash_wal_header(path: Path) -> None:
    with open(f"{path}-wal", "r+b") as f:
        f.write(garbage(_WAL_HEADER))


def overwrite_wal_frame(path: Path, frame: int) -> None:
    """One frame of the log, header and page, turned to garbage: the transactions after it are unreadable."""
    with open(f"{path}-wal", "r+b") as f:
        f.seek(_WAL_HEADER + frame * _WAL_FRAME)
        f.write(garbage(_WAL_FRAME))


def tear_last_frame(path: Path) -> None:
    """The log cut inside its last frame: a power cut while the last transaction was being written."""
    wal = Path(f"{path}-wal")
    os.truncate(wal, wal.stat().st_size - _PAGE // 2)


def kept_aside(path: Path) -> list[Path]:
    """The damaged files kept beside ``path`` (their -wal and -shm beside each)."""
    found = path.parent.glob(f"{path.name}.damaged-*")
    return sorted(p for p in found if not p.name.endswith(("-wal", "-shm")))
