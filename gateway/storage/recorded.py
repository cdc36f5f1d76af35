"""What a greenhouse recorded, read back from the history store (InfluxDB or SQLite) for a backtest: its polls,
a window at a time and grouped as the edge took them, and the runs its actuators made."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import groupby

from contract.kinds import Quality, SensorKind
from contract.messages import Sample
from contract.site import Greenhouse, SiteConfig
from desk.backtest import BacktestReport, Run, backtest
from gateway.storage import points
from gateway.storage.model import Point, Store
from rules.model import RuleSet

WINDOW = timedelta(hours=6)
# Far more points than one window of one greenhouse holds; reaching it means the window is cut short.
_WINDOW_LIMIT = 2_000_000


def recorded_polls(store: Store, gh: Greenhouse, start: datetime, end: datetime) -> Iterator[list[Sample]]:
    """Every stored poll of the greenhouse in [start, end), oldest first, as the readings the edge had (plain values:
    the store checked them on the way in, and a season's backtest reads millions)."""
    t = start
    while t < end:
        upto = min(t + WINDOW, end)
        rows = store.rows(points.READING, {"greenhouse": gh.id}, t, upto, _WINDOW_LIMIT)
        if len(rows) == _WINDOW_LIMIT:
            raise ValueError(f"more than {_WINDOW_LIMIT} readings between {t} and {upto}: is this one greenhouse?")
        for _ts, group in groupby(rows, key=lambda p: p.ts):
            yield [_sample(p) for p in group]
        t = upto


def _sample(p: Point) -> Sample:
    quality = Quality(str(p.fields.get("quality", Quality.GOOD.value)))
    value = p.fields.get(points.VALUE, p.fields.get(points.RAW_VALUE))
    return Sample(
        p.tags["sensor"], SensorKind(p.tags["kind"]), float(value) if value is not None else None, p.ts, quality
    )


def recorded_runs(store: Store, gh: Greenhouse, start: datetime, end: datetime) -> list[Run]:
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


def backtest_stored(
    store: Store,
    site: SiteConfig,
    greenhouse_id: str,
    ruleset: RuleSet,
    start: datetime,
    end: datetime,
    progress: Callable[[float], None] | None = None,
) -> BacktestReport:
    """``desk.backtest`` over what the store recorded of the greenhouse in [start, end)."""
    gh = site.greenhouse(greenhouse_id)
    polls = recorded_polls(store, gh, start, end)
    return backtest(polls, recorded_runs(store, gh, start, end), site, gh.id, ruleset, start, end, progress=progress)
