"""Crop profiles and the site's crop: every crop a site may name has its bands, and a crop we hold none for is
refused at the greenhouse's line, naming the greenhouse and the crops we know."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.config_file import ConfigError
from contract.crops import Crop, crop_profile
from contract.site_file import load_site
from tests.conftest import EXAMPLE_SITE


def test_every_crop_has_a_profile_with_a_night_cooler_than_its_day() -> None:
    for crop in Crop:
        profile = crop_profile(crop.value)
        assert profile is not None and profile.crop is crop
        assert profile.air_temp_c_night.low < profile.air_temp_c_day.low
        assert profile.air_temp_c_damage_below < profile.air_temp_c_night.low
        assert profile.air_temp_c_damage_above > profile.air_temp_c_day.high
    assert crop_profile("") is None


def test_an_unknown_crop_is_refused_naming_the_greenhouse_and_the_known_crops(tmp_path: Path) -> None:
    text = EXAMPLE_SITE.read_text(encoding="utf-8")
    (tmp_path / "rules").mkdir()
    bad = tmp_path / "site.yaml"
    bad.write_text(text.replace("crop: leafy_greens", "crop: rau-muong", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_site(bad)
    said = str(refused.value)
    line = text[: text.index("crop: leafy_greens")].count("\n") + 1
    assert f"site.yaml:{line}:" in said
    assert "'rau-la-1'" in said and "'rau-muong'" in said
    assert all(c.value in said for c in Crop)


def test_a_greenhouse_without_a_crop_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    site = tmp_path / "site.yaml"
    site.write_text(EXAMPLE_SITE.read_text(encoding="utf-8").replace("crop: leafy_greens", 'crop: ""', 1), "utf-8")
    assert load_site(site).greenhouses[2].crop == ""
