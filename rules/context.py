"""What a rule evaluation sees of the world: the latest readings, the time, and where the greenhouse is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from contract.messages import Observed
from contract.site import Cooperative
from rules.base import Metric
from rules.inputs import usable_values


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
    latest: Mapping[str, Observed]  # by sensor id
    now: datetime  # timezone-aware; the engine never reads a clock
    place: Place
    # Metric values already read in this evaluation: many rules read the same sensors the same way.
    _values: dict[tuple[tuple[tuple[str, ...], str], float], float | None] = field(
        default_factory=dict, compare=False, repr=False
    )
    # And their sensors' usable values: the mean and the minimum of the same probes are read once.
    _usable: dict[tuple[tuple[str, ...], float], list[float]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def tz(self) -> ZoneInfo:
        return self.place.tz

    def value(self, metric: Metric, max_age_s: float) -> float | None:
        """The value of ``metric`` now, as ``read_metric`` finds it, read once per evaluation (it depends on nothing
        else); metrics of the same sensors share their usable values."""
        key, values = (metric.key, max_age_s), self._values
        if key in values:  # not a KeyError caught: raising one costs more than reading a metric's cached value
            return values[key]
        usable = self.usable(key[0][0], max_age_s)
        value = values[key] = metric.combine(usable) if usable else None  # as ``read_metric`` combines them
        return value

    def usable(self, sensors: tuple[str, ...], max_age_s: float) -> list[float]:
        """The usable values of ``sensors`` now (``usable_values``), read once per evaluation."""
        read = (sensors, max_age_s)
        usable = self._usable.get(read)
        if usable is None:
            usable = self._usable[read] = usable_values(sensors, self.latest, self.now, max_age_s)
        return usable
