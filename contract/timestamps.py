"""A reading's time, kept in the one shared UTC zone so that a batch's times are cheap to compare and to group.

pydantic gives every parsed time a timezone object of its own, so comparing or hashing two of them asks each for
its offset (about 0.3 µs a time), and a batch's readings are grouped by poll time and bounded on the way in, in
three places per reading (validation, line protocol, derived metrics), then compared again by the registry. Once
parsed, and accepted exactly as pydantic's ``AwareDatetime`` accepts it, a time is given the standard library's
UTC zone: the same instant, compared and hashed without that call; written out, always with ``Z``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime


def _in_utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC)


UtcTime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
