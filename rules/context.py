"""What a rule evaluation sees of the world: the latest readings, the time, and where the greenhouse is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from contract.messages import Reading
from contract.site import Cooperative
from rules.base import Metric
from rules.inputs import metric_value


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
    # Metric values already read in this evaluation: many rules read the same sensors the same way.
    _values: dict[tuple[tuple[tuple[str, ...], str], float], float | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def tz(self) -> ZoneInfo:
        return self.place.tz

    def value(self, metric: Metric, max_age_s: float) -> float | None:
        """``metric_value`` of ``metric`` now, read once per evaluation (it depends on nothing else)."""
        key = (metric.key, max_age_s)
        try:
            return self._values[key]
        except KeyError:
            value = self._values[key] = metric_value(metric, self.latest, self.now, max_age_s)
            return value
