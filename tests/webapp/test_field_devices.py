"""The technician's field-devices page in Chromium at phone size, against a whole stack whose water node is dead
on its bus and whose first soil probe answers with broken CRCs: each bus in words, each device by its profile's
name with what it reads, the dead one set aside and the noisy one with its CRC errors, each with what to check,
in Vietnamese and then English. A farmer has no way to it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from gateway.accounts.roles import Role
from tests.gateway.api.field_faults import DEAD, GH, NOISY, faulty_field
from tests.support.mosquitto import Mosquitto
from tests.support.phone import Phone
from tests.webapp.conftest import SCREENSHOTS, require_browser

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

require_browser()
from playwright.sync_api import expect  # noqa: E402  (only once the module knows it has a browser)

pytestmark = pytest.mark.slow
Shot = Callable[..., None]
TECHNICIAN, FARMER = "ky-thuat", "nong-dan"
USERS = {TECHNICIAN: (Role.TECHNICIAN, "htx-moc-chau", None), FARMER: (Role.FARMER, "htx-moc-chau", [GH])}


@pytest.fixture(scope="module")
def field(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phone]:
    """One faulty stack for the module: its tests only read the page (the language is the browser's choice), and a
    module fixture is torn down after each test's browser, whose open connections kept the API server's stop
    waiting out its 10 s."""
    tmp = tmp_path_factory.mktemp("field")
    broker = Mosquitto(tmp / "mosquitto")
    broker.start()
    try:
        with faulty_field(tmp, broker, USERS, TECHNICIAN) as phone:
            yield phone
    finally:
        broker.stop()


def _sign_in(page: Page, field: Phone, user: str) -> None:
    page.goto(field.url + "/")
    page.fill("#user", user)
    page.fill("#password", field.passwords[user])
    page.click("button[type=submit]")
    expect(page.locator(".card")).to_have_count(1)


def _keep(page: Page, screenshot: Shot, name: str) -> None:
    """In the run's screenshots, and in /tmp for a look at once."""
    screenshot(page, name, full_page=True)
    shutil.copy(SCREENSHOTS / f"{name}.png", f"/tmp/{name}.png")


# What the page says, in each language: the dead device's state and hint, the noisy one's hint, the bus in words
# (the serial port is the test's own, filled in), what a sound device reads.
WORDS = {
    "vi": {
        "quarantined": "Đang tạm bỏ qua (không trả lời)",
        "timeouts": "thiết bị mất nguồn, sai địa chỉ hoặc sai tốc độ baud",
        "crc_errors": "lỗi CRC: kiểm tra dây A/B, điện trở 120 Ω, dây chống nhiễu",
        "soil_bus": "Cổng USB–RS485 {port}, 4800 baud",
        "relay_bus": "Bộ chuyển RS485–Wi-Fi 127.0.0.1:",
        "sound": "Trả lời bình thường",
        "reads": "ĐoNhiệt độ, Độ ẩm",
        "summary": "thiết bị cần kiểm tra",
    },
    "en": {
        "quarantined": "Set aside (not answering)",
        "timeouts": "device without power, wrong address or wrong baud rate",
        "crc_errors": "CRC errors: check A/B wiring, the 120 Ω termination, shielded cable",
        "soil_bus": "USB–RS485 port {port}, 4800 baud",
        "relay_bus": "RS485–Wi-Fi converter 127.0.0.1:",
        "sound": "Answers normally",
        "reads": "ReadsTemperature, Humidity",
        "summary": "devices need checking",
    },
}


def _shows(page: Page, words: dict[str, str], soil_port: str) -> None:
    dead, noisy = page.locator(f'[data-node="{DEAD}"]'), page.locator(f'[data-node="{NOISY}"]')
    climate = page.locator('[data-node="climate"]')
    expect(dead.locator(".field-state")).to_have_text(words["quarantined"])
    expect(dead.locator('[data-problem="timeouts"]')).to_contain_text(words["timeouts"])
    expect(noisy.locator('[data-problem="crc_errors"]')).to_contain_text(words["crc_errors"])
    expect(climate.locator(".field-state")).to_have_text(words["sound"])
    expect(climate).to_contain_text(words["reads"])
    expect(page.locator('[data-bus="dat"] h3')).to_have_text(words["soil_bus"].format(port=soil_port))
    expect(page.locator('[data-bus="role"] h3')).to_contain_text(words["relay_bus"])
    expect(page.locator(".field-summary")).to_contain_text(words["summary"])


def test_a_technician_sees_the_dead_and_the_noisy_device_with_what_to_check(
    phone: BrowserContext, field: Phone, screenshot: Shot
) -> None:
    page = phone.new_page()
    _sign_in(page, field, TECHNICIAN)
    page.locator(".desk-links a", has_text="Thiết bị trên dây").click()
    soil_port = next(str(b.port) for b in field.stack.gh.buses if b.id == "dat")  # the simulator's, for the test
    # Devices are named by their profiles, in the language of the page.
    profile_names = {
        "vi": (
            "Đầu dò đất ComWinTop CWT-Soil-THC-S: độ ẩm, nhiệt độ và EC (3 trong 1)",
            "Cảm biến nhiệt độ và độ ẩm không khí XY-MD02 (SHT20/SHT40)",
        ),
        "en": (
            "ComWinTop CWT-Soil-THC-S soil moisture, temperature and EC probe (3-in-1)",
            "XY-MD02 air temperature and humidity (SHT20/SHT40)",
        ),
    }
    expect(page.locator(f'[data-node="{NOISY}"]')).to_contain_text("Ẩm đất A1")
    for lang in ("vi", "en"):
        if lang == "en":
            page.click("#lang")
        soil_name, climate_name = profile_names[lang]
        expect(page.locator(f'[data-node="{NOISY}"] h4')).to_have_text(soil_name)
        expect(page.locator('[data-node="climate"] h4')).to_have_text(climate_name)
        _shows(page, WORDS[lang], soil_port)
        _keep(page, screenshot, f"fielddevices-{lang}")


def test_a_farmer_has_no_way_to_the_field_devices(phone: BrowserContext, field: Phone) -> None:
    page = phone.new_page()
    _sign_in(page, field, FARMER)
    expect(page.locator(".desk-links a")).to_have_count(1)  # the history only
    page.goto(f"{field.url}/#/devices/{GH}")
    expect(page.locator(".card")).to_have_count(1)  # sent to the list
    expect(page.locator(".field-device")).to_have_count(0)
