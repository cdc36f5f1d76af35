"""Checks a rule kind makes of its own inputs and outputs against the site: the right kind of sensor
for each metric, the right kind of actuator for each output."""

from __future__ import annotations

from collections.abc import Collection

from contract.kinds import ActuatorKind, SensorKind
from contract.site import Greenhouse
from rules.base import Metric


def sensor_kind_problems(metric: Metric, greenhouse: Greenhouse, kind: SensorKind, use: str) -> list[str]:
    """A sensor of ``metric`` that measures something else than ``kind``, which ``use`` needs."""
    sensors = greenhouse.sensors
    wrong = [s for s in metric.sensors if s in sensors and sensors[s].kind is not kind]
    return [f"{s!r} is a {sensors[s].kind.value} sensor: {use} needs {kind.value} sensors" for s in wrong]


def actuator_kind_problems(ids: list[str], greenhouse: Greenhouse, kinds: Collection[ActuatorKind]) -> list[str]:
    """An actuator in ``ids`` that is not of one of ``kinds``."""
    actuators = greenhouse.actuators
    wanted = " or ".join(sorted(k.value for k in kinds))
    wrong = [a for a in ids if a in actuators and actuators[a].kind not in kinds]
    return [f"{a!r} is a {actuators[a].kind.value}: this part of the rule drives a {wanted}" for a in wrong]


def hold_problems(hold_s: float, greenhouse: Greenhouse) -> list[str]:
    """A hold that may end between two polls: the output would drop and come back at every poll."""
    poll_s = greenhouse.poll_interval_s
    if hold_s >= 2 * poll_s:
        return []
    return [f"hold_s {hold_s:g} s must be at least twice the greenhouse's poll_interval_s ({poll_s:g} s)"]
