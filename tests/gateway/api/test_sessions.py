"""Signing in and out: the cookie's attributes, /me, expiry, logout, disabled users, and what the file keeps."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.accounts.db import accounts_path
from tests.gateway.api.conftest import SESSION_TTL, Api, serve


def test_sign_in_sets_an_httponly_strict_cookie_and_me_says_who_and_gives_the_csrf_token(api: Api) -> None:
    client = api.anonymous()
    response = client.post("/api/v1/login", json={"user": "nong-dan", "password": api.passwords["nong-dan"]})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("gh_session=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # this server is told it is served over plain http
    assert f"Max-Age={int(SESSION_TTL.total_seconds())}" in cookie
    me = client.get("/api/v1/me").json()
    assert me == {
        "name": "nong-dan",
        "role": "farmer",
        "cooperative": "htx-moc-chau",
        "greenhouses": ["ca-chua-1"],
        "csrf_token": response.json()["csrf_token"],
        # What the app offers a farmer: no set-up, rules or users; the record book, but no corrections.
        "may": ["read", "command", "ack_alerts", "record_diary"],
    }
    assert len(me["csrf_token"]) == 64
    technician = api.login("ky-thuat").get("/api/v1/me").json()["may"]
    assert technician == [
        "read",
        "read_ingest",
        "command",
        "ack_alerts",
        "setup",
        "edit_rules",
        "edit_roster",
        "record_diary",
        "correct_diary",
        "export_diary",
        "publish_lots",
    ]
    # Every session has its own CSRF token.
    assert api.login("nong-dan").get("/api/v1/me").json()["csrf_token"] != me["csrf_token"]


@pytest.fixture
def secure_api(tmp_path: Path) -> Iterator[Api]:
    yield from serve(tmp_path, secure_cookies=True)


def test_by_default_the_cookie_is_secure(secure_api: Api) -> None:
    name = "quan-tri"
    response = secure_api.anonymous().post("/api/v1/login", json={"user": name, "password": secure_api.passwords[name]})
    assert response.status_code == 200 and "Secure" in response.headers["set-cookie"]


def test_wrong_password_and_unknown_user_are_refused_alike_in_both_languages(api: Api) -> None:
    client = api.anonymous()
    wrong = client.post("/api/v1/login", json={"user": "nong-dan", "password": "khong-dung-dau"})
    unknown = client.post("/api/v1/login", json={"user": "ai-do", "password": "khong-dung-dau"})
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    assert wrong.json() == unknown.json() == {"detail": "Sai tên đăng nhập hoặc mật khẩu"}
    assert "set-cookie" not in wrong.headers
    english = api.anonymous("en-US,en;q=0.9").post("/api/v1/login", json={"user": "ai-do", "password": "x"})
    assert english.json()["detail"] == "Wrong user name or password"
    assert client.get("/api/v1/me").status_code == 401


def test_a_malformed_sign_in_names_the_field(api: Api) -> None:
    response = api.anonymous().post("/api/v1/login", json={"user": "nong-dan"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "password"]
    response = api.anonymous().post("/api/v1/login", json={"user": "nong-dan", "password": "x" * 257})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "password"]


def test_a_session_expires_after_its_lifetime(api: Api) -> None:
    client = api.login("nong-hoc")
    api.clock.advance(SESSION_TTL * 0.99)
    assert client.get("/api/v1/status").status_code == 200
    api.clock.advance(SESSION_TTL * 0.02)
    assert client.get("/api/v1/status").status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_logout_ends_the_session_on_the_server_not_only_in_the_browser(api: Api) -> None:
    client = api.login("ky-thuat")
    token = client.cookies["gh_session"]
    response = client.post("/api/v1/logout")
    assert response.status_code == 204 and 'gh_session=""' in response.headers["set-cookie"]
    replay = api.anonymous()
    replay.cookies.set("gh_session", token)
    assert replay.get("/api/v1/status").status_code == 401


def test_a_disabled_user_loses_their_session_at_once_and_cannot_sign_in(api: Api) -> None:
    farmer = api.login("nong-dan")
    assert farmer.get("/api/v1/status").status_code == 200
    api.accounts.users.disable("nong-dan")  # as 'greenhouse users disable' does, while the gateway runs
    assert farmer.get("/api/v1/status").status_code == 401
    response = api.anonymous().post("/api/v1/login", json={"user": "nong-dan", "password": api.passwords["nong-dan"]})
    assert response.status_code == 401 and "Tài khoản đã bị khóa" in response.json()["detail"]
    # A wrong password does not tell that the account exists and is disabled.
    response = api.anonymous().post("/api/v1/login", json={"user": "nong-dan", "password": "khong-dung-dau"})
    assert response.json()["detail"] == "Sai tên đăng nhập hoặc mật khẩu"


def test_the_file_keeps_argon2_hashes_and_token_hashes_never_a_password_or_a_token(api: Api) -> None:
    client = api.login("quan-tri")
    token = client.cookies["gh_session"]
    path = accounts_path(api.data_dir)
    with sqlite3.connect(path) as db:
        hashes = dict(db.execute("SELECT name, password_hash FROM users").fetchall())
        sessions = [row[0] for row in db.execute("SELECT token_hash FROM sessions")]
    assert set(hashes) == set(api.passwords)
    assert all(h.startswith("$argon2id$v=19$m=65536,t=3,p=4$") for h in hashes.values())
    assert len(set(hashes.values())) == len(hashes)  # salted: no two alike
    assert sessions == [hashlib.sha256(token.encode()).hexdigest()]
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))  # with the WAL
    for secret in [*api.passwords.values(), token]:
        assert secret.encode() not in raw
