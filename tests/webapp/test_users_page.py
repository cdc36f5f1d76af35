"""The admin's users page in a real Chromium against the running demo: a farmer added there, limited to one
greenhouse named as the site names it, signs in and sees that greenhouse only; a technician has no such page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.webapp.conftest import Demo, require_browser, sign_in

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import BrowserContext

require_browser()

FARMER_PASSWORD = "mat-khau-cua-hoa"


def test_an_admin_adds_a_farmer_limited_to_one_greenhouse_who_then_sees_only_it(
    phone: BrowserContext, demo: Demo, screenshot: Callable[..., None]
) -> None:
    from playwright.sync_api import expect

    page = phone.new_page()
    sign_in(page, demo)
    page.goto(f"{demo.url}/#/users")
    expect(page.locator("#title")).to_have_text("Người dùng")
    expect(page.locator('[data-user="demo-admin"]')).to_contain_text("Quản trị viên")
    form = page.locator('[data-part="add"]')
    form.locator("summary").click()
    form.locator('[data-input="name"]').fill("nong-dan-hoa")
    form.locator('[data-input="role"]').select_option("farmer")
    form.locator('[data-input="password"]').fill("ngan")
    form.locator("button", has_text="Thêm").click()
    expect(form.locator(".error")).to_have_text("Mật khẩu cần ít nhất 10 ký tự")  # said before anything is sent
    form.locator('[data-input="password"]').fill(FARMER_PASSWORD)
    # The greenhouses by their names, never their ids.
    expect(form.locator(".check")).to_have_text(["Nhà màng cà chua 1", "Nhà màng cà chua 2", "Nhà màng rau ăn lá 1"])
    form.locator(".check", has_text="Nhà màng cà chua 2").locator("input").check()
    form.locator("button", has_text="Thêm").click()
    expect(page.locator(".running")).to_have_text("Đã thêm nong-dan-hoa (Nông dân) — Nhà màng cà chua 2")
    card = page.locator('[data-user="nong-dan-hoa"]')
    expect(card).to_contain_text("Nông dân")
    expect(card.locator("dd").nth(1)).to_have_text("Nhà màng cà chua 2")
    screenshot(page, "users-added-farmer", full_page=True)

    page.goto(f"{demo.url}/#/")
    page.locator("#signout").click()
    page.fill("#user", "nong-dan-hoa")
    page.fill("#password", FARMER_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card .name")).to_have_text("Nhà màng cà chua 2")
    # Nor does the farmer reach the users page by its address: the list is shown instead.
    page.goto(f"{demo.url}/#/users")
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator('[data-part="add"]')).to_have_count(0)


def test_the_admin_changes_the_greenhouses_a_farmer_sees_in_english(
    phone: BrowserContext, demo: Demo
) -> None:
    from playwright.sync_api import expect

    page = phone.new_page()
    sign_in(page, demo)
    page.locator("#lang").click()
    page.goto(f"{demo.url}/#/users")
    card = page.locator('[data-user="nong-dan"]')  # given two greenhouses by the fixture
    expect(card.locator("dd").nth(1)).to_have_text("Tomato house 1, Leafy greens house 1")
    part = card.locator('[data-part="greenhouses"]')
    part.locator("summary").click()
    part.locator(".check", has_text="Leafy greens house 1").locator("input").uncheck()
    part.locator("button", has_text="Save").click()
    expect(page.locator(".running")).to_have_text("Changed the greenhouses nong-dan sees")
    expect(page.locator('[data-user="nong-dan"] dd').nth(1)).to_have_text("Tomato house 1")
    # Back to both, as the other browser tests expect of this farmer.
    part = page.locator('[data-user="nong-dan"] [data-part="greenhouses"]')
    part.locator("summary").click()
    part.locator(".check", has_text="Leafy greens house 1").locator("input").check()
    part.locator("button", has_text="Save").click()
    expect(page.locator('[data-user="nong-dan"] dd').nth(1)).to_have_text("Tomato house 1, Leafy greens house 1")
