"""Issue 16's "done when", through a real gateway API over a history store holding the greenhouses' last days: a
season's record book — most of it drafted by the controller and confirmed with one tap each, the rest typed as a
farmer and a technician type it — is shown to an auditor as a dossier (PDF and CSV) with nothing to explain, its
harvest lot gets a printed label whose QR code opens the lot's public page without signing in, and the lots go out
as an EPCIS 2.0 document that GS1's schema accepts."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from contract.site_file import load_site
from gateway.storage.sqlite import SqliteStore
from tests.conftest import EXAMPLE_SITE
from tests.gateway.api.conftest import Api, serve
from tests.gateway.diary.test_epcis import VALIDATOR
from tests.support.demo_history import demo_points

pypdfium2 = pytest.importorskip("pypdfium2")
zxingcpp = pytest.importorskip("zxingcpp")

NOW = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)  # the API's clock (tests/gateway/api/conftest.py)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = SqliteStore(tmp_path / "history.sqlite3")  # the API's history: the last six days, as stored
    for days_back in (0, 3):
        store.write(demo_points(load_site(EXAMPLE_SITE), NOW - timedelta(days=days_back)))
    store.close()
    yield from serve(tmp_path, diary=True)


def _entry(entry_id: str, day: str, detail: dict[str, Any], zone: str | None = "khu-a", **more: Any) -> dict[str, Any]:
    place = {"greenhouse": "ca-chua-1", "zone": zone} if zone else {"greenhouse": "ca-chua-1"}
    return {"id": entry_id, "day": day, **place, "detail": detail, **more}


ABATOX = {"category": "protection", "product": "Abatox 1.8EC", "supplier": "Đại lý Hoà Bình"}
SEASON = [
    _entry(
        "season-plant",
        "2025-11-10",
        {
            "kind": "planting",
            "crop": "Cà chua",
            "variety": "Savior F1",
            "seed_source": "Công ty giống Syngenta",
            "seed_lot": "SV-2511",
            "area_m2": 250,
        },
    ),
    _entry(
        "season-buy-npk",
        "2025-11-12",
        {
            "kind": "input_purchase",
            "category": "fertiliser",
            "product": "NPK 16-16-8",
            "supplier": "Đại lý Hoà Bình",
            "quantity": {"value": 50, "unit": "kg"},
            "invoice_no": "HD-0042",
        },
        zone=None,
    ),
    _entry(
        "season-buy-abatox",
        "2025-11-12",
        {"kind": "input_purchase", **ABATOX, "quantity": {"value": 1, "unit": "l"}, "expiry": "2027-06-30"},
        zone=None,
    ),
    _entry(
        "season-npk-1",
        "2025-12-20",
        {"kind": "fertiliser", "product": "NPK 16-16-8", "dose": {"value": 12, "unit": "kg"}, "method": "bón gốc"},
    ),
    _entry(
        "season-spray-1",
        "2026-01-02",
        {
            "kind": "protection",
            "product": "Abatox 1.8EC",
            "active_ingredient": "abamectin",
            "dose": {"value": 20, "unit": "ml"},
            "water_l": 16,
            "target_pest": "sâu xanh",
            "phi_days": 7,
            "sprayed_by": "Chị Lan",
        },
    ),
    _entry(
        "season-water-test",
        "2025-10-05",
        {"kind": "water_test", "laboratory": "Trung tâm Kiểm nghiệm Sơn La", "passed": True},
        zone=None,
    ),
]


def test_a_season_becomes_a_dossier_a_label_a_public_page_and_an_epcis_document(api: Api) -> None:
    farmer, technician, auditor = api.login("nong-dan"), api.login("ky-thuat"), api.login("nong-hoc")
    (api.data_dir / "traceability.yaml").write_text(
        yaml.safe_dump(
            {
                "public_url": api.url,
                "certificate": {
                    "number": "VietGAP-TT-12-34",
                    "issued_by": "Trung tâm Chứng nhận",
                    "valid_from": "2025-06-01",
                    "valid_until": "2028-05-31",
                },
            },
            allow_unicode=True,
        ),
        "utf-8",
    )
    for entry in SEASON:
        assert technician.post("/api/v1/diary", json=entry).status_code == 201, entry["id"]

    # What the controller drafted of the last completed days, each confirmed with one tap.
    drafts = farmer.get("/api/v1/diary/drafts", params={"greenhouse": "ca-chua-1"}).json()
    assert {d["entry"]["detail"]["kind"] for d in drafts} >= {"irrigation", "climate_day"}
    for draft in drafts:
        assert farmer.post("/api/v1/diary", json=draft["entry"]).status_code == 201
    assert farmer.get("/api/v1/diary/drafts", params={"greenhouse": "ca-chua-1"}).json() == []

    harvest = _entry("season-harvest", "2026-01-14", {"kind": "harvest", "crop": "Cà chua", "quantity_kg": 130})
    lot = farmer.post("/api/v1/diary", json=harvest).json()["entry"]["detail"]["lot"]
    fix = _entry(
        "season-harvest-fix",
        "2026-01-14",
        {"kind": "harvest", "crop": "Cà chua", "quantity_kg": 126.5},
        corrects="season-harvest",
        why="cân lại ở nhà sơ chế",
    )
    assert technician.post("/api/v1/diary", json=fix).status_code == 201
    technician.post(
        "/api/v1/diary",
        json=_entry(
            "season-pack",
            "2026-01-14",
            {"kind": "packing", "lot": lot, "packed_kg": 120, "packages": 240, "packaging": "túi 500 g"},
        ),
    )
    technician.post(
        "/api/v1/diary",
        json=_entry(
            "season-sale", "2026-01-15", {"kind": "sale", "lot": lot, "quantity_kg": 100, "buyer": "Siêu thị Bác Tôm"}
        ),
    )
    technician.put(f"/api/v1/lots/{lot}/published", json={"published": True})

    # Most of the book was written by the controller; the auditor's dossier has nothing to explain.
    book = auditor.get("/api/v1/diary").json()
    sources = [e["entry"]["source"] for e in book if e["corrected_by"] is None]
    assert sources.count("sensor") > sources.count("typed")
    period = {"first": "2025-10-01", "last": "2026-01-15"}
    assert farmer.get("/api/v1/diary/dossier.pdf", params=period).status_code == 403  # agronomists export
    pdf = auditor.get("/api/v1/diary/dossier.pdf", params=period)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(pdf.content))
    for shown in ("Savior F1", "Abatox 1.8EC", "HD-0042", "Siêu thị Bác Tôm", "cân lại ở nhà sơ chế", "126,5"):
        assert shown in text, shown
    assert "từ cảm biến" in text
    zipped = zipfile.ZipFile(io.BytesIO(auditor.get("/api/v1/diary/dossier.zip", params=period).content))
    [mismatches] = [n for n in zipped.namelist() if n.startswith("00-")]
    rows = list(csv.reader(io.StringIO(zipped.read(mismatches).decode("utf-8-sig")), delimiter=";"))
    assert rows[1:] == []  # purchases, uses, harvest and sale agree

    # The label's QR code opens the lot's page for anyone, with where and how it grew.
    label = farmer.get(f"/api/v1/lots/{lot}/label.pdf", params={"copies": 24, "net_kg": 0.5})
    first_page = pypdfium2.PdfDocument(label.content)[0]
    codes = zxingcpp.read_barcodes(first_page.render(scale=3).to_pil())
    assert len(codes) == 24 and {c.text for c in codes} == {f"{api.url}/lot/{lot}"}
    page = httpx.get(codes[0].text, timeout=10)
    assert page.status_code == 200
    for shown in (
        "Savior F1",
        "10/11/2025",
        "14/01/2026",
        "Abatox 1.8EC",
        "Đã đủ thời gian cách ly",
        "VietGAP-TT-12-34",
        "Nước tưới",
        "Nhiệt độ không khí",
        "126,5 kg",
    ):
        assert shown in page.text, shown
    assert "Chị Lan" not in page.text and "Bác Tôm" not in page.text

    # The lots as an EPCIS 2.0 document, valid against GS1's schema, the growing climate on the harvest.
    epcis = auditor.get("/api/v1/diary/epcis.jsonld", params=period)
    assert epcis.headers["content-type"] == "application/ld+json"
    document = json.loads(epcis.content)
    VALIDATOR.validate(document)
    [commissioning] = [e for e in document["epcisBody"]["eventList"] if e.get("bizStep") == "commissioning"]
    assert commissioning["quantityList"][0]["quantity"] == 126.5
    assert commissioning["sensorElementList"]
