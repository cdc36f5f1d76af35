"""What a rule evaluation sees of the world: the latest readings, the time, and where the greenhouse is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from contract.messages import Reading
from contract.site import Cooperative


@dataclass(frozen=True)
class Place:
    """Where the site is: its time zone for clock times, its position for sunrise and sunset."""

    tz: ZoneInfo
    latitude: float
    longitude: float
    elevation_m: float = 0.0

    @classmethod
    def of(cls, cooperative: Cooperative) -> Place:
        return cls(cooperative.tz, cooperative.latitude, cooperative.longitude, cooperative.elevation_m)


@dataclass(frozen=True)
class Context:
    latest: Mapping[str, Reading]  # by sensor id
    now: datetime  # timezone-aware; the engine never reads a clock
    place: Place

    @property
    def tz(self) -> ZoneInfo:
        return self.place.tz
