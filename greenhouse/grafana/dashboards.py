"""The agronomists' dashboards. Each is a list of panels over the storage layout of docs/storage.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from contract.kinds import SensorKind as K
from contract.reasons import Lang, pick
from gateway.storage import points
from gateway.storage.irrigation import IRRIGATION
from greenhouse.grafana import influxql as q
from greenhouse.grafana.panels import JSON, Band, Panel, layout, shifted, stat, state_timeline, table, timeseries
from greenhouse.grafana.templating import annotations, templating

Words = tuple[str, str]
# Target bands, the same defaults as 'greenhouse rules simulate' (--temp-band 16:28, --vpd-band 0.5:1.2).
AIR_BAND = Band(16, 28)
VPD_BAND = Band(0.5, 1.2)
# Daily light integral: leafy greens want about 12-17 mol/m²/d, tomatoes 20-30 (Both, Cornell CEA; Dorais).
DLI_BAND = Band(12, 30)

ONLINE = q.select('last("online")', points.STATUS, q.per(q.INTERVAL, "greenhouse", fill="previous"))
ACTUATORS = q.select(
    'last("action")',
    points.EVENT,
    q.per(q.INTERVAL, "greenhouse", "actuator", fill="previous"),
    q.event_kind("actuation"),
)
SERIES = q.per(q.INTERVAL, "greenhouse")
DAILY = q.per("1d", "greenhouse")


def _gateways_online(lang: Lang) -> Panel:
    return state_timeline(pick(("Gateway trực tuyến", "Gateways online"), lang), ONLINE)


def _air(lang: Lang) -> Panel:
    title = ("Nhiệt độ không khí (mục tiêu 16–28 °C)", "Air temperature (target 16–28 °C)")
    return timeseries(
        pick(title, lang), q.readings('mean("value")', K.AIR_TEMP_C, SERIES), unit="celsius", band=AIR_BAND
    )


def _dli(lang: Lang) -> Panel:
    title = ("DLI mỗi ngày (rau 12–17, cà chua 20–30)", "DLI per day (greens 12–17, tomato 20–30)")
    return timeseries(
        pick(title, lang), q.derived('max("dli_mol_m2_d")', DAILY), unit="mol/m²/d", band=DLI_BAND, bars=True
    )


def _water_per_day(lang: Lang) -> Panel:
    query = q.readings('spread("value")', K.WATER_TOTAL_L, DAILY)  # the meter's total: its rise in a day
    return timeseries(pick(("Nước tưới mỗi ngày (L)", "Water per day (L)"), lang), query, unit="litre", bars=True)


def overview(lang: Lang) -> list[Panel]:
    now = q.by("greenhouse")
    latest = q.select('last("online") AS "online", last("outbox_depth") AS "outbox_depth"', points.STATUS, now)
    offline = f'SELECT "online", "outbox_depth" FROM ({latest}) WHERE "online" = false GROUP BY "greenhouse"'
    alerts = (
        f'SELECT "greenhouse", "rule", "severity", "reason" FROM "{points.EVENT}"'
        f" WHERE {q.where(q.event_kind('alert'))} ORDER BY time DESC LIMIT 100"
    )
    alerts_per_day = q.select('count("reason")', points.EVENT, DAILY, q.event_kind("alert"))
    return [
        stat(
            pick(("Nhiệt độ bây giờ", "Temperature now"), lang),
            q.readings('last("value")', K.AIR_TEMP_C, now),
            "celsius",
            AIR_BAND,
        ),
        stat(pick(("Độ ẩm bây giờ", "Humidity now"), lang), q.readings('last("value")', K.AIR_RH_PCT, now), "percent"),
        stat(pick(("VPD bây giờ", "VPD now"), lang), q.derived('last("vpd_kpa")', now), "pressurekpa", VPD_BAND),
        _gateways_online(lang),
        table(pick(("Gateway ngoại tuyến", "Offline gateways"), lang), offline),
        table(pick(("Cảnh báo gần đây", "Recent alerts"), lang), alerts),
        timeseries(pick(("Cảnh báo mỗi ngày", "Alerts per day"), lang), alerts_per_day, bars=True),
    ]


def climate(lang: Lang) -> list[Panel]:
    rh = q.readings('mean("value")', K.AIR_RH_PCT, SERIES)
    vpd = q.derived('mean("vpd_kpa")', SERIES)
    title_vpd = ("VPD (mục tiêu 0,5–1,2 kPa)", "VPD (target 0.5–1.2 kPa)")
    activity = ("Sưởi, cửa thông gió, lưới che, phun sương", "Heating, vents, screens, misting")
    return [
        _air(lang),
        timeseries(pick(("Độ ẩm không khí", "Air humidity"), lang), rh, unit="percent"),
        timeseries(pick(title_vpd, lang), vpd, unit="pressurekpa", band=VPD_BAND),
        timeseries(
            pick(("Nhiệt độ ngoài trời", "Outdoor temperature"), lang),
            q.readings('mean("value")', K.OUTDOOR_TEMP_C, SERIES),
            unit="celsius",
        ),
        state_timeline(pick(activity, lang), ACTUATORS),
    ]


def irrigation(lang: Lang) -> list[Panel]:
    soil = q.readings('mean("value")', K.SOIL_VWC_PCT, q.per(q.INTERVAL, "greenhouse", "zone"), q.ZONE_FILTER)
    starts = q.event_kind("actuation"), q.equals("action", "on")
    valve_runs = q.select('count("action")', points.EVENT, q.per("1d", "greenhouse", "actuator"), *starts)
    per_zone_day = q.per("1d", "greenhouse", "zone"), q.ZONE_FILTER
    open_min = q.select('sum("open_s") / 60', IRRIGATION, *per_zone_day)
    zone_water = q.select('sum("water_l")', IRRIGATION, *per_zone_day)
    radiation = q.readings('integral("value", 1s) / 1000000', K.SOLAR_W_M2, DAILY)
    eto = q.derived('integral("eto_mm_h", 1h)', DAILY)
    return [
        timeseries(pick(("Ẩm đất theo khu", "Soil water per zone"), lang), soil, unit="percent"),
        timeseries(
            pick(("Số lần bật mỗi ngày, theo thiết bị", "Starts per day, per actuator"), lang), valve_runs, bars=True
        ),
        timeseries(
            pick(("Thời gian mở van mỗi ngày, theo khu (phút)", "Valve open time per day, per zone (min)"), lang),
            open_min,
            unit="m",
            bars=True,
        ),
        timeseries(
            pick(("Nước tưới mỗi ngày, theo khu (L)", "Water per day, per zone (L)"), lang),
            zone_water,
            unit="litre",
            bars=True,
        ),
        _water_per_day(lang),
        timeseries(
            pick(("Lưu lượng nước", "Water flow"), lang),
            q.readings('mean("value")', K.WATER_FLOW_L_MIN, SERIES),
            unit="L/min",
        ),
        timeseries(pick(("Tổng bức xạ mỗi ngày", "Radiation sum per day"), lang), radiation, unit="MJ/m²", bars=True),
        timeseries(pick(("Bốc thoát hơi ETo mỗi ngày", "ETo per day"), lang), eto, unit="mm", bars=True),
    ]


def light(lang: Lang) -> list[Panel]:
    par = q.readings('mean("value")', K.PAR_UMOL_M2_S, SERIES)
    return [timeseries(pick(("Ánh sáng PAR", "PAR"), lang), par, unit="µmol/m²/s"), _dli(lang), _air(lang)]


def season(lang: Lang) -> list[Panel]:
    """Each panel twice: over the chosen range, and the same range a year back."""
    last = ("{title} — mùa trước", "{title} — last season")
    pairs = [_air(lang), _dli(lang), _water_per_day(lang)]
    return [p for panel in pairs for p in (panel, shifted(panel, pick(last, lang).format(title=panel.title), "1y"))]


def data_quality(lang: Lang) -> list[Panel]:
    not_good = q.equals("quality", "good", "!=")
    flagged = q.select('count("quality")', points.READING, q.per(q.INTERVAL, "greenhouse", "sensor"), not_good)
    per_hour = q.select('count("quality")', points.READING, q.per("1h", "greenhouse", "sensor", fill="0"))
    last_good = q.select('last("value")', points.READING, q.by("greenhouse", "sensor"))
    batches = q.select('count("seq")', points.BATCH, q.per("1h", "greenhouse", fill="0"))
    outbox = q.select('max("outbox_depth")', points.STATUS, SERIES)
    return [
        timeseries(pick(("Số đo bị gắn cờ, theo cảm biến", "Flagged readings, per sensor"), lang), flagged, bars=True),
        timeseries(
            pick(("Số đo mỗi giờ, theo cảm biến (0: thiếu)", "Readings per hour, per sensor (0: missing)"), lang),
            per_hour,
        ),
        table(
            pick(
                (
                    "Số đo tốt cuối cùng của mỗi cảm biến (cũ: mất tín hiệu)",
                    "Last good reading of each sensor (old: stale)",
                ),
                lang,
            ),
            last_good,
        ),
        _gateways_online(lang),
        timeseries(pick(("Gói dữ liệu mỗi giờ", "Batches per hour"), lang), batches),
        timeseries(pick(("Hàng đợi gửi của gateway", "Gateway outbox depth"), lang), outbox),
    ]


@dataclass(frozen=True)
class Dashboard:
    slug: str
    title: Words
    build: Callable[[Lang], list[Panel]]
    variables: tuple[str, ...] = (q.COOPERATIVE, q.GREENHOUSE)
    range: str = "now-7d"


DASHBOARDS = (
    Dashboard("overview", ("Tổng quan hợp tác xã", "Cooperative overview"), overview, (q.COOPERATIVE,), "now-24h"),
    Dashboard("climate", ("Khí hậu nhà màng", "Greenhouse climate"), climate),
    Dashboard("irrigation", ("Tưới", "Irrigation"), irrigation, (q.COOPERATIVE, q.GREENHOUSE, q.ZONE)),
    Dashboard("light", ("Ánh sáng", "Light"), light, range="now-30d"),
    Dashboard("season", ("So sánh mùa vụ", "Season comparison"), season, range="now-120d"),
    Dashboard("data-quality", ("Chất lượng dữ liệu", "Data quality"), data_quality, range="now-2d"),
)


def uid(dashboard: Dashboard, lang: Lang) -> str:
    return f"gh-{dashboard.slug}-{lang}"


def to_json(dashboard: Dashboard, lang: Lang) -> JSON:
    variables = list(dashboard.variables)
    if q.GREENHOUSE not in variables:  # every query filters by greenhouse: "All" where it is not offered
        variables.append(q.GREENHOUSE)
    templ = templating(variables, lang)
    if q.GREENHOUSE not in dashboard.variables:
        templ["list"][-1]["hide"] = 2
    return {
        "uid": uid(dashboard, lang),
        "title": pick(dashboard.title, lang),
        "tags": ["greenhouse", lang],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "5m",
        "time": {"from": dashboard.range, "to": "now"},
        "templating": templ,
        "annotations": annotations(lang),
        "panels": layout(dashboard.build(lang)),
    }
