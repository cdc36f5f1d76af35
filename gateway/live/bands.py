"""The range each kind of value should stay in now, and how a value stands against it: the colours on the phone.

A greenhouse with a crop is judged against that crop's bands (contract/crops.py), its air temperature by day or
by night as the sun is at the cooperative; one without a crop against general bands. The rules hold the exact
setpoints; these only say when a farmer should look twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from contract.crops import CropBand, CropProfile
from contract.kinds import SensorKind
from gateway.live.models import CropBands, Level
from rules.context import Place
from rules.sun import daylight

GENERIC: dict[SensorKind, CropBand] = {
    SensorKind.AIR_TEMP_C: CropBand(low=12, high=32),  # below: growth stops and frost is near; above: flowers drop
    SensorKind.LEAF_TEMP_C: CropBand(low=10, high=32),
    SensorKind.AIR_RH_PCT: CropBand(low=50, high=90),  # above 90 %: grey mould and blight spread
    SensorKind.SOIL_VWC_PCT: CropBand(low=25, high=42),  # the example rules water below 28 %
    SensorKind.TANK_LEVEL_PCT: CropBand(low=25, high=100),  # the pump's interlock stops it at 15 %
    SensorKind.CO2_PPM: CropBand(low=300, high=1500),
    # Vegetables grow best at pH 6.0–7.0; below 5.5 phosphorus locks up, above 7.5 iron and manganese do.
    SensorKind.SOIL_PH: CropBand(low=5.5, high=7.5),
}
GENERIC_VPD_KPA = CropBand(low=0.4, high=1.3)
# After sunrise the heating takes the house up to the day band, after sunset it cools down to the night's: for
# this long either band is in band, so a house on its way is not called too cold at 6 am or too warm at 6 pm.
TRANSITION = timedelta(hours=2)


@dataclass(frozen=True)
class BandsNow:
    """The bands a greenhouse is judged against at one moment."""

    by_kind: dict[SensorKind, CropBand]
    vpd_kpa: CropBand
    # VPD is judged by day only: at night the stomata close and a low VPD is the night's normal (dew is the frost
    # rules' concern); the charts draw its band all the same.
    vpd_judged: bool


def _day_part(place: Place, now: datetime) -> tuple[bool, bool]:
    """(day, in transition) at ``place``: the sun up, and within TRANSITION after sunrise or sunset."""
    local = now.astimezone(place.tz)
    sunrise, sunset = daylight(place, local.date())
    if sunrise <= local < sunset:
        return True, local - sunrise < TRANSITION
    # Before sunrise the night began at yesterday's sunset, hours ago: no transition then.
    return False, local >= sunset and local - sunset < TRANSITION


def bands_now(profile: CropProfile | None, place: Place, now: datetime) -> BandsNow:
    day, transition = _day_part(place, now)
    if profile is None:
        return BandsNow(GENERIC, GENERIC_VPD_KPA, day)
    day_band, night_band = profile.air_temp_c_day, profile.air_temp_c_night
    if transition:
        air = CropBand(low=min(day_band.low, night_band.low), high=max(day_band.high, night_band.high))
    else:
        air = day_band if day else night_band
    crop = {
        SensorKind.AIR_TEMP_C: air,
        SensorKind.AIR_RH_PCT: profile.air_rh_pct,
        SensorKind.SOIL_VWC_PCT: profile.soil_vwc_pct,
    }
    return BandsNow({**GENERIC, **crop}, profile.vpd_kpa, day)


def crop_bands(profile: CropProfile | None) -> CropBands | None:
    if profile is None:
        return None
    return CropBands(
        air_temp_c_day=profile.air_temp_c_day,
        air_temp_c_night=profile.air_temp_c_night,
        air_rh_pct=profile.air_rh_pct,
        vpd_kpa=profile.vpd_kpa,
        soil_vwc_pct=profile.soil_vwc_pct,
    )


def level(value: float | None, band: CropBand | None, fresh_and_good: bool, digits: int) -> Level:
    """Judged on the value as the tile shows it: 12,0 °C is in a band that starts at 12, whatever the decimals."""
    if value is None or not fresh_and_good:
        return Level.STALE
    if band is None:
        return Level.UNKNOWN
    shown = round(value, digits)
    if shown < band.low:
        return Level.LOW
    return Level.HIGH if shown > band.high else Level.OK
