"""The site file: the example loads, and every bad file is refused with file, line, field and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.config_file import ConfigError
from contract.devices.encoding import DataType, Encoding, Table
from contract.devices.profile import Switch
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
            ["greenhouses[0].nodes[9].actuators[2].safety.max_on_sec", "unknown field"],
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
            ["greenhouses[0].nodes[10].actuators[0]", "positional"],
        ),
        ("timezone: Asia/Ho_Chi_Minh", "timezone: Asia/Hanoi_City", ["cooperative.timezone", "unknown time zone"]),
        (
            "bus: cam-bien\n        address: 2",
            "bus: cam-bien\n        address: 1",
            ["2 nodes share address 1 on bus 'cam-bien'"],
        ),
        ("profile: xy-md02", "profile: xy-md99", ["no device profile 'xy-md99'", "known: ", "xy-md02"]),
        (
            "point: humidity",
            "point: humidty",
            ["profile 'xy-md02' has no point 'humidty' (has: temperature, humidity)"],
        ),
        (
            "{id: co2, name: \"CO₂\", point: co2}",
            "{id: co2, name: \"CO₂\", point: co2, kind: air_temp_c}",
            ["point 'co2' of 'sensecap-s-co2-03' measures co2_ppm (ppm), not air_temp_c"],
        ),
        ("output: relay-6", "output: relay-17", ["profile 'eletechsup-r4d3b16' has no output 'relay-17'"]),
        ("open: relay-7, close: relay-8", "open: relay-7, close: relay-7", ["two different outputs"]),
        ("output: relay-5", "output: relay-4", ["2 actuators drive holding_register 4"]),
        ("bus: dat, address: 1,", "bus: wifi, address: 1,", ["no bus 'wifi' in this greenhouse"]),
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
    assert main(["site", "check", str(path), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "configuration error in" in err and "max_on_sec: unknown field" in err
    assert main(["site", "check", str(EXAMPLE_SITE), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "3 greenhouses" in out
    # Each bus with its devices, as a technician wires them.
    assert "ca-chua-1 · dat (RTU /dev/ttyUSB1 4800 8N1): soil-1@1 (cwt-soil-3in1), soil-2@2 (cwt-soil-3in1)" in out
    assert "ca-chua-1 · role (RTU over TCP 192.168.1.50:8899): relays@1 (eletechsup-r4d3b16), positioners@2" in out


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
    line = 1 + EXAMPLE_SITE.read_text(encoding="utf-8").splitlines().index("    rules_file: rules/leafy.yaml")
    assert caught.value.problems == [f"{site_path}:{line}: greenhouses[2].rules_file: {OUTSIDE_FOLDER.en}"]


def test_a_rules_file_in_a_subfolder_of_the_site_folder_loads(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    for name in ("tomato.yaml", "leafy.yaml"):
        (tmp_path / "rules" / name).write_text((EXAMPLE_SITE.parent / "rules" / name).read_text("utf-8"), "utf-8")
    site_path = tmp_path / "site.yaml"
    site_path.write_text(EXAMPLE_SITE.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_site(site_path).greenhouses[2].rules_file == (tmp_path / "rules" / "leafy.yaml").resolve()


LEGACY = """
version: 1
cooperative: {id: htx, latitude: 21.0, longitude: 105.8}
greenhouses:
  - id: nha-1
    area_m2: 100
    fieldbus: {host: 10.0.0.5, port: 502}
    nodes:
      - id: climate
        unit_id: 3
        sensors: [{id: t, kind: air_temp_c, input_register: 4, range: {min: -10, max: 60}}]
        actuators: [{id: fan, kind: fan, coil: 2}]
"""


def test_a_site_file_of_the_single_modbus_tcp_layout_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(LEGACY, encoding="utf-8")
    gh = load_site(path).greenhouses[0]
    [bus] = gh.buses
    assert (bus.protocol, bus.id, bus.host, bus.port) == ("modbus_tcp", "fieldbus", "10.0.0.5", 502)
    [node] = gh.nodes
    assert node.address == 3 and gh.bus_of(node) == bus
    assert gh.sensors["t"].encoding == Encoding(table=Table.INPUT_REGISTER, address=4, data_type=DataType.FLOAT32)
    assert gh.actuators["fan"].on_off == Switch(table=Table.COIL, address=2)
    path.write_text(LEGACY.replace("    fieldbus:", "    buses: []\n    fieldbus:"), encoding="utf-8")
    with pytest.raises(ConfigError, match="give 'buses' \\(several\\) or the older 'fieldbus' \\(one\\), not both"):
        load_site(path)


MQTT_SITE = """
version: 1
cooperative: {id: htx, latitude: 21.0, longitude: 105.8}
greenhouses:
  - id: nha-1
    area_m2: 100
    buses:
      - {id: rs485, protocol: rtu_serial, port: /dev/ttyUSB0}
      - {id: wifi, protocol: mqtt, url: "mqtt://127.0.0.1:1883"}
    nodes:
      - id: esp
        bus: wifi
        firmware: tasmota
        topic: tasmota_5A3F1C
        sensors: [{id: t, kind: air_temp_c, field: AM2301.Temperature, range: {min: -10, max: 60}}]
        actuators: [{id: mister, kind: mister, channel: POWER1}]
"""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("", "", None),
        (
            "        bus: wifi\n",
            "        bus: rs485\n",
            "node 'esp' has a 'firmware' (MQTT) but its bus 'rtu_serial' is Modbus",
        ),
        ("field: AM2301.Temperature", "input_register: 0", "an MQTT node names each sensor's 'field'"),
        ("channel: POWER1", "coil: 1", "an MQTT node names each actuator's 'channel'"),
        ("topic: tasmota_5A3F1C", "topic: tele/x/#", "should match pattern"),
        ('url: "mqtt://127.0.0.1:1883"', 'url: "http://127.0.0.1:1883"', "must look like mqtt://host:1883"),
        ("kind: mister, channel", "kind: vent, channel", "positional"),
    ],
)
def test_mqtt_nodes_name_their_firmware_topic_fields_and_channels(
    tmp_path: Path, old: str, new: str, expected: str | None
) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(MQTT_SITE.replace(old, new) if old else MQTT_SITE, encoding="utf-8")
    if expected is None:
        gh = load_site(path).greenhouses[0]
        assert gh.nodes[0].on_mqtt and gh.sensors["t"].field == "AM2301.Temperature"
        assert gh.actuators["mister"].channel == "POWER1"
        return
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    assert expected in str(caught.value)


OWN_PROFILE = """
id: acme-level
version: 1
name: "ACME LT-100 water level transmitter"
models: [LT-100]
sources: ["ACME LT-100 manual v2, table 4"]
sensors:
  - {key: level, kind: tank_level_pct, encoding: {table: holding_register, address: 2, scale: 0.05},
     range: {min: 0, max: 100}}
"""


def test_a_profile_written_by_the_technician_beside_the_site_file_is_used(tmp_path: Path) -> None:
    site = LEGACY.replace(
        "        sensors: [{id: t, kind: air_temp_c, input_register: 4, range: {min: -10, max: 60}}]",
        "        profile: acme-level\n        sensors: [{id: tank, point: level}]",
    )
    (tmp_path / "site.yaml").write_text(site, encoding="utf-8")
    with pytest.raises(ConfigError, match="no device profile 'acme-level'"):
        load_site(tmp_path / "site.yaml")
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "acme-level.yaml").write_text(OWN_PROFILE, encoding="utf-8")
    tank = load_site(tmp_path / "site.yaml").greenhouses[0].sensors["tank"]
    assert tank.kind.value == "tank_level_pct" and tank.encoding.scale == 0.05
    assert (tank.range.min, tank.range.max) == (0, 100)
    (tmp_path / "profiles" / "acme-level.yaml").write_text(OWN_PROFILE.replace("version: 1", "version: 0"), "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_site(tmp_path / "site.yaml")
    text = str(caught.value)
    assert "the site's own device profiles cannot be used" in text and "acme-level.yaml:3: version" in text
