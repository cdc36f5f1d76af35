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
        (_farmer(greenhouses=["ca-chua-9"]), 422, "No greenhouse ca-chua-9 in htx-moc-chau (it has: ca-chua-1"),
        (_farmer(role="technician"), 422, "Only a farmer is limited to some greenhouses, not a technician"),
        (_farmer(greenhouses=[]), 422, "Choose at least one greenhouse, or none for every greenhouse"),
        (_farmer(name="quan-tri"), 409, "User 'quan-tri' already exists"),
    ]
    for body, status, detail in cases:
        response = admin.post("/api/v1/users", json=body)
        assert response.status_code == status and detail in response.json()["detail"], response.text
    # In Vietnamese for a Vietnamese admin, the role in words too.
    vi = api.login("quan-tri").post("/api/v1/users", json=_farmer(role="technician"))
    assert vi.json()["detail"] == "Chỉ tài khoản nông dân mới giới hạn theo nhà màng, không phải kỹ thuật viên"
    short = admin.post("/api/v1/users", json=_farmer(password="ngan"))
    assert short.status_code == 422 and short.json()["detail"][0]["loc"] == ["body", "password"]
    # pydantic's refusals too, in the admin's language: the phone shows them as they come.
    assert short.json()["detail"][0]["msg"] == "must have at least 10 characters"
    short_vi = api.login("quan-tri").post("/api/v1/users", json=_farmer(password="ngan"))
    assert short_vi.json()["detail"][0]["msg"] == "cần ít nhất 10 ký tự"
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


def test_an_admin_limits_a_farmer_to_other_greenhouses_and_back_to_every_one(api: Api) -> None:
    admin = api.login("quan-tri", "en")
    farmer = api.login("nong-dan")
    assert [h["greenhouse"] for h in farmer.get("/api/v1/status").json()] == ["ca-chua-1"]
    changed = admin.put("/api/v1/users/nong-dan/greenhouses", json={"greenhouses": ["rau-la-1", "ca-chua-2"]})
    assert changed.status_code == 200 and changed.json()["greenhouses"] == ["ca-chua-2", "rau-la-1"]
    # Taken at the farmer's next request, in the session they already have.
    assert [h["greenhouse"] for h in farmer.get("/api/v1/status").json()] == ["ca-chua-2", "rau-la-1"]
    assert farmer.get("/api/v1/greenhouses/ca-chua-1/history").status_code == 404
    every = admin.put("/api/v1/users/nong-dan/greenhouses", json={"greenhouses": None})
    assert every.status_code == 200 and every.json()["greenhouses"] is None
    assert len(farmer.get("/api/v1/status").json()) == 3

    refusals = [
        ("nong-dan", ["ca-chua-9"], "No greenhouse ca-chua-9 in htx-moc-chau"),
        ("nong-dan", [], "Choose at least one greenhouse"),
        ("ky-thuat", ["ca-chua-1"], "Only a farmer is limited to some greenhouses, not a technician"),
    ]
    for name, greenhouses, detail in refusals:
        refused = admin.put(f"/api/v1/users/{name}/greenhouses", json={"greenhouses": greenhouses})
        assert refused.status_code == 422 and detail in refused.json()["detail"], refused.text
    assert api.accounts.users.get("nong-dan").greenhouses is None
    assert api.accounts.users.get("ky-thuat").greenhouses is None


def test_a_new_password_from_the_admin_signs_the_user_out_everywhere(api: Api) -> None:
    admin = api.login("quan-tri", "en")
    farmer = api.login("nong-dan")
    reset = admin.post("/api/v1/users/nong-dan/password", json={"password": "mat-khau-moi-123"})
    assert reset.status_code == 200 and reset.json()["name"] == "nong-dan"
    assert farmer.get("/api/v1/status").status_code == 401  # the phone with the old one is signed out
    api.passwords["nong-dan"] = "mat-khau-moi-123"
    assert api.login("nong-dan").get("/api/v1/status").status_code == 200
    short = admin.post("/api/v1/users/nong-dan/password", json={"password": "ngan"})
    assert short.status_code == 422 and short.json()["detail"][0]["loc"] == ["body", "password"]
    # Their own: the admin's other sessions end, this one goes on.
    other_tab = api.login("quan-tri")
    assert admin.post("/api/v1/users/quan-tri/password", json={"password": "quan-tri-moi-456"}).status_code == 200
    assert admin.get("/api/v1/users").status_code == 200
    assert other_tab.get("/api/v1/users").status_code == 401


def test_a_disabled_user_is_enabled_again_and_signs_in(api: Api) -> None:
    admin = api.login("quan-tri", "en")
    assert admin.post("/api/v1/users/nong-dan/disable").json()["disabled"] is True
    sign_in = {"user": "nong-dan", "password": api.passwords["nong-dan"]}
    assert api.anonymous("en").post("/api/v1/login", json=sign_in).status_code == 401
    enabled = admin.post("/api/v1/users/nong-dan/enable")
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    assert api.login("nong-dan").get("/api/v1/status").status_code == 200


def test_only_an_admin_of_this_cooperative_resets_enables_and_limits(api: Api) -> None:
    api.accounts.users.disable("nong-hoc")
    for user, status in (("ky-thuat", 403), ("nong-dan", 403), (None, 401), ("bac-ha-admin", 404)):
        client = api.anonymous() if user is None else api.login(user)
        assert client.post("/api/v1/users/nong-dan/password", json={"password": "doan-mo-123456"}).status_code == status
        assert client.post("/api/v1/users/nong-hoc/enable").status_code == status, user
        limited = client.put("/api/v1/users/nong-dan/greenhouses", json={"greenhouses": ["rau-la-1"]})
        assert limited.status_code == status, user
    assert api.accounts.users.get("nong-dan").greenhouses == frozenset({"ca-chua-1"})
    assert api.accounts.users.get("nong-hoc").disabled is True
    assert api.accounts.users.authenticate("nong-dan", api.passwords["nong-dan"]) is not None
    # Another cooperative's admin does not reach this cooperative's users even by name.
    other = api.login("bac-ha-admin", "en")
    assert other.post("/api/v1/users/bac-ha-ky-thuat/enable").status_code == 404
