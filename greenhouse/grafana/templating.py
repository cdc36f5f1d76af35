"""Template variables (cooperative, greenhouse, zone) and the annotations every dashboard shows."""

from __future__ import annotations

from contract.reasons import Lang, pick
from gateway.storage import points
from greenhouse.grafana import influxql as q
from greenhouse.grafana.panels import DATASOURCE, JSON

_LABELS = {
    q.COOPERATIVE: ("Hợp tác xã", "Cooperative"),
    q.GREENHOUSE: ("Nhà màng", "Greenhouse"),
    q.ZONE: ("Khu tưới", "Zone"),
}
VARIABLE_QUERIES = {
    q.COOPERATIVE: q.tag_values(points.READING, "site"),
    q.GREENHOUSE: q.tag_values(points.READING, "greenhouse", q.SITE_FILTER),
    q.ZONE: q.tag_values(points.READING, "zone", q.HOUSES),
}
ANNOTATIONS = {
    "alert": (("Cảnh báo", "Alerts"), "red"),
    "decision": (("Quyết định của luật", "Rule decisions"), "blue"),
}


def annotation_query(event_kind: str) -> str:
    return f'SELECT "reason", "severity" FROM "{points.EVENT}" WHERE {q.where(q.event_kind(event_kind))}'


def variable(name: str, lang: Lang) -> JSON:
    return {
        "name": name,
        "label": pick(_LABELS[name], lang),
        "type": "query",
        "datasource": DATASOURCE,
        "query": VARIABLE_QUERIES[name],
        "definition": VARIABLE_QUERIES[name],
        "refresh": 1,  # on dashboard load: a new greenhouse shows up without editing anything
        "includeAll": True,
        "multi": True,
        "current": {"text": "All", "value": "$__all"},
        "sort": 1,
    }


def templating(names: list[str], lang: Lang) -> JSON:
    return {"list": [variable(n, lang) for n in names]}


def annotations(lang: Lang) -> JSON:
    return {
        "list": [
            {
                "name": pick(title, lang),
                "datasource": DATASOURCE,
                "enable": True,
                "iconColor": color,
                "query": annotation_query(kind),
                "textColumn": "reason",
                "tagsColumn": "severity",
            }
            for kind, (title, color) in ANNOTATIONS.items()
        ]
    }
