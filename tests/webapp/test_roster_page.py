"""The roster page in a real Chromium at phone size against the running demo: a technician adds a person, puts her
first on a greenhouse's list and saves; the page says the running notifier tells by it now, this week's order shows
her first, and the file on the server says the same. The escalation settings below cannot silence a frost alarm."""

from __future__ import annotations

from contextlib import closing
from typing import TYPE_CHECKING, Any

import httpx
import yaml

from gateway.notify.roster import ROSTER_FILE
from tests.webapp.conftest import Demo, require_browser, sign_in

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import BrowserContext

require_browser()

TECHNICIAN = "ky-thuat"


def _put_back(demo: Demo, roster: dict[str, Any]) -> None:
    """The demo's roster as it was, through the API, so that its notifier has it again for the other tests."""
    client = httpx.Client(base_url=demo.url, timeout=10)
    with closing(client):
        signed = client.post("/api/v1/login", json={"user": TECHNICIAN, "password": demo.passwords[TECHNICIAN]})
        client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        base = client.get("/api/v1/roster").json()["sha256"]
        assert client.put("/api/v1/roster", json={"roster": roster, "base_sha256": base}).status_code == 200


def test_a_technician_adds_a_person_and_puts_her_first_on_a_greenhouse(
    phone: BrowserContext, demo: Demo, screenshot: Callable[..., None]
) -> None:
    from playwright.sync_api import expect

    path = demo.data_dir / ROSTER_FILE
    before = yaml.safe_load(path.read_text("utf-8"))
    page = phone.new_page()
    sign_in(page, demo, TECHNICIAN)
    page.goto(f"{demo.url}/#/roster")
    expect(page.locator("#title")).to_have_text("Người trực cảnh báo")
    tomato = page.locator('[data-on-duty="ca-chua-1"]')
    expect(tomato).to_contain_text("Chị Lan → Anh Minh → Kỹ thuật Hùng")
    try:
        form = page.locator('[data-part="add-person"]')
        form.locator("summary").click()
        form.locator('[data-input="name"]').fill("Chị Hoa")
        form.locator('[data-input="phone"]').fill("0912 000 111")
        form.locator("button", has_text="Thêm").click()
        expect(page.locator('[data-part="people"] > summary')).to_have_text("Người nhận cảnh báo (4)")

        duty = page.locator('[data-duty="ca-chua-1"]')
        duty.locator('[data-input="add-to-order"]').select_option(label="Chị Hoa")
        duty.locator("button", has_text="Thêm vào").click()
        for _ in range(3):  # from fourth to first
            page.locator('[data-duty="ca-chua-1"] [data-in-order="chi-hoa"] [data-move="up"]').click()
        expect(page.locator('[data-duty="ca-chua-1"] li > b')).to_have_text(
            ["Chị Hoa", "Chị Lan", "Anh Minh", "Kỹ thuật Hùng"]
        )
        page.locator('[data-duty="ca-chua-1"]').scroll_into_view_if_needed()
        screenshot(page, "roster-order")
        page.locator('[data-save="roster"]').click()
        expect(page.locator('[data-notice="roster"] .running')).to_have_text(
            "Đã lưu. Từ giờ cảnh báo được báo theo danh sách này."
        )
        expect(tomato).to_contain_text("Chị Hoa → Chị Lan → Anh Minh → Kỹ thuật Hùng")
        screenshot(page, "roster-saved", full_page=True)
        saved = yaml.safe_load(path.read_text("utf-8"))
        assert next(d for d in saved["duties"] if d["greenhouse"] == "ca-chua-1")["people"][0] == "chi-hoa"
        assert next(p for p in saved["people"] if p["id"] == "chi-hoa")["phone"] == "+84912000111"

        # The frost alarm's first step: at once, by SMS, and the page will not have it otherwise.
        critical = page.locator('[data-severity="critical"]')
        critical.locator("summary").click()
        first = critical.locator('[data-step="critical-0"]')
        expect(first.locator('[data-input="after_min"]')).to_be_disabled()
        expect(first.locator('input[value="sms"]')).to_be_checked()
        expect(first.locator('input[value="sms"]')).to_be_disabled()
        expect(page.locator('[data-says="critical-always"]')).to_contain_text(
            "Cảnh báo nguy cấp (sương muối, bơm chạy khô) luôn được gửi ngay, kể cả trong giờ yên lặng"
        )
        critical.scroll_into_view_if_needed()
        screenshot(page, "roster-escalation")
    finally:
        _put_back(demo, before)
