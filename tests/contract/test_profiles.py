"""Device profiles are data a technician can write: a good one loads, a bad one is refused at its file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contract.devices.encoding import DataType, Encoding, Table, decode
from contract.devices.profile import SHIPPED, Baud, Parity, ProfileError, TimedOn, load_profiles
from contract.kinds import SensorKind

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
    # Its "flash on": function 05 to 0x0200 + n with the time in 100 ms units, 60 s at a time at most.
    relay_8 = board.outputs[7].timed_on
    assert relay_8 is not None and (relay_8.table, relay_8.address) == (Table.COIL, 0x0207)
    assert (relay_8.value(0.7), relay_8.value(30), relay_8.value(600)) == (7, 300, 600)


SHIPPED_PROFILES = load_profiles([SHIPPED])
STRINGS_JS = Path(__file__).resolve().parents[2] / "gateway" / "webapp" / "static" / "js" / "strings.js"
TEMPERATURES = {SensorKind.AIR_TEMP_C, SensorKind.SOIL_TEMP_C, SensorKind.LEAF_TEMP_C, SensorKind.OUTDOOR_TEMP_C}


def _point(profile_id: str, key: str) -> Encoding:
    return next(s.encoding for s in SHIPPED_PROFILES[profile_id].sensors if s.key == key)


def test_the_field_devices_of_docs_register_maps_are_shipped() -> None:
    assert {
        "md02-red-led",
        "cwt-soil-3in1",
        "cwt-soil-4in1",
        "cwt-soil-7in1",
        "jxbs-3001-ec",
        "jxbs-3001-npk",
        "dfrobot-sen0604",
        "sensecap-s-co2-03",
        "jxbs-3001-lux",
        "jxct-wind-speed",
        "jxct-wind-direction",
        "renke-rs-fx-n01",
        "jxct-rain-optical",
        "wb-mcm8",
    } <= set(SHIPPED_PROFILES)


# The examples the manuals print: a profile's point, the raw registers read, and what they mean.
PUBLISHED = [
    ("cwt-soil-3in1", "temperature", [0xFF9B], -10.1),  # farmers-iot-toolkit's bench note on the THC-S
    ("jxbs-3001-npk", "temperature", [0xFF9B], -10.1),  # JXCT's manual, FF9BH
    ("jxbs-3001-ec", "temperature", [0xFF9B], -10.1),
    ("jxbs-3001-lux", "illuminance", [0x0002, 0x06F6], 132854),  # 00 02 06 F6
    ("jxct-wind-speed", "speed", [0x0017], 2.3),
    ("jxct-wind-direction", "direction", [0x008A], 138),  # "south-southeast"
    ("jxct-rain-optical", "rain-total", [0x0003], 0.3),
    # wb-mqtt-serial's default word order: [0xAA 0xBB][0xCC 0xDD] is 0xAABBCCDD.
    ("wb-mcm8", "counter-1", [0xAABB, 0xCCDD], 0xAABBCCDD),
]


@pytest.mark.parametrize(("profile", "key", "raw", "means"), PUBLISHED, ids=[f"{p}-{k}" for p, k, *_ in PUBLISHED])
def test_a_shipped_profile_reads_the_published_example(profile: str, key: str, raw: list[int], means: float) -> None:
    assert decode(_point(profile, key), raw) == pytest.approx(means)


# ComWinTop's NPK manual: 01 03 00 00 00 07 answered 01 D0 01 4C 00 2C 00 5A 00 20 00 58 00 68.
CWT_FRAME = bytes.fromhex("01D0 014C 002C 005A 0020 0058 0068")
CWT_MEANS = {"moisture": 46.4, "temperature": 33.2, "ec": 44, "ph": 9.0, "nitrogen": 32, "phosphorus": 88,
             "potassium": 104}  # fmt: skip


@pytest.mark.parametrize("profile", ["cwt-soil-7in1", "cwt-soil-4in1", "dfrobot-sen0604"])
def test_the_contiguous_soil_probes_read_comwintops_worked_example(profile: str) -> None:
    registers = [int.from_bytes(CWT_FRAME[i : i + 2], "big") for i in range(0, len(CWT_FRAME), 2)]
    read = {}
    for point in SHIPPED_PROFILES[profile].sensors:
        assert point.encoding.table is Table.HOLDING_REGISTER
        start = point.encoding.address
        read[point.key] = decode(point.encoding, registers[start : start + point.encoding.count])
    assert read == pytest.approx({k: v for k, v in CWT_MEANS.items() if k in read})
    assert len(read) == (7 if profile == "cwt-soil-7in1" else 4)


def test_the_red_led_md02_reads_hundredths_where_the_xy_md02_reads_tenths() -> None:
    assert decode(_point("md02-red-led", "temperature"), [0x0BEA]) == pytest.approx(30.5)
    assert decode(_point("xy-md02", "temperature"), [0x0131]) == pytest.approx(30.5)
    assert _point("md02-red-led", "humidity").address == _point("xy-md02", "humidity").address == 2


def test_the_jxct_map_is_scattered_and_its_ph_is_in_hundredths() -> None:
    addresses = {s.key: s.encoding.address for s in SHIPPED_PROFILES["jxbs-3001-npk"].sensors}
    assert addresses == {"ph": 6, "moisture": 18, "temperature": 19, "ec": 21, "nitrogen": 30, "phosphorus": 31,
                         "potassium": 32}  # fmt: skip
    assert decode(_point("jxbs-3001-npk", "ph"), [620]) == pytest.approx(6.2)


def test_every_counter_of_the_wb_mcm8_is_two_input_registers_apart() -> None:
    counters = SHIPPED_PROFILES["wb-mcm8"].sensors
    assert [(c.key, c.encoding.address) for c in counters] == [(f"counter-{n}", 60 + 2 * (n - 1)) for n in range(1, 9)]
    assert all(c.kind is SensorKind.WATER_TOTAL_L and c.encoding.table is Table.INPUT_REGISTER for c in counters)
    assert all(c.encoding.data_type is DataType.UINT32 and c.encoding.scale == 1 for c in counters)  # 1 L a pulse


@pytest.mark.parametrize(
    ("profile", "key"),
    [(p.id, s.key) for p in SHIPPED_PROFILES.values() for s in p.sensors if s.kind in TEMPERATURES],
)
def test_every_shipped_temperature_reads_below_zero(profile: str, key: str) -> None:
    encoding = _point(profile, key)
    assert encoding.data_type is DataType.INT16  # two's complement: a uint16 would read −0.1 °C as 6553.5 °C
    assert decode(encoding, [0xFF9B]) < 0  # −101, however scaled


def _kind_labels() -> dict[str, dict[str, str]]:
    """The phone's label of each kind of value, per language, as strings.js holds them."""
    vi, en = STRINGS_JS.read_text(encoding="utf-8").split("\n  en: {", 1)
    return {lang: dict(re.findall(r'"kind\.(\w+)": "([^"]*)"', part)) for lang, part in (("vi", vi), ("en", en))}


def test_every_sensor_kind_is_named_for_the_farmer_in_both_languages() -> None:
    labels = _kind_labels()
    for lang in ("vi", "en"):
        missing = [k.value for k in SensorKind if not labels[lang].get(k.value, "").strip()]
        assert not missing, f"no {lang} label in {STRINGS_JS} for {missing}"
    assert labels["vi"][SensorKind.SOIL_EC_US_CM] == "Độ dẫn điện đất (EC)"
    assert labels["vi"][SensorKind.SOIL_N_MG_KG] == "Đạm (N)"
    assert labels["en"][SensorKind.SOIL_K_MG_KG] == "Potassium (K)"
