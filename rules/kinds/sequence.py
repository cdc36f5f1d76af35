"""Sequence rules: zones watered one after another, for a pump that can feed only one zone at a time.

A round starts at a crontab or sun time (rules.triggers) unless a skip condition holds, then moves through
its steps by the clock alone: step 1's valve for its time, a pause, step 2's valve, and so on. The rule
cannot see the controller, so a step that safety refuses is not waited for: the round moves on on time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, NamedTuple

from pydantic import AwareDatetime, Field

from contract.bounds import Strict
from contract.messages import MAX_DURATION_S
from contract.reasons import Reason
from contract.site import Greenhouse
from contract.validation_words import Words, number
from rules import params
from rules.base import Action, Comparison, Metric, RuleBase
from rules.context import Context
from rules.outcome import Decision, RuleOutcome, Suppression
from rules.stepping import Steps
from rules.triggers import StartTime, check_skips


class SequenceState(Strict):
    kind: Literal["sequence"] = "sequence"
    # Start times up to here have been dealt with.
    last_checked: AwareDatetime | None = None
    # When the running round started; None while no round runs. The steps are timed from here.
    started_at: AwareDatetime | None = None
    # The step running, or the next one during a pause (0-based), for people reading the state.
    step: int = Field(default=0, ge=0)


class Progress(NamedTuple):
    step: int  # 0-based
    left_s: float  # of that step's run; 0 during the pause before it


class Start(NamedTuple):
    started_at: datetime | None  # of the round running after this evaluation's start time, if any
    inputs: dict[str, float]  # what the skip conditions read
    suppressions: tuple[Suppression, ...]  # a start not made, with why


class SequenceRule(RuleBase, StartTime, Steps[SequenceState]):
    """Run ``steps`` one after another with ``pause_s`` between them, from each start time."""

    kind: Literal["sequence"]
    steps: list[Action] = Field(min_length=1)
    # Between one valve closing and the next opening: lets the line pressure settle.
    pause_s: float = Field(default=10, ge=0, le=MAX_DURATION_S)
    skip_if: list[Comparison] = Field(default_factory=list)

    @classmethod
    def state_model(cls) -> type[SequenceState]:
        return SequenceState

    def metrics(self) -> list[Metric]:
        return [c.metric for c in self.skip_if]

    def site_problems(self, greenhouse: Greenhouse) -> list[Words]:
        # A zone pump stops between two steps and must rest min_off_s before the next valve may start.
        pumps = {z.valve: z.pump for z in greenhouse.zones if z.pump}
        problems: list[Words] = []
        for step in self.steps[1:]:
            pump = pumps.get(step.actuator)
            rest_s = greenhouse.actuators[pump].safety.min_off_s if pump in greenhouse.actuators else 0
            if self.pause_s < rest_s:
                pause_vi, rest_vi = number(float(self.pause_s), "vi"), number(float(rest_s), "vi")
                problems.append(
                    Words(
                        f"pause_s {pause_vi} giây ngắn hơn thời gian máy bơm {pump!r} phải nghỉ (safety min_off_s "
                        f"{rest_vi} giây): bước {step.actuator!r} sẽ bị mất phần chênh lệch; hãy đặt pause_s ≥ "
                        f"{rest_vi}",
                        f"pause_s {self.pause_s:g} s is shorter than pump {pump!r} must rest (safety min_off_s "
                        f"{rest_s:g} s): step {step.actuator!r} would lose the difference; set pause_s ≥ {rest_s:g}",
                    )
                )
                break
        return problems

    def actions(self) -> list[Action]:
        return list(self.steps)

    def progress(self, started_at: datetime, now: datetime) -> Progress | None:
        """Where a round started at ``started_at`` is at ``now``; None once its last step is over."""
        # A clock stepped back before the start counts as the start itself.
        elapsed_s = max((now - started_at).total_seconds(), 0.0)
        for i, step in enumerate(self.steps):
            if elapsed_s < step.on_for_s:
                return Progress(i, step.on_for_s - elapsed_s)
            elapsed_s -= step.on_for_s
            if i + 1 < len(self.steps) and elapsed_s < self.pause_s:
                return Progress(i + 1, 0.0)
            elapsed_s -= self.pause_s
        return None

    def step(self, previous: SequenceState, ctx: Context) -> RuleOutcome[SequenceState]:
        now = ctx.now
        if previous.last_checked is None:
            # Nothing is known about the time before this first look: never start for it.
            return RuleOutcome(SequenceState(last_checked=now))
        running = previous.started_at
        if running is not None and self.progress(running, now) is None:
            running = None  # that round is over
        started_at, inputs, suppressions = self._start(previous.last_checked, running, ctx)
        progress = self.progress(started_at, now) if started_at is not None else None
        if started_at is None or progress is None:
            return RuleOutcome(SequenceState(last_checked=now), suppressions=suppressions)

        state = SequenceState(last_checked=now, started_at=started_at, step=progress.step)
        if progress.left_s == 0:
            return RuleOutcome(state, suppressions=suppressions)  # pausing between two valves
        # Exactly one valve, asked for the rest of its step: if the edge stops asking, it closes on time.
        decision = Decision.run(
            self,
            self.steps[progress.step],
            Reason.RULE_SEQUENCE_STEP,
            self._step_params(progress.step, started_at, ctx),
            inputs,
            duration_s=progress.left_s,
        )
        return RuleOutcome(state, decisions=(decision,), suppressions=suppressions)

    def _start(self, last_checked: datetime, running: datetime | None, ctx: Context) -> Start:
        """The round after a start time, if one passed since ``last_checked``: a new one unless skipped or
        one is ``running`` still."""
        fire = self.latest_fire(last_checked, ctx.now, ctx.place)
        if fire is None:
            return Start(running, {}, ())
        at = params.local_time(fire, ctx.tz)
        if running is not None:
            return Start(running, {}, (self._busy(at, running, ctx),))
        skipped, inputs = check_skips(self, self.skip_if, at, ctx)
        if skipped is not None:
            return Start(None, inputs, (skipped,))
        # From now, not from the start time: a start made late within grace still runs every step in full.
        return Start(ctx.now, inputs, ())

    def _step_params(self, step: int, started_at: datetime, ctx: Context) -> dict[str, str]:
        return {
            **params.named(self),
            "step": str(step + 1),
            "steps": str(len(self.steps)),
            "at": params.local_time(started_at, ctx.tz),
        }

    def _busy(self, at: str, started_at: datetime, ctx: Context) -> Suppression:
        """A start time that came while a round still runs: that round goes on, this one is not made."""
        busy = {**params.named(self), "at": at, "started": params.local_time(started_at, ctx.tz)}
        return Suppression(rule=self.id, reason=Reason.RULE_SEQUENCE_BUSY, reason_params=busy, inputs={})
