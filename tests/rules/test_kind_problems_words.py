"""A rule kind's own checks — its validators and what it finds against the site — reach the technician in the
language asked: Vietnamese with no English sentence inside, English as before. So do a crop band's and a device
profile's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract.config_file import ConfigError, parse_model
from contract.crops import CropBand
from contract.devices.profile import DeviceProfile
from contract.reasons import Lang
from contract.site_file import load_site
from desk.check import check_text
from greenhouse.cli import main
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
GH = SITE.greenhouse("ca-chua-1")
# Words of an English sentence that no Vietnamese message should carry (field names such as air_temp aside).
ENGLISH = (" must ", "give ", " needs ", " is a ", " the ", " would ", " shorter ", " longer ", " drives ",
           "Value error")

AIR = {"air_temp": {"sensors": ["air-temp"]}}
CLIMATE = {"id": "climate", "kind": "climate", "priority": 60, **AIR,
           "periods": [{"from": {"clock": "06:00"}, "heating_c": 14, "ventilation_c": 24}]}
VPD = {"id": "vpd", "kind": "vpd", "priority": 40, **AIR, "air_rh": {"sensors": ["air-rh"]},
       "low_kpa": 0.4, "high_kpa": 1.2, "hysteresis_kpa": 0.1, "misting": {"actuators": ["mister"]}}
FROST = {"id": "frost", "kind": "frost", "priority": 90, **AIR, "air_rh": {"sensors": ["air-rh"]},
         "protect": {"below_c": 1, "heaters": ["heater"]}}
RADIATION = {"id": "radiation", "kind": "radiation", "priority": 45, "metric": {"sensors": ["solar"]},
             "radiation_j_cm2": 180, "min_interval_s": 1800, "action": {"actuator": "valve-a", "on_for_s": 180}}
SEQUENCE = {"id": "sequence", "kind": "sequence", "priority": 40, "cron": "0 6 * * *", "pause_s": 5,
            "steps": [{"actuator": "valve-a", "on_for_s": 300}, {"actuator": "valve-b", "on_for_s": 300}]}


def _text(*rules: dict[str, Any]) -> str:
    return json.dumps({"version": 1, "rules": list(rules)})  # JSON is YAML


def _messages(text: str, lang: Lang) -> list[str]:
    _, answer = check_text(text, [GH], lang)
    assert not answer.ok
    return [p.message for p in answer.problems]


def _vietnamese(messages: list[str]) -> None:
    for message in messages:
        assert not any(word in message for word in ENGLISH), message


@pytest.mark.parametrize(
    ("rule", "vi", "en"),
    [
        (
            {**CLIMATE, "fans": [{"actuator": "fan", "above_c": 3}, {"actuator": "heater", "above_c": 1}]},
            "xếp các cấp quạt theo above_c từ thấp nhất đến cao nhất",
            "list the fan stages from the lowest above_c to the highest",
        ),
        (
            CLIMATE,
            "cho luật ít nhất một thứ để điều khiển: heating, ventilation, fans hoặc shade",
            "give the rule something to drive: heating, ventilation, fans or shade",
        ),
        (
            {**VPD, "hysteresis_kpa": 0.5},
            "low_kpa (0,4) và high_kpa (1,2) phải cách nhau hơn hai lần hysteresis_kpa (0,5), nếu không phun sương "
            "và mở thông gió sẽ nối đuôi nhau",
            "low_kpa (0.4) and high_kpa (1.2) must be further apart than twice hysteresis_kpa (0.5), or misting and "
            "venting would follow each other",
        ),
        (
            {**VPD, "misting": None},
            "cho luật ít nhất một thứ để điều khiển: misting, venting hoặc cả hai",
            "give the rule something to drive: misting, venting or both",
        ),
        (
            {**FROST, "air_rh": None},
            "indicator wet_bulb cần độ ẩm không khí: hãy ghi air_rh",
            "indicator wet_bulb needs the air humidity: give air_rh",
        ),
        (
            {**FROST, "alert_below_c": 0.5},
            "protect.below_c (1) không được cao hơn alert_below_c (0,5): người trồng phải được báo trước khi luật "
            "hành động",
            "protect.below_c (1) must not be above alert_below_c (0.5): the farmer is warned before the rule acts",
        ),
        (
            {**FROST, "protect": {"below_c": 1}},
            "cho phần bảo vệ ít nhất một thứ để điều khiển: heaters, close, screens hoặc fogging",
            "give the protection something to drive: heaters, close, screens or fogging",
        ),
        (
            {**RADIATION, "max_interval_s": 1200},
            "max_interval_s (1200 giây) phải dài hơn min_interval_s (1800 giây)",
            "max_interval_s (1200 s) must be longer than min_interval_s (1800 s)",
        ),
    ],
)
def test_a_kind_refusing_its_rule_says_why_in_either_language(rule: dict[str, Any], vi: str, en: str) -> None:
    text = _text({k: v for k, v in rule.items() if v is not None})
    assert _messages(text, "vi") == [vi]
    assert _messages(text, "en") == [en]
    _vietnamese([vi])


# Every kind of site problem a kind finds itself: a hold shorter than two polls, a sensor and an actuator of the
# wrong kind, a pause shorter than the pump's rest.
MISFITS = _text(
    {**CLIMATE, "hold_s": 50, "air_temp": {"sensors": ["leaf-temp"]}, "heating": {"actuators": ["fan"]},
     "shade": {"metric": {"sensors": ["wind"]}, "actuator": "shade", "position_pct": 50, "above_w_m2": 600}},
    {**RADIATION, "metric": {"sensors": ["rain"]}},
    SEQUENCE,
)
MISFITS_VI = [
    "ca-chua-1: hold_s 50 giây phải ít nhất gấp đôi poll_interval_s của nhà (30 giây)",
    "ca-chua-1: 'leaf-temp' là cảm biến leaf_temp_c: air_temp cần cảm biến air_temp_c",
    "ca-chua-1: 'wind' là cảm biến wind_m_s: lưới che nắng (shade) cần cảm biến solar_w_m2",
    "ca-chua-1: 'fan' là fan: phần này của luật điều khiển heater",
    "ca-chua-1: 'rain' là cảm biến rain_mm_h: việc cộng dồn bức xạ cần cảm biến solar_w_m2",
]
MISFITS_EN = [
    "ca-chua-1: hold_s 50 s must be at least twice the greenhouse's poll_interval_s (30 s)",
    "ca-chua-1: 'leaf-temp' is a leaf_temp_c sensor: air_temp needs air_temp_c sensors",
    "ca-chua-1: 'wind' is a wind_m_s sensor: the shade screen needs solar_w_m2 sensors",
    "ca-chua-1: 'fan' is a fan: this part of the rule drives a heater",
    "ca-chua-1: 'rain' is a rain_mm_h sensor: a radiation sum needs solar_w_m2 sensors",
]


def test_what_a_kind_finds_against_the_site_is_said_in_either_language() -> None:
    vi, en = _messages(MISFITS, "vi"), _messages(MISFITS, "en")
    assert vi[:5] == MISFITS_VI and en[:5] == MISFITS_EN
    [pause_vi] = vi[5:]
    [pause_en] = en[5:]
    assert pause_vi.startswith("ca-chua-1: pause_s 5 giây ngắn hơn thời gian máy bơm 'pump' phải nghỉ")
    assert pause_en.startswith("ca-chua-1: pause_s 5 s is shorter than pump 'pump' must rest")
    _vietnamese(vi)


def test_rules_check_prints_a_kinds_site_problems_in_the_language_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(MISFITS, encoding="utf-8")
    site = ["--site", str(EXAMPLE_SITE), "--greenhouse", GH.id]
    assert main(["rules", "check", str(path), *site, "--lang", "vi"]) == 1
    vi = capsys.readouterr().err
    assert all(m.removeprefix("ca-chua-1: ") in vi for m in MISFITS_VI)
    assert "must be at least" not in vi and " needs " not in vi and "this part of the rule" not in vi
    assert main(["rules", "check", str(path), *site, "--lang", "en"]) == 1
    en = capsys.readouterr().err
    assert all(m.removeprefix("ca-chua-1: ") in en for m in MISFITS_EN)


def _vi_and_en(text: str, model: type[Any]) -> tuple[list[str], list[str]]:
    with pytest.raises(ConfigError) as caught:
        parse_model(text, Path("x.yaml"), model)
    return caught.value.lines("vi"), caught.value.lines("en")


def test_a_crop_band_and_a_device_profile_are_refused_in_either_language() -> None:
    vi, en = _vi_and_en("{low: 30, high: 20}", CropBand)
    assert vi == ["x.yaml:1: (top level): low (30) phải nhỏ hơn high (20)"]
    assert en == ["x.yaml:1: (top level): low (30.0) must be below high (20.0)"]
    profile = {"id": "relay-board", "version": 1, "name": "Relay board", "models": ["R4"], "sources": ["manual v1"],
               "outputs": [{"key": "relay-1", "switch": {"table": "coil", "address": 0, "on_value": 1,
                                                          "off_value": 1}}]}
    vi, en = _vi_and_en(json.dumps(profile), DeviceProfile)
    assert "on_value và off_value phải khác nhau" in vi[0] and "on_value and off_value must differ" in en[0]
    _vietnamese(vi)
