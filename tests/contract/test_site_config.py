"""The site file: the example loads, and every bad file is refused with file, line, field and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.config_file import ConfigError
from contract.kinds import ActuatorKind
from contract.site_file import OUTSIDE_FOLDER, load_site
from greenhouse.cli import main
from tests.conftest import EXAMPLE_SITE
from tests.support.hostile_yaml import DEEP, LAUGHS


def test_example_cooperative_loads_with_three_houses_two_zones_each() -> None:
    site = load_site(EXAMPLE_SITE)
    assert [g.crop for g in site.greenhouses] == ["tomato", "tomato", "leafy_greens"]
    for gh in site.greenhouses:
        assert len(gh.zones) == 2
        assert gh.rules_file is not None and gh.rules_file.is_absolute()
        pump = gh.actuators["pump"]
        assert pump.kind is ActuatorKind.PUMP
        assert pump.safety.sensor_interlocks[0].sensor == "tank-level"
    assert site.greenhouses[2].zones[0].name == "Luống A"


def _bad_site(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE_SITE.read_text(encoding="utf-8")
    assert old in text, f"test fixture text {old!r} not in the example"
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    (tmp_path / "rules").mkdir(exist_ok=True)
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "max_on_s: 2400",
            "max_on_sec: 2400",
            ["greenhouses[0].nodes[4].actuators[2].safety.max_on_sec", "unknown field"],
        ),
        ("poll_interval_s: 30", "poll_interval_s: fast", ["greenhouses[0].poll_interval_s", "'fast'"]),
        (
            "valve: valve-b, pump: pump",
            "valve: valve-c, pump: pump",
            ["greenhouses[0]", "zone 'khu-b': valve 'valve-c' is not an actuator"],
        ),
        (
            "range: {min: -10, max: 60}",
            "range: {min: 60, max: -10}",
            ["greenhouses[0].nodes[0].sensors[0].range", "min (60.0) must be below max (-10.0)"],
        ),
        (
            "kind: vent, holding_register: 0",
            "kind: vent, coil: 9",
            ["greenhouses[0].nodes[4].actuators[6]", "positional"],
        ),
        ("timezone: Asia/Ho_Chi_Minh", "timezone: Asia/Hanoi_City", ["cooperative.timezone", "unknown time zone"]),
        ("unit_id: 2", "unit_id: 1", ["2 nodes share address 1 on bus 'fieldbus'"]),
        (
            "sensor_interlocks: [{sensor: tank-level, min: 15}]",
            "sensor_interlocks: [{sensor: tank-lvl, min: 15}]",
            ["interlock sensor 'tank-lvl' does not exist"],
        ),
        ("id: ca-chua-2", "id: Ca Chua 2", ["greenhouses[1].id", "should match pattern"]),
    ],
)
def test_bad_site_file_names_file_line_field_and_reason(
    tmp_path: Path, old: str, new: str, expected: list[str]
) -> None:
    path = _bad_site(tmp_path, old, new)
    with pytest.raises(Exception) as info:
        load_site(path)
    text = str(info.value)
    assert f"{path}:" in text
    for fragment in expected:
        assert fragment in text


def test_error_line_points_at_the_bad_field(tmp_path: Path) -> None:
    path = _bad_site(tmp_path, "poll_interval_s: 30", "poll_interval_s: fast")
    bad_line = next(i for i, line in enumerate(path.read_text().splitlines(), 1) if "fast" in line)
    with pytest.raises(Exception) as info:
        load_site(path)
    assert f"{path}:{bad_line}: greenhouses[0].poll_interval_s" in str(info.value)


def test_invalid_yaml_and_missing_file_are_reported_with_the_path(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("cooperative:\n  id: x\n   name: [unclosed\n")
    with pytest.raises(Exception, match=r"broken\.yaml:\d+: not valid YAML"):
        load_site(broken)
    with pytest.raises(Exception, match=r"nope\.yaml: cannot read"):
        load_site(tmp_path / "nope.yaml")


def test_a_text_that_aliases_expand_to_billions_or_nests_too_deep_is_refused_before_it_is_loaded(
    tmp_path: Path,
) -> None:
    bomb = tmp_path / "site.yaml"
    bomb.write_text(LAUGHS)
    with pytest.raises(ConfigError, match=r"site\.yaml: too large once its aliases \(\*name\) are expanded"):
        load_site(bomb)
    deep = tmp_path / "deep.yaml"
    deep.write_text(DEEP)
    with pytest.raises(ConfigError, match=r"deep\.yaml: nested too deeply"):
        load_site(deep)
    assert len(load_site(EXAMPLE_SITE).greenhouses) == 3  # the example's own anchors and aliases are fine


def test_cli_site_check_exits_2_with_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _bad_site(tmp_path, "max_on_s: 2400", "max_on_sec: 2400")
    assert main(["site", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "configuration error in" in err and "max_on_sec: unknown field" in err
    assert main(["site", "check", str(EXAMPLE_SITE)]) == 0
    assert "3 greenhouses" in capsys.readouterr().out


def test_cli_rejects_bad_arguments_with_the_option_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--speed", "-3"])
    assert exit_info.value.code == 2
    assert "--speed" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["edge", "--config", "x.yaml", "--greenhouse", "g", "--mqtt-url", "http://broker"])
    assert "mqtt://host:1883" in capsys.readouterr().err


@pytest.mark.parametrize("exists", [True, False])
@pytest.mark.parametrize("how", ["absolute", "climbing", "link"])
def test_a_rules_file_outside_the_site_folder_is_refused_alike_whether_or_not_it_exists(
    tmp_path: Path, how: str, exists: bool
) -> None:
    # A site file with `rules_file: /proc/self/cmdline` used to be accepted, and its text then served to readers.
    site_dir, outside = tmp_path / "site", tmp_path / "secret"
    (site_dir / "rules").mkdir(parents=True)
    outside.mkdir()
    for name in ("tomato.yaml", "leafy.yaml"):
        (site_dir / "rules" / name).write_text((EXAMPLE_SITE.parent / "rules" / name).read_text("utf-8"), "utf-8")
    target = outside / "passwords.txt"
    if exists:
        target.write_text("mqtt password", encoding="utf-8")
    named = {"absolute": str(target), "climbing": "../secret/passwords.txt", "link": "rules/linked.yaml"}[how]
    if how == "link":
        (site_dir / "rules" / "linked.yaml").symlink_to(target)
    site_path = site_dir / "site.yaml"
    site_path.write_text(
        EXAMPLE_SITE.read_text(encoding="utf-8").replace("rules_file: rules/leafy.yaml", f"rules_file: {named}"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_site(site_path)
    assert caught.value.problems == [f"{site_path}:96: greenhouses[2].rules_file: {OUTSIDE_FOLDER}"]


def test_a_rules_file_in_a_subfolder_of_the_site_folder_loads(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    for name in ("tomato.yaml", "leafy.yaml"):
        (tmp_path / "rules" / name).write_text((EXAMPLE_SITE.parent / "rules" / name).read_text("utf-8"), "utf-8")
    site_path = tmp_path / "site.yaml"
    site_path.write_text(EXAMPLE_SITE.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_site(site_path).greenhouses[2].rules_file == (tmp_path / "rules" / "leafy.yaml").resolve()
