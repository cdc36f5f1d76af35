"""A generated site: many identical greenhouses, each with one node of sensors and one irrigated zone."""

from __future__ import annotations

from contract.kinds import ActuatorKind, SensorKind
from contract.site import SiteConfig

SITE_ID = "bench"

# Twenty sensors per greenhouse, the kinds the derived metrics need among them; more repeat the list.
# Each: kind, a typical value, the physical range.
SENSOR_KINDS: tuple[tuple[SensorKind, float, tuple[float, float]], ...] = (
    (SensorKind.AIR_TEMP_C, 26.0, (-10, 60)),
    (SensorKind.AIR_RH_PCT, 72.0, (0, 100)),
    (SensorKind.LEAF_TEMP_C, 25.0, (-10, 60)),
    (SensorKind.PAR_UMOL_M2_S, 850.0, (0, 2500)),
    (SensorKind.CO2_PPM, 480.0, (0, 5000)),
    (SensorKind.OUTDOOR_TEMP_C, 29.0, (-15, 50)),
    (SensorKind.OUTDOOR_RH_PCT, 65.0, (0, 100)),
    (SensorKind.SOLAR_W_M2, 620.0, (0, 1400)),
    (SensorKind.RAIN_MM_H, 0.0, (0, 200)),
    (SensorKind.WIND_M_S, 2.5, (0, 60)),
    (SensorKind.SOIL_VWC_PCT, 31.0, (0, 60)),
    (SensorKind.SOIL_VWC_PCT, 29.0, (0, 60)),
    (SensorKind.SOIL_VWC_PCT, 33.0, (0, 60)),
    (SensorKind.SOIL_VWC_PCT, 30.0, (0, 60)),
    (SensorKind.SOIL_TEMP_C, 23.0, (-10, 60)),
    (SensorKind.SOIL_TEMP_C, 22.5, (-10, 60)),
    (SensorKind.TANK_LEVEL_PCT, 80.0, (0, 100)),
    (SensorKind.WATER_FLOW_L_MIN, 12.0, (0, 200)),
    (SensorKind.WATER_TOTAL_L, 15000.0, (0, 100_000_000)),
    (SensorKind.CO2_PPM, 470.0, (0, 5000)),
)


def greenhouse_id(index: int) -> str:
    return f"gh-{index:04d}"


def sensor_id(index: int) -> str:
    return f"s{index:02d}"


def sensor_kind(index: int) -> tuple[SensorKind, float, tuple[float, float]]:
    return SENSOR_KINDS[index % len(SENSOR_KINDS)]


def bench_site(greenhouses: int, sensors: int) -> SiteConfig:
    soil = [sensor_id(i) for i in range(sensors) if sensor_kind(i)[0] is SensorKind.SOIL_VWC_PCT]
    node_sensors = [
        {"id": sensor_id(i), "kind": kind, "input_register": 2 * i, "range": {"min": low, "max": high}}
        for i, (kind, _typical, (low, high)) in ((i, sensor_kind(i)) for i in range(sensors))
    ]
    zones = [{"id": "zone-a", "area_m2": 500, "valve": "valve-a", "soil_sensors": soil}] if soil else []
    nodes = [
        {"id": "sensors", "address": 1, "sensors": node_sensors},
        {"id": "relays", "address": 10, "actuators": [{"id": "valve-a", "kind": ActuatorKind.VALVE, "coil": 0}]},
    ]
    return SiteConfig.model_validate(
        {
            "cooperative": {"id": SITE_ID, "latitude": 20.85, "longitude": 104.63, "elevation_m": 1050},
            "greenhouses": [
                {"id": greenhouse_id(g), "area_m2": 500, "poll_interval_s": 1, "zones": zones, "nodes": nodes}
                for g in range(greenhouses)
            ],
        }
    )
