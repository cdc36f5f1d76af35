"""The farmer's phone app against a running demo, in Chromium at phone size: sign in, watch the greenhouse
live, water a zone, be told why a run is refused, read the charts and alerts, switch language, lose the
network. Each test leaves a screenshot of the screen it checked."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING

import pytest

from gateway.webapp.routes import STATIC
from tests.webapp.conftest import Demo, paused_edge, require_browser, sign_in, wait_silent

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Locator, Page

require_browser()
from playwright.sync_api import expect  # noqa: E402  (only once the module knows it has a browser)

pytestmark = pytest.mark.slow
Shot = Callable[..., None]
BUDGET_BYTES = 200 * 1024


def _open(page: Page, demo: Demo, greenhouse: str, tab: str = "") -> None:
    page.goto(f"{demo.url}/#/gh/{greenhouse}{tab}")
    page.wait_for_selector(".tile")


def _device(page: Page, name: str) -> Locator:
    return page.locator(".device").filter(has=page.locator(".name", has_text=re.compile(f"^{name}$")))


def _rested_valve(page: Page, greenhouse: str) -> str:
    """A valve that is off and has rested past its min_off_s (120 s), so that safety lets it start: its name."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        name = page.evaluate(
            """async (greenhouse) => {
                const all = await (await fetch("/api/v1/live/greenhouses")).json();
                const gh = all.find((g) => g.greenhouse === greenhouse);
                const now = Math.max(...gh.sensors.filter((s) => s.ts).map((s) => Date.parse(s.ts) + s.age_s * 1e3));
                const rested = (a) => !a.on && (a.since === null || now - Date.parse(a.since) > 180e3);
                return gh.actuators.find((a) => a.kind === "valve" && rested(a))?.name ?? null;
            }""",
            greenhouse,
        )
        if name:
            return name
        page.wait_for_timeout(500)
    raise AssertionError(f"no valve of {greenhouse} rested for 3 simulated minutes")


def test_sign_in_refuses_a_wrong_password_in_the_users_language(
    phone: BrowserContext, demo: Demo, screenshot: Shot
) -> None:
    page = phone.new_page()
    page.goto(demo.url + "/")
    expect(page.locator("label[for=user]")).to_have_text("Tên đăng nhập")  # Vietnamese first
    page.fill("#user", "khong-co-ai")
    page.fill("#password", "sai-mat-khau")
    page.click("button[type=submit]")
    expect(page.locator(".login .error")).to_have_text("Sai tên đăng nhập hoặc mật khẩu")
    screenshot(page, "01-sign-in-refused-vi")
    page.click("#lang")
    expect(page.locator("label[for=user]")).to_have_text("User name")
    page.fill("#user", "khong-co-ai")
    page.fill("#password", "sai-mat-khau")
    page.click("button[type=submit]")
    expect(page.locator(".login .error")).to_have_text("Wrong user name or password")
    page.reload()
    expect(page.locator("button[type=submit]")).to_have_text("Sign in")  # the choice is remembered
    screenshot(page, "02-sign-in-en")


def test_a_refused_run_says_why_in_plain_words(phone: BrowserContext, demo: Demo, screenshot: Shot) -> None:
    page = phone.new_page()
    sign_in(page, demo)
    _open(page, demo, "ca-chua-2")
    # The pump may only run into an open valve (the site's interlock): with both valves shut it is refused. Early
    # in the module, so early in the demo: before its 06:00 waterings (some 45 s in), not waiting them out.
    expect(page.locator(".zone .device.on")).to_have_count(0, timeout=60_000)
    _device(page, "Bơm").get_by_role("button", name="Bật").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("#cmd-minutes").fill("1")
    dialog.get_by_role("button", name="Tiếp tục").click()
    dialog.get_by_role("button", name="Đồng ý").click()
    answer = dialog.locator(".answer")
    expect(answer).to_have_attribute("data-outcome", "refused")
    expect(answer.locator("h2")).to_have_text("Không thực hiện được")
    expect(answer).to_contain_text("Cần mở Van khu A hoặc Van khu B trước")
    screenshot(page, "08-refused")


def test_the_first_load_is_within_the_budget_and_all_from_the_gateway(phone: BrowserContext, demo: Demo) -> None:
    page = phone.new_page()
    started, finished, failed = [], [], []
    page.on("request", lambda request: started.append(request))
    page.on("requestfinished", lambda request: finished.append(request))
    page.on("requestfailed", lambda request: failed.append(request))
    sign_in(page, demo)
    # The service worker's own copies of the files made (it is ready once installed, its copies with it), and every
    # request of the page over (but the live stream, which stays open).
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    deadline = time.monotonic() + 20
    while waiting := [r.url for r in started if r.resource_type != "eventsource" and r not in finished + failed]:
        assert time.monotonic() < deadline, f"requests never over: {waiting}"
        page.wait_for_timeout(50)
    assert finished
    total = 0
    for request in finished:
        assert request.url.startswith(demo.url), request.url
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    assert total <= BUDGET_BYTES, f"{total} bytes in {len(finished)} responses"
    # Compressed as it travels: the largest module arrives gzipped.
    app = next(r for r in finished if r.url.endswith("/static/js/strings.js"))
    assert app.response().headers.get("content-encoding") == "gzip"


def test_greenhouses_are_listed_and_a_value_changes_live(phone: BrowserContext, demo: Demo, screenshot: Shot) -> None:
    page = phone.new_page()
    sign_in(page, demo)
    expect(page.locator(".card")).to_have_count(3)
    expect(page.locator(".card").first).to_contain_text("°C")
    screenshot(page, "03-greenhouse-list")
    page.locator(".card", has_text="Nhà màng cà chua 1").click()
    expect(page.locator("#title")).to_have_text("Nhà màng cà chua 1")
    expect(page.locator(".verdict .title")).to_have_text(re.compile("Mọi thứ ổn|Cần chú ý|Nguy hiểm"))
    # The farmer's tiles; VPD (kPa) and PAR (µmol/m²/s) are the charts', the verdict says them in words.
    expect(page.locator(".tile .label")).to_have_text(["Nhiệt độ", "Độ ẩm", "Bể nước"])
    expect(page.locator(".soil-value")).to_have_count(4)  # two sensors in each of two zones
    screenshot(page, "04-greenhouse-now")
    screenshot(page, "04-greenhouse-now-whole", full_page=True)
    page.evaluate("window.stillTheSamePage = true")
    temp = page.locator(".tile", has=page.locator(".label", has_text="Nhiệt độ"))
    before = temp.locator(".num").inner_text() + temp.locator(".age").inner_text()
    soil_before = page.locator(".soil-value .num").all_inner_texts()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = temp.locator(".num").inner_text() + temp.locator(".age").inner_text()
        if now != before or page.locator(".soil-value .num").all_inner_texts() != soil_before:
            break
        page.wait_for_timeout(300)
    else:
        raise AssertionError(f"nothing changed on the screen in 30 s: {before}")
    assert page.evaluate("window.stillTheSamePage") is True  # live, not reloaded


def test_watering_a_zone_opens_the_valve_and_it_closes_by_itself(
    phone: BrowserContext, demo: Demo, screenshot: Shot
) -> None:
    page = phone.new_page()
    sign_in(page, demo, "nong-dan")
    expect(page.locator(".card")).to_have_count(2)  # this farmer is given two of the three greenhouses
    _open(page, demo, "rau-la-1")
    name = _rested_valve(page, "rau-la-1")
    _device(page, name).get_by_role("button", name="Tưới").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("h2")).to_have_text(f"Tưới: {name}")
    dialog.locator("#cmd-minutes").fill("1")
    dialog.get_by_role("button", name="Tiếp tục").click()
    expect(dialog.locator(".question")).to_contain_text(f"Bật {name} trong 1 phút? Sẽ tự tắt khoảng")
    screenshot(page, "05-water-confirm")
    dialog.get_by_role("button", name="Đồng ý").click()
    answer = dialog.locator(".answer")
    expect(answer).to_have_attribute("data-outcome", "accepted")
    expect(answer).to_contain_text("Đã nhận lệnh")
    expect(answer).to_contain_text("Tự tắt lúc")
    screenshot(page, "06-water-answer")
    dialog.get_by_role("button", name="Đóng").click()
    row = _device(page, name)
    # A zone's valve says which zone it waters (rau-la-1 names its zones "Luống A", "Luống B").
    expect(row.locator(".state")).to_contain_text(re.compile(r"Đang tưới luống [AB] — còn \d+ (giây|phút)"))
    expect(row.locator(".why")).to_contain_text("Điều khiển tay đến")
    expect(row.get_by_role("button")).to_have_text("Dừng")
    screenshot(page, "07-watering")
    # One simulated minute is 3 s here: the edge ends the run by itself.
    expect(row.locator(".state")).to_have_text("Đang tắt", timeout=30_000)
    expect(row.get_by_role("button")).to_have_text("Tưới")


def test_a_side_curtain_is_held_half_open_for_a_minute_then_the_rules_have_it_again(
    phone: BrowserContext, demo: Demo, screenshot: Shot
) -> None:
    page = phone.new_page()
    sign_in(page, demo, "nong-dan")
    _open(page, demo, "ca-chua-1")
    row = _device(page, "Rèm hông")
    row.get_by_role("button", name="Chỉnh").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("h2")).to_have_text("Chỉnh: Rèm hông")
    expect(dialog.locator('[data-pct="0"]')).to_have_attribute("aria-pressed", "true")  # closed unless chosen
    dialog.get_by_role("button", name="50%").click()
    expect(dialog.locator('[data-pct="50"]')).to_have_attribute("aria-pressed", "true")
    expect(dialog.locator('[data-pct="0"]')).to_have_attribute("aria-pressed", "false")
    dialog.locator("#cmd-minutes").fill("1")
    dialog.get_by_role("button", name="Tiếp tục").click()
    expect(dialog.locator(".question")).to_contain_text("Để Rèm hông mở 50% trong 1 phút? Khoảng")
    screenshot(page, "08-curtain-confirm")
    dialog.get_by_role("button", name="Đồng ý").click()
    answer = dialog.locator(".answer")
    expect(answer).to_have_attribute("data-outcome", "accepted")
    expect(answer).to_contain_text("Trả về tự động lúc")
    dialog.get_by_role("button", name="Đóng").click()
    expect(row.locator(".state")).to_have_text("Mở 50%")
    expect(row.locator(".why")).to_contain_text("Điều khiển tay đến")
    expect(row.get_by_role("button")).to_have_text("Dừng")
    screenshot(page, "09-curtain-held")
    # One simulated minute is 3 s here: the edge hands the curtain back to the rules by itself.
    expect(row.get_by_role("button")).to_have_text("Chỉnh", timeout=30_000)
    expect(row.locator(".why")).not_to_contain_text("Điều khiển tay")


def test_charts_of_the_day_week_and_season(phone: BrowserContext, demo: Demo, screenshot: Shot) -> None:
    page = phone.new_page()
    sign_in(page, demo)
    page.goto(f"{demo.url}/#/gh/ca-chua-1/charts")
    expect(page.locator(".chart-card")).to_have_count(5)
    temp = page.locator('.chart-card[data-chart="air_temp_c"]')
    expect(temp.locator("svg.chart")).to_have_count(1)
    expect(page.locator('.chart-card[data-chart="soil_vwc_pct"] .legend li')).to_have_count(4)
    screenshot(page, "09-charts-day")
    for name in ("7 ngày", "Cả vụ"):
        page.get_by_role("tab", name=name).click()
        expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")
        expect(temp.locator("svg.chart")).to_have_count(1)
    screenshot(page, "10-charts-season")


def test_english_everywhere_after_the_switch(phone: BrowserContext, demo: Demo, screenshot: Shot) -> None:
    page = phone.new_page()
    sign_in(page, demo)
    _open(page, demo, "ca-chua-1")
    page.click("#lang")
    expect(page.get_by_role("tab", name="Now")).to_be_visible()
    expect(page.locator(".tile .label")).to_have_text(["Temperature", "Humidity", "Water tank"])
    expect(page.locator(".verdict .title")).to_have_text(re.compile("All is well|Needs attention|Danger"))
    expect(page.locator("#signout")).to_have_text("Sign out")
    screenshot(page, "11-greenhouse-now-en")
    page.reload()
    expect(page.get_by_role("tab", name="Charts")).to_be_visible()  # remembered on the phone


def test_every_string_exists_in_both_languages(phone: BrowserContext, demo: Demo) -> None:
    page = phone.new_page()
    page.goto(demo.url + "/")
    keys = page.evaluate(
        """async () => {
            const { STRINGS } = await import("/static/js/strings.js");
            return { vi: Object.keys(STRINGS.vi).sort(), en: Object.keys(STRINGS.en).sort(),
                     empty: Object.entries({ ...STRINGS.vi, ...STRINGS.en }).filter(([, v]) => !v).map(([k]) => k) };
        }"""
    )
    assert keys["vi"] == keys["en"]
    assert keys["empty"] == ["level.unknown"]  # a value with no band has no word under it
    used = {k for p in STATIC.rglob("*.js") for k in re.findall(r'\bt\(\s*"([\w.]+)"', p.read_text())}
    assert used, "no t() calls found"
    assert used <= set(keys["vi"]), used - set(keys["vi"])


def test_offline_the_last_values_stay_with_their_age(phone: BrowserContext, demo: Demo, screenshot: Shot) -> None:
    page = phone.new_page()
    sign_in(page, demo)
    _open(page, demo, "ca-chua-1")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    # The snapshot on the phone (written at most every 10 s, the first at once): there, with this greenhouse.
    page.wait_for_function(
        """() => (JSON.parse(localStorage.getItem("gh.last") ?? "null")?.greenhouses ?? [])
            .some((g) => g.greenhouse === "ca-chua-1")"""
    )
    banner = page.locator("#banner")
    expect(banner).to_be_hidden()
    phone.set_offline(True)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Mất kết nối — số liệu cách đây")
    expect(page.locator("body")).to_have_class("stale")
    temp = page.locator(".tile", has=page.locator(".label", has_text="Nhiệt độ")).locator(".num")
    expect(temp).not_to_have_text("–")
    screenshot(page, "12-offline")
    # Opened again without a network: the service worker gives the app, the phone the last values.
    page.reload()
    expect(banner).to_contain_text("Mất kết nối — số liệu cách đây")
    expect(temp).not_to_have_text("–")
    first = banner.inner_text()
    expect(banner).not_to_have_text(first, timeout=15_000)  # the age keeps counting (at the demo's speed)
    phone.set_offline(False)
    expect(banner).to_be_hidden(timeout=20_000)
    expect(page.locator("body")).not_to_have_class("stale")


def test_offline_the_charts_and_alerts_last_fetched_stay_with_their_age(
    phone: BrowserContext, demo: Demo, screenshot: Shot
) -> None:
    page = phone.new_page()
    sign_in(page, demo)
    page.goto(f"{demo.url}/#/gh/rau-la-1/charts")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    expect(page.locator(".chart-card")).to_have_count(5)
    page.goto(f"{demo.url}/#/gh/rau-la-1/alerts")
    expect(page.locator(".empty")).not_to_have_text("Đang tải cảnh báo…")
    fetched = page.locator(".alerts > li").count()
    phone.set_offline(True)
    page.reload()  # opened again without a network: the app from the service worker, the rest from the phone
    expect(page.locator(".empty")).to_contain_text("Mất kết nối — danh sách tải cách đây")
    expect(page.locator(".alerts > li")).to_have_count(fetched)
    expect(page.locator(".alerts .ack:visible")).to_have_count(0)  # an acknowledgement needs the gateway
    page.goto(f"{demo.url}/#/gh/rau-la-1/charts")
    expect(page.locator(".kept")).to_contain_text("Mất kết nối — biểu đồ tải cách đây")
    expect(page.locator(".chart-card")).to_have_count(5)
    screenshot(page, "13-offline-charts")
    page.locator('[data-range="week"]').click()  # never fetched: said, not made up
    expect(page.locator(".charts .error")).to_have_text("Mất kết nối — không tải được biểu đồ")
    phone.set_offline(False)


def test_an_agronomist_reads_but_has_no_controls(phone: BrowserContext, demo: Demo) -> None:
    page = phone.new_page()
    sign_in(page, demo, "ky-su")
    _open(page, demo, "ca-chua-1")
    expect(page.locator(".device")).not_to_have_count(0)
    expect(page.locator(".device button")).to_have_count(0)


@pytest.fixture(scope="module")
def silence(demo: Demo) -> Iterator[Callable[[], None]]:
    """Pauses rau-la-1's edge agent when a test first asks, and keeps it paused to the module's end: the tests that
    ask are the module's last, and only read and acknowledge the silence, so they share the five simulated minutes
    it takes to come instead of waiting them out each."""
    paused: list[bool] = []
    with ExitStack() as resume:

        def pause() -> None:
            if not paused:
                resume.enter_context(paused_edge(demo, "rau-la-1"))
                paused.append(True)

        yield pause


def test_the_list_shows_a_greenhouse_going_silent_without_reloading(
    phone: BrowserContext, demo: Demo, silence: Callable[[], None]
) -> None:
    page = phone.new_page()
    sign_in(page, demo)
    silence()  # after the list is on the screen: it must change there
    wait_silent(page, "rau-la-1")
    card = page.locator(".card", has_text="Nhà màng rau ăn lá 1")
    # "Cần chú ý", and why: "Mất kết nối với nhà màng từ 6 giờ 10 sáng", on the greenhouse's clock.
    expect(card.locator(".state")).to_have_text("Cần chú ý", timeout=10_000)
    expect(card.locator(".reason")).to_contain_text("Mất kết nối với nhà màng từ")


def test_a_greenhouse_gone_silent_is_an_alert_to_acknowledge(
    phone: BrowserContext, demo: Demo, screenshot: Shot, silence: Callable[[], None]
) -> None:
    page = phone.new_page()
    sign_in(page, demo)
    card = page.locator(".card", has_text="Nhà màng rau ăn lá 1")
    silence()
    wait_silent(page, "rau-la-1")
    expect(card.locator(".reason")).to_contain_text("Mất kết nối với nhà màng từ", timeout=10_000)
    # Counted among the alerts (another test of this demo may have left a rule's alert standing too).
    expect(card.locator(".badge")).to_have_text(re.compile(r"^[1-9]\d* cảnh báo$"))
    for other in ("Nhà màng cà chua 1", "Nhà màng cà chua 2"):
        expect(page.locator(".card", has_text=other).locator(".reason")).not_to_contain_text("Mất kết nối")
    screenshot(page, "13-list-one-silent")
    page.goto(f"{demo.url}/#/gh/rau-la-1/alerts")
    alert = page.locator(".alert.active", has_text="Nhà màng im lặng từ")
    expect(alert).to_be_visible()
    expect(alert.locator(".severity")).to_have_text("Nguy cấp")
    expect(alert.locator(".times")).to_contain_text("đang diễn ra")
    alert.get_by_role("button", name="Đã biết").click()
    expect(alert.locator(".acked")).to_contain_text("demo-admin đã xác nhận lúc")
    expect(alert.get_by_role("button")).to_be_hidden()
    screenshot(page, "14-alerts")
