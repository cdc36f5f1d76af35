"""Signing in and out, and who the caller is: ``/api/v1/login``, ``/api/v1/logout``, ``/api/v1/me``."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from gateway.accounts.errors import AccountError
from gateway.accounts.models import User
from gateway.accounts.roles import Action, Role, may
from gateway.accounts.service import RateLimited
from gateway.accounts.sessions import csrf_token
from gateway.accounts.trust import device_token
from gateway.api.access import Principal
from gateway.api.auth import DEVICE_COOKIE, LOGIN_PATH, SESSION_COOKIE, Auth, request_lang


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: Annotated[str, Field(min_length=1, max_length=64)]
    # Capped so that argon2 is never fed megabytes; no minimum here, that is for setting a password.
    password: Annotated[str, Field(min_length=1, max_length=256)]


class Me(BaseModel):
    name: str
    role: Role
    cooperative: str
    greenhouses: list[str] | None  # None: every greenhouse of the cooperative
    csrf_token: str  # send it back in X-CSRF-Token with every request that changes something
    may: list[Action]  # what the role may do (accounts/roles.py): the app shows only what the API allows


def _me(who: User | Principal, session_token: str) -> Me:
    greenhouses = None if who.greenhouses is None else sorted(who.greenhouses)
    return Me(
        name=who.name,
        role=who.role,
        cooperative=who.cooperative,
        greenhouses=greenhouses,
        csrf_token=csrf_token(session_token),
        may=[a for a in Action if may(who.role, a)],
    )


def session_router(auth: Auth) -> APIRouter:
    router = APIRouter(tags=["session"])
    Who = Annotated[Principal, Depends(auth.principal)]

    @router.post(
        LOGIN_PATH,
        response_model=Me,
        summary="Sign in: sets the session cookie and gives the CSRF token",
        responses={
            401: {"description": "wrong user name or password"},
            429: {"description": "held off by failures for this name or from this address: the reason, Retry-After"},
        },
    )
    def login(body: LoginIn, request: Request, response: Response) -> Me:
        address = request.client.host if request.client else "unknown"
        device = device_token(request.cookies.get(DEVICE_COOKIE))
        try:
            user, token = auth.accounts.sign_in(body.user, body.password, address, device)
        except RateLimited as exc:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                exc.text(request_lang(request)),
                headers={"Retry-After": str(exc.retry_after_s)},
            ) from None
        except AccountError as exc:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, exc.text(request_lang(request))) from None
        auth.set_session(response, token)
        auth.set_device(response, device)
        return _me(user, token)

    @router.post("/api/v1/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out: ends the session")
    def logout(request: Request, who: Who) -> Response:
        auth.accounts.sessions.end(request.cookies[SESSION_COOKIE])
        response = Response(status_code=status.HTTP_204_NO_CONTENT)
        auth.clear_session(response)
        return response

    @router.get("/api/v1/me", response_model=Me, summary="Who is signed in, and the CSRF token of the session")
    def me(request: Request, who: Who) -> Me:
        return _me(who, request.cookies[SESSION_COOKIE])

    return router
