"""Calibration and quality flags for raw sensor values.

Pure: time comes in as ``now``; the only state is each sensor's recent history,
which the spike and flat-line checks need. Flags, highest priority first:
``stale`` (node did not answer), ``missing`` (dropout), ``out_of_range``,
``spike``, ``flatline``, else ``good``. Flagged values other than stale and
missing are kept, so agronomists can see what the sensor said.

One figure, one meaning: a reading leaves here rounded to the digits its kind is
shown in (``SensorKind.digits``), so that the tile, an interlock and a rule's
alert all judge and say the same number — a tank at 14.96 % is 15 % everywhere,
never "15 %" on the phone and "below 15" at the pump. Flags are judged on the
value before rounding, which is what the sensor said.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from contract.kinds import Quality
from contract.messages import Reading
from contract.site import Sensor

# Float32 registers repeat bit for bit when a sensor is stuck; anything closer than this is "unchanged".
_SAME = 1e-9


@dataclass
class _History:
    """What one sensor said before. Readings without a value (stale, missing) leave it untouched."""

    last_good: float | None = None
    previous: float | None = None
    # When the current run of identical values began.
    unchanged_since: datetime | None = None


class QualityChecker:
    def __init__(self, sensors: Iterable[Sensor]) -> None:
        self._sensors = {s.id: s for s in sensors}
        self._history = {sensor_id: _History() for sensor_id in self._sensors}

    def assess(self, sensor_id: str, raw: float | None, now: datetime, node_answered: bool) -> Reading:
        """The calibrated, flagged reading of ``raw``, read from ``sensor_id`` at ``now``."""
        sensor = self._sensors.get(sensor_id)
        if sensor is None:
            known = ", ".join(sorted(self._sensors)) or "none"
            raise KeyError(f"no sensor {sensor_id!r} is configured (known: {known})")
        if not node_answered:
            return self._reading(sensor, None, now, Quality.STALE)
        # A float32 register can hold NaN or infinity (many sensors report errors that way): no value either.
        if raw is None or not math.isfinite(raw):
            return self._reading(sensor, None, now, Quality.MISSING)
        value = sensor.calibration.apply(raw)
        history = self._history[sensor_id]
        quality = self._flag(sensor, history, value, now)
        if history.previous is None or abs(value - history.previous) >= _SAME:
            history.unchanged_since = now
        history.previous = value
        if quality is Quality.GOOD:
            history.last_good = value
        return self._reading(sensor, value, now, quality)

    @staticmethod
    def _flag(sensor: Sensor, history: _History, value: float, now: datetime) -> Quality:
        if not sensor.range.contains(value):
            return Quality.OUT_OF_RANGE
        if sensor.spike_delta is not None and history.last_good is not None and history.previous is not None:
            # A jump away from both the last good value and the value just before is a spike; a real step
            # change repeats, so its second reading is close to the previous one and is accepted.
            from_good = abs(value - history.last_good) > sensor.spike_delta
            from_previous = abs(value - history.previous) > sensor.spike_delta
            if from_good and from_previous:
                return Quality.SPIKE
        if (
            sensor.flatline_after_s is not None
            and history.previous is not None
            and history.unchanged_since is not None
            and abs(value - history.previous) < _SAME
            and (now - history.unchanged_since).total_seconds() >= sensor.flatline_after_s
        ):
            return Quality.FLATLINE
        return Quality.GOOD

    @staticmethod
    def _reading(sensor: Sensor, value: float | None, now: datetime, quality: Quality) -> Reading:
        shown = None if value is None else round(value, sensor.kind.digits) or 0.0  # `or 0.0`: no -0
        return Reading(sensor=sensor.id, kind=sensor.kind, value=shown, ts=now, quality=quality)
