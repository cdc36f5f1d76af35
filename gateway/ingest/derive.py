"""Per-greenhouse derived metrics from one telemetry batch, with the day's running state carried between batches."""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import fmean
from typing import NamedTuple
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from agronomy.degree_days import DailyTemperatureRange
from agronomy.evapotranspiration import HUMID_NIGHT_RS_RSO, W_M2_TO_MJ_M2_H, HourlyEto, hourly_eto
from agronomy.humidity import absolute_humidity_g_m3, dew_point_c, wet_bulb_c
from agronomy.light import DEFAULT_MAX_GAP, DliAccumulator
from agronomy.vapour import actual_vapour_pressure_kpa, air_vpd_kpa, leaf_vpd_kpa
from contract.kinds import Quality, SensorKind
from contract.messages import Reading, TelemetryBatch
from contract.site import Cooperative, TimeZoneName


class DerivedMetrics(BaseModel):
    """What one batch yields; a metric is None when an input it needs is missing or flagged."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    vpd_kpa: float | None = None
    leaf_vpd_kpa: float | None = None
    dew_point_c: float | None = None
    wet_bulb_c: float | None = None
    abs_humidity_g_m3: float | None = None
    dli_mol_m2_d: float | None = None  # the local day so far
    gdd_c_day: float | None = None  # the local day so far, from its min and max so far
    eto_mm_h: float | None = None  # outdoor grass reference, for the hour centred on the reading


class DerivationState(BaseModel):
    """What carries over from batch to batch; persist it with ``model_dump_json``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    dli: DliAccumulator = DliAccumulator()
    air_temp: DailyTemperatureRange = DailyTemperatureRange()
    # Rs/Rso last measured with the sun well up, for the nights (FAO-56: take it 2–3 h before sunset).
    rs_rso: float = Field(default=HUMID_NIGHT_RS_RSO, ge=0.3, le=1.0)


# What ``GreenhouseDerivation.step`` reads: the means of other kinds are not worked out.
_READ_BY_FORMULAS = frozenset(
    {
        SensorKind.AIR_TEMP_C,
        SensorKind.AIR_RH_PCT,
        SensorKind.LEAF_TEMP_C,
        SensorKind.PAR_UMOL_M2_S,
        SensorKind.OUTDOOR_TEMP_C,
        SensorKind.OUTDOOR_RH_PCT,
        SensorKind.WIND_M_S,
        SensorKind.SOLAR_W_M2,
    }
)


class Derivation(NamedTuple):
    state: DerivationState
    metrics: DerivedMetrics


class _Sample(NamedTuple):
    value: float
    ts: datetime


class GreenhouseDerivation(BaseModel):
    """Site and crop settings; ``step`` is pure: state and batch in, next state and metrics out."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    latitude_deg: float = Field(ge=-90, le=90)
    longitude_deg: float = Field(ge=-180, le=180)  # east positive
    elevation_m: float = 0.0
    timezone: TimeZoneName = "Asia/Ho_Chi_Minh"  # local midnight resets DLI and degree days
    base_temp_c: float = 10.0
    upper_cutoff_c: float | None = None
    max_par_gap: timedelta = DEFAULT_MAX_GAP

    @classmethod
    def for_cooperative(
        cls, cooperative: Cooperative, base_temp_c: float = 10.0, upper_cutoff_c: float | None = None
    ) -> GreenhouseDerivation:
        return cls(
            latitude_deg=cooperative.latitude,
            longitude_deg=cooperative.longitude,
            elevation_m=cooperative.elevation_m,
            timezone=cooperative.timezone,
            base_temp_c=base_temp_c,
            upper_cutoff_c=upper_cutoff_c,
        )

    def step(self, state: DerivationState, batch: TelemetryBatch) -> Derivation:
        tz = ZoneInfo(self.timezone)
        samples = _good_means(batch.readings)
        air_t = samples.get(SensorKind.AIR_TEMP_C)
        air_rh = samples.get(SensorKind.AIR_RH_PCT)
        leaf_t = samples.get(SensorKind.LEAF_TEMP_C)
        par = samples.get(SensorKind.PAR_UMOL_M2_S)
        metrics: dict[str, float | None] = {}

        if air_t is not None and air_rh is not None:
            ea = actual_vapour_pressure_kpa(air_t.value, air_rh.value)
            metrics.update(
                vpd_kpa=air_vpd_kpa(air_t.value, air_rh.value),
                dew_point_c=dew_point_c(air_t.value, air_rh.value),
                wet_bulb_c=wet_bulb_c(air_t.value, air_rh.value),
                abs_humidity_g_m3=absolute_humidity_g_m3(air_t.value, ea),
            )
            if leaf_t is not None:
                metrics["leaf_vpd_kpa"] = leaf_vpd_kpa(leaf_t.value, air_t.value, air_rh.value)

        dli = state.dli
        if par is not None:
            dli = dli.add(par.ts, par.value, tz, self.max_par_gap)
            metrics["dli_mol_m2_d"] = dli.total_mol_m2

        air_temp = state.air_temp
        if air_t is not None:
            air_temp = air_temp.add(air_t.ts, air_t.value, tz)
            metrics["gdd_c_day"] = air_temp.gdd_c_day(self.base_temp_c, self.upper_cutoff_c)

        rs_rso = state.rs_rso
        if (eto := self._eto(samples, rs_rso)) is not None:
            metrics["eto_mm_h"], rs_rso = eto.eto_mm, eto.rs_rso

        return Derivation(DerivationState(dli=dli, air_temp=air_temp, rs_rso=rs_rso), DerivedMetrics(**metrics))

    def _eto(self, samples: dict[SensorKind, _Sample], rs_rso: float) -> HourlyEto | None:
        t = samples.get(SensorKind.OUTDOOR_TEMP_C)
        rh = samples.get(SensorKind.OUTDOOR_RH_PCT)
        wind = samples.get(SensorKind.WIND_M_S)
        solar = samples.get(SensorKind.SOLAR_W_M2)
        if t is None or rh is None or wind is None or solar is None:
            return None
        return hourly_eto(
            t_c=t.value,
            rh_pct=rh.value,
            u2_m_s=wind.value,  # the station's anemometer is taken to stand at 2 m
            rs_mj_m2=solar.value * W_M2_TO_MJ_M2_H,  # the reading taken as the hour's mean
            latitude_deg=self.latitude_deg,
            longitude_deg=self.longitude_deg,
            elevation_m=self.elevation_m,
            mid=solar.ts,
            rs_rso_low_sun=rs_rso,
        )


def _good_means(readings: list[Reading]) -> dict[SensorKind, _Sample]:
    """Per kind that a formula reads, the mean of the good readings, stamped with the latest of their times."""
    values: dict[SensorKind, list[float]] = {}
    latest: dict[SensorKind, datetime] = {}
    good = Quality.GOOD
    for r in readings:  # once per reading the gateway stores: nothing made per reading, times compared not hashed
        kind = r.kind
        if kind in _READ_BY_FORMULAS and r.quality is good and r.value is not None:
            kind_values = values.get(kind)
            if kind_values is None:
                values[kind], latest[kind] = [r.value], r.ts
                continue
            kind_values.append(r.value)
            if r.ts > latest[kind]:
                latest[kind] = r.ts
    means = {kind: _Sample(fmean(vs), latest[kind]) for kind, vs in values.items()}
    # Humidity sensors read a little over 100 % in fog; the formulas need 0 < RH ≤ 100.
    for kind in (SensorKind.AIR_RH_PCT, SensorKind.OUTDOOR_RH_PCT):
        rh = means.pop(kind, None)
        if rh is not None and rh.value > 0:
            means[kind] = rh._replace(value=min(rh.value, 100.0))
    return means
