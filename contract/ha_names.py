"""How Home Assistant's MQTT discovery names what each sensor kind measures: its device class (None where it has
none) and unit (https://www.home-assistant.io/integrations/sensor#device-class). The simulator's MQTT nodes
announce themselves with these, and the importer of discovery messages reads them back into kinds."""

from __future__ import annotations

from contract.kinds import SensorKind

HA_NAMES: dict[SensorKind, tuple[str | None, str | None]] = {
    SensorKind.AIR_TEMP_C: ("temperature", "°C"),
    SensorKind.LEAF_TEMP_C: ("temperature", "°C"),
    SensorKind.SOIL_TEMP_C: ("temperature", "°C"),
    SensorKind.OUTDOOR_TEMP_C: ("temperature", "°C"),
    SensorKind.AIR_RH_PCT: ("humidity", "%"),
    SensorKind.OUTDOOR_RH_PCT: ("humidity", "%"),
    SensorKind.SOIL_VWC_PCT: ("moisture", "%"),
    SensorKind.PAR_UMOL_M2_S: (None, "µmol/m²/s"),
    SensorKind.CO2_PPM: ("carbon_dioxide", "ppm"),
    SensorKind.TANK_LEVEL_PCT: (None, "%"),
    SensorKind.WATER_FLOW_L_MIN: ("volume_flow_rate", "L/min"),
    SensorKind.WATER_TOTAL_L: ("water", "L"),
    SensorKind.SOLAR_W_M2: ("irradiance", "W/m²"),
    SensorKind.RAIN_MM_H: ("precipitation_intensity", "mm/h"),
    SensorKind.RAIN_TOTAL_MM: ("precipitation", "mm"),
    SensorKind.WIND_M_S: ("wind_speed", "m/s"),
    SensorKind.SOIL_EC_US_CM: ("conductivity", "µS/cm"),
    SensorKind.SOIL_PH: ("ph", None),
    SensorKind.SOIL_N_MG_KG: (None, "mg/kg"),
    SensorKind.SOIL_P_MG_KG: (None, "mg/kg"),
    SensorKind.SOIL_K_MG_KG: (None, "mg/kg"),
    SensorKind.ILLUMINANCE_LUX: ("illuminance", "lx"),
    SensorKind.WIND_DIRECTION_DEG: ("wind_direction", "°"),
}


def kind_of(device_class: str | None, unit: str | None) -> SensorKind | None:
    """The kind a discovered sensor measures, where its class and unit say it unambiguously: the first kind listed
    for a class (a temperature in °C is an air temperature until the technician says otherwise); a sensor with no
    class only by a unit no other kind has (PAR's µmol/m²/s), never by a shared one such as %."""
    return _KINDS.get((device_class, unit))


def _inverse() -> dict[tuple[str | None, str | None], SensorKind]:
    units = [unit for _, unit in HA_NAMES.values()]
    found: dict[tuple[str | None, str | None], SensorKind] = {}
    for kind, (device_class, unit) in HA_NAMES.items():
        if device_class is not None or units.count(unit) == 1:
            found.setdefault((device_class, unit), kind)
    return found


_KINDS = _inverse()
