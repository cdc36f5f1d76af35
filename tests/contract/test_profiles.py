"""Device profiles are data a technician can write: a good one loads, a bad one is refused at its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.devices.encoding import DataType, Table, decode
from contract.devices.profile import SHIPPED, Baud, Parity, ProfileError, TimedOn, load_profiles

AIR = """\
id: air-sensor
version: 1
name: Air temperature and humidity sensor
models: [XY-MD02]
sources: ["the maker's manual, section 'Modbus registers'"]
serial: {baud: 9600, parity: N}
sensors:
  - key: temperature
    kind: air_temp_c
    encoding: {table: input_register, address: 1, data_type: int16, scale: 0.1}
    range: {min: -40, max: 60}
  - key: humidity
    kind: air_rh_pct
    encoding: {table: input_register, address: 2, scale: 0.1}
    range: {min: 0, max: 100}
"""

RELAYS = """\
id: relay-board
version: 2
name: Relay board written through holding registers
models: [R4D3B16]
sources: ["the seller's command table"]
serial: {baud: 9600, parity: N}
outputs:
  - key: relay-1
    switch: {table: holding_register, address: 1, on_value: 0x0100, off_value: 0x0200}
    timed_on: {address: 1, base: 0x0600, unit_s: 1, max_units: 255}
"""


def _folder(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_a_sensor_and_a_relay_board_load(tmp_path: Path) -> None:
    profiles = load_profiles([_folder(tmp_path, air=AIR, relays=RELAYS)])
    air, relays = profiles["air-sensor"], profiles["relay-board"]
    assert air.serial.baud is Baud.B9600 and air.serial.parity is Parity.NONE and air.default_address == 1
    assert air.sensors[0].encoding.data_type is DataType.INT16 and air.sensors[0].encoding.scale == 0.1
    switch = relays.outputs[0].switch
    assert (switch.table, switch.on_value, switch.off_value, switch.reads_on) == (Table.HOLDING_REGISTER, 256, 512, 1)
    assert relays.outputs[0].timed_on is not None and relays.outputs[0].timed_on.value(90) == 0x0600 + 90


def test_a_timed_run_is_at_least_one_unit_and_at_most_the_devices_longest() -> None:
    timed = TimedOn(address=0, base=0, unit_s=0.1, max_units=600)
    assert (timed.value(0.01), timed.value(12.34), timed.value(3600)) == (1, 123, 600)


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("sources: [\"the maker's manual, section 'Modbus registers'\"]", "sources: []", "sources"),
        ("data_type: int16, scale: 0.1}", "data_type: bit}", "holds a register value"),
        ("key: humidity", "key: temperature", "key temperature given more than once"),
        ("kind: air_rh_pct", "kind: humidity", "kind"),
        ("range: {min: 0, max: 100}", "range: {min: 100, max: 0}", "must be below"),
        ("baud: 9600", "baud: 9601", "baud"),
    ],
)
def test_a_bad_sensor_profile_is_refused_at_its_line(tmp_path: Path, old: str, new: str, said: str) -> None:
    assert old in AIR
    with pytest.raises(ProfileError, match=said) as caught:
        load_profiles([_folder(tmp_path, air=AIR.replace(old, new))])
    assert str(tmp_path / "air.yaml") in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("table: holding_register, address: 1, on_value", "table: coil, address: 1, on_value", "written 1 .on."),
        ("off_value: 0x0200", "off_value: 0x0100", "must differ"),
        ("switch: {table: holding_register", "switch: {table: input_register", "switch.table"),
        ("max_units: 255", "max_units: 65000", "does not fit"),
    ],
)
def test_a_bad_relay_profile_is_refused(tmp_path: Path, old: str, new: str, said: str) -> None:
    assert old in RELAYS
    with pytest.raises(ProfileError, match=said):
        load_profiles([_folder(tmp_path, relays=RELAYS.replace(old, new))])


def test_one_id_in_two_folders_is_refused_naming_both_files(tmp_path: Path) -> None:
    shipped, mine = tmp_path / "shipped", tmp_path / "mine"
    shipped.mkdir()
    mine.mkdir()
    _folder(shipped, air=AIR)
    _folder(mine, copy=AIR)
    with pytest.raises(ProfileError, match="already given by") as caught:
        load_profiles([shipped, mine])
    assert str(mine / "copy.yaml") in str(caught.value) and str(shipped / "air.yaml") in str(caught.value)


def test_every_shipped_profile_loads_and_cites_where_its_map_comes_from() -> None:
    shipped = load_profiles([SHIPPED])
    assert {"xy-md02", "eletechsup-r4d3b16", "waveshare-relay-8"} <= set(shipped)
    for profile in shipped.values():
        assert profile.sources and all(len(s) > 20 for s in profile.sources), profile.id


def test_the_xy_md02_profile_reads_the_manuals_examples() -> None:
    air = load_profiles([SHIPPED])["xy-md02"]
    temperature, humidity = (s.encoding for s in air.sensors)
    assert decode(temperature, [0x0131]) == pytest.approx(30.5)  # the manual's read of input register 1
    assert decode(temperature, [0xFF33]) == pytest.approx(-20.5)  # its signed example
    assert (temperature.table, temperature.address, humidity.address) == (Table.INPUT_REGISTER, 1, 2)


def test_the_eletechsup_board_is_written_as_its_command_sheet_says() -> None:
    board = load_profiles([SHIPPED])["eletechsup-r4d3b16"]
    relay_3 = next(o for o in board.outputs if o.key == "relay-3")
    assert (relay_3.switch.address, relay_3.switch.on_value, relay_3.switch.off_value) == (3, 0x0100, 0x0200)
    assert relay_3.timed_on is not None and relay_3.timed_on.value(600) == 0x06FF  # 255 s at most: renewed
    assert relay_3.timed_on.value(30) == 0x061E


def test_the_waveshare_board_numbers_its_relays_from_coil_0() -> None:
    board = load_profiles([SHIPPED])["waveshare-relay-8"]
    assert [(o.key, o.switch.table, o.switch.address) for o in board.outputs][::7] == [
        ("relay-1", Table.COIL, 0),
        ("relay-8", Table.COIL, 7),
    ]
    assert all(o.timed_on is None for o in board.outputs)  # its flash command is not a holding-register write
