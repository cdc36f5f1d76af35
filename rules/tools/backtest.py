"""``greenhouse rules backtest``: stored telemetry replayed through a rule file — what the rules would have
done, with the edge's safety and arbitration, next to what was actually done (the stored actuations).

Readings are read back from the history store (InfluxDB or SQLite) a window at a time and grouped into
the polls they came from (an edge stamps every reading of a poll with the poll's time); the engine
runs once per poll, as on the edge. The replay reads no clock: time is the readings' own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from itertools import groupby

from pydantic import BaseModel

from contract.kinds import ControlSource, Quality, SensorKind
from contract.messages import EventKind, Reading
from contract.site import Greenhouse, SiteConfig
from edge.control import Controller
from gateway import points
from gateway.storage.model import Point, Store
from rules.engine import EngineState, Place, evaluate
from rules.model import RuleSet

WINDOW = timedelta(hours=6)
# Far more points than one window of one greenhouse holds; reaching it means the window is cut short.
_WINDOW_LIMIT = 2_000_000


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
    store: Store,
    site: SiteConfig,
    greenhouse_id: str,
    ruleset: RuleSet,
    start: datetime,
    end: datetime,
    max_differences: int = 50,
    progress: Callable[[float], None] | None = None,
) -> BacktestReport:
    gh = site.greenhouse(greenhouse_id)
    would, polls = replay(replay_polls(store, gh, start, end), site, gh, ruleset, start, end, progress)
    did = _actual_runs(store, gh, start, end)
    tolerance = timedelta(seconds=2 * gh.poll_interval_s)
    differences = _differences(would, did, tolerance)
    return BacktestReport(
        greenhouse=gh.id,
        start=start,
        end=end,
        polls=polls,
        actuators=[_compare(a, would, did, end) for a in gh.actuators],
        differences=differences[:max_differences],
        more_differences=max(0, len(differences) - max_differences),
    )


def replay_polls(store: Store, gh: Greenhouse, start: datetime, end: datetime) -> Iterator[list[Reading]]:
    """Every stored poll of the greenhouse in [start, end), oldest first, as the readings the edge had."""
    t = start
    while t < end:
        upto = min(t + WINDOW, end)
        rows = store.rows(points.READING, {"greenhouse": gh.id}, t, upto, _WINDOW_LIMIT)
        if len(rows) == _WINDOW_LIMIT:
            raise ValueError(f"more than {_WINDOW_LIMIT} readings between {t} and {upto}: is this one greenhouse?")
        for _ts, group in groupby(rows, key=lambda p: p.ts):
            yield [_reading(p) for p in group]
        t = upto


def _reading(p: Point) -> Reading:
    quality = Quality(str(p.fields.get("quality", Quality.GOOD.value)))
    value = p.fields.get(points.VALUE, p.fields.get(points.RAW_VALUE))
    return Reading(
        sensor=p.tags["sensor"],
        kind=SensorKind(p.tags["kind"]),
        value=float(value) if value is not None else None,
        ts=p.ts,
        quality=quality,
    )


def replay(
    stored_polls: Iterable[list[Reading]],
    site: SiteConfig,
    gh: Greenhouse,
    ruleset: RuleSet,
    start: datetime,
    end: datetime,
    progress: Callable[[float], None] | None = None,
) -> tuple[list[Run], int]:
    """What ``ruleset`` would have done over ``stored_polls`` (each poll's readings share one time), with the
    edge's safety and arbitration: the runs it would have started, and how many polls there were."""
    place = Place.of(site.cooperative)
    controller = Controller(site.cooperative.id, gh, start)
    controller.take_events()  # the start-up fail-safe is no decision of the rules
    state = EngineState()
    latest: dict[str, Reading] = {}
    runs: list[Run] = []
    open_runs: dict[str, Run] = {}
    polls = 0
    span = (end - start).total_seconds()
    for poll in stored_polls:
        now = poll[0].ts
        latest.update((r.sensor, r) for r in poll)
        controller.tick(latest, now)
        result = evaluate(ruleset, state, latest, now, place)
        state = result.state
        controller.decide(result.decisions, latest, now)
        controller.tick(latest, now)
        _collect(controller, open_runs, runs, now)
        polls += 1
        if progress is not None and polls % 60 == 0:
            progress((now - start).total_seconds() / span)
    return runs + list(open_runs.values()), polls


def _collect(controller: Controller, open_runs: dict[str, Run], runs: list[Run], now: datetime) -> None:
    """Turn the controller's actuation events into runs (start, end, rule)."""
    for e in controller.take_events():
        if e.kind is not EventKind.ACTUATION or e.actuator is None:
            continue
        running = open_runs.pop(e.actuator, None)
        if running is not None:
            runs.append(running.model_copy(update={"end": e.ts}))
        if controller.runs[e.actuator].on and controller.runs[e.actuator].source is not ControlSource.SAFETY:
            open_runs[e.actuator] = Run(actuator=e.actuator, start=e.ts, end=None, rule=e.rule, why=e.reason.value)


def _actual_runs(store: Store, gh: Greenhouse, start: datetime, end: datetime) -> list[Run]:
    runs: list[Run] = []
    for a in gh.actuators:
        rows = store.rows(points.EVENT, {"greenhouse": gh.id, "actuator": a, "kind": "actuation"}, start, end, 100_000)
        current: Run | None = None
        for p in rows:
            action = str(p.fields.get("action", ""))
            on = action in ("on", "resumed") or (action.startswith("position") and action != "position 0%")
            if current is not None and not (on and action == "resumed"):
                runs.append(current.model_copy(update={"end": p.ts}))
                current = None
            if on and current is None:
                why = str(p.fields.get("reason", ""))
                current = Run(actuator=a, start=p.ts, end=None, rule=p.tags.get("rule"), why=why)
        if current is not None:
            runs.append(current)
    return runs


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
