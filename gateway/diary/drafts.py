"""The entries the controller drafts from what it stored of one greenhouse on one local day: the water each zone
had, the frost night before that morning, the day's climate. A person confirms a draft by storing it under its id
(the diary is idempotent by id), so a draft whose id is not stored yet is pending.

Fertigation is not drafted: the site model has no dosing actuator, so nothing measured says what was dosed."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from datetime import date, datetime, time, timedelta
from itertools import groupby, pairwise
from statistics import fmean
from typing import NamedTuple
from zoneinfo import ZoneInfo

from contract.diary import ClimateDay, EntryKind, FrostNight, Irrigation, NewEntry, ProtectionRun, Source
from contract.kinds import ActuatorKind, SensorKind
from contract.site import Greenhouse, SiteConfig
from gateway.storage import points
from gateway.storage.irrigation import IRRIGATION
from gateway.storage.model import Store
from gateway.storage.recorded import recorded_runs

FROST_WATCH_C = 2.0
# The frost night before a day's morning: from 18:00 the day before to 08:00, local time.
NIGHT_FROM = time(18)
NIGHT_UNTIL = time(8)
# Far more rows than one greenhouse stores in a day of one measurement.
_LIMIT = 1_000_000
# A poll stands for the air until the next one; a longer silence is not known to have been cold.
_MAX_POLL_SPAN = timedelta(hours=1)
# A heater switched on before the night began is seen from its "on" event, looked for this far back.
_RUN_LOOKBACK = timedelta(days=1)
_PROTECTING = frozenset({ActuatorKind.HEATER, ActuatorKind.SIDE_CURTAIN, ActuatorKind.SHADE_SCREEN})
# Derived metrics (gateway.ingest.derive.DerivedMetrics) as stored fields of the ``derived`` measurement.
_VPD = "vpd_kpa"
_DLI = "dli_mol_m2_d"  # the local day so far: its last value of the day is the day's
_MAX_ID = 64
_OPEN_MIN_PER_DAY = 24 * 60


def draft_id(greenhouse: str, zone: str | None, day: date, kind: EntryKind) -> str:
    """``draft-<greenhouse>-<zone or all>-<yyyymmdd>-<kind>``: stable, so a draft is confirmed once whenever it is
    drafted again. Ids too long for an entry id put a digest of the greenhouse and zone in their place."""
    place = f"{greenhouse}-{zone or 'all'}"
    readable = f"draft-{place}-{day:%Y%m%d}-{kind.value}"
    if len(readable) <= _MAX_ID:
        return readable
    digest = hashlib.sha256(f"{greenhouse}/{zone or ''}".encode()).hexdigest()[:16]
    return f"draft-{digest}-{day:%Y%m%d}-{kind.value}"


def draft_day(
    store: Store, site: SiteConfig, greenhouse_id: str, day: date, frost_watch_c: float = FROST_WATCH_C
) -> list[NewEntry]:
    """What the controller knows of ``day`` (the cooperative's local day) in one greenhouse: an irrigation entry
    per zone that was watered, the frost night before that morning if the air reached ``frost_watch_c``, the
    day's climate. A day with nothing stored has no drafts; a day not over yet has what it has so far."""
    gh = site.greenhouse(greenhouse_id)
    tz = site.cooperative.tz
    start, end = _at(day, time(0), tz), _at(day + timedelta(days=1), time(0), tz)
    night_start, night_end = _at(day - timedelta(days=1), NIGHT_FROM, tz), _at(day, NIGHT_UNTIL, tz)
    polls = _air_polls(store, gh, night_start, end)  # the night before the day, and the day

    def entry(zone: str | None, detail: Irrigation | FrostNight | ClimateDay) -> NewEntry:
        return NewEntry(
            id=draft_id(gh.id, zone, day, detail.kind),
            day=day,
            greenhouse=gh.id,
            zone=zone,
            detail=detail,
            source=Source.SENSOR,
        )

    drafts = [entry(zone, water) for zone, water in _irrigation(store, gh, start, end).items()]
    if (frost := _frost_night(store, gh, polls, night_start, night_end, frost_watch_c)) is not None:
        drafts.append(entry(None, frost))
    if (climate := _climate_day(store, gh, polls, start, end)) is not None:
        drafts.append(entry(None, climate))
    return drafts


def draft_days(
    store: Store,
    site: SiteConfig,
    greenhouse_id: str,
    first: date,
    last: date,
    frost_watch_c: float = FROST_WATCH_C,
) -> list[NewEntry]:
    """``draft_day`` for each day from ``first`` to ``last``, both included."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [d for day in days for d in draft_day(store, site, greenhouse_id, day, frost_watch_c)]


def pending_drafts(drafts: Iterable[NewEntry], stored_ids: Collection[str]) -> list[NewEntry]:
    """The drafts nobody has confirmed yet: confirming stores a draft under its own id."""
    return [d for d in drafts if d.id not in stored_ids]


def _at(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


class _Poll(NamedTuple):
    ts: datetime
    air_temp_c: float  # the mean of the house's air sensors that read well


def _air_polls(store: Store, gh: Greenhouse, start: datetime, end: datetime) -> list[_Poll]:
    rows = store.rows(points.READING, {"greenhouse": gh.id, "kind": SensorKind.AIR_TEMP_C.value}, start, end, _LIMIT)
    polls = []
    for ts, group in groupby(rows, key=lambda p: p.ts):
        # Only a good reading is stored as ``value``; a flagged one is kept apart as ``raw_value``.
        good = [float(p.fields[points.VALUE]) for p in group if points.VALUE in p.fields]
        if good:
            polls.append(_Poll(ts, fmean(good)))
    return polls


class _ZoneRuns(NamedTuple):
    runs: int
    open_s: float
    nominal_l: float | None  # by the valve's nominal flow; None where a run's valve has none


def _irrigation(store: Store, gh: Greenhouse, start: datetime, end: datetime) -> dict[str, Irrigation]:
    """Per zone watered, its runs (each counted on the day its valve closed) and its water: the flow meter's
    litres shared by open time where the house has a meter that read, else the valves' nominal flow."""
    zones = {z.id: _ZoneRuns(0, 0.0, 0.0) for z in gh.zones}
    for p in store.rows(IRRIGATION, {"greenhouse": gh.id}, start, end, _LIMIT):
        z = zones.get(p.tags["zone"])
        if z is None:  # a zone since taken out of the site file
            continue
        water_l = p.fields.get("water_l")
        nominal_l = None if water_l is None or z.nominal_l is None else z.nominal_l + float(water_l)
        zones[p.tags["zone"]] = _ZoneRuns(z.runs + 1, z.open_s + float(p.fields["open_s"]), nominal_l)
    total_open_s = sum(z.open_s for z in zones.values())
    metered_l = _metered_l(store, gh, start, end) if total_open_s > 0 else None
    return {
        zone: Irrigation(
            water_l=runs.nominal_l if metered_l is None else metered_l * runs.open_s / total_open_s,
            runs=runs.runs,
            # A run opened the day before counts whole on the day it closed; a day holds at most a day of it.
            open_min=min(runs.open_s / 60, _OPEN_MIN_PER_DAY),
        )
        for zone, runs in zones.items()
        if runs.runs
    }


def _metered_l(store: Store, gh: Greenhouse, start: datetime, end: datetime) -> float | None:
    """The litres the house's totalisers counted over the day (last less first good reading), or None unless
    every meter read well at least twice that day."""
    meters = [s.id for s in gh.sensors.values() if s.kind is SensorKind.WATER_TOTAL_L]
    if not meters:
        return None
    total_l = 0.0
    for sensor in meters:
        rows = store.rows(points.READING, {"greenhouse": gh.id, "sensor": sensor}, start, end, _LIMIT)
        counts = [float(p.fields[points.VALUE]) for p in rows if points.VALUE in p.fields]
        if len(counts) < 2:
            return None
        # A count that went down is a meter restarted from zero (power cut, replaced): it counted its new value since.
        total_l += sum(b - a if b >= a else b for a, b in pairwise(counts))
    return total_l


def _frost_night(
    store: Store, gh: Greenhouse, polls: list[_Poll], start: datetime, end: datetime, watch_c: float
) -> FrostNight | None:
    night = [p for p in polls if start <= p.ts < end]
    if not night or min(p.air_temp_c for p in night) > watch_c:
        return None
    spans = [min(b - a, _MAX_POLL_SPAN) for a, b in pairwise([*(p.ts for p in night), end])]
    below = sum((span for p, span in zip(night, spans, strict=True) if p.air_temp_c <= watch_c), timedelta())
    return FrostNight(
        min_air_temp_c=min(p.air_temp_c for p in night),
        hours_below=below / timedelta(hours=1),
        watch_temp_c=watch_c,
        protection=_protection(store, gh, start, end),
    )


def _protection(store: Store, gh: Greenhouse, start: datetime, end: datetime) -> list[ProtectionRun]:
    """How long each heater, side curtain and shade screen ran within [start, end)."""
    actuators = gh.actuators
    on: dict[str, timedelta] = {}
    for run in recorded_runs(store, gh, start - _RUN_LOOKBACK, end):
        if actuators[run.actuator].kind not in _PROTECTING:
            continue
        within = min(run.end or end, end) - max(run.start, start)
        if within > timedelta():
            on[run.actuator] = on.get(run.actuator, timedelta()) + within
    return [ProtectionRun(actuator=a, on_min=span / timedelta(minutes=1)) for a, span in on.items()]


def _climate_day(store: Store, gh: Greenhouse, polls: list[_Poll], start: datetime, end: datetime) -> ClimateDay | None:
    temps = [p.air_temp_c for p in polls if start <= p.ts < end]
    if not temps:
        return None
    derived = store.rows(points.DERIVED, {"greenhouse": gh.id}, start, end, _LIMIT)
    vpd = [float(p.fields[_VPD]) for p in derived if _VPD in p.fields]
    dli = [float(p.fields[_DLI]) for p in derived if _DLI in p.fields]
    return ClimateDay(
        min_air_temp_c=min(temps),
        max_air_temp_c=max(temps),
        mean_vpd_kpa=fmean(vpd) if vpd else None,
        dli_mol_m2_d=dli[-1] if dli else None,
    )
