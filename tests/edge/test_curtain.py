"""A motorised vent driven on two relays against a small motor model stepped in simulated time: positions reached
despite a motor slower or faster than measured, relays never on together, reversals after their dead time,
re-homing (at start, after N moves, at a time of day, after a restart), fail-safe, and a stalled motor reported."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from contract.devices.encoding import DataType, Encoding, Table
from contract.devices.profile import Switch
from contract.kinds import ActuatorKind
from contract.site import Actuator, FailSafe, Motor, Safety
from edge.curtain import CurtainDrive, CurtainFault, CurtainMemory, Relays

T0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
TRAVEL_S = 60.0
DEAD_S = 2.0
STEP_S = 0.25
LIMIT = Encoding(table=Table.DISCRETE_INPUT, address=0, data_type=DataType.BIT)


def _vent(limit: bool = True, rehome_after: int = 20, fail_safe_pct: float | None = None) -> Actuator:
    motor = Motor(
        open=Switch(table=Table.COIL, address=0),
        close=Switch(table=Table.COIL, address=1),
        travel_s=TRAVEL_S,
        dead_time_s=DEAD_S,
        closed_limit=LIMIT if limit else None,
        rehome_after_moves=rehome_after,
    )
    safety = Safety(fail_safe=FailSafe(position_pct=fail_safe_pct))
    return Actuator(id="roof-vent", kind=ActuatorKind.VENT, motor=motor, safety=safety)


@dataclass
class MotorModel:
    """The vent as it really moves: ``drift`` times the speed its measured travel time says, stopped by its own
    end stops, with a switch that reads 1 at the closed end (if fitted)."""

    position: float = 50.0
    drift: float = 1.0
    has_limit: bool = True
    stalled: bool = False

    @property
    def closed_limit(self) -> bool | None:
        return self.position <= 0 if self.has_limit else None

    def run(self, relays: Relays, seconds: float) -> None:
        if self.stalled or relays.open_on == relays.close_on:
            return
        change = 100 * seconds / TRAVEL_S * self.drift
        self.position = min(100.0, max(0.0, self.position + (change if relays.open_on else -change)))


@dataclass
class Bench:
    """Steps the drive and the motor together, checking at every step what the relays may never do."""

    drive: CurtainDrive
    motor: MotorModel
    now: datetime = T0
    history: list[tuple[datetime, Relays]] = field(default_factory=list)
    lowest: float = 100.0  # the motor's lowest real position since ``watch``

    def step(self, fail_safe: bool = False) -> Relays:
        limit = self.motor.closed_limit
        relays = self.drive.fail_safe(self.now, limit) if fail_safe else self.drive.step(self.now, limit)
        assert not (relays.open_on and relays.close_on), f"both relays on at {self.now}"
        if self.history:
            before = self.history[-1][1]
            assert not (before.open_on and relays.close_on) and not (before.close_on and relays.open_on), (
                f"reversed without a stop at {self.now}"
            )
        self.history.append((self.now, relays))
        self.motor.run(relays, STEP_S)
        self.lowest = min(self.lowest, self.motor.position)
        self.now += timedelta(seconds=STEP_S)
        return relays

    def settle(self, fail_safe: bool = False) -> None:
        """Steps until the drive has nothing more to do (within what homing and a full stroke can take)."""
        for _ in range(int(4 * TRAVEL_S / STEP_S)):
            self.step(fail_safe)
            if self.drive.settled:
                return
        raise AssertionError(f"not settled by {self.now}: drive at {self.drive.position_pct}")

    def go(self, position_pct: float) -> None:
        self.drive.target(position_pct)
        self.settle()

    def until(self, end: datetime) -> None:
        while self.now < end:
            self.step()

    def watch(self) -> None:
        self.lowest = self.motor.position

    def ran(self) -> bool:
        return any(r.open_on or r.close_on for _, r in self.history)


def _bench(
    actuator: Actuator,
    motor: MotorModel,
    now: datetime = T0,
    memory: CurtainMemory | None = None,
    rehome_at: time | None = None,
) -> Bench:
    return Bench(CurtainDrive(actuator, now, memory=memory, rehome_at=rehome_at), motor, now)


def _reversal_gaps(history: list[tuple[datetime, Relays]]) -> list[float]:
    """Seconds between a stop and the next run in the other direction."""
    gaps: list[float] = []
    last: bool | None = None  # the direction of the last run: True open
    stopped_at: datetime | None = None
    for at, relays in history:
        running = relays.open_on or relays.close_on
        if running and last is not None and relays.open_on != last and stopped_at is not None:
            gaps.append((at - stopped_at).total_seconds())
        if running:
            last, stopped_at = relays.open_on, None
        elif stopped_at is None:
            stopped_at = at
    return gaps


@pytest.mark.parametrize("limit", [True, False], ids=["limit-switch", "no-switch"])
@pytest.mark.parametrize("drift", [0.95, 1.05], ids=["5%-slow", "5%-fast"])
def test_twenty_moves_end_within_5_pct_of_the_command_with_a_motor_5_pct_off_its_travel_time(
    limit: bool, drift: float
) -> None:
    bench = _bench(_vent(limit=limit), MotorModel(position=63.0, drift=drift, has_limit=limit))
    bench.settle()
    assert bench.drive.homed and bench.drive.position_pct == 0 and bench.motor.position == 0
    rng = random.Random(12)
    targets = [round(rng.uniform(0, 100), 1) for _ in range(20)]
    targets[6], targets[13] = 100.0, 0.0  # the ends, where the motor's own stops take over
    for target in targets:
        bench.go(target)
        assert abs(bench.motor.position - target) <= 5, (target, bench.motor.position)
    assert _reversal_gaps(bench.history) and min(_reversal_gaps(bench.history)) >= DEAD_S


def test_a_reversal_waits_its_dead_time_and_never_has_both_relays_on() -> None:
    bench = _bench(_vent(), MotorModel(position=0.0))
    bench.settle()  # the switch reads 1: homed without running
    assert not bench.ran() and bench.drive.homed
    bench.drive.target(80)
    first = bench.step()
    assert first == Relays(False, False)  # the motor may have been running when the edge started
    bench.until(T0 + timedelta(seconds=20))
    assert bench.drive.moving and bench.history[-1][1] == Relays(open_on=True, close_on=False)
    runs = [at for at, r in bench.history if r.open_on]
    assert runs[0] - T0 >= timedelta(seconds=DEAD_S)
    bench.drive.target(10)  # the other way, at speed
    bench.settle()
    rng = random.Random(3)
    for _ in range(40):  # a controller changing its mind every few seconds
        bench.drive.target(rng.choice([5, 30, 60, 95]))
        for _ in range(rng.randint(1, 40)):
            bench.step()
    gaps = _reversal_gaps(bench.history)
    assert len(gaps) > 10 and min(gaps) >= DEAD_S
    bench.go(30)
    assert abs(bench.motor.position - 30) <= 1


def test_small_moves_are_not_made() -> None:
    bench = _bench(_vent(), MotorModel(position=0.0))
    bench.go(40)
    before = len([r for _, r in bench.history if r.open_on or r.close_on])
    bench.go(40.6)
    bench.go(39.5)
    assert len([r for _, r in bench.history if r.open_on or r.close_on]) == before
    bench.go(41.2)  # 1.2 % from where it is
    assert len([r for _, r in bench.history if r.open_on or r.close_on]) > before


def test_it_rehomes_after_n_moves_on_the_way_to_the_next_position() -> None:
    bench = _bench(_vent(rehome_after=4), MotorModel(position=30.0))
    bench.go(10)
    for target in (20, 40, 60):
        bench.watch()
        bench.go(target)
        assert bench.lowest > 0  # plain moves
    assert bench.drive.memory().moves == 4
    bench.watch()
    bench.go(50)
    assert bench.lowest == 0 and abs(bench.motor.position - 50) <= 1
    assert bench.drive.memory().moves == 1


def test_it_rehomes_at_the_time_of_day_once_a_day() -> None:
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    start = datetime(2026, 3, 10, 2, 50, tzinfo=hanoi).astimezone(UTC)  # the agent's clock is UTC
    bench = _bench(
        _vent(limit=False), MotorModel(position=70.0, has_limit=False), start, rehome_at=time(3, tzinfo=hanoi)
    )
    bench.go(60)
    homed_at = bench.drive.memory().homed_at
    bench.watch()
    bench.until(datetime(2026, 3, 10, 2, 59, tzinfo=hanoi))
    assert bench.lowest > 50 and bench.drive.memory().homed_at == homed_at
    bench.until(datetime(2026, 3, 10, 3, 5, tzinfo=hanoi))
    assert bench.lowest == 0 and abs(bench.motor.position - 60) <= 1
    assert bench.drive.memory().homed_at is not None
    assert bench.drive.memory().homed_at >= datetime(2026, 3, 10, 3, 0, tzinfo=hanoi)
    runs = len(bench.history)
    bench.until(datetime(2026, 3, 10, 5, 0, tzinfo=hanoi))
    assert not any(r.open_on or r.close_on for _, r in bench.history[runs:])


@pytest.mark.parametrize("fail_safe_pct", [None, 30.0], ids=["closed", "ajar"])
def test_fail_safe_reaches_its_position_before_it_says_settled(fail_safe_pct: float | None) -> None:
    bench = _bench(_vent(fail_safe_pct=fail_safe_pct), MotorModel(position=0.0, drift=0.95))
    bench.go(85)
    expected = fail_safe_pct or 0.0
    runs = len(bench.history)
    bench.settle(fail_safe=True)  # stops at the first step that says settled
    assert bench.history[-1][1] == Relays(False, False) and abs(bench.motor.position - expected) <= 5
    assert any(r.close_on for _, r in bench.history[runs:])
    for _ in range(100):  # and it stays there, relays off
        assert bench.step(fail_safe=True) == Relays(False, False) and bench.drive.settled


def test_a_restored_memory_is_shown_but_rehomed_first() -> None:
    motor = MotorModel(position=0.0)
    first = _bench(_vent(), motor)
    first.go(40)
    saved = CurtainMemory.model_validate_json(first.drive.memory().model_dump_json())
    restarted = _bench(_vent(), motor, first.now, memory=saved)
    assert not restarted.drive.homed and restarted.drive.position_pct == pytest.approx(40, abs=1)
    restarted.drive.target(40)
    restarted.watch()
    restarted.settle()
    assert restarted.lowest == 0 and restarted.drive.homed and abs(motor.position - 40) <= 1


def test_a_stalled_motor_with_a_limit_switch_is_reported_and_left_alone() -> None:
    bench = _bench(_vent(), MotorModel(position=50.0, stalled=True))
    bench.settle()
    assert bench.drive.fault is CurtainFault.STALLED and not bench.drive.homed
    ran_s = sum(STEP_S for _, r in bench.history if r.close_on)
    assert ran_s >= TRAVEL_S  # it tried for a full stroke and more
    runs = len(bench.history)
    bench.drive.target(80)
    bench.until(bench.now + timedelta(minutes=5))
    assert not any(r.open_on or r.close_on for _, r in bench.history[runs:])


def test_without_a_limit_switch_a_stall_cannot_be_told() -> None:
    bench = _bench(_vent(limit=False), MotorModel(position=50.0, stalled=True, has_limit=False))
    bench.settle()
    assert bench.drive.fault is None and bench.drive.homed


def test_stepping_only_when_due_reaches_each_position() -> None:
    """An agent that sleeps until ``due`` between steps, rather than polling fast, still stops on time."""
    drive = CurtainDrive(_vent(), T0)
    motor = MotorModel(position=35.0, drift=1.05)
    now, steps = T0, 0
    for target in (70.0, 20.0, 100.0, 45.0):
        drive.target(target)
        while steps < 50:
            relays = drive.step(now, motor.closed_limit)
            steps += 1
            due = drive.due
            if due is None:
                break
            motor.run(relays, max(0.0, (due - now).total_seconds()))
            now = max(now, due)
        assert drive.settled and abs(motor.position - target) <= 5, (target, motor.position)
    assert steps < 50  # a handful of steps per move, not a poll every fraction of a second
