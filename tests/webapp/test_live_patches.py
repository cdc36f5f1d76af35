"""The phone keeps its pictures up to date from the live stream's patches, in Chromium: its own module applies
any patch the gateway makes to exactly the gateway's next picture, and against the demo a tile changes through
patches alone, over a gzip stream, ending with the picture the events describe."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.live.patch import Json, JsonObject, patch_of
from gateway.webapp.routes import STATIC
from tests.gateway.live.test_patch import named_lists, objects
from tests.support.sse import Event, Pictures, same_json
from tests.webapp.conftest import Demo, require_browser, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Route

require_browser()
from playwright.sync_api import expect  # noqa: E402  (only once the module knows it has a browser)

pytestmark = pytest.mark.slow
ORIGIN = "http://phone.test"
APPLY = """async (cases) => {
    const { applyPatch } = await import("/static/js/patch.js");
    return cases.map(([old, patch]) => {
        const kept = JSON.stringify(old);
        const out = applyPatch(old, patch);
        return [out, JSON.stringify(old) === kept];  // the picture the screens hold is left as it was
    });
}"""


def _serve_static(route: Route) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path.startswith("/static/js/"):
        route.fulfill(body=(STATIC / path.removeprefix("/static/")).read_bytes(), content_type="text/javascript")
    else:
        route.fulfill(body="<!doctype html><title>patch</title>", content_type="text/html")


@given(st.lists(st.tuples(objects, objects) | named_lists().map(lambda p: ({"s": p[0]}, {"s": p[1]})), max_size=30))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_phone_applies_any_patch_to_exactly_the_next_picture(
    phone: BrowserContext, pairs: list[tuple[JsonObject, JsonObject]]
) -> None:
    page = phone.pages[0] if phone.pages else phone.new_page()
    if not page.url.startswith(ORIGIN):
        page.route(f"{ORIGIN}/**", _serve_static)
        page.goto(f"{ORIGIN}/")
    cases = [(old, patch) for old, new in pairs if (patch := patch_of(old, new)) is not None]
    news = [new for old, new in pairs if patch_of(old, new) is not None]
    results = page.evaluate(APPLY, cases)
    for (out, untouched), new in zip(results, news, strict=True):
        assert same_json(out, new) and untouched


def _phone_pictures(page: Page) -> dict[str, Json]:
    return page.evaluate(
        """async () => {
            const { live } = await import("/static/js/live.js");
            return Object.fromEntries(live.greenhouses);
        }"""
    )


def test_a_tile_changes_through_patches_and_the_phone_ends_with_the_gateways_picture(
    phone: BrowserContext, demo: Demo
) -> None:
    page = phone.new_page()
    received: list[Event] = []
    cdp = phone.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on(
        "Network.eventSourceMessageReceived",
        lambda m: received.append(Event(int(m["eventId"]), m["eventName"], json.loads(m["data"]), len(m["data"]))),
    )
    encodings = []
    page.on(
        "response",
        lambda r: encodings.append(r.headers.get("content-encoding")) if r.url.endswith("/live/stream") else None,
    )
    sign_in(page, demo)
    page.goto(f"{demo.url}/#/gh/ca-chua-1")
    temp = page.locator(".tile", has=page.locator(".label", has_text="Nhiệt độ")).locator(".num")
    expect(temp).not_to_have_text("–")
    before = temp.inner_text()
    expect(temp).not_to_have_text(before, timeout=60_000)
    assert encodings and encodings[0] == "gzip"
    # Each greenhouse whole once at the start, then patches only.
    names = [e.name for e in received]
    wholes = names.count("greenhouse")
    assert wholes == 3 and set(names[:wholes]) == {"greenhouse"} and len(names) > wholes, names
    # The phone's pictures are those the events describe, applied here with the gateway's own code. Between
    # polls (1.5 s at the demo's speed) the two readings of the same events agree.
    deadline = time.monotonic() + 20
    while True:
        pictures = Pictures()
        for event in list(received):
            pictures.take(event)
        on_phone = _phone_pictures(page)
        if same_json(on_phone, pictures.by_id) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)
    assert same_json(on_phone, pictures.by_id)
    assert "rau-la-1" in on_phone
