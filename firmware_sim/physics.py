"""Lumped physics of one plastic-film greenhouse, in which the actuators matter.

One well-mixed air volume (temperature, vapour, CO₂) with the crop and the structure as thermal
mass; one soil bucket per irrigation zone; one water tank per greenhouse. Every linear exchange
is integrated exactly (relaxation towards its equilibrium), so any step length is stable.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contract.kinds import ActuatorKind, SensorKind
from contract.site import Greenhouse, Sensor
from firmware_sim import air, noise
from firmware_sim.weather import WeatherSample

_RHO_CP_AIR_J_M3_K = 1206.0  # 1.2 kg/m³ × 1005 J/kg/K
_LATENT_HEAT_J_KG = 2.45e6  # FAO-56 λ at 20 °C
_CO2_G_MOL = 44.01
_R_J_MOL_K = 8.314
_OUTDOOR_CO2_PPM = 420.0
# PAR is ~0.44 of global radiation energy (Szeicz 1974: 0.44–0.50) at 4.57 µmol/J (McCree 1972).
_PAR_UMOL_PER_J = 2.02
# Daylight gives ~120 lm per W of global radiation (Littlefair 1985, Lighting Res. Technol. 17:162: 100–130).
_LUX_PER_W_M2 = 120.0
_NUTRIENTS = (SensorKind.SOIL_N_MG_KG, SensorKind.SOIL_P_MG_KG, SensorKind.SOIL_K_MG_KG)


def _npk(n: float, p: float, k: float) -> dict[SensorKind, float]:
    return dict(zip(_NUTRIENTS, (n, p, k), strict=True))


class PhysicsParams(BaseModel):
    """Construction, equipment and crop constants, the same for every greenhouse of a site."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mean_height_m: float = Field(default=3.5, gt=0)
    cover_to_floor_ratio: float = Field(default=1.4, ge=1)
    # Aged polyethylene film passes ~0.70–0.85 of global radiation (Giacomelli & Roberts 1993).
    film_transmission: float = Field(default=0.75, gt=0, le=1)
    # A drawn "lưới che 50 %" net.
    shade_screen_shading: float = Field(default=0.5, ge=0, le=1)
    # Single-layer polyethylene, ASAE EP406 table: U ≈ 6.0–6.8 W/m²/K.
    cover_u_w_m2_k: float = Field(default=6.2, gt=0)
    # Air changes per hour: leakage; roof vents and side curtains fully open at ~2 m/s wind;
    # fans sized for ~0.75 air changes per minute (ASAE EP406 recommends 0.75–1).
    leak_ach: float = Field(default=1.0, gt=0)
    vent_ach: float = Field(default=30.0, ge=0)
    side_curtain_ach: float = Field(default=25.0, ge=0)
    fan_ach: float = Field(default=45.0, ge=0)
    heater_w_m2: float = Field(default=50.0, ge=0)
    mister_l_h_m2: float = Field(default=0.15, ge=0)
    # Share of the radiation inside that heats the air; the rest goes into transpiration and the soil.
    solar_to_air_fraction: float = Field(default=0.35, ge=0, le=1)
    # Crop, structure and top soil exchanging heat with the air within minutes.
    thermal_mass_j_m2_k: float = Field(default=15000.0, gt=0)
    # Greenhouse transpiration λE = A·G_in + B·VPD (Baille, Baille & Laury 1994, Sci. Hortic. 59:217).
    transpiration_a: float = Field(default=0.45, ge=0)
    transpiration_b_day_w_m2_kpa: float = Field(default=25.0, ge=0)
    transpiration_b_night_w_m2_kpa: float = Field(default=5.0, ge=0)
    crop_coefficient: dict[str, float] = {"tomato": 1.0, "leafy_greens": 0.85}
    default_crop_coefficient: float = Field(default=0.9, gt=0)
    # Canopy net CO₂ uptake at saturating light and ambient CO₂, and night respiration (crop + soil).
    co2_uptake_max_g_m2_h: float = Field(default=3.0, ge=0)
    co2_respiration_g_m2_h: float = Field(default=0.25, ge=0)
    root_zone_depth_mm: float = Field(default=300.0, gt=0)
    field_capacity_pct: float = Field(default=40.0, gt=0, le=100)
    wilting_point_pct: float = Field(default=15.0, ge=0, le=100)
    saturation_pct: float = Field(default=50.0, gt=0, le=100)
    drainage_time_constant_h: float = Field(default=12.0, gt=0)
    soil_temp_time_constant_h: float = Field(default=8.0, gt=0)
    # Bulk soil EC grows about linearly with water content at a given pore-water EC (Rhoades, Raats & Prather
    # 1976, SSSAJ 40:651); non-saline soils read ~100–2000 µS/cm (Corwin & Lesch 2005, Comput. Electron. Agric.
    # 46:11). 25 µS/cm per % puts a fertigated bed at field capacity (40 %) at 1000 µS/cm.
    soil_ec_us_cm_per_vwc_pct: float = Field(default=25.0, ge=0)
    # Most vegetables are grown at pH 6.0–6.8; the reading wanders by up to ± soil_ph_drift over days.
    soil_ph: float = Field(default=6.2, gt=0, lt=14)
    soil_ph_drift: float = Field(default=0.2, ge=0, le=2)
    soil_bulk_density_kg_m3: float = Field(default=1300.0, gt=0)
    # What the crop takes out of the root zone in a season without fertigation, g/m² (order of magnitude for a
    # four-month tomato crop: 300 kg N, 50 kg P, 450 kg K per ha); the probe's N/P/K fall by it, slowly.
    nutrient_uptake_g_m2_season: dict[SensorKind, float] = Field(default_factory=lambda: _npk(30.0, 5.0, 45.0))
    season_days: float = Field(default=120.0, gt=0)
    tank_capacity_l: float = Field(default=2000.0, gt=0)
    tank_inflow_l_min: float = Field(default=3.0, ge=0)
    # For valves whose site entry gives no flow_l_min.
    default_valve_flow_l_min: float = Field(default=20.0, gt=0)


class InitialConditions(BaseModel):
    """Where each greenhouse starts; None means "like outside at the start"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    air_temp_c: float | None = None
    air_rh_pct: float | None = Field(default=None, ge=0, le=100)
    co2_ppm: float = Field(default=_OUTDOOR_CO2_PPM, gt=0)
    soil_temp_c: float | None = None
    soil_vwc_pct: float = Field(default=30.0, ge=0, le=100)
    # Per zone id, overriding soil_vwc_pct.
    soil_vwc_pct_by_zone: dict[str, float] = {}
    tank_level_pct: float = Field(default=80.0, ge=0, le=100)
    water_total_l: float = Field(default=0.0, ge=0)
    # Plant-available N, P, K (mg/kg) at the start: a fertilised bed before planting.
    soil_nutrients_mg_kg: dict[SensorKind, float] = Field(default_factory=lambda: _npk(120.0, 60.0, 200.0))


class ActuatorState(BaseModel):
    """An actuator as its relay board holds it: a coil, or a position (0–100 %)."""

    on: bool = False
    position_pct: float = Field(default=0.0, ge=0, le=100)


class GreenhouseState(BaseModel):
    """The true physical state, for assertions and the demo; sensors see it with noise and faults."""

    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    air_temp_c: float
    air_rh_pct: float
    leaf_temp_c: float
    par_umol_m2_s: float
    co2_ppm: float
    soil_temp_c: float
    soil_vwc_pct: dict[str, float]
    tank_level_pct: float
    tank_l: float
    water_flow_l_min: float
    water_total_l: float
    outdoor: WeatherSample
    actuators: dict[str, ActuatorState]


class _Bed:
    """Root zone under one irrigation zone (or the unwatered soil of sensors outside any zone)."""

    def __init__(self, area_m2: float, valve: str | None, pump: str | None, vwc_pct: float) -> None:
        self.area_m2 = area_m2
        self.valve = valve
        self.pump = pump
        self.vwc_pct = vwc_pct


_UNZONED = ""
# Standard deviation of read-to-read sensor noise, by kind; kinds not listed read exactly.
_NOISE_SD = {
    SensorKind.AIR_TEMP_C: 0.05,
    SensorKind.AIR_RH_PCT: 0.3,
    SensorKind.LEAF_TEMP_C: 0.1,
    SensorKind.SOIL_VWC_PCT: 0.1,
    SensorKind.SOIL_TEMP_C: 0.05,
    SensorKind.CO2_PPM: 3.0,
    SensorKind.TANK_LEVEL_PCT: 0.2,
    SensorKind.OUTDOOR_TEMP_C: 0.05,
    SensorKind.OUTDOOR_RH_PCT: 0.3,
    SensorKind.SOIL_EC_US_CM: 5.0,
    SensorKind.SOIL_PH: 0.02,
    SensorKind.SOIL_N_MG_KG: 1.0,
    SensorKind.SOIL_P_MG_KG: 1.0,
    SensorKind.SOIL_K_MG_KG: 1.0,
    SensorKind.ILLUMINANCE_LUX: 20.0,
}
# What noise may not push a reading beyond.
_LIMITS: dict[SensorKind, tuple[float, float]] = {
    SensorKind.AIR_RH_PCT: (0.0, 100.0),
    SensorKind.OUTDOOR_RH_PCT: (0.0, 100.0),
    SensorKind.TANK_LEVEL_PCT: (0.0, 100.0),
    SensorKind.SOIL_EC_US_CM: (0.0, math.inf),
    SensorKind.SOIL_PH: (0.0, 14.0),
    **{k: (0.0, math.inf) for k in _NUTRIENTS},
    SensorKind.ILLUMINANCE_LUX: (0.0, math.inf),
}
# Sensors that read the soil water of their bed (zone, or the unwatered soil outside the zones).
_IN_A_BED = {SensorKind.SOIL_VWC_PCT, SensorKind.SOIL_EC_US_CM}


class GreenhousePhysics:
    def __init__(
        self,
        greenhouse: Greenhouse,
        elevation_m: float,
        start: WeatherSample,
        seed: int,
        params: PhysicsParams | None = None,
        initial: InitialConditions | None = None,
    ) -> None:
        p = self.params = params or PhysicsParams()
        init = initial or InitialConditions()
        self.greenhouse = greenhouse
        self.weather = start
        self.seed = seed
        self.volume_m3 = greenhouse.area_m2 * p.mean_height_m
        self._heat_capacity_j_k = _RHO_CP_AIR_J_M3_K * self.volume_m3 + p.thermal_mass_j_m2_k * greenhouse.area_m2
        self._air_mol = self.volume_m3 * air.atmospheric_pressure_kpa(elevation_m) * 1000 / (_R_J_MOL_K * 293.15)
        self._crop_coefficient = p.crop_coefficient.get(greenhouse.crop, p.default_crop_coefficient)
        self._by_kind = self._actuators_by_kind(greenhouse)

        self.air_temp_c = init.air_temp_c if init.air_temp_c is not None else start.outdoor_temp_c + 1.0
        rh = init.air_rh_pct if init.air_rh_pct is not None else start.outdoor_rh_pct
        self.vapour_g_m3 = rh / 100 * air.saturation_density_g_m3(self.air_temp_c)
        self.co2_ppm = init.co2_ppm
        self.soil_temp_c = init.soil_temp_c if init.soil_temp_c is not None else self.air_temp_c
        self.tank_l = init.tank_level_pct / 100 * p.tank_capacity_l
        self.water_total_l = init.water_total_l
        self.rain_total_mm = 0.0
        self.water_flow_l_min = 0.0
        self.leaf_temp_c = self.air_temp_c
        self.par_umol_m2_s = 0.0
        self.illuminance_lux = 0.0
        self.nutrients_mg_kg = {k: init.soil_nutrients_mg_kg.get(k, 0.0) for k in _NUTRIENTS}
        soil_mass_kg_m2 = p.root_zone_depth_mm / 1000 * p.soil_bulk_density_kg_m3
        self._uptake_mg_kg_s = {
            k: p.nutrient_uptake_g_m2_season.get(k, 0.0) * 1000 / soil_mass_kg_m2 / (p.season_days * 86400)
            for k in _NUTRIENTS
        }
        self._soil_ph_stream = noise.stream_id(f"{greenhouse.id}/soil-ph")
        self._wind_direction_stream = noise.stream_id("wind-direction")  # one wind for the whole site

        self._beds: dict[str, _Bed] = {}
        for z in greenhouse.zones:
            vwc = init.soil_vwc_pct_by_zone.get(z.id, init.soil_vwc_pct)
            self._beds[z.id] = _Bed(z.area_m2, z.valve, z.pump, vwc)
        self._bed_of_sensor = {sid: z.id for z in greenhouse.zones for sid in z.soil_sensors}
        soil = [s for s in greenhouse.sensors.values() if s.kind is SensorKind.SOIL_VWC_PCT]
        if any(s.id not in self._bed_of_sensor for s in greenhouse.sensors.values() if s.kind in _IN_A_BED):
            rest_m2 = max(1.0, greenhouse.area_m2 - sum(z.area_m2 for z in greenhouse.zones))
            self._beds[_UNZONED] = _Bed(rest_m2, None, None, init.soil_vwc_pct)

        self._sensors: list[Sensor] = list(greenhouse.sensors.values())
        self._noise = random.Random(f"{seed}/{greenhouse.id}/sensor-noise")
        # Two probes in one zone never agree exactly: soil is patchy.
        self._probe_offset_pct = {
            s.id: max(-2.0, min(2.0, random.Random(f"{seed}/{greenhouse.id}/{s.id}").gauss(0, 1.0))) for s in soil
        }
        self.readings: dict[str, float] = {}
        self._update_readings()

    @staticmethod
    def _actuators_by_kind(greenhouse: Greenhouse) -> dict[ActuatorKind, list[str]]:
        by_kind: dict[ActuatorKind, list[str]] = {}
        for a in greenhouse.actuators.values():
            by_kind.setdefault(a.kind, []).append(a.id)
        return by_kind

    def _heater_w(self, actuators: Mapping[str, ActuatorState]) -> float:
        """Heat from the heaters that are on: each by its rated power, or a share of the site's default per m²."""
        ids = self._by_kind.get(ActuatorKind.HEATER, [])
        default_w = self.params.heater_w_m2 * self.greenhouse.area_m2 / max(len(ids), 1)
        total_w = 0.0
        for i in ids:
            state = actuators.get(i)
            if state is not None and state.on:
                power_kw = self.greenhouse.actuators[i].power_kw
                total_w += power_kw * 1000 if power_kw is not None else default_w
        return total_w

    def _mean(self, kind: ActuatorKind, actuators: Mapping[str, ActuatorState]) -> float:
        """Mean drive (0–1) over the actuators of one kind: several vents share the full opening."""
        ids = self._by_kind.get(kind)
        if not ids:
            return 0.0
        total = 0.0
        for i in ids:
            state = actuators.get(i)
            if state is not None:
                total += state.position_pct / 100 if kind.positional else float(state.on)
        return total / len(ids)

    # --- the step -------------------------------------------------------------------------------
    def step(self, dt_s: float, weather: WeatherSample, actuators: Mapping[str, ActuatorState]) -> None:
        p, area = self.params, self.greenhouse.area_m2
        self.weather = weather
        self.rain_total_mm += weather.rain_mm_h * dt_s / 3600
        t_out = weather.outdoor_temp_c
        vapour_out = weather.outdoor_rh_pct / 100 * air.saturation_density_g_m3(t_out)

        wind_factor = min(1.5, max(0.3, 0.3 + 0.35 * weather.wind_m_s))
        ach = (
            p.leak_ach
            + self._mean(ActuatorKind.VENT, actuators) * p.vent_ach * wind_factor
            + self._mean(ActuatorKind.SIDE_CURTAIN, actuators) * p.side_curtain_ach * wind_factor
            + self._mean(ActuatorKind.FAN, actuators) * p.fan_ach
        )
        exchange_per_s = ach / 3600

        shade = self._mean(ActuatorKind.SHADE_SCREEN, actuators) * p.shade_screen_shading
        inside_w_m2 = weather.solar_w_m2 * p.film_transmission * (1 - shade)
        self.par_umol_m2_s = _PAR_UMOL_PER_J * inside_w_m2
        self.illuminance_lux = _LUX_PER_W_M2 * inside_w_m2

        vpd_kpa = air.vapour_pressure_deficit_kpa(self.vapour_g_m3, self.air_temp_c)
        b_night, b_day = p.transpiration_b_night_w_m2_kpa, p.transpiration_b_day_w_m2_kpa
        b = b_night + min(1.0, inside_w_m2 / 200) * (b_day - b_night)
        et_mm_s = self._crop_coefficient * (p.transpiration_a * inside_w_m2 + b * vpd_kpa) / _LATENT_HEAT_J_KG
        stress = self._water(dt_s, actuators, et_mm_s)

        mist_kg_s = self._mean(ActuatorKind.MISTER, actuators) * p.mister_l_h_m2 * area / 3600
        # Fog only evaporates into unsaturated air; ~1 kPa deficit takes all of it.
        mist_evaporated_kg_s = mist_kg_s * min(1.0, vpd_kpa)

        # Sensible heat balance: sun and heater in; cover, ventilation and evaporating mist out.
        heat_in_w = (
            p.solar_to_air_fraction * inside_w_m2 * area
            + self._heater_w(actuators)
            - mist_evaporated_kg_s * _LATENT_HEAT_J_KG
        )
        cover_w_k = p.cover_u_w_m2_k * p.cover_to_floor_ratio * area
        conductance_w_k = cover_w_k + _RHO_CP_AIR_J_M3_K * self.volume_m3 * exchange_per_s
        self.air_temp_c = _relax(
            self.air_temp_c, t_out + heat_in_w / conductance_w_k, conductance_w_k / self._heat_capacity_j_k, dt_s
        )

        # Vapour: transpiration and mist in, ventilation out; excess condenses on the film.
        vapour_in_g_s = et_mm_s * stress * area * 1000 + mist_evaporated_kg_s * 1000
        vapour_eq = vapour_out + vapour_in_g_s / (self.volume_m3 * exchange_per_s)
        self.vapour_g_m3 = min(
            _relax(self.vapour_g_m3, vapour_eq, exchange_per_s, dt_s), air.saturation_density_g_m3(self.air_temp_c)
        )

        # CO₂: light-saturating uptake limited by CO₂ above a 50 ppm compensation point; respiration; ventilation.
        available = max(0.0, self.co2_ppm - 50)
        light_response = self.par_umol_m2_s / (self.par_umol_m2_s + 400)
        uptake_g_m2_h = p.co2_uptake_max_g_m2_h * light_response * available / (available + 300)
        ppm_per_g = 1e6 / (_CO2_G_MOL * self._air_mol)
        source_ppm_s = (p.co2_respiration_g_m2_h - uptake_g_m2_h * stress) * area / 3600 * ppm_per_g
        co2_eq = _OUTDOOR_CO2_PPM + source_ppm_s / exchange_per_s
        self.co2_ppm = max(50.0, _relax(self.co2_ppm, co2_eq, exchange_per_s, dt_s))

        self.soil_temp_c = _relax(self.soil_temp_c, self.air_temp_c, 1 / (p.soil_temp_time_constant_h * 3600), dt_s)
        self.leaf_temp_c = self._leaf_temp_c(inside_w_m2, stress)
        # A dry crop hardly takes anything up: uptake follows the water it draws.
        for k in _NUTRIENTS:
            self.nutrients_mg_kg[k] = max(0.0, self.nutrients_mg_kg[k] - self._uptake_mg_kg_s[k] * stress * dt_s)
        self._update_readings()

    def _water(self, dt_s: float, actuators: Mapping[str, ActuatorState], et_mm_s: float) -> float:
        """Irrigation, tank and soil water; returns the area-weighted water-stress coefficient (0–1)."""
        p = self.params
        demand_l: dict[str, float] = {}
        for bed_id, bed in self._beds.items():
            if bed.valve is None or not _is_on(actuators, bed.valve):
                continue
            # Gravity-fed zones have no pump; the others need theirs running.
            if bed.pump is None or _is_on(actuators, bed.pump):
                flow = self.greenhouse.actuators[bed.valve].flow_l_min or p.default_valve_flow_l_min
                demand_l[bed_id] = flow * dt_s / 60
        inflow_l = p.tank_inflow_l_min * dt_s / 60
        wanted_l = sum(demand_l.values())
        delivered_l = min(wanted_l, self.tank_l + inflow_l)
        share = delivered_l / wanted_l if wanted_l > 0 else 0.0
        self.tank_l = min(p.tank_capacity_l, self.tank_l + inflow_l - delivered_l)
        self.water_total_l += delivered_l
        self.water_flow_l_min = delivered_l / dt_s * 60

        drained = 1 - math.exp(-dt_s / (p.drainage_time_constant_h * 3600))
        weighted_stress, total_area = 0.0, 0.0
        for bed_id, bed in self._beds.items():
            stress = self._stress(bed.vwc_pct)
            irrigation_mm = demand_l.get(bed_id, 0.0) * share / bed.area_m2
            et_mm = et_mm_s * stress * dt_s
            vwc = bed.vwc_pct + (irrigation_mm - et_mm) / p.root_zone_depth_mm * 100
            if vwc > p.field_capacity_pct:
                vwc -= (vwc - p.field_capacity_pct) * drained
            bed.vwc_pct = min(p.saturation_pct, max(0.0, vwc))
            weighted_stress += stress * bed.area_m2
            total_area += bed.area_m2
        return weighted_stress / total_area if total_area else 1.0

    def _stress(self, vwc_pct: float) -> float:
        # FAO-56 eq. 84 water-stress coefficient with depletion fraction p = 0.5.
        p = self.params
        readily_available = 0.5 * (p.field_capacity_pct - p.wilting_point_pct)
        return min(1.0, max(0.0, (vwc_pct - p.wilting_point_pct) / readily_available))

    def _leaf_temp_c(self, inside_w_m2: float, stress: float) -> float:
        # Idso (1982) baselines: in sun, canopy − air = a + b·VPD when well watered, rising to a few °C above
        # air as stomata close; at night leaves radiate below air temperature.
        vpd_kpa = air.vapour_pressure_deficit_kpa(self.vapour_g_m3, self.air_temp_c)
        sun = min(1.0, inside_w_m2 / 400)
        in_sun = 2.0 - 1.9 * vpd_kpa * stress + 4.0 * (1 - stress)
        return self.air_temp_c + sun * in_sun - (1 - sun) * 0.5

    # --- what the sensors see --------------------------------------------------------------------
    @property
    def air_rh_pct(self) -> float:
        return air.relative_humidity_pct(self.vapour_g_m3, self.air_temp_c)

    @property
    def tank_level_pct(self) -> float:
        return 100 * self.tank_l / self.params.tank_capacity_l

    def soil_vwc_pct(self) -> dict[str, float]:
        return {bed_id: bed.vwc_pct for bed_id, bed in self._beds.items() if bed_id != _UNZONED}

    def _bed(self, sensor: Sensor) -> _Bed:
        return self._beds[self._bed_of_sensor.get(sensor.id, _UNZONED)]

    @property
    def soil_ph(self) -> float:
        wander = noise.smooth(self.seed, self._soil_ph_stream, self.weather.at.timestamp(), 2 * 86400)
        return self.params.soil_ph + self.params.soil_ph_drift * (2 * wander - 1)

    @property
    def wind_direction_deg(self) -> float:
        """Where the wind comes from: the monsoon's north-east in January, south-east in July (northern
        Vietnam), wandering ±60° within hours."""
        at = self.weather.at
        prevailing = 90.0 - 45.0 * math.cos(2 * math.pi * (at.timetuple().tm_yday - 15) / 365)
        wander = noise.smooth(self.seed, self._wind_direction_stream, at.timestamp(), 1800)
        return (prevailing + 120.0 * (wander - 0.5)) % 360

    def _true_value(self, sensor: Sensor) -> float:
        w = self.weather
        match sensor.kind:
            case SensorKind.AIR_TEMP_C:
                return self.air_temp_c
            case SensorKind.AIR_RH_PCT:
                return self.air_rh_pct
            case SensorKind.LEAF_TEMP_C:
                return self.leaf_temp_c
            case SensorKind.SOIL_VWC_PCT:
                return max(0.0, self._bed(sensor).vwc_pct + self._probe_offset_pct[sensor.id])
            case SensorKind.SOIL_EC_US_CM:
                return self.params.soil_ec_us_cm_per_vwc_pct * self._bed(sensor).vwc_pct
            case SensorKind.SOIL_PH:
                return self.soil_ph
            case SensorKind.SOIL_N_MG_KG | SensorKind.SOIL_P_MG_KG | SensorKind.SOIL_K_MG_KG:
                return self.nutrients_mg_kg[sensor.kind]
            case SensorKind.ILLUMINANCE_LUX:
                return self.illuminance_lux
            case SensorKind.SOIL_TEMP_C:
                return self.soil_temp_c
            case SensorKind.PAR_UMOL_M2_S:
                return self.par_umol_m2_s
            case SensorKind.CO2_PPM:
                return self.co2_ppm
            case SensorKind.TANK_LEVEL_PCT:
                return self.tank_level_pct
            case SensorKind.WATER_FLOW_L_MIN:
                return self.water_flow_l_min
            case SensorKind.WATER_TOTAL_L:
                return self.water_total_l
            case SensorKind.OUTDOOR_TEMP_C:
                return w.outdoor_temp_c
            case SensorKind.OUTDOOR_RH_PCT:
                return w.outdoor_rh_pct
            case SensorKind.SOLAR_W_M2:
                return w.solar_w_m2
            case SensorKind.RAIN_MM_H:
                return w.rain_mm_h
            case SensorKind.RAIN_TOTAL_MM:
                return self.rain_total_mm
            case SensorKind.WIND_M_S:
                return w.wind_m_s
            case SensorKind.WIND_DIRECTION_DEG:
                return self.wind_direction_deg
        raise ValueError(f"no model for sensor kind {sensor.kind}")

    def _update_readings(self) -> None:
        for sensor in self._sensors:
            value = self._true_value(sensor)
            sd = _NOISE_SD.get(sensor.kind)
            if sd is not None:
                value += self._noise.gauss(0, sd)
                low, high = _LIMITS.get(sensor.kind, (-math.inf, math.inf))
                value = min(high, max(low, value))
            self.readings[sensor.id] = value

    def snapshot(self, at: datetime, actuators: Mapping[str, ActuatorState]) -> GreenhouseState:
        return GreenhouseState(
            at=at,
            air_temp_c=self.air_temp_c,
            air_rh_pct=self.air_rh_pct,
            leaf_temp_c=self.leaf_temp_c,
            par_umol_m2_s=self.par_umol_m2_s,
            co2_ppm=self.co2_ppm,
            soil_temp_c=self.soil_temp_c,
            soil_vwc_pct=self.soil_vwc_pct(),
            tank_level_pct=self.tank_level_pct,
            tank_l=self.tank_l,
            water_flow_l_min=self.water_flow_l_min,
            water_total_l=self.water_total_l,
            outdoor=self.weather,
            actuators={i: s.model_copy() for i, s in actuators.items()},
        )


def _is_on(actuators: Mapping[str, ActuatorState], actuator_id: str) -> bool:
    state = actuators.get(actuator_id)
    return state is not None and state.on


def _relax(value: float, equilibrium: float, rate_per_s: float, dt_s: float) -> float:
    """Exact solution of dx/dt = rate·(equilibrium − x) over dt."""
    return equilibrium + (value - equilibrium) * math.exp(-rate_per_s * dt_s)
