"""Every dashboard query, template variable and annotation runs against a real influxd holding the
example cooperative's history (written through the gateway's point mapping) and returns rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contract.site_file import load_site
from gateway.storage.influx import InfluxV1Store
from greenhouse.grafana.dashboards import DASHBOARDS, Dashboard, to_json
from greenhouse.grafana.panels import DATASOURCE_UID
from greenhouse.grafana.templating import VARIABLE_QUERIES, annotation_query
from tests.conftest import EXAMPLE_SITE
from tests.support.demo_history import write_demo_history
from tests.support.influxd import Influxd

SITE = load_site(EXAMPLE_SITE)
GREENHOUSES = sorted(g.id for g in SITE.greenhouses)
ZONES = sorted({z.id for g in SITE.greenhouses for z in g.zones})
# What Grafana puts in for the variables when "All" is chosen, and for a range covering the demo's days.
VALUES = {
    "$cooperative": f"({SITE.cooperative.id})",
    "$greenhouse": "(" + "|".join(GREENHOUSES) + ")",
    "$zone": "(" + "|".join(ZONES) + ")",
    "$__interval": "1h",
}
NOW_RANGE = "time > now() - 4d"
SHIFTED_RANGE = "time > now() - 369d AND time < now() - 364d"  # the panel's timeShift of 1y
ALL = [(d, lang) for d in DASHBOARDS for lang in ("vi", "en")]


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = Influxd(tmp_path_factory.mktemp("influxd"))
    server.start()
    store = InfluxV1Store(server.url, "greenhouse")
    write_demo_history(store, SITE)
    store.close()
    yield server.url
    server.stop()


def grafana_sends(query: str, time_filter: str = NOW_RANGE) -> str:
    for name, value in VALUES.items():
        query = query.replace(name, value)
    query = query.replace("$timeFilter", time_filter)
    assert "$" not in query.replace("$/", ""), f"an unknown variable is left in {query}"
    return query


def run(url: str, query: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{url}/query", params={"db": "greenhouse", "q": query, "epoch": "ms"}, timeout=30)
    answer.raise_for_status()
    (result,) = answer.json()["results"]
    assert "error" not in result, f"{query}: {result.get('error')}"
    return result.get("series", [])


@pytest.mark.parametrize(("dashboard", "lang"), ALL, ids=[f"{d.slug}-{lang}" for d, lang in ALL])
def test_every_panel_query_returns_rows(influx: str, dashboard: Dashboard, lang: str) -> None:
    body = to_json(dashboard, lang)
    for panel in body["panels"]:
        time_filter = SHIFTED_RANGE if panel.get("timeShift") == "1y" else NOW_RANGE
        for target in panel["targets"]:
            series = run(influx, grafana_sends(target["query"], time_filter))
            rows = [v for s in series for v in s["values"] if any(x is not None for x in v[1:])]
            assert rows, f"{body['title']} / {panel['title']}: no rows for {target['query']}"


def test_template_variables_list_the_cooperative_greenhouses_and_zones(influx: str) -> None:
    def values(name: str) -> list[str]:
        return sorted(v for s in run(influx, grafana_sends(VARIABLE_QUERIES[name])) for _key, v in s["values"])

    assert values("cooperative") == [SITE.cooperative.id]
    assert values("greenhouse") == GREENHOUSES
    assert values("zone") == ZONES


@pytest.mark.parametrize("kind", ["alert", "decision"])
def test_annotations_find_rule_decisions_and_alerts(influx: str, kind: str) -> None:
    series = run(influx, grafana_sends(annotation_query(kind)))
    assert series and series[0]["columns"][:3] == ["time", "reason", "severity"]
    assert series[0]["values"]


def test_the_offline_gateway_is_listed_and_the_online_ones_are_not(influx: str) -> None:
    overview = to_json(DASHBOARDS[0], "en")
    (panel,) = [p for p in overview["panels"] if p["title"] == "Offline gateways"]
    series = run(influx, grafana_sends(panel["targets"][0]["query"]))
    assert [s["tags"]["greenhouse"] for s in series] == [SITE.greenhouses[2].id]


@pytest.mark.parametrize(("dashboard", "lang"), ALL, ids=[f"{d.slug}-{lang}" for d, lang in ALL])
def test_dashboard_json_has_what_grafana_needs(dashboard: Dashboard, lang: str) -> None:
    body = to_json(dashboard, lang)
    assert re.fullmatch(r"[a-z0-9-]{1,40}", body["uid"])
    assert body["title"] and body["time"]["from"].startswith("now-")
    names = [v["name"] for v in body["templating"]["list"]]
    assert {"cooperative", "greenhouse"} <= set(names)
    for variable in body["templating"]["list"]:
        assert variable["type"] == "query" and variable["datasource"]["uid"] == DATASOURCE_UID and variable["query"]
    used = set()
    for panel in body["panels"]:
        assert isinstance(panel["id"], int) and panel["title"] and panel["type"]
        assert panel["targets"] and all(t["refId"] and t["query"] and t["rawQuery"] for t in panel["targets"])
        assert panel["datasource"]["uid"] == DATASOURCE_UID
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24
        cells = {(pos["x"] + dx, pos["y"] + dy) for dx in range(pos["w"]) for dy in range(pos["h"])}
        assert not cells & used, f"{panel['title']} overlaps another panel"
        used |= cells
        # Every variable a query uses is defined on the dashboard.
        for target in panel["targets"]:
            for var in re.findall(r"\$(\w+)", target["query"]):
                assert var in names or var in ("timeFilter", "__interval")
    assert len({p["id"] for p in body["panels"]}) == len(body["panels"])


def test_titles_differ_between_languages_and_uids_are_unique() -> None:
    bodies = [to_json(d, lang) for d, lang in ALL]
    assert len({b["uid"] for b in bodies}) == len(bodies)
    for d in DASHBOARDS:
        vi, en = to_json(d, "vi"), to_json(d, "en")
        assert vi["title"] != en["title"]
        assert [p["targets"] for p in vi["panels"]] == [p["targets"] for p in en["panels"]]
