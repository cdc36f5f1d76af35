"""``greenhouse rules simulate``: a rule file run for days against the firmware_sim greenhouse, in-process
and as fast as the CPU allows, with the edge's own quality flags, safety and arbitration in the loop.

Reports what a technician weighs before deploying: water used per zone, hours inside and outside the
target temperature and VPD bands, valve starts, decisions, safety refusals and alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel

from contract.messages import EventKind, Reading
from contract.site import Actuator, Greenhouse, SiteConfig
from edge.control import Controller
from edge.quality import QualityChecker
from firmware_sim.nodes import fail_safe_state, raw_value
from firmware_sim.physics import ActuatorState, GreenhousePhysics, InitialConditions
from firmware_sim.weather import Weather
from gateway.agronomy.vapour import air_vpd_kpa
from rules.engine import EngineState, Place, evaluate
from rules.model import RuleSet

PHYSICS_STEP_S = 10.0  # as the simulator serving Modbus steps it


@dataclass(frozen=True)
class Band:
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.low:g}–{self.high:g}"


class ZoneWater(BaseModel):
    zone: str
    valve: str
    water_l: float
    valve_starts: int
    valve_on_h: float


class SimulationReport(BaseModel):
    greenhouse: str
    start: datetime
    days: float
    temp_band_c: tuple[float, float]
    vpd_band_kpa: tuple[float, float]
    zones: list[ZoneWater]
    hours_temp_below: float
    hours_temp_in: float
    hours_temp_above: float
    hours_vpd_below: float
    hours_vpd_in: float
    hours_vpd_above: float
    min_air_temp_c: float
    max_air_temp_c: float
    starts: dict[str, int]  # every actuator switched on at least once: how many times
    decisions: int
    safety_events: int
    alerts: int


@dataclass
class _Tally:
    hours: dict[str, float] = field(default_factory=dict)
    starts: dict[str, int] = field(default_factory=dict)
    on_h: dict[str, float] = field(default_factory=dict)
    decisions: int = 0
    safety: int = 0
    alerts: int = 0
    min_t: float = float("inf")
    max_t: float = float("-inf")

    def add_hours(self, key: str, hours: float) -> None:
        self.hours[key] = self.hours.get(key, 0.0) + hours


def simulate(
    site: SiteConfig,
    greenhouse_id: str,
    ruleset: RuleSet,
    start: datetime,
    days: float,
    temp_band: Band,
    vpd_band: Band,
    seed: int = 7,
    initial: InitialConditions | None = None,
    progress: Callable[[float], None] | None = None,
) -> SimulationReport:
    """Run ``ruleset`` for ``days`` from ``start``; ``progress`` is told the simulated days done."""
    gh = site.greenhouse(greenhouse_id)
    place = Place.of(site.cooperative)
    weather = Weather.for_site(site.cooperative, seed)
    physics = GreenhousePhysics(gh, site.cooperative.elevation_m, weather.at(start), seed, initial=initial)
    outputs: dict[str, ActuatorState] = {a.id: fail_safe_state(a) for a in gh.actuators.values()}
    controller = Controller(site.cooperative.id, gh, start)
    quality = QualityChecker(gh.sensors.values())
    state = EngineState()
    tally = _Tally()
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
            result = evaluate(ruleset, state, latest, now, place)
            state = result.state
            controller.report(result.suppressions, result.alerts, now)
            controller.decide(result.decisions, latest, now)
        controller.tick(latest, now)
        _drive(controller, gh.actuators, outputs, tally)
        _count_events(controller, tally)
        _tally_climate(physics, temp_band, vpd_band, step_h, tally)
        for a, out in outputs.items():
            if out.on:
                tally.on_h[a] = tally.on_h.get(a, 0.0) + step_h
        if progress is not None and now.minute == 0 and now.second < PHYSICS_STEP_S:
            progress((now - start).total_seconds() / 86400)
    return _report(gh, start, days, temp_band, vpd_band, tally)


def _drive(
    controller: Controller, actuators: dict[str, Actuator], outputs: dict[str, ActuatorState], tally: _Tally
) -> None:
    for a in actuators.values():
        on, position = controller.output(a.id)
        was = outputs[a.id]
        now_on = on if not a.kind.positional else (position or 0) > 0
        if now_on and not was.on:
            tally.starts[a.id] = tally.starts.get(a.id, 0) + 1
        outputs[a.id] = ActuatorState(on=now_on, position_pct=position or 0.0)


def _count_events(controller: Controller, tally: _Tally) -> None:
    for e in controller.take_events():
        if e.kind is EventKind.DECISION:
            tally.decisions += 1
        elif e.kind is EventKind.SAFETY:
            tally.safety += 1
        elif e.kind is EventKind.ALERT and e.action == "raised":
            tally.alerts += 1


def _tally_climate(physics: GreenhousePhysics, temp: Band, vpd: Band, step_h: float, tally: _Tally) -> None:
    t, rh = physics.air_temp_c, physics.air_rh_pct
    tally.min_t, tally.max_t = min(tally.min_t, t), max(tally.max_t, t)
    tally.add_hours("t_below" if t < temp.low else "t_above" if t > temp.high else "t_in", step_h)
    v = air_vpd_kpa(t, rh)
    tally.add_hours("v_below" if v < vpd.low else "v_above" if v > vpd.high else "v_in", step_h)


def _report(
    gh: Greenhouse, start: datetime, days: float, temp_band: Band, vpd_band: Band, tally: _Tally
) -> SimulationReport:
    water = []
    for z in gh.zones:
        flow = gh.actuators[z.valve].flow_l_min or 0.0
        on_h = tally.on_h.get(z.valve, 0.0)
        water.append(
            ZoneWater(
                zone=z.id,
                valve=z.valve,
                water_l=on_h * 60 * flow,
                valve_starts=tally.starts.get(z.valve, 0),
                valve_on_h=on_h,
            )
        )
    h = tally.hours
    return SimulationReport(
        greenhouse=gh.id,
        start=start,
        days=days,
        temp_band_c=(temp_band.low, temp_band.high),
        vpd_band_kpa=(vpd_band.low, vpd_band.high),
        zones=water,
        hours_temp_below=h.get("t_below", 0.0),
        hours_temp_in=h.get("t_in", 0.0),
        hours_temp_above=h.get("t_above", 0.0),
        hours_vpd_below=h.get("v_below", 0.0),
        hours_vpd_in=h.get("v_in", 0.0),
        hours_vpd_above=h.get("v_above", 0.0),
        min_air_temp_c=tally.min_t,
        max_air_temp_c=tally.max_t,
        starts=dict(sorted(tally.starts.items())),
        decisions=tally.decisions,
        safety_events=tally.safety,
        alerts=tally.alerts,
    )
