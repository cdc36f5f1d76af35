"""Rule files: the examples fit the example site; bad files are refused with file, line, field and reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contract.config_file import ConfigError
from contract.site import Greenhouse
from contract.site_file import load_site
from rules.model import ScheduleRule, ThresholdRule, check_against_site, load_rules
from tests.conftest import EXAMPLE_SITE
from tests.rules.builders import DRY_SOIL_A, MORNING_WATER_A, ruleset

EXAMPLE_RULES = EXAMPLE_SITE.parent / "rules"
SITE = load_site(EXAMPLE_SITE)


@pytest.mark.parametrize("greenhouse", SITE.greenhouses, ids=lambda g: g.id)
@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLE_RULES.glob("*.yaml")))
def test_example_rule_files_fit_every_example_greenhouse(name: str, greenhouse: Greenhouse) -> None:
    assert check_against_site(load_rules(EXAMPLE_RULES / name), greenhouse) == []


def test_each_example_greenhouse_names_a_rule_file_with_a_threshold_and_a_schedule_per_zone() -> None:
    for greenhouse in SITE.greenhouses:
        assert greenhouse.rules_file is not None
        rules = load_rules(greenhouse.rules_file).rules
        for zone in greenhouse.zones:
            mine = [r for r in rules if zone.valve in {a.actuator for a in r.actions()}]
            assert any(isinstance(r, ThresholdRule) and r.metric.sensors == zone.soil_sensors for r in mine)
            assert any(isinstance(r, ScheduleRule) and r.skip_if for r in mine)


GOOD = """\
version: 3
rules:
  - id: dry-soil-khu-a
    kind: threshold
    metric: {sensors: [soil-a1, soil-a2], aggregate: mean}
    below: 28
    for_s: 300
    action: {actuator: valve-a, on_for_s: 480}
  - id: morning-water-khu-a
    kind: schedule
    cron: "0 6,16 * * *"
    action: {actuator: valve-a, on_for_s: 360}
    skip_if: [{metric: {sensors: [soil-a1, soil-a2]}, above: 38}]
"""


def test_the_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD, encoding="utf-8")
    loaded = load_rules(path)
    assert (loaded.version, [r.id for r in loaded.rules]) == (3, ["dry-soil-khu-a", "morning-water-khu-a"])


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "why"),
    [
        ("    below: 28\n", "    belo: 28\n", 6, "rules[0].belo", "unknown field"),
        ('"0 6,16 * * *"', '"0 25 * * *"', 11, "rules[1].cron", "the hour must be from 0 to 23: '25'"),
        ('"0 6,16 * * *"', '"0 6 * *"', 11, "rules[1].cron", "not a crontab line"),
        ('"0 6,16 * * *"', '"0 6 * * 1-5"', 11, "rules[1].cron", "name the weekdays"),
        ('"0 6,16 * * *"', '"0 6 1 * mon"', 11, "rules[1].cron", "not both"),
        ("    below: 28\n", "    below: 28\n    above: 35\n", 7, "rules[0].above", "either below or above, not both"),
        ("    below: 28\n", "", 3, "rules[0]", "give a limit: below or above"),
        ("above: 38}", "above: 38, below: 20}", 13, "rules[1].skip_if[0].above", "not both"),
        ("id: morning-water-khu-a", "id: dry-soil-khu-a", 9, "rules[1].id", "rules[0] already has this id"),
        ("kind: schedule", "kind: schedul", 10, "rules[1].kind", "does not match any of the expected tags"),
        ("    kind: schedule\n", "", 9, "rules[1].kind", "required field is missing"),
        ("on_for_s: 480", "on_for_s: 0", 8, "rules[0].action.on_for_s", "greater than 0"),
        ("on_for_s: 480", "on_for_s: 86401", 8, "rules[0].action.on_for_s", "less than or equal to 86400"),
        ("for_s: 300", "for_s: -5", 7, "rules[0].for_s", "greater than 0"),
        ("version: 3", "version: 0", 1, "version", "greater than or equal to 1"),
        ("[soil-a1, soil-a2], aggregate: mean", "[soil-a1, soil-a1]", 5, "rules[0].metric.sensors", "more than once"),
        ("aggregate: mean", "aggregate: median", 5, "rules[0].metric.aggregate", "'mean', 'min' or 'max'"),
    ],
)
def test_a_bad_rule_file_is_refused_naming_line_field_and_reason(
    tmp_path: Path, old: str, new: str, line: int, field: str, why: str
) -> None:
    assert old in GOOD
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}:{line}: {field}: "), problem
    assert why in problem


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD.replace("below: 28", "belo: 28").replace('"0 6,16 * * *"', '"61 * * * *"'), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    assert [p.split(": ")[1] for p in caught.value.problems] == ["rules[0].belo", "rules[1].cron"]


def _problems(*rules: dict[str, Any], greenhouse: str = "ca-chua-1") -> list[str]:
    return check_against_site(ruleset(*rules), SITE.greenhouse(greenhouse))


def test_unknown_sensors_and_actuators_are_reported() -> None:
    rule = {
        **DRY_SOIL_A,
        "metric": {"sensors": ["soil-a1", "soil-z9"]},
        "action": {"actuator": "valve-z", "on_for_s": 60},
    }
    skip = {**MORNING_WATER_A, "skip_if": [{"metric": {"sensors": ["soil-q"]}, "above": 38}]}
    assert _problems(rule, skip) == [
        "rule 'dry-soil-khu-a': sensor 'soil-z9' is not in greenhouse 'ca-chua-1'",
        "rule 'dry-soil-khu-a': actuator 'valve-z' is not in greenhouse 'ca-chua-1'",
        "rule 'morning-water-khu-a': sensor 'soil-q' is not in greenhouse 'ca-chua-1'",
    ]


def test_a_metric_mixing_sensor_kinds_is_reported() -> None:
    rule = {**DRY_SOIL_A, "metric": {"sensors": ["soil-a1", "air-temp"], "aggregate": "max"}}
    assert _problems(rule) == [
        "rule 'dry-soil-khu-a': max(soil-a1, air-temp) mixes sensor kinds (air_temp_c, soil_vwc_pct)"
    ]


def test_position_must_be_given_for_positional_actuators_and_only_for_them() -> None:
    vent = {**DRY_SOIL_A, "id": "open-vent", "action": {"actuator": "roof-vent", "on_for_s": 600}}
    valve = {**DRY_SOIL_A, "action": {"actuator": "valve-a", "on_for_s": 600, "position_pct": 50}}
    shade = {**DRY_SOIL_A, "id": "shade", "action": {"actuator": "shade", "on_for_s": 600, "position_pct": 70}}
    assert _problems(vent, valve, shade) == [
        "rule 'open-vent': 'roof-vent' is a vent: give action.position_pct",
        "rule 'dry-soil-khu-a': 'valve-a' switches on and off: remove action.position_pct",
    ]


def test_a_zone_pump_may_not_be_named_and_a_run_longer_than_safety_allows_is_reported() -> None:
    pump = {**DRY_SOIL_A, "action": {"actuator": "pump", "on_for_s": 60}}
    long = {**MORNING_WATER_A, "action": {"actuator": "valve-a", "on_for_s": 3600}}
    assert _problems(pump, long) == [
        "rule 'dry-soil-khu-a': pump 'pump' follows its zones' valves; name a valve instead",
        "rule 'morning-water-khu-a': action.on_for_s 3600 s is longer than 'valve-a' may run (safety max_on_s 1800 s)",
    ]


def test_a_sequence_pausing_less_than_its_pump_must_rest_is_named() -> None:
    from rules.model import RuleSet

    site = load_site(EXAMPLE_SITE)
    gh = site.greenhouse("ca-chua-1")
    sequence = {
        "id": "lan-luot",
        "kind": "sequence",
        "cron": "0 6 * * *",
        "pause_s": 10,
        "steps": [{"actuator": "valve-a", "on_for_s": 300}, {"actuator": "valve-b", "on_for_s": 240}],
    }
    radiation = {
        "id": "nang",
        "kind": "radiation",
        "metric": {"sensors": ["par"]},
        "radiation_j_cm2": 150,
        "action": {"actuator": "valve-a", "on_for_s": 180},
    }
    problems = check_against_site(RuleSet.model_validate({"version": 1, "rules": [sequence, radiation]}), gh)
    assert problems == [
        "rule 'lan-luot': pause_s 10 s is shorter than pump 'pump' must rest (safety min_off_s 60 s): "
        "step 'valve-b' would lose the difference; set pause_s ≥ 60",
        "rule 'nang': 'par' is a par_umol_m2_s sensor: a radiation sum needs solar_w_m2 sensors",
    ]
    fixed = {**sequence, "pause_s": 60}
    assert check_against_site(RuleSet.model_validate({"version": 1, "rules": [fixed]}), gh) == []
