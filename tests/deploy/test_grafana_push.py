"""'greenhouse grafana push' run for real, through grafana-client, against an HTTP server answering as
Grafana's API does (Grafana itself cannot be installed here: see tests/support/fake_grafana.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from greenhouse.cli import main
from greenhouse.grafana.dashboards import DASHBOARDS, to_json
from greenhouse.grafana.panels import DATASOURCE_UID
from tests.support.fake_grafana import FakeGrafana

TOKEN = "glsa_test_token"


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    server = FakeGrafana(TOKEN)
    server.start()
    yield server
    server.stop()


def push(grafana: FakeGrafana, token: str = TOKEN) -> int:
    return main(
        ["grafana", "push", "--url", grafana.url, "--token", token, "--influx-password", "read-only-pw", "--lang", "en"]
    )


def test_push_creates_the_datasource_folders_and_dashboards(grafana: FakeGrafana, capsys) -> None:
    assert push(grafana) == 0
    state = grafana.state
    (source,) = state.datasources.values()
    assert (
        source["uid"] == DATASOURCE_UID
        and source["type"] == "influxdb"
        and source["jsonData"]["dbName"] == "greenhouse"
    )
    assert source["secureJsonData"] == {"password": "read-only-pw"}
    assert set(state.folders) == {"greenhouse-vi", "greenhouse-en"}
    assert set(state.dashboards) == {to_json(d, lang)["uid"] for d in DASHBOARDS for lang in ("vi", "en")}
    assert state.dashboards["gh-climate-vi"]["folderUid"] == "greenhouse-vi"
    assert state.dashboards["gh-climate-en"]["dashboard"] == to_json(DASHBOARDS[1], "en")
    assert "dashboard gh-overview-en: created" in capsys.readouterr().out


def test_pushing_again_updates_in_place(grafana: FakeGrafana, capsys) -> None:
    assert push(grafana) == 0
    first = {k: dict(v) for k, v in grafana.state.dashboards.items()}
    calls = len(grafana.state.calls)
    capsys.readouterr()
    assert push(grafana) == 0
    state = grafana.state
    assert len(state.datasources) == 1 and len(state.folders) == 2 and set(state.dashboards) == set(first)
    assert all(state.dashboards[uid]["version"] == first[uid]["version"] + 1 for uid in first)
    second = state.calls[calls:]
    assert ("POST", "/api/datasources") not in second and ("POST", "/api/folders") not in second
    assert ("PUT", f"/api/datasources/uid/{DATASOURCE_UID}") in second
    out = capsys.readouterr().out
    assert "created" not in out and out.count("updated") == 1 + 2 + len(first)


def test_a_refused_token_is_reported_with_grafanas_answer(grafana: FakeGrafana, capsys) -> None:
    assert push(grafana, token="wrong") == 2
    err = capsys.readouterr().err
    assert f"Grafana at {grafana.url} refused: 401" in err
    assert grafana.state.dashboards == {}


def test_push_needs_a_token_and_names_an_unreachable_grafana(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRAFANA_TOKEN", raising=False)
    assert main(["grafana", "push", "--url", "http://127.0.0.1:9", "--influx-password", "x"]) == 2
    assert "--token" in capsys.readouterr().err
    assert main(["grafana", "push", "--url", "http://127.0.0.1:9", "--token", "t", "--influx-password", "x"]) == 2
    assert "cannot reach Grafana at http://127.0.0.1:9" in capsys.readouterr().err
