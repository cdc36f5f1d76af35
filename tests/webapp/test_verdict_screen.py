"""The verdict on the farmer's screens, in Chromium at phone size, against a real simulator, edge agent, Mosquitto and
gateway: a tomato house in its bands reads "Mọi thứ ổn" in green; one whose tank is too low for the pump reads
"Nguy hiểm" in red with the reason, on the list and on the greenhouse's screen, and the tank's tile is amber, not
the calm blue of "cold"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from firmware_sim.physics import InitialConditions
from gateway.accounts.roles import Role
from tests.support.mosquitto import Mosquitto
from tests.support.phone import Phone, serve_phone
from tests.webapp.conftest import phone_context, require_browser

if TYPE_CHECKING:
    from playwright.sync_api import Page

require_browser()
from playwright.sync_api import expect  # noqa: E402  (only once the module knows it has a browser)

pytestmark = pytest.mark.slow
GH = "ca-chua-1"
USERS = {"nong-dan": (Role.FARMER, "htx-moc-chau", [GH])}
# 9:00 on a March morning (tests/support/phone.py): the tomato's day band, 18–30 °C, 60–90 %.
IN_BAND = InitialConditions(air_temp_c=22, air_rh_pct=72, soil_vwc_pct=33, tank_level_pct=80)
GREEN_BG, RED_BG, RED, AMBER = "rgb(230, 244, 234)", "rgb(253, 234, 234)", "rgb(179, 38, 30)", "rgb(167, 90, 0)"


@contextmanager
def _phone_page(tmp_path: Path, phone: Phone) -> Iterator[Page]:
    with phone_context(tmp_path / "profile") as context:
        page = context.new_page()
        page.goto(phone.url + "/")
        page.fill("#user", "nong-dan")
        page.fill("#password", phone.passwords["nong-dan"])
        page.click("button[type=submit]")
        page.wait_for_selector(".card")
        yield page


def _style(page: Page, selector: str, prop: str) -> str:
    return page.locator(selector).first.evaluate(f"(el) => getComputedStyle(el).{prop}")


def test_a_house_in_its_bands_says_all_is_well_in_green(tmp_path: Path, mosquitto: Mosquitto) -> None:
    with serve_phone(tmp_path, mosquitto, [], USERS, IN_BAND) as phone, _phone_page(tmp_path, phone) as page:
        expect(page.locator(".card.ok .state")).to_have_text("Mọi thứ ổn")
        page.locator(".card", has_text="Nhà màng cà chua 1").click()
        verdict = page.locator(".verdict")
        expect(verdict).to_have_class("verdict ok")
        expect(verdict.locator(".title")).to_have_text("Mọi thứ ổn")
        expect(verdict.locator(".reasons li")).to_have_text(["Các chỉ số đều trong ngưỡng"])
        assert _style(page, ".verdict", "backgroundColor") == GREEN_BG
        # The farmer's tiles: no kPa nor µmol/m²/s.
        expect(page.locator(".tile .label")).to_have_text(["Nhiệt độ", "Độ ẩm", "Bể nước"])
        page.click("#lang")
        expect(verdict.locator(".title")).to_have_text("All is well")


def test_a_tank_too_low_for_the_pump_is_danger_in_red_with_its_reason(tmp_path: Path, mosquitto: Mosquitto) -> None:
    low_tank = IN_BAND.model_copy(update={"tank_level_pct": 8.0})
    with serve_phone(tmp_path, mosquitto, [], USERS, low_tank) as phone, _phone_page(tmp_path, phone) as page:
        card = page.locator(".card.danger")
        expect(card.locator(".state")).to_have_text("Nguy hiểm")
        expect(card.locator(".reason")).to_have_text("Bể nước sắp cạn: 8 % — bơm không chạy khi dưới 15 %")
        assert _style(page, ".card.danger", "borderLeftColor") == RED
        card.click()
        expect(page.locator(".verdict")).to_have_class("verdict danger")
        expect(page.locator(".verdict .title")).to_have_text("Nguy hiểm")
        assert _style(page, ".verdict", "backgroundColor") == RED_BG
        tank = page.locator(".tile", has=page.locator(".label", has_text="Bể nước"))
        expect(tank).to_have_class("tile level-low")
        assert tank.evaluate("(el) => getComputedStyle(el).borderTopColor") == AMBER
        page.click("#lang")
        expect(page.locator(".verdict .title")).to_have_text("Danger")
        expect(page.locator(".verdict .reasons li").first).to_have_text(
            "Water tank nearly empty: 8 % — the pump cannot run below 15 %"
        )
