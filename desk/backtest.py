"""``greenhouse rules backtest``: recorded telemetry replayed through a rule file — what the rules would have
done, with the edge's safety and arbitration, next to what was actually done (the recorded actuations).

The caller gives the recorded polls (every reading of a poll carries the poll's time, as the edge stamps them)
and the runs that were made; ``gateway.storage.recorded`` reads both back from the history store. The engine
runs once per poll, as on the edge. The replay reads no clock: time is the readings' own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from pydantic import BaseModel

from contract.kinds import ControlSource
from contract.messages import Event, EventKind, Observed
from contract.site import Greenhouse, SiteConfig
from edge.control import Controller
from edge.cycle import ControlCycle
from rules.engine import EngineState, Place
from rules.model import RuleSet


class Run(BaseModel):
    actuator: str
    start: datetime
    end: datetime | None
    rule: str | None
    why: str  # reason code


class ActuatorComparison(BaseModel):
    actuator: str
    would_starts: int
    would_on_h: float
    did_starts: int
    did_on_h: float


class Difference(BaseModel):
    ts: datetime
    actuator: str
    would: Run | None  # a run the rules would have started, with no actual start near it
    did: Run | None  # an actual start the rules would not have made


class BacktestReport(BaseModel):
    greenhouse: str
    start: datetime
    end: datetime
    polls: int
    actuators: list[ActuatorComparison]
    differences: list[Difference]  # in time order, at most ``max_differences``
    more_differences: int


def backtest(
    polls: Iterable[Sequence[Observed]],
    did: list[Run],
    site: SiteConfig,
    greenhouse_id: str,
    ruleset: RuleSet,
    start: datetime,
    end: datetime,
    max_differences: int = 50,
    progress: Callable[[float], None] | None = None,
) -> BacktestReport:
    """What ``ruleset`` would have done over the recorded ``polls``, next to the runs that were made (``did``)."""
    gh = site.greenhouse(greenhouse_id)
    would, count = replay(polls, site, gh, ruleset, start, end, progress)
    tolerance = timedelta(seconds=2 * gh.poll_interval_s)
    differences = _differences(would, did, tolerance)
    return BacktestReport(
        greenhouse=gh.id,
        start=start,
        end=end,
        polls=count,
        actuators=[_compare(a, would, did, end) for a in gh.actuators],
        differences=differences[:max_differences],
        more_differences=max(0, len(differences) - max_differences),
    )


def replay(
    stored_polls: Iterable[Sequence[Observed]],
    site: SiteConfig,
    gh: Greenhouse,
    ruleset: RuleSet,
    start: datetime,
    end: datetime,
    progress: Callable[[float], None] | None = None,
    events: Callable[[Event], None] | None = None,
) -> tuple[list[Run], int]:
    """What ``ruleset`` would have done over ``stored_polls`` (each poll's readings share one time), with the
    edge's safety and arbitration: the runs it would have started, and how many polls there were. ``events``,
    when given, is handed every event the edge would have sent (decisions, actuations, safety, suppressions,
    alerts) as it is made."""
    controller = Controller(site.cooperative.id, gh, start)
    controller.take_events()  # the start-up fail-safe is no decision of the rules
    cycle = ControlCycle(controller, ruleset, Place.of(site.cooperative), EngineState())
    latest: dict[str, Observed] = {}
    runs: list[Run] = []
    open_runs: dict[str, _Started] = {}
    polls = 0
    span = (end - start).total_seconds()
    for poll in stored_polls:
        now = poll[0].ts
        # What the edge's passes ended since the last poll, each at its time, on the readings it then had.
        cycle.advance(latest, now)
        if controller.events:  # most polls' passes end nothing
            _collect(controller, open_runs, runs, events)
        latest.update({r.sensor: r for r in poll})
        cycle.poll(latest, now)
        cycle.tick(latest, now)
        if controller.events:
            _collect(controller, open_runs, runs, events)
        polls += 1
        if progress is not None and polls % 60 == 0:
            progress((now - start).total_seconds() / span)
    return runs + [started.run(None) for started in open_runs.values()], polls


class _Started(NamedTuple):
    """A run the replay saw start: its ``Run`` is made once, when it ends or the replay does."""

    actuator: str
    start: datetime
    rule: str | None
    why: str

    def run(self, end: datetime | None) -> Run:
        return Run(actuator=self.actuator, start=self.start, end=end, rule=self.rule, why=self.why)


def _collect(
    controller: Controller, open_runs: dict[str, _Started], runs: list[Run], told: Callable[[Event], None] | None
) -> None:
    """Turn the controller's actuation events into runs (start, end, rule); every event to ``told``, made only
    then."""
    for e in controller.take_records():
        if told is not None:
            told(controller.event(e))
        if e.kind is not EventKind.ACTUATION or e.actuator is None:
            continue
        running = open_runs.pop(e.actuator, None)
        if running is not None:
            runs.append(running.run(e.ts))
        if controller.runs[e.actuator].on and controller.runs[e.actuator].source is not ControlSource.SAFETY:
            open_runs[e.actuator] = _Started(e.actuator, e.ts, e.rule, e.reason.value)


def _on_hours(runs: list[Run], actuator: str, end: datetime) -> float:
    return sum(((r.end or end) - r.start).total_seconds() for r in runs if r.actuator == actuator) / 3600


def _compare(actuator: str, would: list[Run], did: list[Run], end: datetime) -> ActuatorComparison:
    return ActuatorComparison(
        actuator=actuator,
        would_starts=sum(1 for r in would if r.actuator == actuator),
        would_on_h=_on_hours(would, actuator, end),
        did_starts=sum(1 for r in did if r.actuator == actuator),
        did_on_h=_on_hours(did, actuator, end),
    )


def _differences(would: list[Run], did: list[Run], tolerance: timedelta) -> list[Difference]:
    """Starts on one side with no start of the same actuator within ``tolerance`` on the other."""

    def near(run: Run, others: list[Run]) -> bool:
        return any(o.actuator == run.actuator and abs(o.start - run.start) <= tolerance for o in others)

    out = [Difference(ts=r.start, actuator=r.actuator, would=r, did=None) for r in would if not near(r, did)]
    out += [Difference(ts=r.start, actuator=r.actuator, would=None, did=r) for r in did if not near(r, would)]
    return sorted(out, key=lambda d: (d.ts, d.actuator))
