"""The controller's drafts from a simulated week of the example cooperative, stored as the gateway stores it
(its own PointMapper and Deriver) in a real SQLite history: valve runs of known lengths, a flow meter that counts
less than the valves' nominal flow (and restarts once), two frost nights with the heater running."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from contract.diary import ClimateDay, EntryKind, FrostNight, Irrigation, NewEntry, ProtectionRun, Source
from contract.kinds import Quality, SensorKind
from contract.messages import Event, EventKind, Reading, TelemetryBatch
from contract.reasons import Reason
from contract.site import Greenhouse, SiteConfig
from contract.site_file import load_site
from gateway.diary.drafts import draft_day, draft_days, draft_id, pending_drafts
from gateway.ingest.derived_points import Deriver
from gateway.storage import points
from gateway.storage.irrigation import IRRIGATION
from gateway.storage.model import Point
from gateway.storage.sqlite import SqliteStore
from tests.conftest import EXAMPLE_SITE

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST, LAST = date(2026, 12, 1), date(2026, 12, 7)
STEP = timedelta(minutes=15)
METERED = "ca-chua-1"  # its totaliser counts 22 L/min where the valves are rated 25
UNMETERED = "rau-la-1"  # its meter taken out of the site file: water by the valves' nominal flow
SILENT = "ca-chua-2"  # sent nothing all week
METER_L_MIN = 22.0
NOMINAL_L_MIN = 25.0
# The mornings after a frost night, and how cold each night got at 03:00.
FROST_MORNINGS = {date(2026, 12, 3): 1.0, date(2026, 12, 6): 0.2}
METER_RESET = datetime(2026, 12, 4, 12, 0, tzinfo=TZ)  # between runs: no water lost
METER_DOWN = date(2026, 12, 7)  # the meter answers nothing: the nominal flow stands in
DRY_DAY = date(2026, 12, 5)  # no valve opened
# The edge sent nothing for an hour of the second frost night: its poll at 03:15 stands for an hour at most.
SILENCE = (datetime(2026, 12, 6, 3, 30, tzinfo=TZ), datetime(2026, 12, 6, 4, 30, tzinfo=TZ))


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=TZ)


def days() -> list[date]:
    return [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]


@dataclass(frozen=True)
class Run:
    actuator: str
    start: datetime
    minutes: float

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


def valve_runs(greenhouse: str) -> list[Run]:
    """Zone A twice a day, zone B on odd days, none on the 5th; the unmetered house's zone B once across midnight."""
    runs = []
    for day in days():
        if day == DRY_DAY:
            continue
        runs += [Run("valve-a", local(day, 7), 12), Run("valve-a", local(day, 16), 8.5)]
        if day.day % 2:
            runs.append(Run("valve-b", local(day, 7, 30), 10))
    if greenhouse == UNMETERED:
        runs.append(Run("valve-b", local(date(2026, 12, 2), 23, 55), 10))
    return runs


def other_runs() -> list[Run]:
    return [
        Run("heater", local(date(2026, 12, 3), 1, 30), 270),  # frost night 1: 01:30–06:00
        Run("fan", local(date(2026, 12, 3), 2), 30),  # not a protection
        Run("heater", local(date(2026, 12, 5), 17), 14 * 60),  # frost night 2: from before the night, to 07:00
        Run("heater", local(date(2026, 12, 4), 22), 30),  # a mild night: no frost entry
    ]


def air_temp_c(t: datetime) -> float:
    """6 °C at 03:00 and 22 °C at 15:00; on a frost night 1.0 + 0.5 °C per hour from 03:00, between 01:00 and 05:00."""
    lt = t.astimezone(TZ)
    hours = lt.hour + lt.minute / 60
    base = 14 + 8 * math.sin((hours - 9) / 24 * 2 * math.pi)
    coldest = FROST_MORNINGS.get(lt.date())
    if coldest is not None and 1 <= hours < 5:
        return round(coldest + 0.5 * abs(hours - 3), 3)
    return round(base, 3)


def open_minutes(runs: list[Run], upto: datetime) -> float:
    return sum(max(min(r.end, upto) - r.start, timedelta()) / timedelta(minutes=1) for r in runs if r.start < upto)


def meter_l(runs: list[Run], t: datetime) -> float:
    if t < METER_RESET:
        return 5000 + METER_L_MIN * open_minutes(runs, t)
    return METER_L_MIN * (open_minutes(runs, t) - open_minutes(runs, METER_RESET))


def reading(sensor_id: str, kind: SensorKind, t: datetime, runs: list[Run]) -> Reading:
    lt = t.astimezone(TZ)
    if kind is SensorKind.WATER_TOTAL_L:
        if lt.date() == METER_DOWN:
            return Reading(sensor=sensor_id, kind=kind, value=None, ts=t, quality=Quality.STALE)
        return Reading(sensor=sensor_id, kind=kind, value=meter_l(runs, t), ts=t, quality=Quality.GOOD)
    if kind is SensorKind.AIR_TEMP_C:
        # Flagged readings are kept apart: a spike of 45 °C by day, a drop to -3 °C on a mild night.
        if lt == local(date(2026, 12, 4), 14):
            return Reading(sensor=sensor_id, kind=kind, value=45.0, ts=t, quality=Quality.SPIKE)
        if lt == local(date(2026, 12, 5), 3):
            return Reading(sensor=sensor_id, kind=kind, value=-3.0, ts=t, quality=Quality.SPIKE)
        return Reading(sensor=sensor_id, kind=kind, value=air_temp_c(t), ts=t, quality=Quality.GOOD)
    sun = max(math.sin((lt.hour + lt.minute / 60 - 6) / 12 * math.pi), 0.0)
    values = {SensorKind.AIR_RH_PCT: 80.0, SensorKind.PAR_UMOL_M2_S: round(1000 * sun, 1)}
    return Reading(sensor=sensor_id, kind=kind, value=values.get(kind, 5.0), ts=t, quality=Quality.GOOD)


def messages(site: SiteConfig, gh: Greenhouse) -> list[tuple[datetime, TelemetryBatch | Event]]:
    """The greenhouse's telemetry and actuations, in the order the gateway took them."""
    runs = valve_runs(gh.id)
    timeline: list[tuple[datetime, TelemetryBatch | Event]] = [
        (
            ts,
            Event(
                site=site.cooperative.id,
                greenhouse=gh.id,
                kind=EventKind.ACTUATION,
                ts=ts,
                actuator=r.actuator,
                action=action,
                rule="demo",
                reason=Reason.RULE_SCHEDULE,
            ),
        )
        for r in [*runs, *other_runs()]
        for ts, action in ((r.start, "on"), (r.end, "off"))
    ]
    start, end = local(FIRST - timedelta(days=1), 0), local(LAST + timedelta(days=1), 0)
    for seq in range(1, int((end - start) / STEP) + 1):
        t = start + (seq - 1) * STEP
        if SILENCE[0] <= t < SILENCE[1]:
            continue
        readings = [reading(s.id, s.kind, t, runs) for s in gh.sensors.values()]
        batch = TelemetryBatch(site=site.cooperative.id, greenhouse=gh.id, seq=seq, sent_at=t, readings=readings)
        timeline.append((t, batch))
    return sorted(timeline, key=lambda tm: tm[0])


def without_meter(gh: Greenhouse) -> Greenhouse:
    nodes = [
        n.model_copy(update={"sensors": [s for s in n.sensors if s.kind is not SensorKind.WATER_TOTAL_L]})
        for n in gh.nodes
    ]
    return gh.model_copy(update={"nodes": nodes})


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    example = load_site(EXAMPLE_SITE)
    houses = [without_meter(g) if g.id == UNMETERED else g for g in example.greenhouses]
    return example.model_copy(update={"greenhouses": houses})


@pytest.fixture(scope="module")
def store(site: SiteConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteStore]:
    db = SqliteStore(tmp_path_factory.mktemp("history") / "history.sqlite3")
    mapper, derive = points.PointMapper(site), Deriver(site)
    for gh_id in (METERED, UNMETERED):
        out: list[Point] = []
        for _, m in messages(site, site.greenhouse(gh_id)):
            own = mapper.telemetry(m) if isinstance(m, TelemetryBatch) else [mapper.event(m)]
            out += own + derive(m)
        db.write(out)
    yield db
    db.close()


@pytest.fixture(scope="module")
def week(store: SqliteStore, site: SiteConfig) -> dict[str, list[NewEntry]]:
    return {g.id: draft_days(store, site, g.id, FIRST, LAST) for g in site.greenhouses}


def of_kind(drafts: list[NewEntry], kind: EntryKind) -> dict[tuple[date, str | None], NewEntry]:
    return {(d.day, d.zone): d for d in drafts if d.detail.kind is kind}


def irrigation(drafts: list[NewEntry]) -> dict[tuple[date, str | None], Irrigation]:
    found = {}
    for key, d in of_kind(drafts, EntryKind.IRRIGATION).items():
        assert isinstance(d.detail, Irrigation)
        found[key] = d.detail
    return found


def stored_water(store: SqliteStore, gh: str, zone: str, day: date) -> tuple[float, int]:
    rows = store.rows(
        IRRIGATION, {"greenhouse": gh, "zone": zone}, local(day, 0), local(day + timedelta(days=1), 0), 999
    )
    return sum(float(p.fields["water_l"]) for p in rows), len(rows)


def test_every_draft_is_a_sensor_entry_of_its_day_with_a_stable_id(week: dict[str, list[NewEntry]]) -> None:
    drafts = week[METERED] + week[UNMETERED]
    assert all(d.source is Source.SENSOR for d in drafts)
    assert len({d.id for d in drafts}) == len(drafts)
    first = week[METERED][0]
    assert first.id == "draft-ca-chua-1-khu-a-20261201-irrigation"
    assert first.id == draft_id(METERED, "khu-a", FIRST, EntryKind.IRRIGATION)
    frost = of_kind(week[METERED], EntryKind.FROST_NIGHT)[(date(2026, 12, 3), None)]
    assert frost.id == "draft-ca-chua-1-all-20261203-frost_night"


def test_unmetered_water_is_the_stored_valve_runs_per_zone_and_day(
    store: SqliteStore, week: dict[str, list[NewEntry]]
) -> None:
    drafted = irrigation(week[UNMETERED])
    runs = valve_runs(UNMETERED)
    for day in days():
        for zone, valve in (("khu-a", "valve-a"), ("khu-b", "valve-b")):
            water_l, count = stored_water(store, UNMETERED, zone, day)
            closed = [r for r in runs if r.actuator == valve and r.end.date() == day]
            if not closed:
                assert (day, zone) not in drafted, "a zone not watered that day has no entry"
                continue
            entry = drafted[(day, zone)]
            assert entry.water_l == pytest.approx(water_l)
            assert entry.water_l == pytest.approx(NOMINAL_L_MIN * sum(r.minutes for r in closed))
            assert entry.runs == count == len(closed)
            assert entry.open_min == pytest.approx(sum(r.minutes for r in closed))
    # The run from 23:55 on the 2nd closed on the 3rd: counted there, whole.
    assert drafted[(date(2026, 12, 3), "khu-b")].open_min == pytest.approx(20)
    assert (date(2026, 12, 2), "khu-b") not in drafted


def test_metered_water_is_the_meters_litres_shared_by_open_time(week: dict[str, list[NewEntry]]) -> None:
    drafted = irrigation(week[METERED])
    runs = valve_runs(METERED)
    for day in days():
        minutes = {
            zone: sum(r.minutes for r in runs if r.actuator == valve and r.start.date() == day)
            for zone, valve in (("khu-a", "valve-a"), ("khu-b", "valve-b"))
        }
        water = {zone: drafted[(day, zone)].water_l for zone in minutes if minutes[zone]}
        assert {zone for d, zone in drafted if d == day} == set(water)
        if day == DRY_DAY:
            assert water == {}
            continue
        flow = NOMINAL_L_MIN if day == METER_DOWN else METER_L_MIN
        # What the meter counted that day (across its restart on the 4th), shared by each zone's open time.
        assert sum(water.values()) == pytest.approx(flow * sum(minutes.values()))
        for zone, litres in water.items():
            assert litres == pytest.approx(flow * minutes[zone])


def test_frost_nights_are_exactly_the_two_with_the_heater_that_ran(week: dict[str, list[NewEntry]]) -> None:
    for gh in (METERED, UNMETERED):
        frosts = of_kind(week[gh], EntryKind.FROST_NIGHT)
        assert {day for day, _ in frosts} == set(FROST_MORNINGS)
        for morning, coldest in FROST_MORNINGS.items():
            detail = frosts[(morning, None)].detail
            assert isinstance(detail, FrostNight)
            assert detail.min_air_temp_c == pytest.approx(coldest)
            assert detail.watch_temp_c == 2.0
        night1 = frosts[(date(2026, 12, 3), None)].detail
        night2 = frosts[(date(2026, 12, 6), None)].detail
        assert isinstance(night1, FrostNight) and isinstance(night2, FrostNight)
        assert night1.hours_below == 4.0  # the polls from 01:00 to 04:45, each standing for 15 minutes
        assert night2.hours_below == 2.25 + 1 + 0.5  # to 03:00, 03:15 until the silence's cap, 04:30 and 04:45
        assert night1.protection == [ProtectionRun(actuator="heater", on_min=270)]
        # Switched on at 17:00, before the night: counted from 18:00 to 07:00.
        assert night2.protection == [ProtectionRun(actuator="heater", on_min=13 * 60)]


def test_a_warmer_watch_finds_more_nights(store: SqliteStore, site: SiteConfig) -> None:
    drafts = draft_days(store, site, METERED, FIRST, LAST, frost_watch_c=7.0)
    nights = {d.day for d in drafts if d.detail.kind is EntryKind.FROST_NIGHT}
    assert nights == set(days()), "every night reaches 6 °C or less"


def test_climate_day_is_the_stored_good_readings(store: SqliteStore, week: dict[str, list[NewEntry]]) -> None:
    climate = of_kind(week[METERED], EntryKind.CLIMATE_DAY)
    assert {day for day, _ in climate} == set(days())
    for day in days():
        start, end = local(day, 0), local(day + timedelta(days=1), 0)
        rows = store.rows(points.READING, {"greenhouse": METERED, "sensor": "air-temp"}, start, end, 999)
        good = [float(p.fields[points.VALUE]) for p in rows if points.VALUE in p.fields]
        derived = store.rows(points.DERIVED, {"greenhouse": METERED}, start, end, 999)
        dli = [float(p.fields["dli_mol_m2_d"]) for p in derived if "dli_mol_m2_d" in p.fields]
        vpd = [float(p.fields["vpd_kpa"]) for p in derived if "vpd_kpa" in p.fields]
        detail = climate[(day, None)].detail
        assert isinstance(detail, ClimateDay)
        assert (detail.min_air_temp_c, detail.max_air_temp_c) == (min(good), max(good))
        assert detail.max_air_temp_c < 45, "the spike is not the day's maximum"
        assert detail.dli_mol_m2_d == dli[-1] == max(dli) > 10
        assert detail.mean_vpd_kpa is not None and min(vpd) < detail.mean_vpd_kpa < max(vpd)


def test_no_data_no_drafts(store: SqliteStore, site: SiteConfig, week: dict[str, list[NewEntry]]) -> None:
    assert week[SILENT] == []
    assert draft_day(store, site, METERED, date(2026, 12, 20)) == []


def test_pending_drafts_are_those_not_stored_under_their_id(week: dict[str, list[NewEntry]]) -> None:
    drafts = week[METERED]
    confirmed = {drafts[0].id, drafts[3].id}
    assert pending_drafts(drafts, confirmed) == [d for i, d in enumerate(drafts) if i not in (0, 3)]
