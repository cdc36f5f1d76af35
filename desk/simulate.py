"""``greenhouse rules simulate``: a rule file run for days against the firmware_sim greenhouse, in-process
and as fast as the CPU allows, with the edge's own quality flags, safety and arbitration in the loop.

Reports what a technician weighs before deploying: hours inside and outside the crop's temperature bands
(by day and by night) and its VPD band, and what that costs — heater and fan hours, how often and how far
the vents moved, water per zone — with valve starts, decisions, safety refusals and stops, and alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel

from agronomy.vapour import air_vpd_kpa
from contract.crops import CropBand, crop_profile
from contract.kinds import ActuatorKind
from contract.messages import EventKind, Reading
from contract.reasons import Reason
from contract.site import Actuator, Greenhouse, SiteConfig
from edge.control import Controller
from edge.cycle import ControlCycle
from edge.quality import QualityChecker
from firmware_sim.nodes import fail_safe_state, raw_value
from firmware_sim.physics import ActuatorState, GreenhousePhysics, InitialConditions
from firmware_sim.weather import Weather
from rules.context import Place
from rules.engine import EngineState
from rules.model import RuleSet
from rules.sun import daylight

PHYSICS_STEP_S = 10.0  # as the simulator serving Modbus steps it
# Without a crop profile (or a band given), the house is judged against these.
DEFAULT_TEMP_BAND_C = (16.0, 28.0)
DEFAULT_VPD_BAND_KPA = (0.5, 1.2)


@dataclass(frozen=True)
class Band:
    low: float
    high: float

    @classmethod
    def of(cls, band: CropBand | tuple[float, float]) -> Band:
        return cls(band.low, band.high) if isinstance(band, CropBand) else cls(*band)

    def __str__(self) -> str:
        return f"{self.low:g}–{self.high:g}"


@dataclass(frozen=True)
class ClimateBands:
    """What the house is judged against: air temperature by day (sunrise to sunset) and by night, and VPD."""

    temp_day: Band
    temp_night: Band
    vpd: Band

    @classmethod
    def for_greenhouse(cls, gh: Greenhouse, temp: Band | None = None, vpd: Band | None = None) -> ClimateBands:
        """The bands given, else the crop's (contract.crops), else the defaults above."""
        profile = crop_profile(gh.crop)
        if temp is not None:
            day = night = temp
        elif profile is not None:
            day, night = Band.of(profile.air_temp_c_day), Band.of(profile.air_temp_c_night)
        else:
            day = night = Band.of(DEFAULT_TEMP_BAND_C)
        if vpd is None:
            vpd = Band.of(profile.vpd_kpa if profile is not None else DEFAULT_VPD_BAND_KPA)
        return cls(day, night, vpd)


class BandHours(BaseModel):
    below: float = 0.0
    inside: float = 0.0
    above: float = 0.0


class ZoneWater(BaseModel):
    zone: str
    name: str  # as the site file names it: "Khu A"; name_en for an English reader
    name_en: str
    valve: str
    water_l: float
    valve_starts: int
    valve_on_h: float


class ActuatorUse(BaseModel):
    """What one actuator did: an on/off one its starts, hours on and longest run; a positional one (vent, side
    curtain, screen) how often it was moved, how far in all (100 % is one full stroke), and hours open."""

    actuator: str
    name: str
    name_en: str
    kind: ActuatorKind
    starts: int = 0
    on_h: float = 0.0
    longest_on_h: float = 0.0
    moves: int = 0
    travel_pct: float = 0.0
    safety_stops: int = 0  # runs cut by safety (max on-time, a lost interlock)
    safety_refusals: int = 0  # starts refused or clipped by safety
    energy_kwh: float | None = None  # hours on at the rated power, where the site gives one (a heater's power_kw)


class SimulationReport(BaseModel):
    greenhouse: str
    start: datetime
    days: float
    temp_band_c: tuple[float, float]  # by day (sunrise to sunset)
    temp_band_night_c: tuple[float, float]
    vpd_band_kpa: tuple[float, float]
    zones: list[ZoneWater]
    water_l: float
    hours_temp_below: float  # day and night together, each against its own band
    hours_temp_in: float
    hours_temp_above: float
    temp_day: BandHours
    temp_night: BandHours
    hours_vpd_below: float
    hours_vpd_in: float
    hours_vpd_above: float
    min_air_temp_c: float
    max_air_temp_c: float
    actuators: list[ActuatorUse]  # every actuator that moved or was refused, in the site's order
    starts: dict[str, int]  # every actuator switched on at least once: how many times
    decisions: int
    safety_events: int
    alerts: int

    @property
    def share_temp_in(self) -> float:
        """The share of the time the air temperature was inside its band (day or night)."""
        total = self.hours_temp_below + self.hours_temp_in + self.hours_temp_above
        return self.hours_temp_in / total if total else 0.0

    def use(self, actuator: str) -> ActuatorUse | None:
        return next((u for u in self.actuators if u.actuator == actuator), None)


@dataclass
class _Tally:
    temp_day: BandHours = field(default_factory=BandHours)
    temp_night: BandHours = field(default_factory=BandHours)
    vpd: BandHours = field(default_factory=BandHours)
    use: dict[str, ActuatorUse] = field(default_factory=dict)
    run_h: dict[str, float] = field(default_factory=dict)  # the run going on now, per on/off actuator
    decisions: int = 0
    safety: int = 0
    alerts: int = 0
    min_t: float = float("inf")
    max_t: float = float("-inf")


def simulate(
    site: SiteConfig,
    greenhouse_id: str,
    ruleset: RuleSet,
    start: datetime,
    days: float,
    temp_band: Band | None = None,
    vpd_band: Band | None = None,
    seed: int = 7,
    initial: InitialConditions | None = None,
    progress: Callable[[float], None] | None = None,
    watch: Callable[[datetime, dict[str, Reading], Controller], None] | None = None,
) -> SimulationReport:
    """Run ``ruleset`` for ``days`` from ``start``; ``progress`` is told the simulated days done, ``watch`` is shown
    each poll's readings and the controller that acted on them (as the edge would publish them).

    ``temp_band`` (day and night alike) and ``vpd_band`` override the crop's bands."""
    gh = site.greenhouse(greenhouse_id)
    bands = ClimateBands.for_greenhouse(gh, temp_band, vpd_band)
    place = Place.of(site.cooperative)
    weather = Weather.for_site(site.cooperative, seed)
    physics = GreenhousePhysics(gh, site.cooperative.elevation_m, weather.at(start), seed, initial=initial)
    outputs: dict[str, ActuatorState] = {a.id: fail_safe_state(a) for a in gh.actuators.values()}
    controller = Controller(site.cooperative.id, gh, start)
    cycle = ControlCycle(controller, ruleset, place, EngineState())
    quality = QualityChecker(gh.sensors.values())
    tally = _Tally(
        use={
            a.id: ActuatorUse(actuator=a.id, name=a.label, name_en=a.label_in("en"), kind=a.kind)
            for a in gh.actuators.values()
        }
    )
    step = timedelta(seconds=PHYSICS_STEP_S)
    step_h = PHYSICS_STEP_S / 3600
    poll = timedelta(seconds=gh.poll_interval_s)
    now, end, next_poll = start, start + timedelta(days=days), start
    latest: dict[str, Reading] = {}
    while now < end:
        physics.step(PHYSICS_STEP_S, weather.at(now), outputs)
        now += step
        if now >= next_poll:
            next_poll += poll
            latest = {
                s.id: quality.assess(s.id, raw_value(s, physics.readings[s.id]), now, True) for s in gh.sensors.values()
            }
            cycle.poll(latest, now)
            if watch is not None:
                watch(now, latest, controller)
        cycle.tick(latest, now)
        _drive(controller, gh.actuators, outputs, step_h, tally)
        _count_events(controller, tally)
        sunrise, sunset = daylight(place, now.astimezone(place.tz).date())
        _tally_climate(physics, bands, sunrise <= now < sunset, step_h, tally)
        if progress is not None and now.minute == 0 and now.second < PHYSICS_STEP_S:
            progress((now - start).total_seconds() / 86400)
    return _report(gh, start, days, bands, tally)


def _drive(
    controller: Controller,
    actuators: dict[str, Actuator],
    outputs: dict[str, ActuatorState],
    step_h: float,
    tally: _Tally,
) -> None:
    for a in actuators.values():
        on, position = controller.output(a.id)
        was = outputs[a.id]
        use = tally.use[a.id]
        if a.kind.positional:
            position = position or 0.0
            if position != was.position_pct:
                use.moves += 1
                use.travel_pct += abs(position - was.position_pct)
            now_on = position > 0
        else:
            now_on = on
        if now_on and not was.on:
            use.starts += 1
            tally.run_h[a.id] = 0.0
        if now_on:
            use.on_h += step_h
            if a.power_kw is not None:
                use.energy_kwh = (use.energy_kwh or 0.0) + a.power_kw * step_h
            run_h = tally.run_h[a.id] = tally.run_h.get(a.id, 0.0) + step_h
            use.longest_on_h = max(use.longest_on_h, run_h)
        outputs[a.id] = ActuatorState(on=now_on, position_pct=position or 0.0)


def _count_events(controller: Controller, tally: _Tally) -> None:
    for e in controller.take_records():  # counted from what they say: no model made
        if e.kind is EventKind.DECISION:
            tally.decisions += 1
        elif e.kind is EventKind.SAFETY:
            tally.safety += 1
            use = tally.use.get(e.actuator or "")
            # A rule's renewal refused at max on-time ends its run as surely as a stop.
            if use is not None and (e.action == "stopped" or e.reason is Reason.MAX_ON_REACHED):
                use.safety_stops += 1
            elif use is not None:
                use.safety_refusals += 1
        elif e.kind is EventKind.ALERT and e.action == "raised":
            tally.alerts += 1


def _add(hours: BandHours, value: float, band: Band, step_h: float) -> None:
    if value < band.low:
        hours.below += step_h
    elif value > band.high:
        hours.above += step_h
    else:
        hours.inside += step_h


def _tally_climate(physics: GreenhousePhysics, bands: ClimateBands, day: bool, step_h: float, tally: _Tally) -> None:
    t, rh = physics.air_temp_c, physics.air_rh_pct
    tally.min_t, tally.max_t = min(tally.min_t, t), max(tally.max_t, t)
    if day:
        _add(tally.temp_day, t, bands.temp_day, step_h)
    else:
        _add(tally.temp_night, t, bands.temp_night, step_h)
    _add(tally.vpd, air_vpd_kpa(t, rh), bands.vpd, step_h)


def _report(gh: Greenhouse, start: datetime, days: float, bands: ClimateBands, tally: _Tally) -> SimulationReport:
    water = []
    for z in gh.zones:
        flow = gh.actuators[z.valve].flow_l_min or 0.0
        use = tally.use[z.valve]
        water.append(
            ZoneWater(
                zone=z.id,
                name=z.label,
                name_en=z.label_in("en"),
                valve=z.valve,
                water_l=use.on_h * 60 * flow,
                valve_starts=use.starts,
                valve_on_h=use.on_h,
            )
        )
    day, night, vpd = tally.temp_day, tally.temp_night, tally.vpd
    used = [u for u in tally.use.values() if u.starts or u.moves or u.safety_stops or u.safety_refusals]
    return SimulationReport(
        greenhouse=gh.id,
        start=start,
        days=days,
        temp_band_c=(bands.temp_day.low, bands.temp_day.high),
        temp_band_night_c=(bands.temp_night.low, bands.temp_night.high),
        vpd_band_kpa=(bands.vpd.low, bands.vpd.high),
        zones=water,
        water_l=sum(z.water_l for z in water),
        hours_temp_below=day.below + night.below,
        hours_temp_in=day.inside + night.inside,
        hours_temp_above=day.above + night.above,
        temp_day=day,
        temp_night=night,
        hours_vpd_below=vpd.below,
        hours_vpd_in=vpd.inside,
        hours_vpd_above=vpd.above,
        min_air_temp_c=tally.min_t,
        max_air_temp_c=tally.max_t,
        actuators=used,
        starts={u.actuator: u.starts for u in sorted(used, key=lambda u: u.actuator) if u.starts},
        decisions=tally.decisions,
        safety_events=tally.safety,
        alerts=tally.alerts,
    )
