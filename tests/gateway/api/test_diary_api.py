"""The record book and the public lot pages through a real gateway API: who may record, correct and publish; the
same entry sent twice stored once; a harvest refused in the pre-harvest interval, in the farmer's words; and a
published lot's page reached without signing in, showing what a consumer may know and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pypdfium2
import pytest
import yaml
import zxingcpp

from tests.gateway.api.conftest import Api, serve
from tests.support.diary import harvest, spray


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from serve(tmp_path, diary=True)


def test_a_farmer_records_a_spray_once_even_sent_twice_in_her_own_greenhouse_only(api: Api) -> None:
    farmer = api.login("nong-dan")
    first = farmer.post("/api/v1/diary", json=spray("spray-0001", date(2026, 1, 10)))
    assert first.status_code == 201, first.text
    assert first.json()["entry"]["recorded_by"] == "nong-dan"
    again = farmer.post("/api/v1/diary", json=spray("spray-0001", date(2026, 1, 10)))
    assert (again.status_code, again.json()["new"]) == (200, False)
    assert [e["entry"]["id"] for e in farmer.get("/api/v1/diary").json()] == ["spray-0001"]
    # Not in a greenhouse she is not given, nor for the whole farm, nor a correction.
    assert farmer.post("/api/v1/diary", json=spray("spray-0002", date(2026, 1, 10), "ca-chua-2")).status_code == 404
    training = {"id": "train-0001", "day": "2026-01-10", "detail": {"kind": "training", "topic": "IPM",
                "trainer": "Trạm khuyến nông", "attendees": 12}}  # fmt: skip
    assert farmer.post("/api/v1/diary", json=training).status_code == 403
    fix = spray("spray-0003", date(2026, 1, 10), corrects="spray-0001", why="sai liều")
    assert farmer.post("/api/v1/diary", json=fix).status_code == 403
    assert api.login("nong-hoc").post("/api/v1/diary", json=spray("spray-0004", date(2026, 1, 10))).status_code == 403


def test_a_technician_corrects_and_the_original_is_still_listed_as_corrected(api: Api) -> None:
    api.login("nong-dan").post("/api/v1/diary", json=spray("spray-0001", date(2026, 1, 10)))
    technician = api.login("ky-thuat")
    fix = spray("spray-0002", date(2026, 1, 9), corrects="spray-0001", why="phun hôm trước")
    assert technician.post("/api/v1/diary", json=fix).status_code == 201
    listed = {e["entry"]["id"]: e["corrected_by"] for e in api.login("nong-hoc").get("/api/v1/diary").json()}
    assert listed == {"spray-0001": "spray-0002", "spray-0002": None}


def test_bad_entries_are_refused_naming_the_field(api: Api) -> None:
    farmer = api.login("nong-dan")
    bad = spray("spray-0001", date(2026, 1, 10))
    bad["detail"]["phi_days"] = -3
    refused = farmer.post("/api/v1/diary", json=bad)
    assert refused.status_code == 422
    assert "phi_days" in refused.text
    no_zone = spray("spray-0002", date(2026, 1, 10), zone="khu-z")
    assert farmer.post("/api/v1/diary", json=no_zone).json()["detail"] == "Nhà màng cà chua 1 không có khu này"


def test_a_harvest_in_the_interval_is_refused_then_taken_and_its_lot_published_for_consumers(api: Api) -> None:
    farmer = api.login("nong-dan")
    farmer.post("/api/v1/diary", json=spray("spray-0001", date(2026, 1, 5)))
    check = farmer.get(
        "/api/v1/diary/harvest-check", params={"greenhouse": "ca-chua-1", "zone": "khu-a", "day": "2026-01-11"}
    ).json()
    assert check == {
        "allowed": False,
        "allowed_from": "2026-01-12",
        "said": "Chưa hết thời gian cách ly (Abatox 1.8EC): được thu hoạch từ 12/01",
    }
    early = farmer.post("/api/v1/diary", json=harvest("harv-0001", date(2026, 1, 11)))
    assert (early.status_code, early.json()["detail"]) == (409, check["said"])
    english = api.login("nong-dan", "en").post("/api/v1/diary", json=harvest("harv-0001", date(2026, 1, 11)))
    assert (
        english.json()["detail"] == "The pre-harvest interval of Abatox 1.8EC is not over: harvest allowed from 12 Jan"
    )
    taken = farmer.post("/api/v1/diary", json=harvest("harv-0002", date(2026, 1, 12)))
    assert taken.status_code == 201
    code = taken.json()["entry"]["detail"]["lot"]
    assert code == "CC1-260112-1"

    public = httpx.Client(base_url=api.url, timeout=10)  # a consumer's phone: no session, no cookie
    assert public.get(f"/lot/{code}").status_code == 404  # not published yet
    assert farmer.put(f"/api/v1/lots/{code}/published", json={"published": True}).status_code == 403
    assert api.login("ky-thuat").put(f"/api/v1/lots/{code}/published", json={"published": True}).status_code == 200
    page = public.get(f"/lot/{code}")
    assert page.status_code == 200
    assert len(page.content) < 15_000  # one small page for a weak 3G link
    text = page.text
    for shown in (code, "Cà chua", "htx-moc-chau/ca-chua-1", "Nhà màng cà chua 1", "Abatox 1.8EC", "12/01/2026"):
        assert shown in text
    assert "Đã đủ thời gian cách ly" in text
    assert "Chị Lan" not in text  # no personal names unless the cooperative allows
    assert "Tomato" in public.get(f"/lot/{code}", params={"lang": "en"}).text
    assert public.get("/lot/CC1-260112-9").status_code == 404


def test_names_and_the_gs1_digital_link_follow_the_cooperatives_settings(api: Api) -> None:
    farmer = api.login("nong-dan")
    farmer.post("/api/v1/diary", json=spray("spray-0001", date(2026, 1, 1)))
    code = farmer.post("/api/v1/diary", json=harvest("harv-0001", date(2026, 1, 12))).json()["entry"]["detail"]["lot"]
    api.login("ky-thuat").put(f"/api/v1/lots/{code}/published", json={"published": True})
    settings = {
        "public_url": "https://htx-moc-chau.example.vn",
        "gs1_company_prefix": "8930000",
        "gtins": {"Cà chua": "08930000000019"},
        "show_names": True,
        "certificate": {
            "number": "VietGAP-TT-12-34-56",
            "issued_by": "Trung tâm Chứng nhận Phù hợp",
            "valid_from": "2025-06-01",
            "valid_until": "2028-05-31",
        },
    }
    (api.data_dir / "traceability.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), "utf-8")
    public = httpx.Client(base_url=api.url, timeout=10)
    page = public.get(f"/01/08930000000019/10/{code}", params={"7007": "260112"})
    assert page.status_code == 200
    assert "Chị Lan" in page.text and "VietGAP-TT-12-34-56" in page.text
    assert public.get(f"/01/08930000000026/10/{code}").status_code == 404  # another product's GTIN


def test_a_farmer_sees_only_the_lots_and_entries_of_her_greenhouses(api: Api) -> None:
    technician = api.login("ky-thuat")
    technician.post("/api/v1/diary", json=spray("spray-0001", date(2026, 1, 1), "ca-chua-2"))
    technician.post("/api/v1/diary", json=spray("spray-0002", date(2026, 1, 1)))
    farmer = api.login("nong-dan")
    assert [e["entry"]["id"] for e in farmer.get("/api/v1/diary").json()] == ["spray-0002"]
    assert farmer.get("/api/v1/diary", params={"greenhouse": "ca-chua-2"}).status_code == 404
    products = farmer.get("/api/v1/diary/products").json()
    assert [(p["name"], p["phi_days"], p["last_dose"]) for p in products] == [
        ("Abatox 1.8EC", 7, {"value": 10.0, "unit": "ml"})
    ]
    assert api.login("bac-ha-admin").get("/api/v1/diary").status_code == 404  # another cooperative


def test_a_label_qr_opens_the_public_page_without_a_session_and_only_while_published(api: Api) -> None:
    (api.data_dir / "traceability.yaml").write_text(f"public_url: {api.url}\n", "utf-8")
    technician = api.login("ky-thuat")
    technician.post("/api/v1/diary", json=spray("spray-0001", date(2026, 1, 1)))
    other_zone = spray("spray-0002", date(2026, 1, 2)) | {"zone": "khu-b"}
    other_zone["detail"] = other_zone["detail"] | {"product": "Thuốc khu khác"}
    technician.post("/api/v1/diary", json=other_zone)
    technician.post("/api/v1/diary", json=spray("spray-0003", date(2026, 1, 2), "ca-chua-2"))
    code = technician.post("/api/v1/diary", json=harvest("harv-0001", date(2026, 1, 12))).json()["entry"]["detail"]
    code = code["lot"]
    technician.put(f"/api/v1/lots/{code}/published", json={"published": True})

    label = technician.get(f"/api/v1/lots/{code}/label.pdf", params={"layout": "thermal", "net_kg": 0.5})
    assert (label.status_code, label.headers["content-type"]) == (200, "application/pdf")
    page = pypdfium2.PdfDocument(label.content)[0]
    [qr] = zxingcpp.read_barcodes(page.render(scale=4).to_pil())
    assert qr.text == f"{api.url}/lot/{code}"

    consumer = httpx.Client(timeout=10)  # the camera's browser: no session, no cookie
    opened = consumer.get(qr.text)
    assert opened.status_code == 200 and code in opened.text
    # What the page shows is this lot's zone only; no other zone's spraying, no other greenhouse, no way in.
    assert "Thuốc khu khác" not in opened.text and "Nhà màng cà chua 2" not in opened.text
    assert consumer.get(f"{api.url}/api/v1/diary").status_code == 401
    assert consumer.get(f"{api.url}/api/v1/lots").status_code == 401
    technician.put(f"/api/v1/lots/{code}/published", json={"published": False})
    assert consumer.get(qr.text).status_code == 404


def test_a_label_is_refused_in_the_interval_and_a_farmer_prints_only_her_lots(api: Api) -> None:
    technician = api.login("ky-thuat")
    code = technician.post("/api/v1/diary", json=harvest("harv-0001", date(2026, 1, 12))).json()["entry"]["detail"]
    code = code["lot"]
    sheet = api.login("nong-dan").get(f"/api/v1/lots/{code}/label.pdf", params={"copies": 30})
    assert sheet.status_code == 200 and len(pypdfium2.PdfDocument(sheet.content)) == 2  # 24 a sheet
    technician.post("/api/v1/diary", json=spray("spray-0001", date(2026, 1, 10)))  # written down late
    refused = technician.get(f"/api/v1/lots/{code}/label.pdf")
    assert (refused.status_code, refused.json()["detail"]) == (
        409,
        "Chưa hết thời gian cách ly (Abatox 1.8EC): được thu hoạch từ 17/01",
    )


def test_the_controller_drafts_completed_days_and_a_confirmed_draft_is_gone(api: Api, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from contract.site_file import load_site
    from gateway.storage.sqlite import SqliteStore
    from tests.conftest import EXAMPLE_SITE
    from tests.support.demo_history import demo_points

    store = SqliteStore(tmp_path / "history.sqlite3")  # the API's own store file
    store.write(demo_points(load_site(EXAMPLE_SITE), datetime(2026, 1, 15, 6, 0, tzinfo=UTC)))
    store.close()
    farmer = api.login("nong-dan")
    drafts = farmer.get("/api/v1/diary/drafts", params={"greenhouse": "ca-chua-1"}).json()
    days = sorted({d["entry"]["day"] for d in drafts})
    assert days == ["2026-01-12", "2026-01-13", "2026-01-14"]  # completed days only: not today, the 15th
    watering = next(d for d in drafts if d["entry"]["detail"]["kind"] == "irrigation")
    assert watering["entry"]["source"] == "sensor"
    assert watering["said"].startswith(f"{watering['entry']['day'][8:]}/01 · Khu ")
    assert " lít " in watering["said"]
    assert farmer.post("/api/v1/diary", json=watering["entry"]).status_code == 201
    again = farmer.get("/api/v1/diary/drafts", params={"greenhouse": "ca-chua-1"}).json()
    assert watering["entry"]["id"] not in {d["entry"]["id"] for d in again}
    assert len(again) == len(drafts) - 1
    assert farmer.get("/api/v1/diary/drafts", params={"greenhouse": "ca-chua-2"}).status_code == 404
    gaps = [g["said"] for g in farmer.get("/api/v1/diary/gaps").json()]
    assert "Nhà màng cà chua 1: chưa ghi gieo trồng" in gaps
    assert not any("cà chua 2" in g for g in gaps)  # not her greenhouse


def test_an_observation_with_a_small_photo_is_taken_and_a_large_one_refused_unread(api: Api) -> None:
    import base64

    farmer = api.login("nong-dan")
    photo = "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff" + bytes(100_000)).decode()
    seen = {"kind": "observation", "pest": "bọ phấn trắng", "note": "mặt dưới lá", "photo": photo}
    entry = {"id": "seen-0001", "day": "2026-01-14", "greenhouse": "ca-chua-1", "detail": seen}
    assert farmer.post("/api/v1/diary", json=entry).status_code == 201
    huge = entry | {"id": "seen-0002", "detail": seen | {"photo": photo + "A" * 200_000}}
    refused = farmer.post("/api/v1/diary", json=huge)
    assert refused.status_code == 413 and "/api/v1/diary" in refused.json()["detail"]


def test_the_dossier_pdf_refuses_what_it_cannot_answer_in_words(api: Api) -> None:
    agronomist = api.login("nong-hoc")
    backwards = agronomist.get("/api/v1/diary/dossier.pdf", params={"first": "2026-02-01", "last": "2026-01-01"})
    assert (backwards.status_code, backwards.json()["detail"]) == (422, "Ngày bắt đầu phải trước ngày kết thúc")
    not_a_day = agronomist.get("/api/v1/diary/dossier.pdf", params={"first": "hôm qua"})
    assert not_a_day.status_code == 422 and "first" in not_a_day.text
    assert api.login("nong-dan").get("/api/v1/diary/dossier.pdf").status_code == 403
    assert httpx.get(f"{api.url}/api/v1/diary/dossier.pdf", timeout=10).status_code == 401
    empty = agronomist.get("/api/v1/diary/dossier.pdf", params={"first": "2026-01-01", "last": "2026-01-31"})
    assert empty.status_code == 200 and empty.content.startswith(b"%PDF")


def test_public_pages_answer_any_path_with_a_page_never_an_error(api: Api) -> None:
    public = httpx.Client(base_url=api.url, timeout=10)
    for path in ("/lot/%00", "/lot/" + "A" * 5000, "/lot/CC1'--", "/lot/%F0%9F%8D%85", "/01/x/10/y", "/01/1/10/%00"):
        answer = public.get(path, params={"lang": "en"})
        assert answer.status_code == 404, path
        assert "<title>This lot was not found</title>" in answer.text
    assert public.get("/lot/CC1", params={"lang": "fr"}).status_code == 422  # a language it does not have
