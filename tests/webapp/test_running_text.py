"""What the farmer reads for a running valve: the zone it waters and the time left, in both languages, from
the app's own module in Chromium (the wording the greenhouse screen and the list both use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.webapp.conftest import Demo, require_browser

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

require_browser()

pytestmark = pytest.mark.slow

TEXTS = """async () => {
    const { setLang } = await import("/static/js/lang.js");
    const { runningText } = await import("/static/js/model.js");
    // No reading seen yet: the gateway's clock is the phone's, so "until" is three minutes from now.
    const until = new Date(Date.now() + 3 * 60e3 + 5e3).toISOString();
    const valve = { name: "Van khu A", kind: "valve", zone_name: "Khu A", position_pct: null, until };
    const fan = { name: "Quạt", kind: "fan", zone_name: null, position_pct: null, until };
    const out = {};
    for (const lang of ["vi", "en"]) {
        setLang(lang);
        const untimed = { ...valve, until: null };
        out[lang] = [runningText(valve), runningText(valve, false), runningText(fan), runningText(untimed)];
    }
    return out;
}"""


def test_a_running_valve_names_the_zone_it_waters(phone: BrowserContext, demo: Demo) -> None:
    page = phone.new_page()
    page.goto(demo.url + "/")
    texts = page.evaluate(TEXTS)
    assert texts["vi"] == [
        "Đang tưới khu A — còn 3 phút",
        "Đang tưới khu A — còn 3 phút",
        "Quạt đang chạy — còn 3 phút",
        "Đang tưới khu A",
    ]
    assert texts["en"] == [
        "Watering Khu A — 3 min left",
        "Watering Khu A — 3 min left",
        "Quạt running — 3 min left",
        "Watering Khu A",
    ]
