"""``greenhouse grafana push``: the datasource, a folder per language and every dashboard, created or
updated in place in an existing Grafana (keyed by uid: running it twice changes nothing more)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError

from contract.reasons import Lang, pick
from greenhouse.grafana.dashboards import DASHBOARDS, to_json
from greenhouse.grafana.datasource import InfluxSource
from greenhouse.grafana.panels import DATASOURCE_UID, JSON

FOLDER_TITLE = ("Nhà màng", "Greenhouses")


def folder_uid(lang: Lang) -> str:
    return f"greenhouse-{lang}"


@dataclass(frozen=True)
class Pushed:
    what: str  # "datasource", "folder", "dashboard"
    uid: str
    created: bool


def _exists(call: object) -> bool:
    try:
        call()  # type: ignore[operator]
    except GrafanaClientError as exc:
        if exc.status_code == 404:
            return False
        raise
    return True


def push(api: GrafanaApi, source: InfluxSource, langs: tuple[Lang, ...]) -> Iterator[Pushed]:
    body = source.body()
    if _exists(lambda: api.datasource.get_datasource_by_uid(DATASOURCE_UID)):
        api.datasource.update_datasource_by_uid(DATASOURCE_UID, body)
        yield Pushed("datasource", DATASOURCE_UID, False)
    else:
        api.datasource.create_datasource(body)
        yield Pushed("datasource", DATASOURCE_UID, True)
    for lang in langs:
        uid = folder_uid(lang)
        created = not _exists(lambda uid=uid: api.folder.get_folder(uid))
        if created:
            api.folder.create_folder(f"{pick(FOLDER_TITLE, lang)} ({lang})", uid=uid)
        yield Pushed("folder", uid, created)
        for dashboard in DASHBOARDS:
            board: JSON = to_json(dashboard, lang)
            created = not _exists(lambda b=board: api.dashboard.get_dashboard(b["uid"]))
            api.dashboard.update_dashboard(
                {"dashboard": board, "folderUid": uid, "overwrite": True, "message": "greenhouse grafana push"}
            )
            yield Pushed("dashboard", board["uid"], created)
