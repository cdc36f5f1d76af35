"""An admin manages the users of their own cooperative, and only those."""

from __future__ import annotations

from tests.gateway.api.conftest import Api


def _farmer(name: str = "nong-dan-2", **changes: object) -> dict[str, object]:
    return {"name": name, "role": "farmer", "password": "mat-khau-du-dai", "greenhouses": ["ca-chua-2"], **changes}


def test_an_admin_adds_a_farmer_who_then_sees_only_the_greenhouse_given(api: Api) -> None:
    admin = api.login("quan-tri")
    created = admin.post("/api/v1/users", json=_farmer())
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("name", "role", "cooperative", "greenhouses", "disabled")} == {
        "name": "nong-dan-2",
        "role": "farmer",
        "cooperative": "htx-moc-chau",  # the admin's, whatever the body might say
        "greenhouses": ["ca-chua-2"],
        "disabled": False,
    }
    api.passwords["nong-dan-2"] = "mat-khau-du-dai"
    farmer = api.login("nong-dan-2")
    assert [h["greenhouse"] for h in farmer.get("/api/v1/status").json()] == ["ca-chua-2"]
    assert farmer.get("/api/v1/greenhouses/ca-chua-1/history").status_code == 404


def test_the_list_has_the_admins_cooperative_only_and_no_password_hash(api: Api) -> None:
    users = api.login("quan-tri").get("/api/v1/users").json()
    assert [u["name"] for u in users] == ["ky-thuat", "nong-dan", "nong-hoc", "quan-tri"]
    assert all("password" not in key for u in users for key in u)


def test_bad_new_users_are_refused_naming_what_is_wrong(api: Api) -> None:
    admin = api.login("quan-tri", "en")
    cases = [
        (_farmer(greenhouses=["ca-chua-9"]), 422, "greenhouses: ca-chua-9 not in htx-moc-chau"),
        (_farmer(role="technician"), 422, "only a farmer is limited to some greenhouses, not a technician"),
        (_farmer(greenhouses=[]), 422, "give at least one"),
        (_farmer(name="quan-tri"), 409, "User 'quan-tri' already exists"),
    ]
    for body, status, detail in cases:
        response = admin.post("/api/v1/users", json=body)
        assert response.status_code == status and detail in response.json()["detail"], response.text
    short = admin.post("/api/v1/users", json=_farmer(password="ngan"))
    assert short.status_code == 422 and short.json()["detail"][0]["loc"] == ["body", "password"]
    bad_name = admin.post("/api/v1/users", json=_farmer(name="Nông Dân"))
    assert bad_name.status_code == 422 and bad_name.json()["detail"][0]["loc"] == ["body", "name"]
    boss = admin.post("/api/v1/users", json=_farmer(role="boss"))
    assert boss.status_code == 422 and boss.json()["detail"][0]["loc"] == ["body", "role"]
    assert [u["name"] for u in admin.get("/api/v1/users").json()] == ["ky-thuat", "nong-dan", "nong-hoc", "quan-tri"]


def test_an_admin_disables_users_of_their_cooperative_not_another_one_nor_themselves(api: Api) -> None:
    admin = api.login("quan-tri", "en")
    farmer = api.login("nong-dan")
    response = admin.post("/api/v1/users/nong-dan/disable")
    assert response.status_code == 200 and response.json()["disabled"] is True
    assert farmer.get("/api/v1/status").status_code == 401
    other = admin.post("/api/v1/users/bac-ha-ky-thuat/disable")
    assert other.status_code == 404 and other.json()["detail"] == "No user 'bac-ha-ky-thuat'"
    assert api.accounts.users.get("bac-ha-ky-thuat").disabled is False
    self_ = admin.post("/api/v1/users/quan-tri/disable")
    assert self_.status_code == 422 and self_.json()["detail"] == "You cannot disable your own account"


def test_only_an_admin_of_this_cooperative_manages_users(api: Api) -> None:
    for user, status in (("ky-thuat", 403), ("nong-dan", 403), ("bac-ha-admin", 404)):
        client = api.login(user)
        assert client.post("/api/v1/users", json=_farmer()).status_code == status, user
        assert client.post("/api/v1/users/nong-hoc/disable").status_code == status, user
    assert api.accounts.users.get("nong-dan-2") is None
    assert api.accounts.users.get("nong-hoc").disabled is False
