"""A Zalo ZNS stand-in on loopback: the two calls the ZNS channel makes, checked as Zalo checks them and answered
with Zalo's shapes and error codes (see gateway/notify/zalo_zns.py for where they come from).

- ``POST /v4/oa/access_token`` (the OAuth server): the ``secret_key`` header, the app id, ``grant_type=
  refresh_token`` and a refresh token it issued and nobody has used yet. Each refresh issues a new access token
  and a new refresh token, and retires the old ones: a refresh token serves once, as Zalo's does. A refusal has
  the shape of Zalo's OAuth refusals, ``{"error", "error_name", "error_description"}`` (its numbers are ours).
- ``POST /message/template``: the ``access_token`` header (-124 unless it is the current one and not expired),
  the phone (-108 unless 84 and nine digits; -118 for a number told to have no Zalo), the template id (-109 unless
  registered), its data (-111 when empty; -112 for a missing, unknown, non-text, empty or too long parameter), the
  tracking id (-100 when longer than 48 characters). What it accepts it records; the answer is Zalo's ``{"error":
  0, "message": "Success", "data": {"msg_id", "sent_time", "quota"}}``.

It can be told to expire the current access token, or to answer an error code to the next send; ``on_send`` is
called with each send's access token as it arrives, before it is answered (a test looks at what was saved by then).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

_PHONE = re.compile(r"^84[0-9]{9}$")
_ERRORS = {
    -100: "Unknown error",
    -108: "Phone number invalid",
    -109: "Template ID invalid",
    -111: "Template data empty",
    -112: "Template data invalid",
    -115: "Out of quota",
    -118: "Zalo account not existed",
    -124: "Access token invalid",
}


@dataclass(frozen=True)
class RegisteredTemplate:
    """A template as Zalo approved it: its id and each parameter's maximum length."""

    template_id: str
    max_lengths: dict[str, int]


@dataclass(frozen=True)
class Accepted:
    phone: str
    template_id: str
    template_data: dict[str, str]
    tracking_id: str
    access_token: str


@dataclass
class _State:
    app_id: str
    secret_key: str
    refresh_token: str
    templates: dict[str, RegisteredTemplate]
    access_token: str | None = None
    access_expired: bool = False
    no_zalo: set[str] = field(default_factory=set)
    next_error: int | None = None
    accepted: list[Accepted] = field(default_factory=list)
    refused: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    refreshes: list[str] = field(default_factory=list)  # the refresh tokens used, in order
    refused_refreshes: list[str] = field(default_factory=list)
    sends_seen: int = 0


class ZnsService:
    """Start with ``with ZnsService(...) as zns``; ``zns.url`` serves both calls."""

    def __init__(self, app_id: str, secret_key: str, refresh_token: str, templates: list[RegisteredTemplate],
                 expires_in_s: int = 90000, on_send: Callable[[str], None] | None = None) -> None:  # fmt: skip
        self.state = _State(app_id, secret_key, refresh_token, {t.template_id: t for t in templates})
        self.expires_in_s = expires_in_s
        self.on_send = on_send
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ZnsService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- what a test tells it -------------------------------------------------------------------
    def expire_access_token(self) -> None:
        with self._lock:
            self.state.access_expired = True

    def answer_next_send(self, error: int) -> None:
        with self._lock:
            self.state.next_error = error

    def without_zalo(self, phone: str) -> None:
        with self._lock:
            self.state.no_zalo.add(phone)

    @property
    def refresh_token(self) -> str:
        """The one refresh token that would be taken now."""
        return self.state.refresh_token

    # --- the two calls ----------------------------------------------------------------------------
    def _refresh(self, headers: dict[str, str], form: dict[str, str]) -> dict[str, Any]:
        s = self.state
        if headers.get("secret_key") != s.secret_key:
            return _oauth_refusal(-14003, "Invalid secret key")
        if form.get("app_id") != s.app_id or form.get("grant_type") != "refresh_token":
            return _oauth_refusal(-14001, "Invalid parameter")
        token = form.get("refresh_token", "")
        if token != s.refresh_token:
            s.refused_refreshes.append(token)
            return _oauth_refusal(-14014, "Invalid refresh token")
        s.refreshes.append(token)
        s.refresh_token = "rt-" + secrets.token_urlsafe(24)
        s.access_token = "at-" + secrets.token_urlsafe(24)
        s.access_expired = False
        return {"access_token": s.access_token, "refresh_token": s.refresh_token, "expires_in": str(self.expires_in_s)}

    def _send(self, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        s = self.state
        s.sends_seen += 1
        token = headers.get("access_token", "")
        if self.on_send is not None:
            self.on_send(token)
        error = self._check(token, body)
        if error is None and s.next_error is not None:
            error, s.next_error = s.next_error, None
        if error is not None:
            s.refused.append((error, body))
            return {"error": error, "message": _ERRORS.get(error, "Error")}
        s.accepted.append(Accepted(body["phone"], body["template_id"], body["template_data"], body["tracking_id"],
                                   token))  # fmt: skip
        return {
            "error": 0,
            "message": "Success",
            "data": {"msg_id": secrets.token_hex(10), "sent_time": str(int(time.time() * 1000)),
                     "quota": {"dailyQuota": "500", "remainingQuota": str(500 - len(s.accepted))}},
        }  # fmt: skip

    def _check(self, token: str, body: dict[str, Any]) -> int | None:
        s = self.state
        if s.access_token is None or token != s.access_token or s.access_expired:
            return -124
        phone = body.get("phone")
        if not isinstance(phone, str) or not _PHONE.match(phone):
            return -108
        template = s.templates.get(str(body.get("template_id")))
        if template is None:
            return -109
        data = body.get("template_data")
        if not isinstance(data, dict) or not data:
            return -111
        if set(data) != set(template.max_lengths):
            return -112
        for name, value in data.items():
            if not isinstance(value, str) or not value or len(value) > template.max_lengths[name]:
                return -112
        tracking = body.get("tracking_id", "")
        if not isinstance(tracking, str) or len(tracking) > 48:
            return -100
        if phone in s.no_zalo:
            return -118
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with service._lock:
                    if self.path == "/v4/oa/access_token":
                        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                        answer = service._refresh(headers, form)
                    elif self.path == "/message/template":
                        try:
                            body = json.loads(raw)
                        except json.JSONDecodeError:
                            body = {}
                        answer = service._send(headers, body if isinstance(body, dict) else {})
                    else:
                        self.send_error(404)
                        return
                data = json.dumps(answer).encode()
                self.send_response(200)  # Zalo answers 200 and says what went wrong in the body
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the test says what matters
                pass

        return Handler


def _oauth_refusal(code: int, name: str) -> dict[str, Any]:
    return {"error": code, "error_name": name, "error_description": name, "error_reason": ""}
