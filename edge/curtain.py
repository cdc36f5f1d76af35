"""A vent, side curtain or screen moved by a motor on two relays (open, close), driven to a commanded position.

Pure: time, the wanted position and the closed-end limit switch go in; the two relays' states come out. Nothing
reads the position back, so it is estimated from run time (100 % per ``travel_s``) and made exact again by homing:
running to the closed end until the limit switch reads 1, or for the full stroke plus an overrun where there is
no switch (the motor's own end stop holds it there). Homing happens at start, after ``rehome_after_moves`` moves,
at a time of day, and whenever the curtain is sent closed.

What the relays may never do: be on together (a short across the motor's windings), or reverse a running motor
(a motor reversed at speed burns its capacitor and gears): a change of direction always goes through a step with
both relays off, and waits ``dead_time_s`` after the stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from pydantic import AwareDatetime, Field

from contract.bounds import Strict
from contract.site import Actuator, Motor
from edge.safety import fail_safe_command

# Homing runs this much longer than a full stroke, so that a motor slower than measured still reaches the end.
OVERRUN = 0.15
# Moves smaller than this are not made: each one is a relay click and a motor start for nothing a plant feels.
MIN_MOVE_PCT = 1.0


class Direction(StrEnum):
    OPEN = "open"
    CLOSE = "close"


class CurtainFault(StrEnum):
    # A limit switch that did not read 1 after a homing run's full time: the motor or its drive is stuck, or the
    # switch is broken. The drive stops and stays stopped: running a jammed motor again burns it.
    STALLED = "stalled"


@dataclass(frozen=True)
class Relays:
    open_on: bool
    close_on: bool


OFF = Relays(open_on=False, close_on=False)


class CurtainMemory(Strict):
    """What the drive keeps across an edge restart. The estimate is only shown until the drive has homed again:
    the motor may have been moved by hand, or run on, while the edge was down."""

    position_pct: float | None = Field(ge=0, le=100)
    moves: int = Field(ge=0)  # since the last homing
    homed_at: AwareDatetime | None


@dataclass(frozen=True)
class _Run:
    direction: Direction
    until: datetime
    homing: bool
    target: float  # the target a move was started for (0 for a homing run)


class CurtainDrive:
    """Drives one motorised actuator. Call ``target`` with what the controller wants, and ``step`` often (at
    least by ``due``) with the closed-end limit switch's reading (None: none, or not read), writing the relays
    it returns. A relay that goes off should be written before one that goes on.

    ``rehome_at`` is a time of day read in ``now``'s own time zone, or in its own if it has one."""

    def __init__(
        self, actuator: Actuator, now: datetime, memory: CurtainMemory | None = None, rehome_at: time | None = None
    ) -> None:
        if actuator.motor is None:
            raise ValueError(f"actuator {actuator.id!r} has no motor")
        self.motor: Motor = actuator.motor
        self.actuator_id = actuator.id
        self._fail_safe_pct = fail_safe_command(actuator)[1] or 0.0
        self._rehome_at = rehome_at
        self._target = self._fail_safe_pct
        self._position: float | None = None if memory is None else memory.position_pct
        self._moves = 0 if memory is None else memory.moves
        self._homed_at: datetime | None = None if memory is None else memory.homed_at
        self.homed = False  # a restored estimate is uncertain: the drive homes first either way
        self._run: _Run | None = None
        # The motor may have been running either way when the edge went down: wait as after any stop.
        self._last_direction: Direction | None = None
        self._stopped_at = now
        self._stepped_at = now
        self._settled_for: float | None = None  # the target the last move ended at, or that was too close to move
        self.fault: CurtainFault | None = None
        self.settled = False  # at rest, with nothing more to do for the current target

    # --- what the agent reads ------------------------------------------------------------------
    @property
    def position_pct(self) -> float | None:
        """The estimate (None until the drive has homed, when it had no memory)."""
        return self._position

    @property
    def moving(self) -> bool:
        return self._run is not None

    @property
    def due(self) -> datetime | None:
        """When the drive next needs a step: the end of the current run, or of a dead time it waits out."""
        if self._run is not None:
            return self._run.until
        if self.settled or self.fault is not None:
            return None
        return self._stopped_at + timedelta(seconds=self.motor.dead_time_s)

    def memory(self) -> CurtainMemory:
        return CurtainMemory(position_pct=self._position, moves=self._moves, homed_at=self._homed_at)

    # --- what the agent asks -------------------------------------------------------------------
    def target(self, position_pct: float) -> None:
        self._target = min(100.0, max(0.0, position_pct))

    def fail_safe(self, now: datetime, closed_limit: bool | None = None) -> Relays:
        """Goes on to the fail-safe position; ``settled`` says when it is there (or a fault has stopped the motor)
        and the relays may lose power."""
        self.target(self._fail_safe_pct)
        return self.step(now, closed_limit)

    def step(self, now: datetime, closed_limit: bool | None) -> Relays:
        self._advance(now)
        run = self._run
        if run is not None:
            if run.homing and closed_limit:
                return self._homed(now)
            if now >= run.until:
                if run.homing and self.motor.closed_limit is not None:
                    self.fault = CurtainFault.STALLED
                    self.homed = False
                    return self._stop(now)
                if run.homing:
                    return self._homed(now)
                self._settled_for = run.target
                return self._stop(now)
            if not run.homing and run.target != self._target:
                # A homing run is never cut short: it ends at the closed end, and the drive goes on from there.
                new = self._plan(now)
                if new is None or new.direction is not run.direction:
                    return self._stop(now)
                self._run = new
            return self._relays()
        if self.fault is not None:
            self.settled = True
            return OFF
        new = self._plan(now)
        self.settled = new is None
        if new is None:
            return OFF
        if new.homing and closed_limit:
            return self._homed(now)  # already at the closed end: nothing to run
        if self._last_direction is not new.direction and now - self._stopped_at < self._dead_time:
            return OFF
        if not new.homing:
            self._moves += 1
        self._settled_for = None
        self._run = new
        return self._relays()

    # --- how ------------------------------------------------------------------------------------
    @property
    def _dead_time(self) -> timedelta:
        return timedelta(seconds=self.motor.dead_time_s)

    def _plan(self, now: datetime) -> _Run | None:
        """The run to make from here, if any."""
        if not self.homed or self._rehome_due(now):
            return self._homing(now)
        if self._target == self._settled_for:
            return None
        assert self._position is not None  # homed
        if abs(self._target - self._position) < MIN_MOVE_PCT:
            self._settled_for = self._target
            return None
        if self._target == 0 or self._moves >= self.motor.rehome_after_moves:
            return self._homing(now)
        direction = Direction.OPEN if self._target > self._position else Direction.CLOSE
        stroke = abs(self._target - self._position) / 100
        if self._target == 100:
            stroke += OVERRUN  # against the motor's own open end stop, so that a slow motor still opens fully
        return _Run(direction, now + timedelta(seconds=stroke * self.motor.travel_s), False, self._target)

    def _homing(self, now: datetime) -> _Run:
        # Where the position is known and no switch says when the end is reached, the run need only cover the
        # estimate; otherwise it covers a full stroke, and a switch that does not read 1 by then is a stall.
        position = self._position if self.homed and self.motor.closed_limit is None else None
        stroke = (1.0 if position is None else position / 100) + OVERRUN
        return _Run(Direction.CLOSE, now + timedelta(seconds=stroke * self.motor.travel_s), True, 0.0)

    def _rehome_due(self, now: datetime) -> bool:
        if self._rehome_at is None or self._homed_at is None:
            return False
        local = now.astimezone(self._rehome_at.tzinfo) if self._rehome_at.tzinfo is not None else now
        last = local.replace(
            hour=self._rehome_at.hour, minute=self._rehome_at.minute, second=self._rehome_at.second, microsecond=0
        )
        if last > local:
            last -= timedelta(days=1)
        return self._homed_at < last

    def _advance(self, now: datetime) -> None:
        """The estimate moves by the time the motor ran since the last step."""
        ran_s = max(0.0, (now - self._stepped_at).total_seconds())
        self._stepped_at = max(now, self._stepped_at)
        if self._run is None or self._position is None:
            return
        change = 100 * ran_s / self.motor.travel_s
        signed = change if self._run.direction is Direction.OPEN else -change
        self._position = min(100.0, max(0.0, self._position + signed))

    def _homed(self, now: datetime) -> Relays:
        self._position = 0.0
        self._moves = 0
        self._homed_at = now
        self.homed = True
        self._settled_for = None
        if self._run is None:
            self.settled = False
            return OFF
        return self._stop(now)

    def _stop(self, now: datetime) -> Relays:
        assert self._run is not None
        self._last_direction = self._run.direction
        self._stopped_at = now
        self._run = None
        self.settled = False  # decided at the next step, after the dead time if the next run reverses
        return OFF

    def _relays(self) -> Relays:
        assert self._run is not None
        return Relays(open_on=self._run.direction is Direction.OPEN, close_on=self._run.direction is Direction.CLOSE)
