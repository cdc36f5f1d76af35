"""``greenhouse grafana export``: the provisioning files docker-compose.yml mounts into Grafana (deploy/grafana)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from contract.reasons import Lang, pick
from greenhouse.grafana.dashboards import DASHBOARDS, to_json
from greenhouse.grafana.datasource import InfluxSource
from greenhouse.grafana.push import FOLDER_TITLE

# Grafana expands $VARIABLES in provisioning files from its environment (docker-compose.yml sets them).
PROVISIONED_SOURCE = InfluxSource(url="http://influxdb:8086", password="$INFLUXDB_GRAFANA_PASSWORD")
DASHBOARDS_IN_CONTAINER = "/etc/grafana/dashboards"


def files(langs: tuple[Lang, ...]) -> dict[str, str]:
    """Relative path -> text of every provisioning file."""
    source = {"apiVersion": 1, "datasources": [PROVISIONED_SOURCE.body()]}
    providers = {
        "apiVersion": 1,
        "providers": [
            {
                "name": f"greenhouse-{lang}",
                "folder": f"{pick(FOLDER_TITLE, lang)} ({lang})",
                "folderUid": f"greenhouse-{lang}",
                "type": "file",
                "allowUiUpdates": False,
                "options": {"path": f"{DASHBOARDS_IN_CONTAINER}/{lang}"},
            }
            for lang in langs
        ],
    }
    out = {
        "provisioning/datasources/greenhouse.yaml": yaml.safe_dump(source, allow_unicode=True, sort_keys=False),
        "provisioning/dashboards/greenhouse.yaml": yaml.safe_dump(providers, allow_unicode=True, sort_keys=False),
    }
    for lang in langs:
        for d in DASHBOARDS:
            out[f"dashboards/{lang}/{d.slug}.json"] = json.dumps(to_json(d, lang), ensure_ascii=False, indent=2) + "\n"
    return out


def export(target: Path, langs: tuple[Lang, ...]) -> list[Path]:
    written = []
    for name, text in files(langs).items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
