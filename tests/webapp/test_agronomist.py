"""The agronomist's history explorer against a running demo, in Chromium at phone size: a sensor and a
derived metric charted over 24 hours, and the CSV of the chosen range with every reading's quality flag."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from contract.kinds import Quality
from tests.webapp.conftest import Demo, require_browser, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

require_browser()
from playwright.sync_api import expect  # noqa: E402  (only once the module knows it has a browser)

pytestmark = pytest.mark.slow
Shot = Callable[..., None]


def test_an_agronomist_charts_a_sensor_and_a_derived_metric_and_downloads_the_csv(
    phone: BrowserContext, demo: Demo, screenshot: Shot
) -> None:
    page = phone.new_page()
    sign_in(page, demo, "ky-su")
    expect(page.locator("#title")).to_have_text("Lịch sử số liệu")  # the agronomist's main screen
    page.locator("#history-greenhouse").select_option("ca-chua-1")
    expect(page).to_have_url(re.compile("#/history/ca-chua-1$"))
    expect(page.get_by_role("tab", name="24 giờ")).to_have_attribute("aria-selected", "true")
    page.locator("details.pick summary", has_text="Cảm biến").click()
    page.get_by_label("Nhiệt độ", exact=True).uncheck()
    page.get_by_label("Ẩm đất A1 (Khu A) · Độ ẩm đất").check()
    page.locator("details.pick summary", has_text="Chỉ số tính toán").click()
    page.get_by_label("VPD không khí").uncheck()
    page.get_by_label("Điểm sương").check()
    page.get_by_role("button", name="Xem biểu đồ").click()
    soil = page.locator('.chart-card[data-series="soil-a1"]')
    dew = page.locator('.chart-card[data-series="dew_point_c"]')
    expect(soil.locator("h2")).to_have_text("%")
    expect(dew.locator("h2")).to_have_text("°C")
    for card, name in ((soil, "Ẩm đất A1"), (dew, "Điểm sương")):
        expect(card.locator("svg.chart path.mean, svg.chart circle").first).to_be_attached()
        expect(card.locator(".legend li")).to_have_text([name])
    expect(page.locator(".chart-card")).to_have_count(2)
    expect(page.locator("#hist-grafana")).to_be_hidden()  # the demo's gateway is given no --grafana-url
    screenshot(page, "30-history-24h", full_page=True)

    href = page.locator("#hist-csv").get_attribute("href")
    assert href and href.startswith("/api/v1/greenhouses/ca-chua-1/history.csv?")
    with page.expect_download() as download:
        page.locator("#hist-csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows, "no readings in the CSV"
    assert {r["sensor"] for r in rows} == {"soil-a1"}
    assert {r["quality"] for r in rows} <= {q.value for q in Quality}
    assert "good" in {r["quality"] for r in rows}


def test_the_history_explorer_reads_in_english_and_over_chosen_dates(phone: BrowserContext, demo: Demo) -> None:
    page = phone.new_page()
    sign_in(page, demo, "ky-su")
    page.click("#lang")
    expect(page.locator("#title")).to_have_text("History")
    page.get_by_role("tab", name="Dates").click()
    expect(page.locator("#hist-from")).to_be_visible()
    # One calendar day on the gateway's clock: from its midnight to now.
    expect(page.locator('.chart-card[data-series="vpd_kpa"] .legend li')).to_have_text(["Air VPD"])
    href = page.locator("#hist-csv").get_attribute("href") or ""
    assert re.search(r"start=\d{4}-\d\d-\d\dT\d\d%3A00%3A00\.000Z", href), href
