"""Every reason reads as a sentence for a farmer, in both languages: names from the site file, never an id, a formula
or a placeholder; numbers in the reader's locale with their units."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contract.reasons import _TEXT, Reason, render
from contract.site_file import load_site
from contract.wording import MODIFIERS, duration, number
from tests.conftest import EXAMPLE_SITE

GH = load_site(EXAMPLE_SITE).greenhouse("ca-chua-1")
IDS = {*GH.sensors, *GH.actuators, *(z.id for z in GH.zones), *(n.id for n in GH.nodes)}
# A sample machine value for every parameter key a text uses: ids as messages carry them, numbers with decimals.
SAMPLES = {
    "sensor": "tank-level",
    "actuator": "valve-a",
    "actuators": "valve-a,valve-b",
    "node": "relays",
    "metric": "soil-a1,soil-a2",
    "unusable": "soil-a1:stale,soil-a2:too_old",
    "value": "19.46",
    "threshold": "25",
    "limit": "15.5",
    "op": "<",
    "rule": "Đất khô khu A",
    "by": "lan",
    "at": "05:40",
    "since": "05:40",
    "until": "06:10",
    "started": "05:00",
    "duration_s": "1799.5",
}
FIELDS = re.compile(r"\{(\w+)\}")


def _params(reason: Reason) -> dict[str, str]:
    keys = set(FIELDS.findall(_TEXT[reason][0])) | set(FIELDS.findall(_TEXT[reason][1]))
    params = {k: SAMPLES.get(k, "12.25") for k in keys}
    if "metric" in keys or "value" in keys:
        params |= {"kind": "soil_vwc_pct", "aggregate": "mean"}
    return params


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_reads_with_names_and_locale_numbers_in_both_languages(reason: Reason) -> None:
    params = _params(reason)
    vi, en = (render(reason, params, lang, GH) for lang in ("vi", "en"))
    for text, words in ((vi, r"[a-z0-9]+(?:-[a-z0-9]+)+|[a-z]+"), (en, r"[a-z0-9]+(?:-[a-z0-9]+)+")):
        assert "{" not in text and "}" not in text, text
        # In English a one-word id ("pump", "rain") is also a plain word; one with a hyphen is not.
        named = set(re.findall(words, text)) & IDS
        assert not named, f"ids in {text!r}"
        assert not re.search(r"\b(mean|min|max)\(", text), text
    assert not re.search(r"\d\.\d", vi), f"a decimal point in Vietnamese: {vi!r}"
    assert not re.search(r"\d,\d", en), f"a decimal comma in English: {en!r}"
    assert set(params) - MODIFIERS == set(FIELDS.findall(_TEXT[reason][0])) == set(FIELDS.findall(_TEXT[reason][1]))


def test_an_alert_names_the_sensor_and_its_numbers_as_the_tile_shows_them() -> None:
    tank = {"metric": "tank-level", "kind": "tank_level_pct", "value": "19.0", "op": "<", "threshold": "25"}
    tank |= {"since": "05:40"}
    assert render(Reason.RULE_ALERT, tank, "vi", GH) == "Mực nước bể 19 % — dưới 25 %, từ 05:40"
    assert render(Reason.RULE_ALERT, tank, "en", GH) == "Tank level 19 % — below 25 %, since 05:40"
    soil = {"metric": "soil-a1,soil-a2", "aggregate": "mean", "kind": "soil_vwc_pct", "value": "24.96"}
    soil |= {"op": "<", "threshold": "25", "since": "05:40"}
    # A mean of two probes just under the limit is not shown equal to it.
    assert render(Reason.RULE_ALERT, soil, "vi", GH) == "Độ ẩm đất trung bình Khu A 24,96 % — dưới 25 %, từ 05:40"
    assert render(Reason.RULE_ALERT, soil, "en", GH) == "Zone A average soil moisture 24.96 % — below 25 %, since 05:40"


def test_a_node_goes_by_what_it_measures_or_drives() -> None:
    assert render(Reason.NODE_UNREACHABLE, {"node": "climate"}, "vi", GH) == (
        "Không liên lạc được với thiết bị đo Nhiệt độ, Độ ẩm"
    )
    assert render(Reason.FAIL_SAFE_CONTACT, {"node": "positioners"}, "en", GH) == (
        "Lost contact with the controller of Roof vent, Shade screen — fail-safe state"
    )


def test_an_english_reader_reads_the_english_names_the_files_give_and_the_cooperatives_names_otherwise(
    tmp_path: Path,
) -> None:
    alert = {"metric": "tank-level", "kind": "tank_level_pct", "value": "19.0", "op": "<", "threshold": "25"}
    no_english = tmp_path / "site.yaml"
    no_english.write_text(re.sub(r',? *name_en: "[^"]*"', "", EXAMPLE_SITE.read_text(encoding="utf-8")), "utf-8")
    for rules in (EXAMPLE_SITE.parent / "rules").iterdir():  # the site file names its rule files by relative path
        (tmp_path / "rules").mkdir(exist_ok=True)
        (tmp_path / "rules" / rules.name).write_bytes(rules.read_bytes())
    unnamed = load_site(no_english).greenhouse("ca-chua-1")
    assert render(Reason.RULE_ALERT, alert, "en", unnamed).startswith("Mực nước bể 19 %")
    assert render(Reason.RULE_ALERT, alert, "en", GH).startswith("Tank level 19 %")
    assert render(Reason.RULE_ALERT, alert, "vi", GH).startswith("Mực nước bể 19 %")
    rule = {"rule": "Tưới sáng khu A", "rule_en": "Morning watering, zone A", "at": "06:00"}
    assert render(Reason.RULE_SCHEDULE, rule, "en", GH).count("Morning watering, zone A") == 1
    assert "Tưới sáng khu A" in render(Reason.RULE_SCHEDULE, rule, "vi", GH)
    assert "Tưới sáng khu A" in render(Reason.RULE_SCHEDULE, {"rule": "Tưới sáng khu A", "at": "06:00"}, "en", GH)


def test_without_a_site_ids_stand_for_names() -> None:
    said = render(Reason.INTERLOCK_SENSOR_UNKNOWN, {"sensor": "tank-level"}, "en")
    assert said == "No fresh reading from tank-level — cannot run"


@pytest.mark.parametrize(
    ("seconds", "vi", "en"),
    [(1800, "30 phút", "30 min"), (1799.2, "30 phút", "30 min"), (1798.2, "29 phút 59 giây", "29 min 59 s"),
     (7200, "2 giờ", "2 h"), (0, "0 giây", "0 s")],
)
def test_durations_are_said_in_hours_minutes_and_seconds(seconds: float, vi: str, en: str) -> None:
    assert (duration(seconds, "vi"), duration(seconds, "en")) == (vi, en)


def test_numbers_use_the_readers_decimal_mark_and_never_show_minus_zero() -> None:
    assert (number(19.94, 1, "vi"), number(19.94, 1, "en")) == ("19,9", "19.9")
    assert number(-0.04, 1, "vi") == "0,0"
