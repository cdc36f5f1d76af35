"""The record book on the farmer's phone (issue 16), in Chromium at phone size against the running demo: a spray
recorded without a network waits on the phone and reaches the gateway once when the network returns, followed by a
harvest the gateway then refuses for the spray's interval, said beside it; online, that harvest is refused before
it is sent and allowed in the zone not sprayed (with its lot code) or from the day the interval ends; a day of
watering the controller drafted is confirmed with one tap and another corrected; a technician corrects an entry at
the desk (the original struck through), publishes its lot and downloads its labels — refused, with the words, once
a spray within the interval is recorded late.

The demo's clock starts on 2026-01-15 at 05:45 (greenhouse/demo/runner.py) and runs for hours, not days: "today"
is the 15th all through. Its history has nothing before that morning, so the watering drafted for the 13th and
14th is written here, into its history store, as irrigation points only (what the drafts read): the charts, the
history replay and the other browser tests sharing this demo read readings and events, none of which change."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from contract.messages import Event, EventKind
from contract.reasons import Reason
from contract.site_file import load_site
from gateway.ingest.derived_points import Deriver
from gateway.storage.sqlite import SqliteStore
from tests.webapp.conftest import FARMER, Demo, require_browser, sign_in
from tests.webapp.test_visible_words import VISIBLE_TEXTS, _words, problems

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Locator, Page

require_browser()
from playwright.sync_api import expect  # noqa: E402  (only once the module knows it has a browser)

pytestmark = pytest.mark.slow
Shot = Callable[..., None]

TECHNICIAN = "ky-thuat"
TODAY = "2026-01-15"  # the demo's, all through the session
PRODUCT = "Regent 800WG"
INTERVAL_OVER = "22/01/2026"  # sprayed on the 15th with a 7-day interval
DRAFT_14 = "draft-rau-la-1-khu-a-20260114-irrigation"
DRAFT_13 = "draft-rau-la-1-khu-a-20260113-irrigation"


@contextmanager
def _signed_in(demo: Demo, user: str) -> Iterator[httpx.Client]:
    client = httpx.Client(base_url=demo.url, timeout=10)
    with closing(client):
        signed = client.post("/api/v1/login", json={"user": user, "password": demo.passwords[user]})
        client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        yield client


def _entries(demo: Demo, greenhouse: str) -> list[dict[str, Any]]:
    with _signed_in(demo, FARMER) as client:
        return [e["entry"] for e in client.get("/api/v1/diary", params={"greenhouse": greenhouse}).json()]


@pytest.fixture(scope="module")
def remembered_product(demo: Demo) -> None:
    """A spray the technician recorded two weeks ago in the other tomato house: the book remembers its product,
    which the farmer then picks from the list (the farmer does not see that greenhouse, the product list is the
    cooperative's)."""
    spray = {
        "id": "webapp-test-earlier-spray",
        "day": "2026-01-01",
        "greenhouse": "ca-chua-2",
        "zone": "khu-a",
        "detail": {
            "kind": "protection",
            "product": PRODUCT,
            "active_ingredient": "Fipronil",
            "dose": {"value": 25, "unit": "ml"},
            "water_l": 400,
            "target_pest": "sâu tơ",
            "phi_days": 7,
            "sprayed_by": "Anh Minh",
        },
    }
    with _signed_in(demo, TECHNICIAN) as client:
        assert client.post("/api/v1/diary", json=spray).status_code in (200, 201)


@pytest.fixture(scope="module")
def watered(demo: Demo) -> None:
    """Bed A of the leafy greens house watered on the 13th (12 minutes) and the 14th (20 minutes), as the
    gateway's own mapper stores a valve's run: at 25 L/min, 300 and 500 litres."""
    site = load_site(demo.data_dir / "site.yaml")
    tz = site.cooperative.tz
    derive = Deriver(site)
    found = []
    for start, minutes in ((datetime(2026, 1, 13, 17, tzinfo=tz), 12), (datetime(2026, 1, 14, 6, tzinfo=tz), 20)):
        for action, ts in (("on", start), ("off", start + timedelta(minutes=minutes))):
            event = Event(
                site=site.cooperative.id,
                greenhouse="rau-la-1",
                ts=ts,
                kind=EventKind.ACTUATION,
                actuator="valve-a",
                action=action,
                reason=Reason.RULE_SCHEDULE,
            )
            found += derive(event)
    assert len(found) == 2
    store = SqliteStore(demo.data_dir / f"history-{site.cooperative.id}.sqlite3")
    try:
        store.write(found)
    finally:
        store.close()


def _open(page: Page, demo: Demo, greenhouse: str) -> None:
    page.goto(f"{demo.url}/#/gh/{greenhouse}/diary")
    expect(page.locator(".diary")).to_have_attribute("aria-busy", "false")


def _form(page: Page, kind: str) -> Locator:
    page.locator(f'.kinds button[data-kind="{kind}"]').click()
    return page.locator(f'form.entry-form[data-kind="{kind}"]')


def _readable(page: Page, demo: Demo, lang: str = "vi") -> None:
    """Nothing on the screen is an id, a placeholder or in the other language, and nothing is wider than the
    phone. In English, the entries are left out: what the farmer typed is in Vietnamese."""
    page.evaluate("scrollTo(0, 0)")  # and the screenshot after it starts at the top
    hide = "for (const e of document.querySelectorAll('.entries')) e.hidden = %s"
    if lang == "en":
        page.evaluate(hide % "true")
    assert problems(page.evaluate(VISIBLE_TEXTS), lang, _words(page, demo)) == []
    page.evaluate(hide % "false")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_spray_recorded_offline_is_sent_once_and_a_harvest_in_its_interval_is_refused(
    phone: BrowserContext, demo: Demo, screenshot: Shot, remembered_product: None
) -> None:
    page = phone.new_page()
    sign_in(page, demo, FARMER)
    _open(page, demo, "ca-chua-1")
    expect(page.get_by_role("tab", name="Nhật ký")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".main-kinds button")).to_have_text(["Phun thuốc", "Bón phân", "Thu hoạch", "Ghi chú sâu bệnh"])
    screenshot(page, "diary-01-buttons")

    phone.set_offline(True)
    spray = _form(page, "protection")
    expect(spray.locator('[data-field="zone"] option:checked')).to_have_text("Khu A")  # the house's first zone
    expect(spray.locator('[data-field="day"]')).to_have_value(TODAY)
    spray.locator('[data-field="pick-product"]').select_option(PRODUCT)
    expect(spray.locator('[data-field="active_ingredient"]')).to_have_value("Fipronil")
    expect(spray.locator('[data-field="dose"]')).to_have_value("25")
    expect(spray.locator('[data-field="water_l"]')).to_have_value("400")
    expect(spray.locator('[data-field="target_pest"]')).to_have_value("sâu tơ")
    expect(spray.locator('[data-field="phi_days"]')).to_have_value("7")
    # Who sprayed is a person's name, never the sign-in name: typed once, then remembered on this phone.
    expect(spray.locator('[data-field="sprayed_by"]')).to_have_value("")
    spray.locator('[data-field="sprayed_by"]').fill("Chị Lan")
    page.evaluate("scrollTo(0, 0)")
    screenshot(page, "diary-02-spray-form", full_page=True)
    spray.get_by_role("button", name="Lưu").click()
    expect(page.locator(".diary-said")).to_contain_text("Chưa có mạng: đã giữ trên điện thoại (Phun thuốc)")
    waiting = page.locator(".entry.waiting")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Chờ gửi")
    expect(waiting).to_contain_text(f"{PRODUCT} · 25 ml · 400 lít nước · sâu tơ · cách ly 7 ngày")

    # Harvested the same morning, still offline: the phone cannot ask the interval, the gateway will.
    harvest = _form(page, "harvest")
    expect(harvest.locator('[data-field="zone"] option:checked')).to_have_text("Khu A")  # the zone last used
    expect(harvest.locator('[data-field="crop"]')).to_have_value("Cà chua")
    expect(harvest.locator(".harvest-check")).to_contain_text("Không có mạng nên chưa kiểm tra được thời gian cách ly")
    harvest.locator('[data-field="quantity_kg"]').fill("12,5")
    harvest.get_by_role("button", name="Lưu").click()
    expect(page.locator(".entry.waiting")).to_have_count(2)
    page.evaluate("scrollTo(0, 0)")
    screenshot(page, "diary-03-waiting", full_page=True)

    # Back online: sent in order, the spray first; the harvest is then refused, and says why beside it.
    phone.set_offline(False)
    refused = page.locator(".entry.refused")
    expect(refused).to_contain_text(
        "Không ghi được: Chưa hết thời gian cách ly (Regent 800WG): được thu hoạch từ 22/01", timeout=15_000
    )
    expect(page.locator(".entry.waiting")).to_have_count(0)
    sprays = [e for e in _entries(demo, "ca-chua-1") if e["detail"].get("product") == PRODUCT]
    assert [(e["day"], e["zone"], e["detail"]["phi_days"]) for e in sprays] == [(TODAY, "khu-a", 7)]
    assert not any(e["detail"]["kind"] == "harvest" for e in _entries(demo, "ca-chua-1"))
    line = page.locator(f'.entry[data-entry="{sprays[0]["id"]}"]')
    expect(line).to_contain_text(PRODUCT)
    expect(line).not_to_contain_text("Chờ gửi")
    page.evaluate("scrollTo(0, 0)")
    screenshot(page, "diary-04-sent-and-refused", full_page=True)
    refused.get_by_role("button", name="Đã hiểu").click()
    expect(refused).to_have_count(0)

    # Online, the interval is asked before anything is sent: refused in Khu A today, with the day it ends.
    harvest = _form(page, "harvest")
    check = harvest.locator(".harvest-check")
    expect(check).to_have_attribute("data-allowed", "false")
    expect(check).to_contain_text("Chưa hết thời gian cách ly (Regent 800WG): được thu hoạch từ 22/01")
    expect(harvest.get_by_role("button", name="Lưu")).to_be_disabled()
    screenshot(page, "diary-05-harvest-refused")
    check.get_by_role("button", name=f"Chọn ngày {INTERVAL_OVER}").click()
    expect(harvest.locator('[data-field="day"]')).to_have_value("2026-01-22")
    expect(check).to_have_attribute("data-allowed", "true")
    expect(harvest.get_by_role("button", name="Lưu")).to_be_enabled()
    # Today in Khu B, which was not sprayed: allowed, recorded, and the lot's code said.
    harvest.locator('[data-field="day"]').fill(TODAY)
    harvest.locator('[data-field="zone"]').select_option(label="Khu B")
    expect(check).to_have_attribute("data-allowed", "true")
    expect(check).to_have_text("Đã hết thời gian cách ly: được thu hoạch.")
    harvest.locator('[data-field="quantity_kg"]').fill("12,5")
    harvest.get_by_role("button", name="Lưu").click()
    lot = page.locator(".diary-said .lot-code b")
    expect(lot).to_have_text(re.compile(r"^CC1-260115-\d+$"))
    harvests = [e for e in _entries(demo, "ca-chua-1") if e["detail"]["kind"] == "harvest"]
    assert [(e["zone"], e["detail"]["quantity_kg"], e["detail"]["lot"]) for e in harvests] == [
        ("khu-b", 12.5, lot.inner_text())
    ]
    _readable(page, demo)
    screenshot(page, "diary-06-lot-code")


def test_a_resend_after_a_lost_answer_is_stored_once_and_a_pest_is_noted_with_a_photo(
    phone: BrowserContext, demo: Demo, tmp_path: Path
) -> None:
    """The gateway stored a note but its answer never reached the phone, which still has it waiting: sent again
    when the network is back, the gateway's "had it already" (200, new: false) is a success, not a second entry."""
    note = {
        "id": "webapp-test-lost-answer",
        "day": TODAY,
        "greenhouse": "rau-la-1",
        "detail": {"kind": "observation", "pest": "rệp muội", "note": "Rệp ở đầu luống B, mặt dưới lá"},
    }
    with _signed_in(demo, FARMER) as client:
        assert client.post("/api/v1/diary", json=note).status_code == 201
    page = phone.new_page()
    sign_in(page, demo, FARMER)
    page.evaluate(
        "([key, entry]) => localStorage.setItem(key, JSON.stringify([{ entry, state: 'waiting' }]))",
        [f"gh.diary.queue:{FARMER}", note],
    )
    _open(page, demo, "rau-la-1")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    line = page.locator(f'.entry[data-entry="{note["id"]}"]')
    expect(line).to_contain_text("rệp muội · Rệp ở đầu luống B, mặt dưới lá")
    expect(line).not_to_contain_text("Chờ gửi")
    expect(page.locator(".entry.waiting, .entry.refused")).to_have_count(0)
    assert page.evaluate(f"localStorage.getItem('gh.diary.queue:{FARMER}')") is None
    assert [e["id"] for e in _entries(demo, "rau-la-1") if e["detail"].get("pest") == "rệp muội"] == [note["id"]]

    # A pest noted with a photo: a phone's full-size picture, made small enough for the book on the phone.
    photo = tmp_path / "la-bi-hai.png"
    page.screenshot(path=str(photo), full_page=True)
    form = _form(page, "observation")
    form.locator('[data-field="pest"]').fill("bọ trĩ")
    form.locator('[data-field="photo"]').set_input_files(str(photo))
    expect(form.locator("img.photo")).to_be_visible()
    form.get_by_role("button", name="Lưu").click()
    noted = page.locator('.entry[data-kind="observation"]', has_text="bọ trĩ")
    expect(noted.locator("img.photo-thumb")).to_be_visible()
    kept = next(e for e in _entries(demo, "rau-la-1") if e["detail"].get("pest") == "bọ trĩ")["detail"]["photo"]
    assert kept.startswith("data:image/jpeg;base64,") and len(kept) <= 200_000


def test_a_drafted_day_of_watering_is_confirmed_with_one_tap_and_another_corrected(
    phone: BrowserContext, demo: Demo, screenshot: Shot, watered: None
) -> None:
    page = phone.new_page()
    sign_in(page, demo, FARMER)
    _open(page, demo, "rau-la-1")
    drafts = page.locator(".diary-drafts")
    expect(drafts.locator("h2")).to_have_text("Bộ điều khiển đã ghi sẵn")
    day14 = page.locator(f'[data-draft="{DRAFT_14}"]')
    day13 = page.locator(f'[data-draft="{DRAFT_13}"]')
    expect(day14).to_contain_text("14/01 · Luống A: tưới 500 lít (1 lần, 20 phút)")
    expect(day13).to_contain_text("13/01 · Luống A: tưới 300 lít (1 lần, 12 phút)")
    expect(page.locator(".diary-gaps")).to_contain_text("Nhà màng rau ăn lá 1: chưa ghi gieo trồng")
    _readable(page, demo)
    screenshot(page, "diary-07-drafts", full_page=True)
    page.click("#lang")
    expect(page.locator(".main-kinds button")).to_have_text(["Spray", "Fertilise", "Harvest", "Note a pest"])
    expect(page.locator(".diary-drafts h2")).to_have_text("Drafted by the controller")
    expect(day14).to_contain_text("Bed A: 500 litres watered")
    expect(page.locator(".diary")).to_have_attribute("aria-busy", "false")
    _readable(page, demo, "en")
    screenshot(page, "diary-07-drafts-en", full_page=True)
    page.click("#lang")
    expect(day14).to_contain_text("14/01 · Luống A")

    day14.get_by_role("button", name="Đúng").click()
    expect(day14).to_have_count(0)
    confirmed = page.locator(f'.entry[data-entry="{DRAFT_14}"]')
    expect(confirmed).to_contain_text("500 lít nước · 1 lần")
    expect(confirmed.locator(".tag.sensor")).to_have_text("Từ cảm biến")

    day13.get_by_role("button", name="Sửa").click()
    form = page.locator('form.entry-form[data-kind="irrigation"]')
    expect(form.locator('[data-field="water_l"]')).to_have_value("300")
    expect(form.locator('[data-field="day"]')).to_have_value("2026-01-13")
    form.locator('[data-field="water_l"]').fill("280")
    form.get_by_role("button", name="Lưu").click()
    corrected = page.locator(f'.entry[data-entry="{DRAFT_13}"]')
    expect(corrected).to_contain_text("280 lít nước · 1 lần")
    expect(corrected.locator(".tag.sensor")).to_have_count(0)  # typed now: the farmer's numbers
    expect(drafts).to_be_hidden()
    stored = {e["id"]: e for e in _entries(demo, "rau-la-1")}
    assert (stored[DRAFT_14]["source"], stored[DRAFT_14]["detail"]["water_l"]) == ("sensor", 500)
    assert (stored[DRAFT_13]["source"], stored[DRAFT_13]["detail"]["water_l"]) == ("typed", 280)
    page.evaluate("scrollTo(0, 0)")
    screenshot(page, "diary-08-confirmed", full_page=True)


def test_a_technician_corrects_an_entry_publishes_its_lot_and_prints_its_labels(
    phone: BrowserContext, demo: Demo, screenshot: Shot
) -> None:
    harvest = {
        "id": "webapp-test-desk-harvest",
        "day": TODAY,
        "greenhouse": "rau-la-1",
        "zone": "khu-b",
        "detail": {"kind": "harvest", "crop": "Rau ăn lá", "quantity_kg": 40},
    }
    with _signed_in(demo, FARMER) as client:
        code = client.post("/api/v1/diary", json=harvest).json()["entry"]["detail"]["lot"]
    page = phone.new_page()
    sign_in(page, demo, TECHNICIAN)
    page.goto(f"{demo.url}/#/diary")
    expect(page.locator("#title")).to_have_text("Sổ nhật ký sản xuất")
    line = page.locator(f'.entry[data-entry="{harvest["id"]}"]')
    expect(line).to_contain_text("Nhà màng rau ăn lá 1 · Luống B")
    line.get_by_role("button", name="Sửa").click()
    form = page.locator('form.entry-form[data-kind="harvest"]')
    expect(form.locator('[data-field="quantity_kg"]')).to_have_value("40")
    form.locator('[data-field="quantity_kg"]').fill("38")
    form.get_by_role("button", name="Lưu").click()
    expect(form.locator('[data-field="why"] + .form-error')).to_have_text("Cần điền ô này")  # a reason is asked
    form.locator('[data-field="why"]').fill("Cân lại ở kho")
    form.get_by_role("button", name="Lưu").click()
    expect(page.locator('[role="status"] .running')).to_contain_text("Đã lưu mục sửa")
    expect(line).to_have_class(re.compile(r"\bstruck\b"))
    expect(line.locator(".tag.corrected")).to_have_text("Đã sửa")
    correction = page.locator('.entry[data-kind="harvest"]', has_text="Sửa lại: Cân lại ở kho")
    expect(correction).to_contain_text(f"38 kg · lô {code}")  # the lot stays the harvest's

    card = page.locator(f'[data-lot="{code}"]')
    card.locator(f'[data-publish="{code}"]').check()
    expect(card.locator(".public-page")).to_be_visible()
    with _signed_in(demo, TECHNICIAN) as client:
        lots = {lot["code"]: lot for lot in client.get("/api/v1/lots").json()}
    assert (lots[code]["published"], lots[code]["quantity_kg"]) == (True, 38)
    with page.expect_download() as label:
        card.locator('[data-label="sheet"]').click()
    assert label.value.suggested_filename == f"nhan-{code}-sheet.pdf"
    assert Path(label.value.path()).read_bytes()[:5] == b"%PDF-"
    with page.expect_download() as epcis:
        page.locator('[data-export="epcis"]').click()
    document = json.loads(Path(epcis.value.path()).read_text(encoding="utf-8"))
    assert document["type"] == "EPCISDocument"
    assert code in json.dumps(document)

    # A spray of the day before, recorded only now: the lot's labels are refused, in words beside them.
    late = {
        "id": "webapp-test-late-spray",
        "day": "2026-01-14",
        "greenhouse": "rau-la-1",
        "zone": "khu-b",
        "detail": {
            "kind": "protection",
            "product": "Actara 25WG",
            "active_ingredient": "Thiamethoxam",
            "dose": {"value": 2, "unit": "g"},
            "water_l": 16,
            "target_pest": "rệp",
            "phi_days": 7,
            "sprayed_by": "Anh Minh",
        },
    }
    with _signed_in(demo, TECHNICIAN) as client:
        assert client.post("/api/v1/diary", json=late).status_code == 201
    card.locator('[data-label="thermal"]').click()
    expect(card.locator(".error")).to_have_text("Chưa hết thời gian cách ly (Actara 25WG): được thu hoạch từ 21/01")
    card.scroll_into_view_if_needed()
    screenshot(page, "diary-09-desk-lot")
    _readable(page, demo)
    screenshot(page, "diary-10-desk", full_page=True)
