"""One greenhouse as the phone shows it now: its sensors against its crop's bands, its actuators and why, its VPD,
and the verdict on all of it."""

from __future__ import annotations

from datetime import datetime

from agronomy.vapour import air_vpd_kpa
from contract.crops import crop_profile
from contract.kinds import SensorKind
from contract.messages import ActuatorState
from contract.reasons import render
from contract.site import Cooperative, Greenhouse, Zone
from gateway.live.bands import BandsNow, bands_now, crop_bands, level
from gateway.live.models import ActuatorNow, AlertNow, ClimateNow, GreenhouseNow, Level, SensorNow
from gateway.live.registry import GreenhouseHealth, SensorHealth
from gateway.live.verdict import verdict
from gateway.live.words import NO_STATE_YET
from rules.context import Place

# The values a farmer has a tile for, besides each zone's soil water. Not PAR nor VPD: µmol/m²/s and kPa mean
# nothing to a farmer; the verdict says "air too damp" in words, and the charts keep both for the agronomist.
TILE_KINDS = (
    SensorKind.AIR_TEMP_C,
    SensorKind.AIR_RH_PCT,
    SensorKind.ILLUMINANCE_LUX,
    SensorKind.TANK_LEVEL_PCT,
    SensorKind.SOIL_EC_US_CM,
    SensorKind.SOIL_PH,
)


def greenhouse_now(
    gh: Greenhouse,
    cooperative: Cooperative,
    health: GreenhouseHealth,
    state_ts: datetime | None,
    states: list[ActuatorState],
    active_alerts: list[AlertNow],
    now: datetime,
) -> GreenhouseNow:
    profile = crop_profile(gh.crop)
    bands = bands_now(profile, Place.of(cooperative), now)
    zone_of_sensor = {s: z for z in gh.zones for s in z.soil_sensors}
    tiles = _tiles(health.sensors, zone_of_sensor)
    sensors = [_sensor(gh, s, zone_of_sensor.get(s.sensor), bands, s.sensor in tiles) for s in health.sensors]
    by_id = {a.actuator: a for a in states}
    zone_of_valve = {z.valve: z for z in gh.zones}
    actuators = [_actuator(gh, a, by_id.get(a), zone_of_valve.get(a)) for a in gh.actuators]
    climate = _climate(health.sensors, bands)
    vpd = climate if bands.vpd_judged else None
    judged = verdict(gh, profile, health, sensors, actuators, vpd, active_alerts, now, cooperative.tz)
    return GreenhouseNow(
        greenhouse=gh.id,
        name=gh.label,
        name_en=gh.label_in("en"),
        crop=gh.crop,
        timezone=cooperative.timezone,
        availability=health.availability,
        last_seen=health.last_seen,
        silent=health.silent,
        state_ts=state_ts,
        sensors=sensors,
        actuators=actuators,
        climate=climate,
        active_alerts=len(active_alerts),
        verdict=judged,
        crop_bands=crop_bands(profile),
    )


def _tiles(sensors: list[SensorHealth], zone_of_sensor: dict[str, Zone]) -> set[str]:
    """The sensors the farmer sees: the first of each tile kind, and every soil sensor of a zone."""
    first = {k: next((s.sensor for s in sensors if s.kind is k), None) for k in TILE_KINDS}
    soil = {s.sensor for s in sensors if s.kind is SensorKind.SOIL_VWC_PCT and s.sensor in zone_of_sensor}
    return {s for s in first.values() if s is not None} | soil


def _sensor(gh: Greenhouse, s: SensorHealth, zone: Zone | None, bands: BandsNow, tile: bool) -> SensorNow:
    band = bands.by_kind.get(s.kind)
    return SensorNow(
        sensor=s.sensor,
        name=gh.sensors[s.sensor].label,
        name_en=gh.sensors[s.sensor].label_in("en"),
        kind=s.kind,
        unit=s.kind.unit,
        zone=zone.id if zone else None,
        zone_name=zone.label if zone else None,
        zone_name_en=zone.label_in("en") if zone else None,
        value=s.value,
        ts=s.ts,
        quality=s.quality,
        age_s=s.age_s,
        level=level(s.value, band, not s.stale, s.kind.digits),
        band=band,
        digits=s.kind.digits,
        tile=tile,
    )


def _actuator(gh: Greenhouse, actuator_id: str, state: ActuatorState | None, zone: Zone | None) -> ActuatorNow:
    actuator = gh.actuators[actuator_id]
    # Until the greenhouse reports its states, each actuator reads as off and out of reach, and says why.
    vi, en = (
        NO_STATE_YET
        if state is None
        else (render(state.reason, state.reason_params, lang, gh) for lang in ("vi", "en"))
    )
    return ActuatorNow(
        actuator=actuator_id,
        name=actuator.label,
        name_en=actuator.label_in("en"),
        kind=actuator.kind,
        zone=zone.id if zone else None,
        zone_name=zone.label if zone else None,
        zone_name_en=zone.label_in("en") if zone else None,
        on=state.on if state else False,
        position_pct=state.position_pct if state else None,
        since=state.since if state else None,
        until=state.until if state else None,
        source=state.source if state else None,
        text_vi=vi,
        text_en=en,
        reachable=state.reachable if state else False,
    )


def _climate(sensors: list[SensorHealth], bands: BandsNow) -> ClimateNow:
    """The air's VPD from the first fresh, good air temperature and humidity, against the crop's band."""
    band = bands.vpd_kpa
    temp = next((s.value for s in sensors if s.kind is SensorKind.AIR_TEMP_C and not s.stale), None)
    rh = next((s.value for s in sensors if s.kind is SensorKind.AIR_RH_PCT and not s.stale), None)
    if temp is None or rh is None:
        return ClimateNow(vpd_kpa=None, vpd_level=Level.STALE, vpd_band=band)
    vpd = round(air_vpd_kpa(temp, rh), 2)
    return ClimateNow(vpd_kpa=vpd, vpd_level=level(vpd, band, True, 2), vpd_band=band)
