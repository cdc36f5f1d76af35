"""Serves the farmer's phone web app: the page at ``/``, its files (the web manifest among them) under
``/static/``, and the service worker at ``/sw.js``: at the root, so that its scope is the whole app.

Every file is read and gzipped once when the router is made, so a phone on 3G gets the compressed bytes
without the gateway compressing on each request. Responses carry an ETag and ``no-cache``: the browser
revalidates, and after the first visit the service worker answers from its own cache anyway. The service
worker is given the version (a hash of every file) and the list of files to keep, so a new release replaces
the phone's copy as a whole.
"""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.
import gzip
import hashlib
import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response, status

STATIC = Path(__file__).parent / "static"
DESK = "/static/js/desk/"  # modules loaded on demand, when their page is opened
_COMPRESSIBLE = (".html", ".js", ".css", ".svg", ".json", ".webmanifest")
# Only our own files, and only what they need: no inline script, nothing from another site.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_TYPES = {".js": "text/javascript", ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None  # None when gzip would not make it smaller (PNG)
    media_type: str
    etag: str


def _asset(file: str, body: bytes) -> Asset:
    suffix = Path(file).suffix
    media_type = _TYPES.get(suffix) or mimetypes.guess_type(file)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type.endswith(("+xml", "+json", "/json")):
        media_type += "; charset=utf-8"
    # mtime=0: the same bytes at every start, so the ETag holds across restarts.
    gzipped = gzip.compress(body, 9, mtime=0) if suffix in _COMPRESSIBLE else None
    return Asset(body, gzipped, media_type, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')


def _served_at(root: Path, file: Path) -> str:
    return "/" if file.name == "index.html" else f"/static/{file.relative_to(root).as_posix()}"


def _preloaded(path: str) -> bool:
    return path.endswith(".js") and not path.startswith(DESK)


def load_assets(root: Path = STATIC) -> dict[str, Asset]:
    """Every file of the app by the path it is served at."""
    sources = {_served_at(root, p): p for p in sorted(root.rglob("*")) if p.is_file() and p.name != "sw.js"}
    files = {path: p.read_bytes() for path, p in sources.items()}
    version = hashlib.sha256(b"".join(k.encode() + v for k, v in sorted(files.items()))).hexdigest()[:12]
    # Every module of the farmer's screen is asked for at once, not one import level per round trip (three on
    # 3G cost a second). The technician's and agronomist's pages (js/desk/) are fetched when first opened.
    preload = "\n".join(f'<link rel="modulepreload" href="{p}">' for p in sorted(files) if _preloaded(p))
    files["/"] = files["/"].replace(b"<!-- modulepreload -->", preload.encode())
    worker = (
        (root / "sw.js")
        .read_text(encoding="utf-8")
        .replace("__VERSION__", version)
        .replace('"__ASSETS__"', json.dumps(sorted(files)))
    )
    assets = {path: _asset(sources[path].name, body) for path, body in files.items()}
    assets["/sw.js"] = _asset("sw.js", worker.encode())
    return assets


def _respond(asset: Asset, request: Request) -> Response:
    headers = {"ETag": asset.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if asset.media_type.startswith("text/html"):
        headers["Content-Security-Policy"] = _CSP
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    body = asset.body
    if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)


def webapp_router(root: Path = STATIC) -> APIRouter:
    assets = load_assets(root)
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def index(request: Request) -> Response:
        return _respond(assets["/"], request)

    @router.get("/sw.js")
    def service_worker(request: Request) -> Response:
        return _respond(assets["/sw.js"], request)

    @router.get("/static/{path:path}")
    def static(path: str, request: Request) -> Response:
        asset = assets.get(f"/static/{path}")
        if asset is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "not found")
        return _respond(asset, request)

    return router
