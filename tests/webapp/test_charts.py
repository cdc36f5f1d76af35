"""The phone's charts against a running demo, in Chromium at phone size: no stray text, value axes that stay
within what the value can physically be, dates on the time axis and labels that do not run into each other; and
every time in the greenhouse's zone on a phone set to another (Paris, six hours behind Mộc Châu)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from tests.webapp.conftest import Demo, phone_context, require_browser, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Locator, Page

require_browser()
from playwright.sync_api import expect  # noqa: E402  (only once the module knows it has a browser)

pytestmark = pytest.mark.slow
Shot = Callable[..., None]
GREENHOUSE_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # the example cooperative's
# What each chart's value axis may show: humidity and soil water are percentages, light and VPD not below zero.
PHYSICAL = {"air_rh_pct": (0, 100), "soil_vwc_pct": (0, 100), "par_umol_m2_s": (0, None), "vpd_kpa": (0, None)}


@pytest.fixture
def paris_phone(tmp_path: Path) -> Iterator[BrowserContext]:
    """A phone whose owner set it to Paris time: the greenhouse is still in Vietnam."""
    with phone_context(tmp_path / "profile", timezone_id="Europe/Paris") as context:
        yield context


def _charts(page: Page, demo: Demo, tab: str) -> None:
    page.goto(f"{demo.url}/#/gh/ca-chua-1/charts")
    page.locator(f'[data-range="{tab}"]').click()
    expect(page.locator(f'[data-range="{tab}"]')).to_have_attribute("aria-selected", "true")
    expect(page.locator(".chart-card svg.chart")).to_have_count(5)


def _vi_number(text: str) -> float:
    return float(text.replace(".", "").replace(",", ".").replace("−", "-"))


def _time_labels(card: Locator) -> list[str]:
    return card.locator("text.tick.time").all_text_contents()


def _greenhouse_time(at_ms: str) -> datetime:
    return datetime.fromtimestamp(int(at_ms) / 1000, UTC).astimezone(GREENHOUSE_ZONE)


def _no_overlap(card: Locator) -> None:
    """The time labels side by side inside the chart, none over the next: readable on a 360 px phone."""
    chart = card.locator("svg.chart").bounding_box()
    boxes = sorted(
        (b for b in (t.bounding_box() for t in card.locator("text.tick.time").all()) if b), key=lambda b: b["x"]
    )
    assert chart and boxes
    assert boxes[0]["x"] >= chart["x"] and boxes[-1]["x"] + boxes[-1]["width"] <= chart["x"] + chart["width"] + 0.5
    for left, right in itertools.pairwise(boxes):
        assert left["x"] + left["width"] < right["x"], (left, right)


@pytest.mark.parametrize("tab", ["day", "week", "season"])
def test_charts_read_without_stray_text_and_within_physical_ranges(
    phone: BrowserContext, demo: Demo, screenshot: Shot, tab: str
) -> None:
    page = phone.new_page()
    sign_in(page, demo, "nong-dan")
    _charts(page, demo, tab)
    # Under the range buttons: nothing a program left behind.
    stray = re.compile(r"\b(null|undefined|NaN|Infinity)\b")
    assert not stray.search(page.locator(".greenhouse").text_content() or "")
    for chart, (low, high) in PHYSICAL.items():
        values = [_vi_number(v) for v in page.locator(f'[data-chart="{chart}"] text.tick.value').all_text_contents()]
        assert values, chart
        assert low is None or min(values) >= low, (chart, values)
        assert high is None or max(values) <= high, (chart, values)
    for card in page.locator(".chart-card").all():
        labels = _time_labels(card)
        assert len(labels) == len(set(labels)) >= 2, labels  # the two ends never read the same
        _no_overlap(card)
    screenshot(page, f"40-charts-{tab}", full_page=True)


def test_the_time_axis_carries_dates_in_the_greenhouses_zone(paris_phone: BrowserContext, demo: Demo) -> None:
    page = paris_phone.new_page()
    sign_in(page, demo, "nong-dan")
    _charts(page, demo, "day")
    temp = page.locator('[data-chart="air_temp_c"]')
    # 24 hours span two days: the greenhouse's midnight is written as its date, the rest as hours.
    labels = _time_labels(temp)
    dates = [label for label in labels if re.fullmatch(r"\d\d/\d\d", label)]
    assert len(dates) == 1 and all(re.fullmatch(r"\d\d:\d\d", x) for x in labels if x not in dates), labels
    midnight = _greenhouse_time(temp.locator("text.tick.time", has_text=dates[0]).get_attribute("data-at") or "")
    assert (midnight.hour, midnight.minute) == (0, 0) and midnight.strftime("%d/%m") == dates[0]
    for tick in temp.locator("text.tick.time").all():
        at = _greenhouse_time(tick.get_attribute("data-at") or "")
        if tick.text_content() not in dates:
            assert tick.text_content() == at.strftime("%H:%M")  # Mộc Châu's hours, not Paris's
    page.locator('[data-range="week"]').click()
    expect(page.locator('[data-range="week"]')).to_have_attribute("aria-selected", "true")
    expect(temp.locator("text.tick.time").first).to_have_text(re.compile(r"^\d\d/\d\d$"))
    labels = _time_labels(temp)
    assert all(re.fullmatch(r"\d\d/\d\d", x) for x in labels) and len(set(labels)) == len(labels) >= 3, labels
    for tick in temp.locator("text.tick.time").all():
        at = _greenhouse_time(tick.get_attribute("data-at") or "")
        assert (at.hour, at.minute, at.strftime("%d/%m")) == (0, 0, tick.text_content())

    # Every view formats its times through format.js: 22:45 UTC is 05:45 in Mộc Châu, 23:45 in Paris.
    shown = page.evaluate(
        """async () => {
            const f = await import("/static/js/format.js");
            const at = Date.parse("2026-01-14T22:45:00Z");
            return [f.clockTime(at), f.dayLabel(at), f.dateTime(at)];
        }"""
    )
    assert shown == ["05:45", "15/01", "05:45 15/01"]


def test_the_history_explorers_days_are_the_greenhouses(paris_phone: BrowserContext, demo: Demo) -> None:
    page = paris_phone.new_page()
    sign_in(page, demo, "ky-su")
    page.get_by_role("tab", name="Chọn ngày").click()
    # The demo's day is 15 January in Mộc Châu while Paris is still on the 14th: the greenhouse's date, and the
    # range from its midnight (17:00 UTC), not the phone's.
    expect(page.locator("#hist-from")).to_have_value("2026-01-15")
    expect(page.locator("#hist-csv")).to_have_attribute("href", re.compile(r"start=2026-01-14T17%3A00%3A00\.000Z"))
    card = page.locator('.chart-card[data-series="vpd_kpa"]')
    expect(card.locator("svg.chart")).to_have_count(1)
    for tick in card.locator("text.tick.time").all():
        at = _greenhouse_time(tick.get_attribute("data-at") or "")
        assert tick.text_content() in (at.strftime("%H:%M"), at.strftime("%d/%m"))
