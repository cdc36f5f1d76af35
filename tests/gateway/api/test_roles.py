"""Every role against every endpoint of the history API: what it may read, what is forbidden (403), and what
does not exist for it (404: another cooperative's greenhouses, or those a farmer is not given)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.accounts.roles import ALLOWED, Action, Role, may
from tests.gateway.api.conftest import Api, serve

AT = "2026-01-15T05:40:00+07:00"


def _greenhouse_paths(gh: str) -> dict[str, str]:
    return {
        f"history {gh}": f"/api/v1/greenhouses/{gh}/history",
        f"csv {gh}": f"/api/v1/greenhouses/{gh}/history.csv",
        f"audit {gh}": f"/api/v1/greenhouses/{gh}/audit?zone=khu-a&at={AT.replace('+', '%2B')}",
    }


PATHS = {
    "status": "/api/v1/status",
    **_greenhouse_paths("ca-chua-1"),
    **_greenhouse_paths("ca-chua-2"),
    "ingest": "/api/v1/ingest",
    "users": "/api/v1/users",
    "site file": "/api/v1/site/file",
}
OWN_HOUSE = ["history ca-chua-1", "csv ca-chua-1", "audit ca-chua-1"]
OTHER_HOUSE = ["history ca-chua-2", "csv ca-chua-2", "audit ca-chua-2"]

# Written out by hand, not derived from the code's table: this is what the issue asks for.
EXPECTED: dict[str, dict[str, int]] = {
    "nong-dan": {"status": 200, **dict.fromkeys(OWN_HOUSE, 200), **dict.fromkeys(OTHER_HOUSE, 404)}
    | {"ingest": 403, "users": 403, "site file": 403},
    "nong-hoc": {"status": 200, **dict.fromkeys(OWN_HOUSE + OTHER_HOUSE, 200)}
    | {"ingest": 403, "users": 403, "site file": 403},
    "ky-thuat": {"status": 200, **dict.fromkeys(OWN_HOUSE + OTHER_HOUSE, 200)}
    | {"ingest": 200, "users": 403, "site file": 200},
    "quan-tri": {"status": 200, **dict.fromkeys(OWN_HOUSE + OTHER_HOUSE, 200)}
    | {"ingest": 200, "users": 200, "site file": 200},
    # Another cooperative's admin and technician: this site's greenhouses, ingest, users and site file do not
    # exist for them.
    "bac-ha-admin": {"status": 200, **dict.fromkeys(OWN_HOUSE + OTHER_HOUSE, 404)}
    | {"ingest": 404, "users": 404, "site file": 404},
    "bac-ha-ky-thuat": {"status": 200, **dict.fromkeys(OWN_HOUSE + OTHER_HOUSE, 404)}
    | {"ingest": 404, "users": 403, "site file": 404},
}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One gateway for the module: its tests only sign in (which succeeds, counting no failure) and read, and never
    move its clock."""
    yield from serve(tmp_path_factory.mktemp("roles"))


@pytest.mark.parametrize("user", list(EXPECTED))
def test_each_role_gets_what_it_may_see_and_nothing_else(api: Api, user: str) -> None:
    client = api.login(user)
    got = {endpoint: client.get(path).status_code for endpoint, path in PATHS.items()}
    assert got == EXPECTED[user]


def test_without_signing_in_every_endpoint_answers_401_in_the_callers_language(api: Api) -> None:
    for lang, text in (("vi", "Cần đăng nhập"), ("en", "Please sign in")):
        client = api.anonymous(lang)
        for path in PATHS.values():
            response = client.get(path)
            assert (response.status_code, response.json()["detail"]) == (401, text), path


def test_a_farmer_sees_the_status_of_their_greenhouses_only_and_another_cooperative_none(api: Api) -> None:
    assert [h["greenhouse"] for h in api.login("nong-dan").get("/api/v1/status").json()] == ["ca-chua-1"]
    assert [h["greenhouse"] for h in api.login("nong-hoc").get("/api/v1/status").json()] == [
        "ca-chua-1",
        "ca-chua-2",
        "rau-la-1",
    ]
    assert api.login("bac-ha-admin").get("/api/v1/status").json() == []


def test_a_404_for_another_cooperative_reads_the_same_as_for_a_greenhouse_that_does_not_exist(api: Api) -> None:
    client = api.login("bac-ha-admin")
    real = client.get("/api/v1/greenhouses/ca-chua-1/history")
    made_up = client.get("/api/v1/greenhouses/khong-co/history")
    assert (real.status_code, made_up.status_code) == (404, 404)
    assert (
        real.json()["detail"] == "no greenhouse 'ca-chua-1'" and made_up.json()["detail"] == "no greenhouse 'khong-co'"
    )


def test_a_forbidden_role_is_told_which_role_in_its_language(api: Api) -> None:
    assert api.login("nong-dan").get("/api/v1/ingest").json()["detail"] == "Vai trò nông dân không được làm việc này"
    assert api.login("nong-hoc", "en").get("/api/v1/users").json()["detail"] == "The agronomist role may not do this"


def test_the_table_lets_farmers_command_but_not_edit_rules_and_only_admins_manage_users() -> None:
    assert may(Role.FARMER, Action.COMMAND) and not may(Role.FARMER, Action.EDIT_RULES)
    assert not may(Role.AGRONOMIST, Action.COMMAND) and not may(Role.AGRONOMIST, Action.EDIT_RULES)
    assert may(Role.TECHNICIAN, Action.EDIT_RULES) and may(Role.TECHNICIAN, Action.COMMAND)
    assert ALLOWED[Action.MANAGE_USERS] == {Role.ADMIN}
    assert ALLOWED[Action.READ] == set(Role)
    assert set(ALLOWED) == set(Action)  # every action has its line in the table
