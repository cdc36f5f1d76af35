"""The site's set-up for the technician's pages, and the link to Grafana: who may read them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway.api.conftest import Api, serve


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One gateway for the module: its tests only sign in and read."""
    yield from serve(tmp_path_factory.mktemp("site"))


def test_a_technician_reads_the_set_up_with_its_safety_limits(api: Api) -> None:
    site = api.login("ky-thuat").get("/api/v1/site")
    assert site.status_code == 200, site.text
    body = site.json()
    assert body["cooperative"]["id"] == "htx-moc-chau"
    assert [g["id"] for g in body["greenhouses"]] == ["ca-chua-1", "ca-chua-2", "rau-la-1"]
    tomato = body["greenhouses"][0]
    assert [z["id"] for z in tomato["zones"]] == ["khu-a", "khu-b"]
    relays = next(n for n in tomato["nodes"] if n["id"] == "relays")
    pump = next(a for a in relays["actuators"] if a["id"] == "pump")
    assert pump["safety"]["sensor_interlocks"] == [{"sensor": "tank-level", "min": 15.0, "max": None}]


def test_the_set_up_is_for_technicians_and_admins_of_the_cooperative(api: Api) -> None:
    assert api.login("quan-tri").get("/api/v1/site").status_code == 200
    for name in ("nong-dan", "nong-hoc"):
        assert api.login(name).get("/api/v1/site").status_code == 403
    assert api.login("bac-ha-ky-thuat").get("/api/v1/site").status_code == 404
    assert api.anonymous().get("/api/v1/site").status_code == 401


def test_every_role_may_ask_where_grafana_is(api: Api) -> None:
    for name in ("nong-dan", "nong-hoc", "ky-thuat"):
        assert api.login(name).get("/api/v1/links").json() == {"grafana_url": None}
    assert api.login("bac-ha-admin").get("/api/v1/links").status_code == 404
