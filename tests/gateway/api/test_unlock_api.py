"""An admin sees who is held off signing in and unlocks a user or an address (``unlock_sign_ins`` in the roles
table: admins only); other roles get 403, another cooperative's admin 404, as for the users of the site."""

from __future__ import annotations

import pytest

from gateway.accounts.words import ROLES
from tests.gateway.api.conftest import USERS, Api
from tests.gateway.api.test_login_limits import ATTACKER, WRONG, sign_in

LIMITS_PATH = "/api/v1/sign-in-limits"


def _attack(api: Api) -> None:
    """From one address: 3 failures for nong-dan (its limit) and 3 for names no one has (the address's 6)."""
    for name in ["nong-dan"] * 3 + [f"doan-ten-{i}" for i in range(3)]:
        assert sign_in(api, name, WRONG, ATTACKER).status == 401


def test_an_admin_sees_who_is_held_off_and_unlocks_the_user_then_the_address(api: Api) -> None:
    _attack(api)
    admin = api.login("quan-tri")  # from 127.0.0.1, not held off
    assert admin.get(LIMITS_PATH).json() == [
        {"limit": "address", "name": None, "address": ATTACKER, "failures": 6, "retry_after_s": 900},
        {"limit": "name_from_address", "name": "nong-dan", "address": ATTACKER, "failures": 3, "retry_after_s": 900},
        # Counting, not holding off: 3 failures of the 10 from strangers before they are slowed.
        {"limit": "name", "name": "nong-dan", "address": None, "failures": 3, "retry_after_s": 0},
    ]  # names that are no one's are listed under their address only

    unlocked = admin.post("/api/v1/users/nong-dan/unlock")
    assert (unlocked.status_code, unlocked.json()) == (200, {"name": "nong-dan", "address": None, "failures": 3})
    # The name is free, but that address is still held off for every name.
    assert [h["limit"] for h in admin.get(LIMITS_PATH).json()] == ["address"]
    held = sign_in(api, "nong-dan", api.passwords["nong-dan"], ATTACKER, "en")
    assert held.status == 429 and held.detail.startswith("Too many failed sign-ins from this address")

    unlocked = admin.post(f"/api/v1/sign-in-limits/addresses/{ATTACKER}/unlock")
    assert (unlocked.status_code, unlocked.json()) == (200, {"name": None, "address": ATTACKER, "failures": 6})
    assert admin.get(LIMITS_PATH).json() == []
    assert sign_in(api, "nong-dan", api.passwords["nong-dan"], ATTACKER).status == 200
    assert sign_in(api, "doan-ten-0", WRONG, ATTACKER).status == 401  # guessing again counts afresh


def test_unlocking_a_user_is_for_their_own_cooperatives_admin_only(api: Api) -> None:
    admin = api.login("quan-tri", "en")
    for name in ("ai-do", "bac-ha-ky-thuat"):  # no such user, and another cooperative's: the same answer
        response = admin.post(f"/api/v1/users/{name}/unlock")
        assert (response.status_code, response.json()) == (404, {"detail": f"No user {name!r}"})
    # Unlocking whom nothing holds off is no error: nothing stopped counting.
    assert admin.post("/api/v1/users/ky-thuat/unlock").json() == {"name": "ky-thuat", "address": None, "failures": 0}


@pytest.mark.parametrize(
    ("user", "status"),
    [("nong-dan", 403), ("ky-thuat", 403), ("nong-hoc", 403), ("bac-ha-ky-thuat", 403), ("bac-ha-admin", 404)],
)
def test_other_roles_and_cooperatives_may_neither_see_nor_unlock(api: Api, user: str, status: int) -> None:
    _attack(api)
    client = api.login(user)
    requests = [
        client.get(LIMITS_PATH),
        client.post("/api/v1/users/nong-dan/unlock"),
        client.post(f"/api/v1/sign-in-limits/addresses/{ATTACKER}/unlock"),
    ]
    assert [r.status_code for r in requests] == [status] * 3
    if status == 403:
        assert requests[0].json()["detail"] == f"Vai trò {ROLES[USERS[user][0]][0]} không được làm việc này"
    # Nothing was unlocked.
    assert sign_in(api, "nong-dan", api.passwords["nong-dan"], ATTACKER).status == 429


def test_unlocking_needs_a_session_and_its_csrf_token(api: Api) -> None:
    _attack(api)
    assert api.anonymous().post("/api/v1/users/nong-dan/unlock").status_code == 401
    admin = api.login("quan-tri")
    del admin.headers["X-CSRF-Token"]
    assert admin.post("/api/v1/users/nong-dan/unlock").status_code == 403
    assert sign_in(api, "nong-dan", api.passwords["nong-dan"], ATTACKER).status == 429
