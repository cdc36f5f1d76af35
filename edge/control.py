"""Arbitration between safety, manual overrides, rules and the default state, per actuator.

Priority, highest first: actuator safety (``edge.safety``) > manual override with
expiry > rules by priority > default (the fail-safe state). Pure: time and the
latest readings are inputs; the result is the desired output of every actuator
plus the audit events explaining each change. A zone's pump follows the zone
valves: it starts with the first valve and stops after the last, saying that no zone is
being watered any more — not a safety stop. A manual act names who did it (``by`` in its
reason's parameters), through the actuator's state and its events to the audit trail.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contract.kinds import ControlSource
from contract.messages import (
    AckOutcome,
    ActuatorState,
    Command,
    CommandAction,
    Event,
    EventKind,
    Observed,
    Severity,
)
from contract.reasons import Reason
from contract.site import Actuator, Greenhouse
from edge.safety import ActuatorGuard, GuardHistory, SafetyVerdict, fail_safe_command
from rules.engine import Alert, Decision, Suppression


@dataclass(frozen=True)
class Run:
    """What an actuator is doing and why."""

    on: bool
    position_pct: float | None
    since: datetime
    until: datetime | None
    source: ControlSource
    reason: Reason
    params: dict[str, str] = field(default_factory=dict)
    rule: str | None = None
    priority: int = 0  # of the rule, so that a running rule is not cut short by a lower one
    follows: bool = False  # a pump running because a valve it feeds is open, whoever opened that valve
    held: bool = False  # renewed by its rule while wanted: ``until`` is a lease, not when it ends


class Record(NamedTuple):
    """An audit event as the controller makes it: an ``Event``'s values, without the model, which is made when the
    event leaves (``take_events``, ``event``). A backtest makes a season of them and reads its runs from these,
    validating only the events it is asked for."""

    ts: datetime
    kind: EventKind
    severity: Severity
    actuator: str | None
    action: str
    reason: Reason
    reason_params: dict[str, str]
    rule: str | None
    inputs: dict[str, float] | None


class SavedRun(BaseModel):
    """A timed run as saved for a restart: a rule's irrigation or an override, with its end time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    actuator: str
    on: bool
    position_pct: float | None
    since: AwareDatetime
    until: AwareDatetime
    source: ControlSource
    reason: Reason
    params: dict[str, str]
    rule: str | None
    priority: int = 0  # absent from memories saved before priorities were kept
    follows: bool = False
    held: bool = False  # absent from memories saved before held runs were told apart


class ControllerMemory(BaseModel):
    """What the controller keeps across an agent restart: running timers and the safety histories."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    runs: list[SavedRun] = Field(default_factory=list)
    guards: dict[str, GuardHistory] = Field(default_factory=dict)


@dataclass(frozen=True)
class CommandResult:
    outcome: AckOutcome
    reason: Reason
    params: dict[str, str]
    effective_duration_s: float | None


class Controller:
    """Pass ``memory`` saved before a restart to take up its timed runs where they were: a valve opened for
    eight minutes closes eight minutes after it opened, restart or not (and at once if that time has passed).
    Every other actuator starts in its fail-safe state."""

    def __init__(
        self, site_id: str, greenhouse: Greenhouse, now: datetime, memory: ControllerMemory | None = None
    ) -> None:
        self.site_id = site_id
        self.greenhouse = greenhouse
        self._actuators = greenhouse.actuators
        sensors = greenhouse.sensors
        self._guards = {a.id: ActuatorGuard(a, sensors) for a in self._actuators.values()}
        self._pump_of = {z.valve: z.pump for z in greenhouse.zones if z.pump}
        self._valves_of: dict[str, list[str]] = {}  # each pump's valves, pumps in the order their first valve comes
        for valve, pump in self._pump_of.items():
            self._valves_of.setdefault(pump, []).append(valve)
        self.runs: dict[str, Run] = {}
        # In the order they happened: the controller's own as records, and the events the agent adds.
        self.events: list[Event | Record] = []
        # Whether an actuator may still be in the state it started in (``_at_rest_since_start``), so that the
        # rules' every pass does not look at each actuator again once none is.
        self._starting = False
        # Each actuator's max on-time, and ``next_due`` as it was last found: asked at every pass, it changes only
        # when a run does (``_set``), which the backtest's replay makes once in many polls.
        self._max_on = {a.id: timedelta(seconds=a.safety.max_on_s) for a in self._actuators.values()}
        self._due: datetime | None = None
        self._due_found = False
        # ``running()`` as last found: asked at every pass and every start, it too changes only in ``_set``.
        self._on: frozenset[str] | None = None
        # What each rule was last told about each actuator it asked for and did not get, by (actuator, rule).
        self._told: dict[tuple[str, str], str] = {}
        resumed = self._restore(memory, now) if memory is not None else set()
        self.fail_safe(now, Reason.FAIL_SAFE_START, actuator_ids=set(self._actuators) - resumed)

    def memory(self) -> ControllerMemory:
        runs = [
            SavedRun(actuator=a, **vars(r))
            for a, r in self.runs.items()
            if r.until is not None and r.source in (ControlSource.RULE, ControlSource.OVERRIDE)
        ]
        return ControllerMemory(runs=runs, guards={a: g.history() for a, g in self._guards.items()})

    def _restore(self, memory: ControllerMemory, now: datetime) -> set[str]:
        """Safety histories, then the runs not yet over; returns the actuators whose run goes on."""
        for actuator_id, history in memory.guards.items():
            if actuator_id in self._guards:
                self._guards[actuator_id].restore(history)
        resumed: set[str] = set()
        for saved in memory.runs:
            actuator = self._actuators.get(saved.actuator)
            if actuator is None or saved.until <= now:
                continue
            run = Run(**saved.model_dump(exclude={"actuator"}))
            self.runs[actuator.id] = run
            if run.on:
                self._guards[actuator.id].record_on(run.since)  # no-op when its history has it on already
            resumed.add(actuator.id)
            self._event(
                now, EventKind.ACTUATION, Severity.INFO, actuator.id, "resumed", run.reason, run.params, run.rule
            )
        # A pump whose valve goes on runs with it.
        for valve, pump in self._pump_of.items():
            if valve in resumed and self.runs[valve].on and pump not in resumed:
                run = self.runs[valve]
                self.runs[pump] = replace(run, until=None, follows=True)
                self._guards[pump].record_on(now)
                resumed.add(pump)
        return resumed

    # --- queries ----------------------------------------------------------------------------
    def running(self) -> frozenset[str]:
        if self._on is None:
            self._on = frozenset(a for a, r in self.runs.items() if r.on)
        return self._on

    def output(self, actuator_id: str) -> tuple[bool, float | None]:
        run = self.runs[actuator_id]
        return run.on, run.position_pct

    def remaining_s(self, actuator_id: str, now: datetime) -> float | None:
        """How much longer a running actuator may stay on: to the end of its run or of its max on-time, whichever
        comes first (None when it is off). A relay board that times runs itself is given this, so that the output
        ends on time even if the edge stops."""
        if not self.runs[actuator_id].on or self._guards[actuator_id].on_since is None:
            return None
        return max(0.0, (min(self._ends(actuator_id)) - now).total_seconds())

    def next_due(self) -> datetime | None:
        """The earliest time ``tick`` has something to end: a run's time (a hold by hand included) or a running
        actuator's max on-time; None when nothing is timed."""
        if not self._due_found:
            self._due = min((end for actuator_id in self.runs for end in self._ends(actuator_id)), default=None)
            self._due_found = True
        return self._due

    def _ends(self, actuator_id: str) -> list[datetime]:
        run, on_since = self.runs[actuator_id], self._guards[actuator_id].on_since
        ends = [run.until] if run.until is not None else []
        if run.on and on_since is not None:
            ends.append(on_since + self._max_on[actuator_id])
        return ends

    def states(self, unreachable: set[str], positions: Mapping[str, float] | None = None) -> list[ActuatorState]:
        """Each actuator as driven; ``positions``: where motorised curtains are by their run time, shown instead of
        where they are going."""
        where = positions or {}
        return [
            ActuatorState(
                actuator=a.id,
                kind=a.kind,
                on=self.runs[a.id].on,
                position_pct=where.get(a.id, self.runs[a.id].position_pct),
                since=self.runs[a.id].since,
                until=None if self.runs[a.id].held else self.runs[a.id].until,
                source=self.runs[a.id].source,
                reason=self.runs[a.id].reason,
                reason_params=self.runs[a.id].params,
                reachable=a.id not in unreachable,
            )
            for a in self._actuators.values()
        ]

    def take_events(self) -> list[Event]:
        return [self.event(e) for e in self.take_records()]

    def take_records(self) -> list[Event | Record]:
        """What ``take_events`` takes, each event as it was made (``event`` makes the model of a record)."""
        out, self.events = self.events, []
        return out

    def event(self, record: Event | Record) -> Event:
        if isinstance(record, Event):
            return record
        return Event(
            site=self.site_id,
            greenhouse=self.greenhouse.id,
            ts=record.ts,
            kind=record.kind,
            severity=record.severity,
            rule=record.rule,
            actuator=record.actuator,
            action=record.action,
            reason=record.reason,
            reason_params=record.reason_params,
            inputs=record.inputs or {},
        )

    # --- changes ------------------------------------------------------------------------------
    def fail_safe(
        self, now: datetime, reason: Reason, params: dict[str, str] | None = None, actuator_ids: set[str] | None = None
    ) -> None:
        for a in self._actuators.values():
            if actuator_ids is None or a.id in actuator_ids:
                on, position = fail_safe_command(a)
                self._set(a, Run(on, position, now, None, ControlSource.SAFETY, reason, params or {}), now)

    def command(self, cmd: Command, latest: Mapping[str, Observed], now: datetime) -> CommandResult:
        """A manual override, already checked by ``edge.commands``; safety may still refuse or clip it."""
        actuator = self._actuators[cmd.actuator]
        by = {"by": cmd.issued_by}
        if cmd.action is CommandAction.AUTO:
            self._to_default(actuator, now, Reason.OVERRIDE_ENDED, by)
            return CommandResult(AckOutcome.ACCEPTED, Reason.ACCEPTED, by, None)
        assert cmd.duration_s is not None  # edge.commands guarantees it for on and off
        if cmd.action is CommandAction.OFF:
            until = now + timedelta(seconds=cmd.duration_s)
            held = Run(False, _closed(actuator), now, until, ControlSource.OVERRIDE, Reason.MANUAL_RUN, by)
            self._set(actuator, held, now)
            self._stop_followers(now)
            return CommandResult(AckOutcome.ACCEPTED, Reason.ACCEPTED, by, cmd.duration_s)
        verdict = self._start(
            actuator, cmd.duration_s, cmd.position_pct, ControlSource.OVERRIDE, Reason.MANUAL_RUN, by, None, latest, now
        )
        if not verdict.allowed:
            said = verdict.reason_params | by
            self._event(now, EventKind.SAFETY, Severity.WARNING, actuator.id, "refused", verdict.reason, said)
            return CommandResult(AckOutcome.REFUSED, verdict.reason, verdict.reason_params, None)
        outcome = AckOutcome.CLIPPED if verdict.reason is Reason.CLIPPED_MAX_ON else AckOutcome.ACCEPTED
        return CommandResult(outcome, verdict.reason, verdict.reason_params | by, verdict.duration_s)

    def report(self, suppressions: list[Suppression], alerts: list[Alert], now: datetime) -> None:
        """The rule engine's suppressions and alerts, into the audit trail."""
        for s in suppressions:
            self._event(
                now, EventKind.SUPPRESSED, Severity.INFO, None, "skipped", s.reason, s.reason_params, s.rule, s.inputs
            )
        for a in alerts:
            action = "raised" if a.raised else "cleared"
            self._event(now, EventKind.ALERT, a.severity, None, action, a.reason, a.reason_params, a.rule, a.inputs)

    def decide(self, decisions: list[Decision], latest: Mapping[str, Observed], now: datetime) -> None:
        """Rule decisions, highest priority first; each actuator takes the first it can.

        A rule that keeps asking for what it already has (a vent held at 40 %, a fan
        stage kept on) extends its run quietly: the audit trail records changes.
        """
        taken: dict[str, str] = {}
        told: dict[tuple[str, str], str] = {}
        for d in sorted(decisions, key=lambda d: (-d.priority, d.rule)):
            if d.actuator in taken:
                self._tell(told, d, now, EventKind.SUPPRESSED, f"lost to {taken[d.actuator]}")
                continue
            taken[d.actuator] = d.rule
            run = self.runs[d.actuator]
            if run.source is ControlSource.OVERRIDE:
                self._tell(told, d, now, EventKind.SUPPRESSED, "manual override active")
                continue
            if _holds_against(run, d, now):
                # A run a rule of at least this priority started is not cut short, e.g. a watering mid-way.
                self._tell(told, d, now, EventKind.SUPPRESSED, f"lost to {run.rule}")
                continue
            renewal = run.source is ControlSource.RULE and run.rule == d.rule and run.position_pct == d.position_pct
            if not renewal:
                self._about(d, now, EventKind.DECISION, "on")
            verdict = self._start(
                self._actuators[d.actuator],
                d.duration_s,
                d.position_pct,
                ControlSource.RULE,
                d.reason,
                d.reason_params,
                d.rule,
                latest,
                now,
                priority=d.priority,
                held=d.held,
            )
            if not verdict.allowed or verdict.reason is Reason.CLIPPED_MAX_ON:
                action = "refused" if not verdict.allowed else "clipped"
                self._tell(told, d, now, EventKind.SAFETY, action, verdict)
        self._told = told
        if self._starting:
            self._at_rest_since_start(taken.keys())

    def _at_rest_since_start(self, asked: Collection[str]) -> None:
        """Once the rules have spoken, a device still in the state it started in is at rest because no rule wants
        it, not because the controller just started: said so, without an event (nothing changed)."""
        self._starting = False
        for a in self._actuators.values():
            run = self.runs[a.id]
            if run.reason is not Reason.FAIL_SAFE_START:
                continue
            if a.id not in asked and not run.on:
                self.runs[a.id] = replace(run, reason=Reason.NOT_NEEDED, params={}, source=ControlSource.DEFAULT)
            else:
                self._starting = True  # asked for, or on: still as it started, for a later pass to tell

    def _tell(
        self,
        told: dict[tuple[str, str], str],
        d: Decision,
        now: datetime,
        kind: EventKind,
        action: str,
        verdict: SafetyVerdict | None = None,
    ) -> None:
        """Report a decision that lost, or that safety refused or clipped, unless it was already told so at
        the previous evaluation: a controller re-asking every poll would otherwise fill the audit trail."""
        key = (d.actuator, d.rule)
        told[key] = f"{kind.value} {action} {verdict.reason.value if verdict else ''}"
        if self._told.get(key) != told[key]:
            self._about(d, now, kind, action, verdict)

    def _about(
        self, d: Decision, now: datetime, kind: EventKind, action: str, verdict: SafetyVerdict | None = None
    ) -> None:
        """An audit event about a rule decision: its own reason, or the safety verdict on it."""
        reason, params = (verdict.reason, verdict.reason_params) if verdict else (d.reason, d.reason_params)
        severity = Severity.WARNING if kind is EventKind.SAFETY else Severity.INFO
        self._event(now, kind, severity, d.actuator, action, reason, params, rule=d.rule, inputs=d.inputs)

    def tick(self, latest: Mapping[str, Observed], now: datetime) -> None:
        """End runs that are over, and stop whatever safety says must stop."""
        due = self.next_due()
        # Before the earliest end of any run nothing ends: most passes, and every poll of a backtest between ends.
        for a in self._actuators.values() if due is not None and now >= due else ():
            run = self.runs[a.id]
            if run.until is not None and now >= run.until:
                # A run that did its time finished; a device held off by hand is handed back to the rules; one a
                # rule held while it wanted it (heat, a vent) is no longer needed.
                held_off = run.source is ControlSource.OVERRIDE and not run.on
                ended = Reason.NOT_NEEDED if run.held else Reason.RUN_FINISHED
                self._to_default(a, now, Reason.OVERRIDE_ENDED if held_off else ended)
        # Pumps whose valves just closed stop as planned, before safety would call it an interlock.
        self._stop_followers(now)
        stopped = False
        running = self.running()  # as it stands until safety stops something
        for a in self._actuators.values() if running else ():  # with nothing on, safety has nothing to stop
            if not self.runs[a.id].on:
                continue
            verdict = self._guards[a.id].must_stop(now, latest, running)
            if verdict is not None:
                stopped = True
                self._event(
                    now, EventKind.SAFETY, Severity.WARNING, a.id, "stopped", verdict.reason, verdict.reason_params
                )
                self._to_default(a, now, verdict.reason, verdict.reason_params, source=ControlSource.SAFETY)
                # Valves fed by a pump that safety stopped would run dry: close them for the same reason.
                for valve, pump in self._pump_of.items():
                    if pump == a.id and self.runs[valve].on:
                        self._to_default(
                            self._actuators[valve],
                            now,
                            verdict.reason,
                            verdict.reason_params,
                            source=ControlSource.SAFETY,
                        )
                running = self.running()
        if stopped:  # otherwise every valve is as the first look left it
            self._stop_followers(now)

    # --- internals ------------------------------------------------------------------------------
    def _start(
        self,
        actuator: Actuator,
        duration_s: float,
        position_pct: float | None,
        source: ControlSource,
        reason: Reason,
        params: dict[str, str],
        rule: str | None,
        latest: Mapping[str, Observed],
        now: datetime,
        priority: int = 0,
        held: bool = False,
    ) -> SafetyVerdict:
        running = self.running()
        verdict = self._guards[actuator.id].check_start(now, duration_s, latest, running)
        if not verdict.allowed:
            return verdict
        pump_id = self._pump_of.get(actuator.id)
        if pump_id is not None and pump_id not in running:
            pump_verdict = self._guards[pump_id].check_start(
                now, verdict.duration_s or duration_s, latest, running | {actuator.id}
            )
            if not pump_verdict.allowed:
                return pump_verdict
        effective = verdict.duration_s if verdict.duration_s is not None else duration_s
        until = now + timedelta(seconds=effective)
        # A positional actuator driven to 0 % is closed: off, as its fail-safe state counts it.
        on = position_pct is None or position_pct > 0
        self._set(actuator, Run(on, position_pct, now, until, source, reason, params, rule, priority, held=held), now)
        if pump_id is not None and pump_id not in running:
            pump = self._actuators[pump_id]
            self._set(pump, Run(True, None, now, None, source, reason, params, rule, priority, follows=True), now)
        return verdict

    def _to_default(
        self,
        actuator: Actuator,
        now: datetime,
        reason: Reason,
        params: dict[str, str] | None = None,
        source: ControlSource = ControlSource.DEFAULT,
    ) -> None:
        on, position = fail_safe_command(actuator)
        self._set(actuator, Run(on, position, now, None, source, reason, params or {}), now)

    def _stop_followers(self, now: datetime) -> None:
        """A pump that feeds zones runs only while one of their valves is open; one switched on by hand for
        itself runs its own time."""
        runs = self.runs
        for pump, valves in self._valves_of.items():
            run = runs[pump]
            # A pump at rest, at every pass but a watering's, is passed over before its valves are looked at.
            on_its_own = run.source is ControlSource.OVERRIDE and not run.follows
            if run.on and not on_its_own and not any(runs[valve].on for valve in valves):
                self._to_default(self._actuators[pump], now, Reason.NO_ZONE_WATERING)

    def _set(self, actuator: Actuator, run: Run, now: datetime) -> None:
        self._due_found, self._on = False, None  # every run and its guard's history change here
        if run.reason is Reason.FAIL_SAFE_START:
            self._starting = True
        previous = self.runs.get(actuator.id)
        guard = self._guards[actuator.id]
        if run.on and not guard.is_on:
            guard.record_on(now)
        elif not run.on and guard.is_on:
            guard.record_off(now)
        if previous is not None and previous.on == run.on and previous.position_pct == run.position_pct:
            # Same output: keep the original start time, update only why and until when.
            self.runs[actuator.id] = replace(run, since=previous.since)
            return
        self.runs[actuator.id] = run
        action = "on" if run.on else "off"
        if run.position_pct is not None:
            action = f"position {run.position_pct:g}%"
        self._event(now, EventKind.ACTUATION, Severity.INFO, actuator.id, action, run.reason, run.params, rule=run.rule)

    def _event(
        self,
        now: datetime,
        kind: EventKind,
        severity: Severity,
        actuator: str | None,
        action: str,
        reason: Reason,
        params: dict[str, str],
        rule: str | None = None,
        inputs: dict[str, float] | None = None,
    ) -> None:
        self.events.append(Record(now, kind, severity, actuator, action, reason, params, rule, inputs))


def _holds_against(run: Run, d: Decision, now: datetime) -> bool:
    """Whether another rule's unfinished run of at least ``d``'s priority keeps the actuator from ``d``."""
    by_rule = run.source is ControlSource.RULE and run.rule is not None and run.rule != d.rule
    return by_rule and run.until is not None and run.until > now and run.priority >= d.priority


def _closed(actuator: Actuator) -> float | None:
    return 0.0 if actuator.kind.positional else None
