"""A metric's value now, from the latest readings, using only readings fit to drive an actuator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from contract.kinds import Quality, SensorKind
from contract.messages import Observed
from rules.base import Metric

NO_READING = "no_reading"
TOO_OLD = "too_old"


@dataclass(frozen=True)
class MetricValue:
    label: str
    usable: dict[str, float]  # sensor id → value, good quality and fresh enough
    value: float | None  # the aggregate of the usable values; None when there are none
    unusable: dict[str, str]  # sensor id → why not: a quality flag, too_old or no_reading
    rejected: dict[str, float]  # values the unusable readings carried, for the audit trail
    sensors: tuple[str, ...] = ()  # the metric's sensors, as the rule names them
    kind: SensorKind | None = None  # what they measure, from their readings; None before any reading
    aggregate: str = "mean"  # how several sensors' values are combined (rules.base.Aggregate)

    @property
    def inputs(self) -> dict[str, float]:
        """The usable sensor values and, under the metric's label, their aggregate."""
        if self.value is None:
            return dict(self.usable)
        return {**self.usable, self.label: self.value}

    @property
    def why_unusable(self) -> str:
        """Each unusable sensor and why, as ``contract.wording`` reads it: ``id:why`` pairs."""
        return ",".join(f"{sensor}:{why}" for sensor, why in self.unusable.items())


def read_metric(metric: Metric, latest: Mapping[str, Observed], now: datetime, max_age_s: float) -> MetricValue:
    usable: dict[str, float] = {}
    unusable: dict[str, str] = {}
    rejected: dict[str, float] = {}
    kind: SensorKind | None = None  # of the first of its sensors with a reading
    for sensor in metric.sensors:
        reading = latest.get(sensor)
        if reading is not None and kind is None:
            kind = reading.kind
        value = reading.usable(now, max_age_s) if reading is not None else None
        if value is not None:
            usable[sensor] = value
            continue
        unusable[sensor] = _why(reading)
        if reading is not None and reading.value is not None:
            rejected[sensor] = reading.value
    aggregate = metric.combine(list(usable.values())) if usable else None
    sensors = metric.key[0]
    return MetricValue(metric.label, usable, aggregate, unusable, rejected, sensors, kind, metric.aggregate.value)


def usable_values(
    sensors: Sequence[str], latest: Mapping[str, Observed], now: datetime, max_age_s: float
) -> list[float]:
    """The usable values of ``sensors``, in their order: what a metric of them judges on at most evaluations, where
    it neither acts nor alerts, without ``read_metric``'s dicts for the audit (the same values in the same order, so
    the same aggregate)."""
    get = latest.get
    return [
        value
        for sensor in sensors
        if (reading := get(sensor)) is not None and (value := reading.usable(now, max_age_s)) is not None
    ]


def _why(reading: Observed | None) -> str:
    if reading is None:
        return NO_READING
    if reading.quality is not Quality.GOOD:
        return reading.quality.value
    return NO_READING if reading.value is None else TOO_OLD
