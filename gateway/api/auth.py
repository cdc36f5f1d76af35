"""Sessions over HTTP: the session cookie, the CSRF check of every state-changing request, the caller's language.

The cookie is HttpOnly and SameSite=Strict; Secure unless the gateway is told it is served over plain http
(the demo and the tests on 127.0.0.1). A request that changes anything and comes with a session cookie must
carry the session's CSRF token (``GET /api/v1/me`` gives it) in ``X-CSRF-Token``; signing in is the one
exception, since it has no session yet (SameSite=Strict and a JSON body keep other sites from posting it).
"""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.
import hmac
from collections.abc import Callable
from datetime import timedelta

from fastapi import HTTPException, Request, Response, status

from contract.reasons import Lang, pick
from contract.site import SiteConfig
from gateway.accounts.roles import Action
from gateway.accounts.service import Accounts
from gateway.accounts.sessions import csrf_token
from gateway.accounts.words import CSRF, NOT_SIGNED_IN
from gateway.api.access import Principal, require_action, require_cooperative
from gateway.notify.push_channel import ACK_PATH

SESSION_COOKIE = "gh_session"
DEVICE_COOKIE = "gh_device"  # a device that signed a user in before: failures elsewhere do not hold it off
CSRF_HEADER = "X-CSRF-Token"
LOGIN_PATH = "/api/v1/login"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_lang(request: Request) -> Lang:
    """English when the caller's first language is English; Vietnamese otherwise, as everywhere."""
    first = request.headers.get("accept-language", "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "vi"


class Auth:
    def __init__(self, accounts: Accounts, secure_cookies: bool) -> None:
        self.accounts = accounts
        self.secure_cookies = secure_cookies

    def principal(self, request: Request) -> Principal:
        token = request.cookies.get(SESSION_COOKIE)
        user = None if token is None else self.accounts.sessions.user(token)
        if user is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, pick(NOT_SIGNED_IN, request_lang(request)))
        return Principal.of(user)

    def allowed(self, action: Action) -> Callable[[Request], Principal]:
        """A dependency: the caller, if their role may do ``action`` (401 or 403 otherwise)."""

        def dependency(request: Request) -> Principal:
            return require_action(self.principal(request), action, request_lang(request))

        return dependency

    def allowed_here(self, site: SiteConfig, action: Action) -> Callable[[Request], Principal]:
        """A dependency: the caller, if their role may do ``action`` and they are of ``site``'s cooperative (what
        edits or lists a cooperative's own people: its users, its duty roster)."""
        allowed = self.allowed(action)

        def dependency(request: Request) -> Principal:
            who = allowed(request)
            require_cooperative(site, who)
            return who

        return dependency

    def csrf_guard(self, request: Request) -> None:
        """Applied to every route: a cookie-borne request that changes something must prove it comes from us."""
        token = request.cookies.get(SESSION_COOKIE)
        if request.method in _SAFE_METHODS or token is None or request.url.path == LOGIN_PATH:
            return
        if request.url.path.startswith(ACK_PATH):  # the token in the path is the proof, not the cookie
            return
        if not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), csrf_token(token)):
            raise HTTPException(status.HTTP_403_FORBIDDEN, pick(CSRF, request_lang(request)))

    def set_session(self, response: Response, token: str) -> None:
        self._set_cookie(response, SESSION_COOKIE, token, self.accounts.sessions.ttl, "/")

    def set_device(self, response: Response, token: str) -> None:
        """The device cookie (``accounts/trust.py``), renewed at each sign-in; sent to the sign-in only."""
        self._set_cookie(response, DEVICE_COOKIE, token, self.accounts.limiter.settings.remember, LOGIN_PATH)

    def _set_cookie(self, response: Response, name: str, value: str, lifetime: timedelta, path: str) -> None:
        response.set_cookie(
            name,
            value,
            max_age=int(lifetime.total_seconds()),
            path=path,
            secure=self.secure_cookies,
            httponly=True,
            samesite="strict",
        )

    def clear_session(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/", secure=self.secure_cookies, httponly=True, samesite="strict")
