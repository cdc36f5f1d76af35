"""Lot codes: short enough to write on a crate, telling a packer the greenhouse and the day at a glance, and never
given twice. ``CC1-261212-2``: the greenhouse's initials and number (ca-chua-1), the harvest day, the day's count."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

_PART = re.compile(r"[a-z]+|[0-9]+")


def house_mark(greenhouse_id: str) -> str:
    """The greenhouse's initials and numbers: ca-chua-1 → CC1, rau_la_12 → RL12, nha3 → N3."""
    parts = _PART.findall(greenhouse_id.lower())
    mark = "".join(p if p.isdigit() else p[0] for p in parts).upper()
    return mark[:6] or "X"


def lot_stem(greenhouse_id: str, day: date) -> str:
    """What every lot code of the greenhouse's harvests on ``day`` begins with."""
    return f"{house_mark(greenhouse_id)}-{day:%y%m%d}-"


def lot_code(greenhouse_id: str, day: date, taken: Iterable[str]) -> str:
    """The next free code for a harvest of the greenhouse on ``day``, given the codes already ``taken``."""
    stem = lot_stem(greenhouse_id, day)
    used = {c for c in taken if c.startswith(stem)}
    n = 1
    while f"{stem}{n}" in used:
        n += 1
    return f"{stem}{n}"
