"""``greenhouse rules simulate``: rules against the simulated greenhouse, with safety in the loop."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.site_file import load_site
from desk.simulate import Band, simulate
from firmware_sim.physics import InitialConditions
from greenhouse.cli import main
from rules.model import RuleSet, load_rules
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
START = datetime(2026, 1, 15, 0, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
TOMATO = EXAMPLE_SITE.parent / "rules" / "tomato.yaml"


def _rules(*rules: dict[str, object]) -> RuleSet:
    return RuleSet.model_validate({"version": 1, "rules": list(rules)})


def _run(ruleset: RuleSet, days: float = 1, initial: InitialConditions | None = None) -> object:
    return simulate(SITE, "ca-chua-1", ruleset, START, days, initial=initial)


def test_a_schedule_waters_twice_a_day_and_the_water_is_what_the_valve_lets_through() -> None:
    water = {
        "id": "water-a",
        "kind": "schedule",
        "cron": "0 6,16 * * *",
        "action": {"actuator": "valve-a", "on_for_s": 360},
    }
    report = _run(_rules(water))
    zone_a, zone_b = report.zones
    # Two runs of 6 min at valve-a's 25 L/min.
    assert (zone_a.zone, zone_a.valve_starts, zone_a.water_l) == ("khu-a", 2, pytest.approx(2 * 6 * 25))
    assert (zone_b.valve_starts, zone_b.water_l) == (0, 0)
    assert report.starts == {"pump": 2, "valve-a": 2}
    assert report.decisions == 2
    hours = report.hours_temp_below + report.hours_temp_in + report.hours_temp_above
    assert hours == pytest.approx(24) and report.hours_vpd_below + report.hours_vpd_in + report.hours_vpd_above == (
        pytest.approx(24)
    )
    assert report.min_air_temp_c < report.max_air_temp_c


def test_safety_stays_in_the_loop_a_rule_asking_too_often_is_refused() -> None:
    every_five_minutes = {
        "id": "too-often",
        "kind": "schedule",
        "cron": "*/5 * * * *",
        "action": {"actuator": "valve-a", "on_for_s": 60},
    }
    report = _run(_rules(every_five_minutes), days=0.25)
    # valve-a: at most 4 starts per hour, 2 min off between runs.
    assert report.zones[0].valve_starts <= 4 * 6
    assert report.safety_events > 0


def test_dry_soil_is_watered_by_a_threshold_rule_and_moist_soil_is_not() -> None:
    dry_a = {
        "id": "dry-a",
        "kind": "threshold",
        "metric": {"sensors": ["soil-a1", "soil-a2"]},
        "below": 28,
        "for_s": 300,
        "action": {"actuator": "valve-a", "on_for_s": 300},
    }
    dry = _run(_rules(dry_a), days=0.5, initial=InitialConditions(soil_vwc_pct_by_zone={"khu-a": 22.0}))
    moist = _run(_rules(dry_a), days=0.5, initial=InitialConditions(soil_vwc_pct_by_zone={"khu-a": 36.0}))
    assert dry.zones[0].water_l > 0 and dry.zones[0].valve_starts >= 1
    assert moist.zones[0].water_l == 0


def test_the_cli_prints_the_report_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["rules", "simulate", str(TOMATO), "--greenhouse", "ca-chua-1", "--days", "1", "--start", START.isoformat()]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("ca-chua-1: mô phỏng 1 ngày từ 2026-01-15 00:00\n")
    assert "  Khu A (khu-a, valve-a): Nước 300 L, 2 lần mở van, 0,2 giờ mở" in out
    # What the climate cost: the heater's hours and the vents' travel, numbers written the Vietnamese way.
    # The site gives the heater's 50 kW, so its energy is counted: hours on × rated power.
    assert re.search(r"^  Sưởi \(heater\): bật \d+,\d h, \d+ lần, lần dài nhất \d+,\d h, tốn [\d.]+ kWh$", out, re.M)
    assert re.search(r"^  Cửa mái \(roof-vent\): \d+ lần di chuyển, tổng hành trình \d+ %, mở \d+,\d h$", out, re.M)


def test_the_cli_prints_the_report_in_english_with_the_sites_english_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["rules", "simulate", str(TOMATO), "--greenhouse", "ca-chua-1", "--days", "1", "--lang", "en"]
    assert main([*args, "--start", START.isoformat()]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ca-chua-1: simulated 1 day from 2026-01-15 00:00\n")
    assert "  Zone A (khu-a, valve-a): Water 300 L, 2 valve starts, 0.2 hours open" in out
    heater = r"^  Heater \(heater\): on \d+\.\d h, \d+ starts, longest run \d+\.\d h, [\d,]+ kWh used$"
    assert re.search(heater, out, re.M)


def test_the_cli_gives_json_for_tools(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ["rules", "simulate", str(TOMATO), "--greenhouse", "ca-chua-1", "--days", "0.5", "--json"]
    assert main([*args, "--start", START.isoformat()]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["greenhouse"] == "ca-chua-1" and report["zones"][0]["valve_starts"] == 1


def test_a_rule_file_that_does_not_fit_is_not_simulated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: 1\nrules:\n  - {id: w, kind: schedule, cron: '0 6 * * *', action: {actuator: nope, on_for_s: 60}}\n",
        encoding="utf-8",
    )
    assert main(["rules", "simulate", str(path), "--greenhouse", "ca-chua-1", "--days", "1"]) == 1
    err = capsys.readouterr().err
    assert "'nope'" in err and "ca-chua-1" in err


def _example_rules(*kinds: str) -> RuleSet:
    shipped = load_rules(TOMATO)
    return RuleSet(version=1, rules=[r for r in shipped.rules if r.kind in kinds])


def test_the_bands_are_the_crops_by_day_and_by_night_unless_one_is_given() -> None:
    crop = _run(_rules(), days=1)
    # The tomato's: 18–30 °C by day, 12–20 °C at night, VPD 0.4–1.3 kPa (contract/crops.py).
    assert (crop.temp_band_c, crop.temp_band_night_c, crop.vpd_band_kpa) == ((18, 30), (12, 20), (0.4, 1.3))
    # Sunrise to sunset is day: about 11 hours in a Mộc Châu January.
    day_h = crop.temp_day.below + crop.temp_day.inside + crop.temp_day.above
    night_h = crop.temp_night.below + crop.temp_night.inside + crop.temp_night.above
    assert 10.5 < day_h < 11.5 and day_h + night_h == pytest.approx(24)
    assert crop.hours_temp_in == pytest.approx(crop.temp_day.inside + crop.temp_night.inside)
    given = simulate(SITE, "ca-chua-1", _rules(), START, 1, Band(5, 40), Band(-1, 5))
    assert (given.temp_band_c, given.temp_band_night_c, given.vpd_band_kpa) == ((5, 40), (5, 40), (-1, 5))
    assert given.share_temp_in == 1 and given.hours_vpd_in == pytest.approx(24)


def test_the_example_climate_rules_keep_the_house_warmer_at_night_and_cooler_by_day() -> None:
    without = _run(_rules(), days=3)
    climate = _run(_example_rules("climate", "vpd"), days=3)
    # Three January days in the mountains: unheated and shut, the house falls to 2 °C on the clear night
    # and overheats at noon; heated and aired towards the tomato's bands, it does neither.
    assert climate.min_air_temp_c > without.min_air_temp_c + 3
    # (The few minutes "above" are the day's warmth at sunset, when the night band's lower top takes over.)
    assert without.hours_temp_above > 2 and climate.hours_temp_above < 0.25
    assert climate.max_air_temp_c < without.max_air_temp_c
    assert climate.hours_temp_in > without.hours_temp_in
    assert {"heater", "roof-vent"} <= set(climate.starts)
    # What it cost, actuator by actuator.
    heater, vent = climate.use("heater"), climate.use("roof-vent")
    assert heater is not None and vent is not None and without.use("heater") is None
    assert heater.on_h > 24 and heater.longest_on_h <= heater.on_h and heater.starts == climate.starts["heater"]
    assert heater.energy_kwh == pytest.approx(heater.on_h * 50)
    assert vent.moves >= vent.starts and vent.travel_pct >= 100
    assert (heater.safety_stops, heater.safety_refusals) == (0, 0)


def test_the_example_frost_rule_keeps_a_frost_night_above_freezing_and_washes_off_after_it() -> None:
    frost = _example_rules("frost")
    # Weather seed 4 has a clear, still night from 2 to 3 January: the shut, unheated house falls below 0 °C.
    start = datetime(2026, 1, 2, 12, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    runs = {
        name: simulate(SITE, "ca-chua-1", rules, start, 1, seed=4)
        for name, rules in (("without", _rules()), ("frost", frost))
    }
    assert runs["without"].min_air_temp_c < 0 < runs["frost"].min_air_temp_c
    assert runs["without"].alerts == 0 and runs["frost"].alerts >= 2  # the warning, then protection
    assert {"heater", "shade"} <= set(runs["frost"].starts)
    # One wash-off at sunrise on each zone: 300 s at the valves' 25 l/min.
    water = {z.zone: (z.valve_starts, round(z.water_l)) for z in runs["frost"].zones}
    assert water == {"khu-a": (1, 125), "khu-b": (1, 125)}
    assert runs["frost"].water_l == pytest.approx(250)
