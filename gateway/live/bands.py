"""The range each kind of value should stay in, and how a value stands against it: the colours on the phone.

General bands for the crops of the example cooperative (tomatoes and leafy greens under plastic in the
mountains); the rules hold the exact setpoints, these only say when a farmer should look twice.
"""

from __future__ import annotations

from contract.kinds import SensorKind
from gateway.live.models import Band, Level

BANDS: dict[SensorKind, Band] = {
    SensorKind.AIR_TEMP_C: Band(low=12, high=32),  # below: growth stops and frost is near; above: flowers drop
    SensorKind.LEAF_TEMP_C: Band(low=10, high=32),
    SensorKind.AIR_RH_PCT: Band(low=50, high=90),  # above 90 %: grey mould and blight spread
    SensorKind.SOIL_VWC_PCT: Band(low=25, high=42),  # the example rules water below 28 %
    SensorKind.TANK_LEVEL_PCT: Band(low=25, high=100),  # the pump's interlock stops it at 15 %
    SensorKind.CO2_PPM: Band(low=300, high=1500),
    # Vegetables grow best at pH 6.0–7.0; below 5.5 phosphorus locks up, above 7.5 iron and manganese do.
    SensorKind.SOIL_PH: Band(low=5.5, high=7.5),
}
VPD_BAND_KPA = Band(low=0.4, high=1.3)  # as the example VPD rule's band


def level(value: float | None, band: Band | None, fresh_and_good: bool) -> Level:
    if value is None or not fresh_and_good:
        return Level.STALE
    if band is None:
        return Level.UNKNOWN
    if value < band.low:
        return Level.LOW
    return Level.HIGH if value > band.high else Level.OK
