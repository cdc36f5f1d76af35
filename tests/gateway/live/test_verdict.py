"""The verdict on a greenhouse, built as the live API builds it (gateway/live/now.py) from the example site's tomato
house: OK when all is in the crop's band, "attention" or "danger" with the right reason in a farmer's words at the
boundaries, the crop's day and night bands by the sun at the cooperative, an offline house, and no ids in any text."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from contract.kinds import ControlSource, Quality, SensorKind
from contract.messages import ActuatorState, Availability, Severity
from contract.reasons import Reason
from contract.site import Greenhouse, SiteConfig
from contract.site_file import load_site
from gateway.live.models import AlertNow, GreenhouseNow, Level, VerdictLevel
from gateway.live.now import greenhouse_now
from gateway.live.registry import GreenhouseHealth, SensorHealth
from tests.conftest import EXAMPLE_SITE

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Mid-January at Mộc Châu: the sun rises about 6:40 and sets about 17:45.
NIGHT = datetime(2026, 1, 15, 3, 0, tzinfo=TZ)
DAY = datetime(2026, 1, 15, 13, 0, tzinfo=TZ)
# Values in every band of a tomato house, by day and by night (night air 12–20 °C, day 18–30 °C).
IN_BAND: dict[SensorKind, float] = {
    SensorKind.AIR_TEMP_C: 19.0,
    SensorKind.AIR_RH_PCT: 75.0,
    SensorKind.LEAF_TEMP_C: 18.5,
    SensorKind.SOIL_VWC_PCT: 33.0,
    SensorKind.TANK_LEVEL_PCT: 70.0,
    SensorKind.CO2_PPM: 450.0,
    SensorKind.PAR_UMOL_M2_S: 300.0,
}


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_site(EXAMPLE_SITE)


def _health(gh: Greenhouse, now: datetime, values: dict[str, float], **changes: object) -> GreenhouseHealth:
    """Every sensor read a minute ago, good: the kind's in-band value unless ``values`` gives one by sensor id."""
    ts = now - timedelta(minutes=1)
    sensors = [
        SensorHealth(
            sensor=s.id,
            kind=s.kind,
            value=values.get(s.id, IN_BAND.get(s.kind, 0.0)),
            ts=ts,
            quality=Quality.GOOD,
            age_s=60,
            stale=False,
        )
        for s in gh.sensors.values()
    ]
    health = GreenhouseHealth(
        greenhouse=gh.id,
        name=gh.label,
        availability=Availability.ONLINE,
        last_seen=ts,
        silent=False,
        nodes=[],
        sensors=sensors,
        stale_sensors=[],
    )
    return health.model_copy(update=changes)


def _states(gh: Greenhouse, now: datetime, on: frozenset[str] = frozenset()) -> list[ActuatorState]:
    return [
        ActuatorState(
            actuator=a.id,
            kind=a.kind,
            on=a.id in on,
            position_pct=(50.0 if a.id in on else 0.0) if a.kind.positional else None,
            since=now - timedelta(minutes=10),
            source=ControlSource.OVERRIDE if a.id in on else ControlSource.DEFAULT,
            reason=Reason.MANUAL_RUN if a.id in on else Reason.FAIL_SAFE_START,
            reason_params={"by": "lan"} if a.id in on else {},
        )
        for a in gh.actuators.values()
    ]


def _now(
    site: SiteConfig,
    now: datetime,
    values: dict[str, float] | None = None,
    on: frozenset[str] = frozenset(),
    alerts: list[AlertNow] | None = None,
    **health_changes: object,
) -> GreenhouseNow:
    gh = site.greenhouse("ca-chua-1")
    health = _health(gh, now, values or {}, **health_changes)
    return greenhouse_now(gh, site.cooperative, health, now, _states(gh, now, on), alerts or [], now)


def _said(picture: GreenhouseNow) -> tuple[VerdictLevel, list[str], list[str]]:
    v = picture.verdict
    return v.level, [r.text_vi for r in v.reasons], [r.text_en for r in v.reasons]


@pytest.mark.parametrize("at", [NIGHT, DAY])
def test_a_house_in_every_band_is_ok_by_day_and_by_night(site: SiteConfig, at: datetime) -> None:
    picture = _now(site, at)
    assert _said(picture) == (VerdictLevel.OK, [], [])
    assert all(s.level in (Level.OK, Level.UNKNOWN) for s in picture.sensors)


def test_cold_at_night_while_heating_is_attention_in_the_farmers_words(site: SiteConfig) -> None:
    level, vi, en = _said(_now(site, NIGHT, {"air-temp": 9.0}, on=frozenset({"heater"})))
    assert level is VerdictLevel.ATTENTION
    assert vi == ["Trời lạnh: 9,0 °C lúc 2 giờ 59 sáng — đang sưởi"]
    assert en == ["Cold: 9.0 °C at 2:59 am — heating"]


def test_the_air_is_judged_as_its_tile_shows_it_at_the_night_band_and_the_damage_limit(site: SiteConfig) -> None:
    # The tile shows one decimal: 11.96 reads "12,0", inside a band that starts at 12.
    assert _said(_now(site, NIGHT, {"air-temp": 11.96}))[0] is VerdictLevel.OK
    assert _said(_now(site, NIGHT, {"air-temp": 11.94}))[0] is VerdictLevel.ATTENTION
    assert _said(_now(site, NIGHT, {"air-temp": 20.0}))[0] is VerdictLevel.OK
    assert _said(_now(site, NIGHT, {"air-temp": 20.1}))[1] == ["Nóng: 20,1 °C lúc 2 giờ 59 sáng"]
    # Just outside the band with the heater on is attention; below the tomato's chilling limit (6 °C) is danger.
    assert _said(_now(site, NIGHT, {"air-temp": 6.0}, on=frozenset({"heater"})))[0] is VerdictLevel.ATTENTION
    level, vi, en = _said(_now(site, NIGHT, {"air-temp": 5.9}, on=frozenset({"heater"})))
    assert level is VerdictLevel.DANGER
    assert vi == ["Rét hại: 5,9 °C lúc 2 giờ 59 sáng — cây có thể bị hỏng — đang sưởi"]
    assert en == ["Harmful cold: 5.9 °C at 2:59 am — the crop may suffer — heating"]


def test_the_air_band_follows_the_sun_at_the_cooperative(site: SiteConfig) -> None:
    # 15 °C is a fine tomato night and a cold tomato day.
    night = _now(site, NIGHT, {"air-temp": 15.0})
    day = _now(site, DAY, {"air-temp": 15.0})
    bands = [next(s.band for s in p.sensors if s.sensor == "air-temp") for p in (night, day)]
    assert [(b.low, b.high) for b in bands if b] == [(12, 20), (18, 30)]
    assert _said(night)[0] is VerdictLevel.OK
    assert _said(day) == (
        VerdictLevel.ATTENTION,
        ["Trời lạnh: 15,0 °C lúc 12 giờ 59 trưa"],
        ["Cold: 15.0 °C at 12:59 pm"],
    )
    # Within two hours after sunrise the house is on its way up: either band will do.
    assert _said(_now(site, datetime(2026, 1, 15, 7, 30, tzinfo=TZ), {"air-temp": 15.0}))[0] is VerdictLevel.OK


def test_a_low_tank_is_attention_and_one_the_pump_cannot_draw_from_is_danger(site: SiteConfig) -> None:
    assert _said(_now(site, DAY, {"tank-level": 24.0})) == (
        VerdictLevel.ATTENTION,
        ["Bể nước thấp: 24 %"],
        ["Water tank low: 24 %"],
    )
    # The pump's interlock needs 15 %: 14.6 is shown "15 %", and the pump may still run.
    assert _said(_now(site, DAY, {"tank-level": 14.6}))[0] is VerdictLevel.ATTENTION
    assert _said(_now(site, DAY, {"tank-level": 14.4})) == (
        VerdictLevel.DANGER,
        ["Bể nước sắp cạn: 14 % — bơm không chạy khi dưới 15 %"],
        ["Water tank nearly empty: 14 % — the pump cannot run below 15 %"],
    )


def test_dry_soil_names_the_zone_and_says_it_is_watered(site: SiteConfig) -> None:
    level, vi, en = _said(_now(site, DAY, {"soil-a1": 22.0, "soil-a2": 24.0}, on=frozenset({"valve-a", "pump"})))
    assert level is VerdictLevel.ATTENTION
    assert (vi, en) == (["Đất khô ở Khu A: 22 % — đang tưới"], ["Dry soil in Zone A: 22 % — watering"])


def test_damp_air_is_said_with_the_humidity_the_tile_shows(site: SiteConfig) -> None:
    # 95 % is above the tomato's 90 % (and the VPD under its band: said once, with the humidity).
    level, vi, en = _said(_now(site, NIGHT, {"air-rh": 95.0}, on=frozenset({"roof-vent"})))
    assert (level, vi, en) == (
        VerdictLevel.ATTENTION,
        ["Không khí quá ẩm: 95 % — dễ sinh nấm bệnh — đang thông gió"],
        ["Air too damp: 95 % — mould and blight spread — ventilating"],
    )


def test_by_day_a_vpd_out_of_band_is_said_as_the_humidity_for_its_warmth(site: SiteConfig) -> None:
    # 89 % is within the tomato's humidity band, but at 19 °C the VPD is 0.24 kPa, under its 0.4.
    values = {"air-temp": 19.0, "air-rh": 89.0}
    assert _said(_now(site, DAY, values)) == (
        VerdictLevel.ATTENTION,
        ["Không khí ẩm so với nhiệt độ: 89 % ở 19,0 °C — cây khó thoát hơi nước, dễ sinh nấm bệnh"],
        ["Air damp for its warmth: 89 % at 19.0 °C — the plants hardly transpire, mould spreads"],
    )
    # At night the stomata close and a low VPD is the night's normal.
    assert _said(_now(site, NIGHT, values))[0] is VerdictLevel.OK


def test_a_value_without_a_tile_is_never_named(site: SiteConfig) -> None:
    # Leaf temperature, CO₂ and PAR have no tile on the farmer's screen: out of band, they make no reason.
    picture = _now(site, DAY, {"leaf-temp": 2.0, "co2": 5000.0, "par": 0.0})
    assert _said(picture) == (VerdictLevel.OK, [], [])
    assert {s.sensor for s in picture.sensors if s.tile} == {
        "air-temp",
        "air-rh",
        "tank-level",
        "soil-a1",
        "soil-a2",
        "soil-b1",
        "soil-b2",
    }


def test_an_offline_house_says_since_when_and_nothing_about_its_old_values(site: SiteConfig) -> None:
    last = datetime(2026, 1, 14, 22, 5, tzinfo=TZ)
    picture = _now(site, NIGHT, {"air-temp": 3.0}, availability=Availability.OFFLINE, last_seen=last)
    assert _said(picture) == (
        VerdictLevel.ATTENTION,
        ["Mất kết nối với nhà màng từ 10 giờ 05 đêm ngày 14/01"],
        ["No contact with the greenhouse since 10:05 pm on 14/01"],
    )
    never = _now(site, NIGHT, availability=None, last_seen=None)
    assert _said(never)[1] == ["Chưa nhận được tin từ nhà màng"]


def test_a_critical_alert_makes_danger_and_comes_first(site: SiteConfig) -> None:
    alert = AlertNow(
        id="a1",
        greenhouse="ca-chua-1",
        source="rule:frost",
        severity=Severity.CRITICAL,
        raised_at=NIGHT,
        last_at=NIGHT,
        cleared_at=None,
        active=True,
        text_vi="Nguy cơ sương giá",
        text_en="Frost risk",
        acked_by=None,
        acked_at=None,
    )
    level, vi, en = _said(_now(site, NIGHT, {"tank-level": 24.0}, alerts=[alert]))
    assert (level, vi, en) == (
        VerdictLevel.DANGER,
        ["Nguy cơ sương giá", "Bể nước thấp: 24 %"],
        ["Frost risk", "Water tank low: 24 %"],
    )
    # The board's own alert for an offline house is judged from the house's health, not twice.
    offline = alert.model_copy(update={"source": "offline"})
    assert _said(_now(site, DAY, alerts=[offline]))[0] is VerdictLevel.OK


def test_no_text_holds_an_id_a_brace_or_the_other_languages_decimals(site: SiteConfig) -> None:
    gh = site.greenhouse("ca-chua-1")
    ids = {*gh.sensors, *gh.actuators, *(z.id for z in gh.zones), *(n.id for n in gh.nodes), gh.id}
    stale = _health(gh, NIGHT, {}).sensors
    stale = [s.model_copy(update={"stale": True, "quality": Quality.STALE}) for s in stale]
    pictures = [
        _now(site, NIGHT, {"air-temp": 9.5, "tank-level": 10.2}, on=frozenset({"heater"})),
        _now(site, DAY, {"air-temp": 39.5, "air-rh": 40.0, "soil-b2": 48.0}, on=frozenset({"fan", "mister"})),
        _now(site, NIGHT, sensors=stale),
    ]
    reasons = [r for p in pictures for r in p.verdict.reasons]
    assert len(reasons) == 6
    # In English, an id that is a plain word ("pump", "heater") may be the word itself.
    id_like = {i for i in ids if not i.isalpha()}
    for r in reasons:
        for text, suspects in ((r.text_vi, ids), (r.text_en, id_like)):
            assert not [i for i in suspects if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)], text
            assert "{" not in text and "_" not in text, text
        assert not re.search(r"\d\.\d", r.text_vi), r.text_vi
        assert not re.search(r"\d,\d", r.text_en), r.text_en
    assert [r.text_en for r in pictures[2].verdict.reasons] == [
        "Temperature: no new reading since 2:59 am",
        "Humidity: no new reading since 2:59 am",
    ]
