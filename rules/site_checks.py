"""Checks a rule kind makes of its own inputs and outputs against the site: the right kind of sensor
for each metric, the right kind of actuator for each output. Each problem is worded in both languages."""

from __future__ import annotations

from collections.abc import Collection

from contract.kinds import ActuatorKind, SensorKind
from contract.site import Greenhouse
from contract.validation_words import Words, number
from rules.base import Metric

# The fields a metric is written under, named as in the file in both languages.
AIR_TEMP = Words("air_temp", "air_temp")
AIR_RH = Words("air_rh", "air_rh")


def sensor_kind_problems(metric: Metric, greenhouse: Greenhouse, kind: SensorKind, use: Words) -> list[Words]:
    """A sensor of ``metric`` that measures something else than ``kind``, which ``use`` needs."""
    sensors = greenhouse.sensors
    wrong = [s for s in metric.sensors if s in sensors and sensors[s].kind is not kind]
    return [
        Words(
            f"{s!r} là cảm biến {sensors[s].kind.value}: {use.vi} cần cảm biến {kind.value}",
            f"{s!r} is a {sensors[s].kind.value} sensor: {use.en} needs {kind.value} sensors",
        )
        for s in wrong
    ]


def actuator_kind_problems(ids: list[str], greenhouse: Greenhouse, kinds: Collection[ActuatorKind]) -> list[Words]:
    """An actuator in ``ids`` that is not of one of ``kinds``."""
    actuators = greenhouse.actuators
    names = sorted(k.value for k in kinds)
    wrong = [a for a in ids if a in actuators and actuators[a].kind not in kinds]
    return [
        Words(
            f"{a!r} là {actuators[a].kind.value}: phần này của luật điều khiển {' hoặc '.join(names)}",
            f"{a!r} is a {actuators[a].kind.value}: this part of the rule drives a {' or '.join(names)}",
        )
        for a in wrong
    ]


def hold_problems(hold_s: float, greenhouse: Greenhouse) -> list[Words]:
    """A hold that may end between two polls: the output would drop and come back at every poll."""
    poll_s = greenhouse.poll_interval_s
    if hold_s >= 2 * poll_s:
        return []
    return [
        Words(
            f"hold_s {number(float(hold_s), 'vi')} giây phải ít nhất gấp đôi poll_interval_s của nhà "
            f"({number(float(poll_s), 'vi')} giây)",
            f"hold_s {hold_s:g} s must be at least twice the greenhouse's poll_interval_s ({poll_s:g} s)",
        )
    ]
