"""Per-actuator safety limits and interlocks: the highest priority on the edge, always enforced locally.

Pure: time, the latest readings and the set of running actuators are inputs.
Every verdict carries a ``Reason`` with exactly the parameters its text uses.

- Timing limits (max on-time, min off-time, max starts per hour) apply to
  actuators that switch on and off. Vents, side curtains and shade screens are
  driven to a position and may rightly stay open all day, so they get none.
- Interlocks apply to every actuator. A sensor interlock fails closed: a
  reading that is missing, flagged or older than its sensor's ``max_age_s``
  counts as failing.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contract.messages import Observed
from contract.reasons import Reason
from contract.site import Actuator, Sensor, SensorInterlock

_HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class SafetyVerdict:
    """Asked at every start of every run: a plain value, not a model (it never leaves the edge as it is)."""

    allowed: bool
    reason: Reason
    duration_s: float | None = None  # the duration to run for when allowed, possibly clipped
    reason_params: dict[str, str] = field(default_factory=dict)


def _refusal(reason: Reason, **params: str) -> SafetyVerdict:
    return SafetyVerdict(allowed=False, reason=reason, reason_params=params)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}".removesuffix(".0")


class GuardHistory(BaseModel):
    """What a guard must remember across an agent restart: the limits hold over the restart too."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    on_since: AwareDatetime | None = None
    off_since: AwareDatetime | None = None
    starts: list[AwareDatetime] = Field(default_factory=list)  # within the last hour


class ActuatorGuard:
    """One actuator's safety limits and the on/off history they need.

    A guard starts off, with no start history: the caller drives every actuator
    to its fail-safe state at start-up and records that with ``record_on`` or
    ``record_off``. Pass ``started_at`` when the actuator may have been running
    just before (an agent restart): if its fail-safe state is off, min off-time
    then counts from ``started_at``. Refusals name sensors and actuators by id:
    ``contract.reasons.render`` puts them in the site's words.
    """

    def __init__(
        self,
        actuator: Actuator,
        sensors: Mapping[str, Sensor],
        *,
        started_at: datetime | None = None,
    ) -> None:
        self.actuator = actuator
        self._limits = actuator.safety
        self._timed = not actuator.kind.positional
        self._sensor_interlocks: list[tuple[SensorInterlock, Sensor]] = []
        for interlock in self._limits.sensor_interlocks:
            if interlock.sensor not in sensors:
                raise KeyError(f"actuator {actuator.id!r}: interlock sensor {interlock.sensor!r} is not configured")
            self._sensor_interlocks.append((interlock, sensors[interlock.sensor]))
        self._on_since: datetime | None = None
        self._off_since = started_at if started_at is not None and not self._limits.fail_safe.on else None
        self._starts: deque[datetime] = deque()

    def history(self) -> GuardHistory:
        return GuardHistory(on_since=self._on_since, off_since=self._off_since, starts=list(self._starts))

    def restore(self, history: GuardHistory) -> None:
        """Take up the history saved before a restart (replacing this guard's)."""
        self._on_since, self._off_since = history.on_since, history.off_since
        self._starts = deque(sorted(history.starts))

    # --- state ----------------------------------------------------------------------------------
    @property
    def is_on(self) -> bool:
        return self._on_since is not None

    @property
    def on_since(self) -> datetime | None:
        return self._on_since

    def starts_in_last_hour(self, now: datetime) -> int:
        return sum(1 for t in self._starts if (now - t).total_seconds() < _HOUR_S)

    def record_on(self, now: datetime) -> None:
        if self._on_since is not None:
            return  # extending a run is not a new start
        self._on_since = now
        self._starts.append(now)
        while (now - self._starts[0]).total_seconds() >= _HOUR_S:
            self._starts.popleft()

    def record_off(self, now: datetime) -> None:
        if self._on_since is None:
            return  # already off: must not restart the min off-time
        self._on_since = None
        self._off_since = now

    # --- decisions ------------------------------------------------------------------------------
    def check_start(
        self, now: datetime, duration_s: float, latest: Mapping[str, Observed], running: Collection[str]
    ) -> SafetyVerdict:
        """May the actuator run for ``duration_s`` from ``now``? Changes nothing.

        ``running`` holds the ids of the actuators that are on. Starting an actuator
        that is already on extends its run: no new start and no min off-time, but
        the whole run, from ``on_since``, is still held to ``max_on_s``.
        """
        refusal = self._interlock_refusal(now, latest, running)
        if refusal is not None:
            return refusal
        if not self._timed:
            return SafetyVerdict(allowed=True, duration_s=duration_s, reason=Reason.ACCEPTED)
        limits = self._limits
        if self._on_since is not None:
            budget_s = limits.max_on_s - (now - self._on_since).total_seconds()
            if budget_s <= 0:
                return _refusal(Reason.MAX_ON_REACHED, max_on_min=_minutes(limits.max_on_s))
        else:
            if self._off_since is not None:
                wait_s = limits.min_off_s - (now - self._off_since).total_seconds()
                if wait_s > 0:
                    return _refusal(Reason.MIN_OFF_TIME, wait_s=str(math.ceil(wait_s)))
            starts = self.starts_in_last_hour(now)
            if starts >= limits.max_starts_per_hour:
                return _refusal(Reason.MAX_STARTS, starts=str(starts), max_starts=str(limits.max_starts_per_hour))
            budget_s = limits.max_on_s
        if duration_s > budget_s:
            # The text says what the run was shortened to: what is left of max on-time, not the configured limit.
            return SafetyVerdict(
                allowed=True,
                duration_s=budget_s,
                reason=Reason.CLIPPED_MAX_ON,
                reason_params={"duration_s": repr(budget_s)},
            )
        return SafetyVerdict(allowed=True, duration_s=duration_s, reason=Reason.ACCEPTED)

    def must_stop(
        self, now: datetime, latest: Mapping[str, Observed], running: Collection[str]
    ) -> SafetyVerdict | None:
        """Why a running actuator must be turned off now, or None if it may go on (or is off)."""
        if self._on_since is None:
            return None
        if self._timed and (now - self._on_since).total_seconds() >= self._limits.max_on_s:
            return _refusal(Reason.MAX_ON_REACHED, max_on_min=_minutes(self._limits.max_on_s))
        return self._interlock_refusal(now, latest, running)

    def _interlock_refusal(
        self, now: datetime, latest: Mapping[str, Observed], running: Collection[str]
    ) -> SafetyVerdict | None:
        for interlock, sensor in self._sensor_interlocks:
            reading = latest.get(sensor.id)
            value = reading.usable(now, sensor.max_age_s) if reading is not None else None
            if value is None:
                return _refusal(Reason.INTERLOCK_SENSOR_UNKNOWN, sensor=sensor.id)
            broken = _broken_bound(interlock, value)
            if broken is not None:
                op, limit = broken
                said = {"sensor": sensor.id, "kind": sensor.kind.value, "value": repr(value), "op": op, "limit": limit}
                return _refusal(Reason.INTERLOCK_SENSOR, **said)
        for group in self._limits.actuator_interlocks:
            if not any(other in running for other in group.any_on):
                return _refusal(Reason.INTERLOCK_ACTUATOR, actuators=",".join(group.any_on))
        return None


def _broken_bound(interlock: SensorInterlock, value: float) -> tuple[str, str] | None:
    """The bound ``value`` breaks, as ("<", its minimum) or (">", its maximum)."""
    if interlock.min is not None and value < interlock.min:
        return "<", repr(interlock.min)
    if interlock.max is not None and value > interlock.max:
        return ">", repr(interlock.max)
    return None


def fail_safe_command(actuator: Actuator) -> tuple[bool, float | None]:
    """The (on, position_pct) to drive at start-up, at shutdown and after lost contact.

    A positional actuator goes to its fail-safe position (closed, 0 %, unless
    configured) and counts as on when that position is open at all.
    """
    fail_safe = actuator.safety.fail_safe
    if actuator.kind.positional:
        position = fail_safe.position_pct if fail_safe.position_pct is not None else 0.0
        return position > 0, position
    return fail_safe.on, None
