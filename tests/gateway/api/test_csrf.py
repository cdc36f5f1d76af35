"""A request that changes something and rides on the session cookie must carry that session's X-CSRF-Token."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.gateway.api.conftest import Api, serve

NEW_FARMER = {"name": "nong-dan-2", "role": "farmer", "password": "mat-khau-du-dai", "greenhouses": ["ca-chua-2"]}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One gateway for the module: only the first test makes a user (nong-dan-2, which the others are refused), a
    logout ends only its own session, and no sign-in here fails."""
    yield from serve(tmp_path_factory.mktemp("csrf"))


def _other(token: str) -> str:
    """The token with its last hex digit changed: always wrong."""
    return token[:-1] + ("1" if token[-1] == "0" else "0")


def test_a_change_without_the_token_or_with_a_wrong_one_is_refused_and_changes_nothing(api: Api) -> None:
    admin = api.login("quan-tri", "en")
    token = admin.headers.pop("X-CSRF-Token")
    missing = admin.post("/api/v1/users", json=NEW_FARMER)
    wrong = admin.post("/api/v1/users", json=NEW_FARMER, headers={"X-CSRF-Token": _other(token)})
    for response in (missing, wrong):
        assert response.status_code == 403
        assert response.json()["detail"] == "Missing or wrong protection token (X-CSRF-Token) — reload the page"
    assert api.accounts.users.get("nong-dan-2") is None
    assert admin.post("/api/v1/users", json=NEW_FARMER, headers={"X-CSRF-Token": token}).status_code == 201
    assert api.accounts.users.get("nong-dan-2") is not None


def test_another_sessions_token_does_not_do(api: Api) -> None:
    first, second = api.login("quan-tri"), api.login("quan-tri")
    response = first.post("/api/v1/users", json=NEW_FARMER, headers={"X-CSRF-Token": second.headers["X-CSRF-Token"]})
    assert response.status_code == 403 and "X-CSRF-Token" in response.json()["detail"]


def test_logout_needs_the_token_too_so_another_site_cannot_sign_a_user_out(api: Api) -> None:
    client = api.login("nong-hoc")
    assert client.post("/api/v1/logout", headers={"X-CSRF-Token": ""}).status_code == 403
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/logout").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_reading_needs_no_token(api: Api) -> None:
    client = api.login("nong-hoc")
    del client.headers["X-CSRF-Token"]
    assert client.get("/api/v1/status").status_code == 200


def test_sign_in_takes_json_only_so_that_another_sites_plain_form_cannot_post_it(api: Api) -> None:
    # A page elsewhere can post text/plain or a form without asking; application/json it cannot, without CORS.
    body = json.dumps({"user": "quan-tri", "password": api.passwords["quan-tri"]})
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = api.anonymous().post("/api/v1/login", content=body, headers={"Content-Type": content_type})
        assert response.status_code == 422 and "set-cookie" not in response.headers, content_type
    assert api.anonymous().post("/api/v1/login", content=body, headers={"Content-Type": "application/json"}).is_success
