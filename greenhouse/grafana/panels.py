"""Grafana panel JSON from a few builders: one per panel type the dashboards use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
DATASOURCE_UID = "greenhouse-influxdb"
DATASOURCE = {"type": "influxdb", "uid": DATASOURCE_UID}


@dataclass(frozen=True)
class Band:
    """A target band drawn on a panel: below ``low`` and above ``high`` are shown as out of band."""

    low: float
    high: float


@dataclass(frozen=True)
class Panel:
    kind: str  # Grafana panel type
    title: str
    queries: Sequence[str]
    unit: str = "short"
    band: Band | None = None
    result_format: str = "time_series"
    width: int = 12
    time_shift: str | None = None  # "1y": the same panel, a season back
    options: JSON = field(default_factory=dict)
    custom: JSON = field(default_factory=dict)


def timeseries(title: str, *queries: str, unit: str = "short", band: Band | None = None, bars: bool = False) -> Panel:
    custom: JSON = {"drawStyle": "bars", "fillOpacity": 60} if bars else {"drawStyle": "line", "spanNulls": False}
    if band is not None:
        custom["thresholdsStyle"] = {"mode": "area"}
    return Panel("timeseries", title, queries, unit, band, custom=custom)


def state_timeline(title: str, query: str) -> Panel:
    return Panel("state-timeline", title, [query], options={"mergeValues": True, "showValue": "auto"}, width=24)


def stat(title: str, query: str, unit: str = "short", band: Band | None = None) -> Panel:
    return Panel("stat", title, [query], unit, band, width=8, options={"reduceOptions": {"calcs": ["lastNotNull"]}})


def table(title: str, query: str) -> Panel:
    return Panel("table", title, [query], result_format="table", width=24)


def shifted(panel: Panel, title: str, shift: str) -> Panel:
    return Panel(**{**panel.__dict__, "title": title, "time_shift": shift})


def _thresholds(band: Band | None) -> JSON:
    steps: list[JSON] = [{"color": "green", "value": None}]
    if band is not None:
        steps = [{"color": "blue", "value": None}, {"color": "green", "value": band.low}]
        steps.append({"color": "red", "value": band.high})
    return {"mode": "absolute", "steps": steps}


def to_json(panel: Panel, panel_id: int, x: int, y: int) -> JSON:
    refs = "ABCDEFGHIJ"
    body: JSON = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": panel.width, "h": 8},
        "targets": [
            {
                "refId": refs[i],
                "datasource": DATASOURCE,
                "rawQuery": True,
                "query": q,
                "resultFormat": panel.result_format,
            }
            for i, q in enumerate(panel.queries)
        ],
        "fieldConfig": {
            "defaults": {"unit": panel.unit, "thresholds": _thresholds(panel.band), "custom": panel.custom},
            "overrides": [],
        },
        "options": panel.options,
    }
    if panel.time_shift:
        body["timeShift"] = panel.time_shift
    return body


def layout(panels: Sequence[Panel]) -> list[JSON]:
    """Left to right, then down: a 24-column grid, as Grafana lays it out."""
    out, x, y = [], 0, 0
    for i, panel in enumerate(panels, start=1):
        if x + panel.width > 24:
            x, y = 0, y + 8
        out.append(to_json(panel, i, x, y))
        x += panel.width
    return out
