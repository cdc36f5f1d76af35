"""``greenhouse rules simulate``: rules against the simulated greenhouse, with safety in the loop."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.site_file import load_site
from firmware_sim.physics import InitialConditions
from greenhouse.cli import main
from rules.model import RuleSet, load_rules
from rules.tools.simulate import Band, simulate
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
START = datetime(2026, 1, 15, 0, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
TOMATO = EXAMPLE_SITE.parent / "rules" / "tomato.yaml"


def _rules(*rules: dict[str, object]) -> RuleSet:
    return RuleSet.model_validate({"version": 1, "rules": list(rules)})


def _run(ruleset: RuleSet, days: float = 1, initial: InitialConditions | None = None) -> object:
    return simulate(SITE, "ca-chua-1", ruleset, START, days, Band(16, 28), Band(0.5, 1.2), initial=initial)


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
    assert "  Khu khu-a (valve-a): Nước 300 L, 2 lần mở van" in out


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
    assert "actuator 'nope' is not in greenhouse 'ca-chua-1'" in capsys.readouterr().err


def test_the_example_climate_rules_keep_the_house_warmer_at_night_and_cooler_by_day() -> None:
    without = _run(_rules(), days=3)
    climate = _run(load_rules(EXAMPLE_SITE.parent / "rules" / "climate.yaml"), days=3)
    # Three January days in the mountains: unheated and shut, the house falls to 2 °C on the clear night
    # and overheats at noon; heated below 12-16 °C and aired above 20-25 °C, it does neither.
    assert climate.min_air_temp_c > without.min_air_temp_c + 3
    assert without.hours_temp_above > 0 and climate.hours_temp_above == 0
    assert climate.max_air_temp_c < without.max_air_temp_c
    assert climate.hours_temp_in > without.hours_temp_in
    assert {"heater", "roof-vent"} <= set(climate.starts)


def test_the_example_frost_rule_keeps_a_frost_night_above_freezing_and_washes_off_after_it() -> None:
    climate = load_rules(EXAMPLE_SITE.parent / "rules" / "climate.yaml")
    frost = RuleSet(version=1, rules=[r for r in climate.rules if r.kind == "frost"])
    # Weather seed 4 has a clear, still night from 2 to 3 January: the shut, unheated house falls below 0 °C.
    start = datetime(2026, 1, 2, 12, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    runs = {
        name: simulate(SITE, "ca-chua-1", rules, start, 1, Band(16, 28), Band(0.5, 1.2), seed=4)
        for name, rules in (("without", _rules()), ("frost", frost))
    }
    assert runs["without"].min_air_temp_c < 0 < runs["frost"].min_air_temp_c
    assert runs["without"].alerts == 0 and runs["frost"].alerts >= 2  # the warning, then protection
    assert {"heater", "shade"} <= set(runs["frost"].starts)
    # One wash-off at sunrise on zone A: 300 s at the valve's 25 l/min.
    water = {z.zone: (z.valve_starts, round(z.water_l)) for z in runs["frost"].zones}
    assert water == {"khu-a": (1, 125), "khu-b": (0, 0)}
