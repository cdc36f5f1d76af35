"""GreenhouseDerivation: which readings feed which metric, and the state carried between batches."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agronomy.evapotranspiration import W_M2_TO_MJ_M2_H
from contract.kinds import Quality, SensorKind
from contract.messages import Reading, TelemetryBatch
from contract.site import Cooperative
from gateway.ingest.derive import DerivationState, DerivedMetrics, GreenhouseDerivation

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
MOC_CHAU = GreenhouseDerivation(latitude_deg=20.85, longitude_deg=104.63, elevation_m=1050.0)
K = SensorKind


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 4, day, hour, minute, tzinfo=HANOI)


def reading(
    sensor: str, kind: SensorKind, value: float | None, ts: datetime, quality: Quality = Quality.GOOD
) -> Reading:
    return Reading(sensor=sensor, kind=kind, value=value, ts=ts, quality=quality)


def batch(ts: datetime, *readings: tuple[str, SensorKind, float | None] | Reading, seq: int = 1) -> TelemetryBatch:
    rs = [r if isinstance(r, Reading) else reading(*r, ts) for r in readings]
    return TelemetryBatch(site="htx-moc-chau", greenhouse="ca-chua-1", seq=seq, sent_at=ts, readings=rs)


def test_climate_metrics_from_the_mean_of_good_sensors() -> None:
    ts = at(1, 10)
    b = batch(
        ts,
        ("t1", K.AIR_TEMP_C, 24.0),
        ("t2", K.AIR_TEMP_C, 26.0),
        reading("t3", K.AIR_TEMP_C, 45.0, ts, Quality.SPIKE),  # flagged: must not move the mean
        ("h1", K.AIR_RH_PCT, 50.0),
        ("l1", K.LEAF_TEMP_C, 20.0),
    )
    m = MOC_CHAU.step(DerivationState(), b).metrics
    # FAO-56 Table 2.3: e°(25) = 3.168, e°(20) = 2.338 kPa → VPD 1.584, leaf VPD 2.338 − 1.584 = 0.754.
    assert m.vpd_kpa == pytest.approx(1.584, abs=1e-3)
    assert m.leaf_vpd_kpa == pytest.approx(0.754, abs=1e-3)
    assert m.dew_point_c is not None and 13.0 < m.dew_point_c < 14.5
    assert m.wet_bulb_c is not None and m.dew_point_c < m.wet_bulb_c < 25.0
    assert m.abs_humidity_g_m3 == pytest.approx(0.5 * 3.168e6 / (461.5 * 298.15), rel=1e-3)


def test_every_metric_is_none_when_its_inputs_are_flagged_or_missing() -> None:
    ts = at(1, 10)
    b = batch(
        ts,
        reading("t1", K.AIR_TEMP_C, 25.0, ts, Quality.OUT_OF_RANGE),
        reading("h1", K.AIR_RH_PCT, None, ts, Quality.STALE),
        reading("p1", K.PAR_UMOL_M2_S, 900.0, ts, Quality.FLATLINE),
        ("l1", K.LEAF_TEMP_C, 20.0),
        ("w1", K.WIND_M_S, 2.0),
    )
    d = MOC_CHAU.step(DerivationState(), b)
    assert d.metrics == DerivedMetrics()
    assert d.state == DerivationState()


def test_leaf_vpd_needs_a_leaf_sensor() -> None:
    d = MOC_CHAU.step(DerivationState(), batch(at(1, 10), ("t1", K.AIR_TEMP_C, 25.0), ("h1", K.AIR_RH_PCT, 70.0)))
    assert d.metrics.vpd_kpa is not None
    assert d.metrics.leaf_vpd_kpa is None


def test_humidity_over_100_is_read_as_saturation() -> None:
    d = MOC_CHAU.step(DerivationState(), batch(at(1, 5), ("t1", K.AIR_TEMP_C, 18.0), ("h1", K.AIR_RH_PCT, 100.4)))
    assert d.metrics.vpd_kpa == pytest.approx(0.0)
    assert d.metrics.dew_point_c == pytest.approx(18.0)


def run(
    derivation: GreenhouseDerivation, batches: list[TelemetryBatch]
) -> tuple[DerivationState, list[DerivedMetrics]]:
    state, out = DerivationState(), []
    for b in batches:
        state, metrics = derivation.step(state, b)
        out.append(metrics)
    return state, out


def test_dli_runs_through_the_local_day_and_resets_at_local_midnight() -> None:
    # Lamps at 500 µmol/m²/s from 22:00 to 00:10, sampled every 5 min (0.15 mol/m² per interval).
    start = at(1, 22)
    times = [start + timedelta(minutes=5 * i) for i in range(27)]
    state, out = run(MOC_CHAU, [batch(t, ("p1", K.PAR_UMOL_M2_S, 500.0), seq=i + 1) for i, t in enumerate(times)])
    assert times[23] == at(1, 23, 55)
    assert out[23].dli_mol_m2_d == pytest.approx(3.45)  # 22:00–23:55
    assert out[24].dli_mol_m2_d == 0.0  # 00:00: a new day, nothing of it lit yet
    assert out[25].dli_mol_m2_d == pytest.approx(0.15)  # 00:00–00:05
    assert out[26].dli_mol_m2_d == pytest.approx(0.30)
    assert state.dli.day == date(2026, 4, 2)


def test_dli_skips_flagged_par_and_long_gaps() -> None:
    t0 = at(1, 9)
    batches = [
        batch(t0, ("p1", K.PAR_UMOL_M2_S, 800.0)),
        batch(t5 := t0 + timedelta(minutes=5), reading("p1", K.PAR_UMOL_M2_S, 5000.0, t5, Quality.SPIKE), seq=2),
        *(batch(t0 + timedelta(minutes=m), ("p1", K.PAR_UMOL_M2_S, 800.0), seq=m) for m in (10, 30, 35)),
    ]
    _, out = run(MOC_CHAU, batches)
    assert out[1].dli_mol_m2_d is None
    assert out[2].dli_mol_m2_d == pytest.approx(0.48)  # 10 min at 800 across the flagged sample
    assert out[3].dli_mol_m2_d == pytest.approx(0.48)  # 20 min without data: more than the 15 min allowed
    assert out[4].dli_mol_m2_d == pytest.approx(0.72)


def test_gdd_of_the_day_so_far_with_the_crop_base_temperature() -> None:
    temps = [(5, 14.0), (10, 24.0), (14, 30.0), (23, 20.0)]
    _, out = run(MOC_CHAU, [batch(at(1, h), ("t1", K.AIR_TEMP_C, t)) for h, t in temps])
    assert [m.gdd_c_day for m in out] == pytest.approx([4.0, 9.0, 12.0, 12.0])  # (min + max)/2 − 10, so far
    tomato = MOC_CHAU.model_copy(update={"base_temp_c": 12.0, "upper_cutoff_c": 28.0})
    _, out = run(tomato, [batch(at(1, h), ("t1", K.AIR_TEMP_C, t)) for h, t in temps])
    assert out[-1].gdd_c_day == pytest.approx((14.0 + 28.0) / 2 - 12.0)


def test_gdd_starts_again_after_local_midnight() -> None:
    _, out = run(
        MOC_CHAU, [batch(at(1, 14), ("t1", K.AIR_TEMP_C, 30.0)), batch(at(2, 0, 5), ("t1", K.AIR_TEMP_C, 16.0))]
    )
    assert out[0].gdd_c_day == pytest.approx(20.0)
    assert out[1].gdd_c_day == pytest.approx(6.0)


# FAO-56 Example 19 (N'Diaye, Senegal, 16°13'N 16°15'W, 8 m; its clock is UTC−1, the Etc/GMT+1 zone).
NDIAYE = GreenhouseDerivation(
    latitude_deg=16 + 13 / 60, longitude_deg=-(16 + 15 / 60), elevation_m=8.0, timezone="Etc/GMT+1"
)


def outdoor(ts: datetime, t_c: float, rh_pct: float, u2_m_s: float, rs_mj_m2_h: float) -> TelemetryBatch:
    return batch(
        ts,
        ("ot", K.OUTDOOR_TEMP_C, t_c),
        ("orh", K.OUTDOOR_RH_PCT, rh_pct),
        ("wind", K.WIND_M_S, u2_m_s),
        ("sun", K.SOLAR_W_M2, rs_mj_m2_h / W_M2_TO_MJ_M2_H),
    )


def test_eto_from_outdoor_sensors_reproduces_fao56_example_19() -> None:
    clock = ZoneInfo("Etc/GMT+1")
    night = outdoor(datetime(1998, 10, 1, 2, 30, tzinfo=clock), 28.0, 90.0, 1.9, 0.0)
    day = outdoor(datetime(1998, 10, 1, 14, 30, tzinfo=clock), 38.0, 52.0, 3.3, 2.450)
    # The example's night takes Rs/Rso = 0.8 (arid climate) and gives 0.0 mm/h; the afternoon gives 0.63 mm/h.
    state, metrics = NDIAYE.step(DerivationState(rs_rso=0.8), night)
    assert metrics.eto_mm_h == pytest.approx(0.0, abs=0.05)
    state, metrics = NDIAYE.step(state, day)
    assert metrics.eto_mm_h == pytest.approx(0.63, abs=5e-3)
    assert state.rs_rso == pytest.approx(0.92, abs=5e-3)  # carried to the coming night
    assert metrics.vpd_kpa is None  # no greenhouse sensors in these batches


def test_eto_needs_every_outdoor_input() -> None:
    b = outdoor(datetime(2026, 4, 1, 12, tzinfo=HANOI), 30.0, 60.0, 2.0, 2.0)
    t, rh, wind, sun = b.readings
    flagged_wind = b.model_copy(update={"readings": [t, rh, wind.model_copy(update={"quality": Quality.SPIKE}), sun]})
    no_sun = b.model_copy(update={"readings": [t, rh, wind]})
    assert MOC_CHAU.step(DerivationState(), b).metrics.eto_mm_h is not None
    assert MOC_CHAU.step(DerivationState(), flagged_wind).metrics.eto_mm_h is None
    assert MOC_CHAU.step(DerivationState(), no_sun).metrics.eto_mm_h is None


def test_state_round_trips_through_json() -> None:
    b = batch(at(1, 12), ("t1", K.AIR_TEMP_C, 28.0), ("p1", K.PAR_UMOL_M2_S, 1200.0))
    state, _ = MOC_CHAU.step(DerivationState(), b)
    state, _ = MOC_CHAU.step(state, batch(at(1, 12, 5), ("t1", K.AIR_TEMP_C, 29.0), ("p1", K.PAR_UMOL_M2_S, 1100.0)))
    assert state.dli.total_mol_m2 > 0
    assert DerivationState.model_validate_json(state.model_dump_json()) == state


def test_settings_from_the_cooperative() -> None:
    coop = Cooperative(id="htx-moc-chau", latitude=20.85, longitude=104.63, elevation_m=1050)
    assert GreenhouseDerivation.for_cooperative(coop, base_temp_c=12.0) == MOC_CHAU.model_copy(
        update={"base_temp_c": 12.0}
    )


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="Hanoi"):
        GreenhouseDerivation(latitude_deg=21.0, longitude_deg=105.8, timezone="Asia/Hanoi_typo")
