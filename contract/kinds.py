"""Domain vocabularies shared by every component: what is measured, what is driven."""

from __future__ import annotations

from enum import StrEnum


class SensorKind(StrEnum):
    """What a sensor measures; the unit is part of the name."""

    AIR_TEMP_C = "air_temp_c"
    AIR_RH_PCT = "air_rh_pct"
    LEAF_TEMP_C = "leaf_temp_c"
    SOIL_VWC_PCT = "soil_vwc_pct"
    SOIL_TEMP_C = "soil_temp_c"
    PAR_UMOL_M2_S = "par_umol_m2_s"
    CO2_PPM = "co2_ppm"
    TANK_LEVEL_PCT = "tank_level_pct"
    WATER_FLOW_L_MIN = "water_flow_l_min"
    WATER_TOTAL_L = "water_total_l"
    OUTDOOR_TEMP_C = "outdoor_temp_c"
    OUTDOOR_RH_PCT = "outdoor_rh_pct"
    SOLAR_W_M2 = "solar_w_m2"
    RAIN_MM_H = "rain_mm_h"
    RAIN_TOTAL_MM = "rain_total_mm"  # a gauge's running total, as water_total_l is a meter's
    WIND_M_S = "wind_m_s"
    SOIL_EC_US_CM = "soil_ec_us_cm"  # bulk electrical conductivity of the soil around the probe
    SOIL_PH = "soil_ph"
    # Plant-available nitrogen, phosphorus and potassium as soil probes report them (trends, not lab values).
    SOIL_N_MG_KG = "soil_n_mg_kg"
    SOIL_P_MG_KG = "soil_p_mg_kg"
    SOIL_K_MG_KG = "soil_k_mg_kg"
    ILLUMINANCE_LUX = "illuminance_lux"
    WIND_DIRECTION_DEG = "wind_direction_deg"  # where the wind comes from, clockwise from north

    @property
    def unit(self) -> str:
        return _UNITS[self]

    @property
    def digits(self) -> int:
        """Decimals a reader is shown: one figure, one meaning — a value that decides anything is compared as
        rounded to these, so the tile, the refusal and the interlock agree at the boundary."""
        return _DIGITS.get(self, 0)


_UNITS: dict[SensorKind, str] = {
    SensorKind.AIR_TEMP_C: "°C",
    SensorKind.AIR_RH_PCT: "%",
    SensorKind.LEAF_TEMP_C: "°C",
    SensorKind.SOIL_VWC_PCT: "%",
    SensorKind.SOIL_TEMP_C: "°C",
    SensorKind.PAR_UMOL_M2_S: "µmol/m²/s",
    SensorKind.CO2_PPM: "ppm",
    SensorKind.TANK_LEVEL_PCT: "%",
    SensorKind.WATER_FLOW_L_MIN: "L/min",
    SensorKind.WATER_TOTAL_L: "L",
    SensorKind.OUTDOOR_TEMP_C: "°C",
    SensorKind.OUTDOOR_RH_PCT: "%",
    SensorKind.SOLAR_W_M2: "W/m²",
    SensorKind.RAIN_MM_H: "mm/h",
    SensorKind.RAIN_TOTAL_MM: "mm",
    SensorKind.WIND_M_S: "m/s",
    SensorKind.SOIL_EC_US_CM: "µS/cm",
    SensorKind.SOIL_PH: "pH",  # "6,2 pH" on a tile: a bare number would not say what it is
    SensorKind.SOIL_N_MG_KG: "mg/kg",
    SensorKind.SOIL_P_MG_KG: "mg/kg",
    SensorKind.SOIL_K_MG_KG: "mg/kg",
    SensorKind.ILLUMINANCE_LUX: "lux",
    SensorKind.WIND_DIRECTION_DEG: "°",
}


# Anything not listed is read in whole units (%, ppm, lux, mg/kg, µS/cm, °, W/m², µmol/m²/s).
_DIGITS: dict[SensorKind, int] = {
    SensorKind.AIR_TEMP_C: 1,
    SensorKind.LEAF_TEMP_C: 1,
    SensorKind.SOIL_TEMP_C: 1,
    SensorKind.OUTDOOR_TEMP_C: 1,
    SensorKind.WATER_FLOW_L_MIN: 1,
    SensorKind.RAIN_MM_H: 1,
    SensorKind.RAIN_TOTAL_MM: 1,
    SensorKind.WIND_M_S: 1,
    SensorKind.SOIL_PH: 1,
}


class ActuatorKind(StrEnum):
    VALVE = "valve"
    PUMP = "pump"
    FAN = "fan"
    VENT = "vent"
    SIDE_CURTAIN = "side_curtain"
    SHADE_SCREEN = "shade_screen"
    MISTER = "mister"
    HEATER = "heater"

    @property
    def positional(self) -> bool:
        """Driven to a position (0–100 %) rather than switched on and off."""
        return self in (ActuatorKind.VENT, ActuatorKind.SIDE_CURTAIN, ActuatorKind.SHADE_SCREEN)


class Quality(StrEnum):
    """Per-reading quality flag set by the edge agent."""

    GOOD = "good"
    OUT_OF_RANGE = "out_of_range"  # outside the sensor's physical range
    SPIKE = "spike"  # jumped more than the sensor can physically change between reads
    FLATLINE = "flatline"  # not changed at all for longer than is plausible
    STALE = "stale"  # the node did not answer: no fresh value
    MISSING = "missing"  # the node answered but the sensor gave no value (dropout)


class ControlSource(StrEnum):
    """Who decided an actuator's current state, in arbitration order (highest first)."""

    SAFETY = "safety"
    OVERRIDE = "override"
    RULE = "rule"
    DEFAULT = "default"
