"""A script's way into the gateway's API: sign in with a user name and password, keep the session cookie."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from contract.reasons import Lang


class SignInRefused(Exception):
    """The gateway said no: the message is its own, in the language asked for."""


@contextmanager
def signed_in(gateway_url: str, user: str, password: str, lang: Lang, timeout_s: float = 20) -> Iterator[httpx.Client]:
    """A client holding a session of ``user``, its CSRF token sent with every request, signed out at the end.

    Raises SignInRefused when the gateway says no, httpx.HTTPError when it cannot be reached."""
    with httpx.Client(base_url=gateway_url.rstrip("/"), timeout=timeout_s, headers={"Accept-Language": lang}) as api:
        response = api.post("/api/v1/login", json={"user": user, "password": password})
        if response.status_code != 200:
            wait = response.headers.get("Retry-After")
            raise SignInRefused(
                f"{response.status_code}: {_detail(response)}" + (f" (retry after {wait} s)" if wait else "")
            )
        api.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        try:
            yield api
        finally:
            api.post("/api/v1/logout")


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text
