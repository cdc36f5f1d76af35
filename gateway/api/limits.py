"""How large a request body each endpoint takes, enforced before the body is read.

A body whose Content-Length is over its endpoint's limit is answered 413 at once, unread. A body sent without
one (chunked) is counted as it streams in, and refused with 413 as soon as it passes the limit, so the gateway
never holds more of it than the limit: a 200 MB sign-in costs it a few KB, before anyone has signed in.
The 413 is an error like the API's others, ``{"detail": ...}`` in the caller's language, naming the limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract.diary import MAX_PHOTO_CHARS
from contract.messages import MAX_RULES_YAML_CHARS
from contract.reasons import pick
from gateway.api.auth import LOGIN_PATH, request_lang
from gateway.api.site_routes import MAX_SITE_YAML_CHARS

KB = 1024
# A user name (64 characters) and a password (256) as JSON, even were every character four bytes of UTF-8.
SIGN_IN_BYTES = 2 * KB
# Everything else that is not a file: a command, a new user, an acknowledgement is a few hundred bytes.
DEFAULT_BYTES = 8 * KB


def text_body_bytes(max_chars: int) -> int:
    """For a file's text sent in JSON: twice its cap in characters leaves room for Vietnamese letters (two or
    three bytes in UTF-8) and JSON's escapes (a line break is two), plus the few fields around it."""
    return 2 * max_chars + 4 * KB


RULE_FILE_BYTES = text_body_bytes(MAX_RULES_YAML_CHARS)
SITE_FILE_BYTES = text_body_bytes(MAX_SITE_YAML_CHARS)
_RULES = "/api/v1/greenhouses/{greenhouse}/rules"
# A cooperative's whole duty roster (a hundred people, their numbers, every greenhouse's order) or its escalation.
NOTIFY_SETTINGS_BYTES = 64 * KB
# A record book entry with its photo (a data URL, ASCII) and a page of notes in Vietnamese.
DIARY_ENTRY_BYTES = MAX_PHOTO_CHARS + 16 * KB
# By route, as the routers declare them; any other route takes DEFAULT_BYTES.
BODY_LIMITS: dict[str, int] = {
    LOGIN_PATH: SIGN_IN_BYTES,
    f"{_RULES}/check": RULE_FILE_BYTES,
    f"{_RULES}/simulate": RULE_FILE_BYTES,
    f"{_RULES}/backtest": RULE_FILE_BYTES,
    f"{_RULES}/deploy": RULE_FILE_BYTES,
    "/api/v1/site/file/check": SITE_FILE_BYTES,
    "/api/v1/site/file": SITE_FILE_BYTES,
    "/api/v1/roster": NOTIFY_SETTINGS_BYTES,
    "/api/v1/notify-policy": NOTIFY_SETTINGS_BYTES,
    "/api/v1/diary": DIARY_ENTRY_BYTES,
}
# Starlette renamed its constant for this status; the number is what clients see.
CONTENT_TOO_LARGE = 413
TOO_LARGE = (
    "Nội dung gửi lên quá lớn: {method} {path} nhận tối đa {limit}",
    "The request body is too large: {method} {path} takes at most {limit}",
)


class BodyTooLarge(HTTPException):
    """Raised by the counting ``receive`` when a streamed body passes its limit. FastAPI lets HTTPExceptions
    through its body parsing (any other error there becomes a 400), so this becomes the 413 answer."""


def too_large(scope: Scope, limit: int) -> BodyTooLarge:
    words = pick(TOO_LARGE, request_lang(Request(scope)))
    size = f"{math.ceil(limit / KB)} KB"
    return BodyTooLarge(CONTENT_TOO_LARGE, words.format(method=scope["method"], path=scope["path"], limit=size))


class BodyLimits:
    """Pure ASGI middleware (no BaseHTTPMiddleware, which would read the body into memory to pass it on)."""

    def __init__(self, app: ASGIApp, limits: Mapping[str, int] = BODY_LIMITS, default: int = DEFAULT_BYTES) -> None:
        self.app = app
        self._limits = [(compile_path(path)[0], limit) for path, limit in limits.items()]
        self._default = default

    def limit(self, path: str) -> int:
        return next((limit for pattern, limit in self._limits if pattern.match(path)), self._default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        # The HTTP server has already refused a Content-Length that is not a number.
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            await _answer(too_large(scope, limit), scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if started:  # too late for a 413: the app stops as it would for a client gone away
                        return {"type": "http.disconnect"}
                    raise too_large(scope, limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as exc:  # read by something that does not answer HTTPExceptions itself
            if started:
                raise
            await _answer(exc, scope, receive, send)


async def _answer(exc: BodyTooLarge, scope: Scope, receive: Receive, send: Send) -> None:
    # The same shape as every other error of the API (FastAPI's HTTPException handler).
    await JSONResponse({"detail": exc.detail}, status_code=CONTENT_TOO_LARGE)(scope, receive, send)
