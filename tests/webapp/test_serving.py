"""The web app as the gateway serves it (its router on a real uvicorn): every file, compressed, revalidated,
the service worker at the root with this release's file list, and the whole app within the phone budget."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from gateway.webapp.routes import DESK, STATIC, webapp_router
from greenhouse.net import free_port, wait_for_port

# What Chromium on Android sends with every request for a file.
BROWSER_HEADERS = {"Accept-Encoding": "gzip, deflate, br, zstd", "Accept-Language": "vi-VN,vi;q=0.9"}
BUDGET_BYTES = 200 * 1024


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    app = FastAPI()
    app.include_router(webapp_router())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port, timeout_s=10)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _worker_assets(url: str) -> list[str]:
    sw = httpx.get(f"{url}/sw.js").text
    found = re.search(r"const ASSETS = (\[.*?\]);", sw)
    assert found, sw[:500]
    return re.findall(r'"([^"]+)"', found.group(1))


def test_the_page_is_served_with_its_policy_and_the_farmers_modules_preloaded(app_url: str) -> None:
    page = httpx.get(f"{app_url}/", headers=BROWSER_HEADERS)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-encoding"] == "gzip"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', page.text))
    modules = {f"/static/{p.relative_to(STATIC).as_posix()}" for p in STATIC.rglob("*.js") if p.name != "sw.js"}
    desk = {m for m in modules if m.startswith(DESK)}
    assert desk, "no on-demand modules found"
    assert preloaded == modules - desk  # the desk pages are fetched when opened, not on the farmer's first load
    # Nothing from another site: every address the page names is the gateway's own.
    for ref in re.findall(r'(?:href|src)="([^"]+)"', page.text):
        assert ref.startswith("/"), ref
        assert httpx.get(app_url + ref).status_code == 200, ref


def test_every_import_of_every_module_is_served(app_url: str) -> None:
    for module in STATIC.rglob("*.js"):
        for target in re.findall(r'(?:from |import\()"(\.[^"]+)"', module.read_text()):
            path = (module.parent / target).resolve().relative_to(STATIC.resolve())
            assert httpx.get(f"{app_url}/static/{path.as_posix()}").status_code == 200, (module, target)


def test_files_are_revalidated_by_etag_and_unknown_paths_are_404(app_url: str) -> None:
    first = httpx.get(f"{app_url}/static/js/app.js", headers=BROWSER_HEADERS)
    assert first.headers["content-type"] == "text/javascript; charset=utf-8"
    assert first.headers["cache-control"] == "no-cache"
    again = httpx.get(f"{app_url}/static/js/app.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    plain = httpx.get(f"{app_url}/static/js/app.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text.startswith("// The app:")
    for missing in ("/static/nothing.js", "/static/../routes.py", "/static/%2e%2e/routes.py", "/static/sw.js"):
        assert httpx.get(app_url + missing).status_code == 404, missing


def test_the_service_worker_keeps_exactly_the_apps_files_of_this_release(app_url: str) -> None:
    sw = httpx.get(f"{app_url}/sw.js")
    assert sw.headers["content-type"] == "text/javascript; charset=utf-8"
    version = re.search(r'const VERSION = "([0-9a-f]{12})"', sw.text)
    assert version, sw.text[:300]
    assets = _worker_assets(app_url)
    files = {p for p in STATIC.rglob("*") if p.is_file() and p.name not in ("sw.js", "index.html")}
    assert set(assets) == {"/"} | {f"/static/{p.relative_to(STATIC).as_posix()}" for p in files}
    manifest = httpx.get(f"{app_url}/static/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json; charset=utf-8"
    for icon in manifest.json()["icons"]:
        assert icon["src"] in assets
    assert manifest.json()["start_url"] == "/"


def test_the_whole_app_fits_the_first_load_budget(app_url: str) -> None:
    """Everything a first visit can fetch (the page, then the service worker's copy of every file), compressed
    as it travels to a phone, is within 200 KB."""
    total = 0
    for path in ["/sw.js", *_worker_assets(app_url)]:
        with httpx.stream("GET", app_url + path, headers=BROWSER_HEADERS) as response:
            assert response.status_code == 200, path
            total += len(b"".join(response.iter_raw()))  # as it travels: before httpx unzips it
            total += sum(len(k) + len(v) + 4 for k, v in response.headers.items())
    assert total <= BUDGET_BYTES, f"{total} bytes"
