"""The rule desk in Chromium at phone size: a rule file with several mistakes shows every one of them at once,
sorted by line, each with its line, field and what is wrong in the page's language — no pydantic or crontab
library English on the Vietnamese page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.webapp.conftest import Demo, require_browser, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

require_browser()
from playwright.sync_api import expect  # noqa: E402  (only once the module knows it has a browser)

pytestmark = pytest.mark.slow
Shot = Callable[..., None]

BAD = """\
version: 1
rules:
  - id: dat-kho
    kind: threshold
    metric: {sensors: [soil-a1]}
    belw: 28
    for_s: -5
    action: {actuator: valve-a, on_for_s: 480}
  - id: tuoi-sang
    kind: schedule
    cron: "0 25 * * *"
    action: {actuator: valve-a, on_for_s: 300}
  - id: Tuoi Chieu
    kind: schedule
    cron: "0 16 * * *"
    action: {actuator: valve-a, on_for_s: 300, position_pct: 140}
"""
FIELDS = ["belw", "for_s", "cron", "id", "action.position_pct"]
LINES = [6, 7, 11, 13, 16]
SAID = {
    "vi": [
        "không có mục này",
        "phải lớn hơn 0",
        "giờ phải từ 0 đến 23: '25'",
        "viết sai dạng",
        "không được lớn hơn 100",
    ],
    "en": [
        "unknown field",
        "must be greater than 0",
        "the hour must be from 0 to 23: '25'",
        "should match pattern",
        "must be less than or equal to 100",
    ],
}
LINE_WORD = {"vi": "dòng", "en": "line"}
PYDANTIC_ENGLISH = ("Input should", "Field required", "Extra inputs", "Value error", "String should")


def _check(page: Page, demo: Demo) -> None:
    page.goto(f"{demo.url}/#/rules/ca-chua-1")
    page.locator("#rules-yaml").fill(BAD)
    page.locator("#rules-check").click()


def test_every_mistake_is_shown_sorted_with_its_line_and_field_in_the_pages_language(
    phone: BrowserContext, demo: Demo, screenshot: Shot
) -> None:
    page = phone.new_page()
    sign_in(page, demo, "ky-thuat")
    for lang in ("vi", "en"):
        if lang == "en":
            page.evaluate("localStorage.setItem('gh.lang', 'en')")
            page.reload()
        _check(page, demo)
        problems = page.locator('.result[data-result="check"] .problem')
        expect(problems).to_have_count(len(FIELDS))
        assert [problems.nth(i).get_attribute("data-field") for i in range(len(FIELDS))] == FIELDS
        for i, (line, said) in enumerate(zip(LINES, SAID[lang], strict=True)):
            item = problems.nth(i)
            expect(item.locator(".where")).to_contain_text(f"{LINE_WORD[lang]} {line}")
            expect(item.locator(".what")).to_contain_text(said)
        text = page.locator('.result[data-result="check"]').inner_text()
        if lang == "vi":
            assert not any(phrase in text for phrase in PYDANTIC_ENGLISH), text
        screenshot(page, f"rules-all-problems-{lang}", full_page=True)
