"""One greenhouse as the phone shows it now: its sensors against their bands, its actuators and why, its VPD."""

from __future__ import annotations

from datetime import datetime

from contract.kinds import SensorKind
from contract.messages import ActuatorState
from contract.reasons import render
from contract.site import Greenhouse, Zone
from gateway.agronomy.vapour import air_vpd_kpa
from gateway.live.bands import BANDS, VPD_BAND_KPA, level
from gateway.live.models import ActuatorNow, ClimateNow, GreenhouseNow, Level, SensorNow
from gateway.live.words import NO_STATE_YET
from gateway.registry import GreenhouseHealth, SensorHealth


def greenhouse_now(
    gh: Greenhouse,
    timezone: str,
    health: GreenhouseHealth,
    state_ts: datetime | None,
    states: list[ActuatorState],
    active_alerts: int,
) -> GreenhouseNow:
    zone_of_sensor = {s: z for z in gh.zones for s in z.soil_sensors}
    sensors = [_sensor(gh, s, zone_of_sensor.get(s.sensor)) for s in health.sensors]
    by_id = {a.actuator: a for a in states}
    zone_of_valve = {z.valve: z for z in gh.zones}
    actuators = [_actuator(gh, a, by_id.get(a), zone_of_valve.get(a)) for a in gh.actuators]
    return GreenhouseNow(
        greenhouse=gh.id,
        name=gh.label,
        crop=gh.crop,
        timezone=timezone,
        availability=health.availability,
        last_seen=health.last_seen,
        silent=health.silent,
        state_ts=state_ts,
        sensors=sensors,
        actuators=actuators,
        climate=_climate(health.sensors),
        active_alerts=active_alerts,
    )


def _sensor(gh: Greenhouse, s: SensorHealth, zone: Zone | None) -> SensorNow:
    band = BANDS.get(s.kind)
    return SensorNow(
        sensor=s.sensor,
        name=gh.sensors[s.sensor].label,
        kind=s.kind,
        unit=s.kind.unit,
        zone=zone.id if zone else None,
        zone_name=zone.label if zone else None,
        value=s.value,
        ts=s.ts,
        quality=s.quality,
        age_s=s.age_s,
        level=level(s.value, band, not s.stale),
        band=band,
    )


def _actuator(gh: Greenhouse, actuator_id: str, state: ActuatorState | None, zone: Zone | None) -> ActuatorNow:
    actuator = gh.actuators[actuator_id]
    # Until the greenhouse reports its states, each actuator reads as off and out of reach, and says why.
    vi, en = (
        NO_STATE_YET if state is None else (render(state.reason, state.reason_params, lang) for lang in ("vi", "en"))
    )
    return ActuatorNow(
        actuator=actuator_id,
        name=actuator.label,
        kind=actuator.kind,
        zone=zone.id if zone else None,
        zone_name=zone.label if zone else None,
        on=state.on if state else False,
        position_pct=state.position_pct if state else None,
        since=state.since if state else None,
        until=state.until if state else None,
        source=state.source if state else None,
        text_vi=vi,
        text_en=en,
        reachable=state.reachable if state else False,
    )


def _climate(sensors: list[SensorHealth]) -> ClimateNow:
    """The air's VPD from the first fresh, good air temperature and humidity."""
    temp = next((s.value for s in sensors if s.kind is SensorKind.AIR_TEMP_C and not s.stale), None)
    rh = next((s.value for s in sensors if s.kind is SensorKind.AIR_RH_PCT and not s.stale), None)
    if temp is None or rh is None:
        return ClimateNow(vpd_kpa=None, vpd_level=Level.STALE, vpd_band=VPD_BAND_KPA)
    vpd = air_vpd_kpa(temp, rh)
    return ClimateNow(vpd_kpa=round(vpd, 2), vpd_level=level(vpd, VPD_BAND_KPA, True), vpd_band=VPD_BAND_KPA)
