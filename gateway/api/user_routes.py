"""User management for a cooperative's admin: list, add, disable and enable again, give a new password, limit a
farmer to some greenhouses, and let a user held off by failed sign-ins in again; their own cooperative's only."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict

from contract.messages import Id
from contract.site import SiteConfig
from gateway.accounts.errors import AccountError
from gateway.accounts.limits import Hold
from gateway.accounts.models import Password, User, UserSpec
from gateway.accounts.roles import Action, Role
from gateway.accounts.site_check import check_greenhouses
from gateway.accounts.users import check_limit
from gateway.accounts.words import NO_USER, NOT_YOURSELF
from gateway.api.access import Principal
from gateway.api.auth import SESSION_COOKIE, Auth, request_lang

UNPROCESSABLE = 422


class NewUserIn(BaseModel):
    """A user of the admin's own cooperative; the admin passes the first password on to them."""

    model_config = ConfigDict(extra="forbid")

    name: Id
    role: Role
    password: Password
    greenhouses: list[Id] | None = None


class NewPasswordIn(BaseModel):
    """A password the admin sets and passes on to the user, who lost theirs."""

    model_config = ConfigDict(extra="forbid")

    password: Password


class GreenhousesIn(BaseModel):
    """The greenhouses a farmer may see; None: every greenhouse of the cooperative."""

    model_config = ConfigDict(extra="forbid")

    greenhouses: list[Id] | None


class Unlocked(BaseModel):
    """What an admin let in again, and how many failures within the window stopped counting against it."""

    name: str | None = None
    address: str | None = None
    failures: int


def user_router(site: SiteConfig, auth: Auth) -> APIRouter:
    router = APIRouter(tags=["users"])

    Admin = Annotated[Principal, Depends(auth.allowed_here(site, Action.MANAGE_USERS))]

    def own_user(name: str, who: Principal, request: Request) -> User:
        user = auth.accounts.users.get(name)
        if user is None or user.cooperative != who.cooperative:  # another cooperative's user does not exist here
            raise HTTPException(status.HTTP_404_NOT_FOUND, AccountError(NO_USER, name=name).text(request_lang(request)))
        return user

    @router.get("/api/v1/users", response_model=list[User], summary="The users of your cooperative")
    def list_users(who: Admin) -> list[User]:
        return auth.accounts.users.all(who.cooperative)

    def refused(exc: AccountError, request: Request, code: int = UNPROCESSABLE) -> HTTPException:
        return HTTPException(code, exc.text(request_lang(request)))

    def limit_of(role: Role, greenhouses: list[str] | None, request: Request) -> frozenset[str] | None:
        """The greenhouses as given, if the role may be limited and the site has them; a refusal otherwise."""
        chosen = None if greenhouses is None else frozenset(greenhouses)
        try:
            check_limit(role, chosen)
            check_greenhouses(site, chosen)
        except AccountError as exc:
            raise refused(exc, request) from None
        return chosen

    @router.post("/api/v1/users", response_model=User, status_code=status.HTTP_201_CREATED, summary="Add a user")
    def add_user(body: NewUserIn, who: Admin, request: Request) -> User:
        greenhouses = limit_of(body.role, body.greenhouses, request)
        spec = UserSpec(name=body.name, role=body.role, cooperative=who.cooperative, greenhouses=greenhouses)
        try:
            return auth.accounts.users.add(spec, body.password)
        except AccountError as exc:
            raise refused(exc, request, status.HTTP_409_CONFLICT) from None

    @router.post("/api/v1/users/{name}/disable", response_model=User, summary="Disable a user: sessions end too")
    def disable_user(name: str, who: Admin, request: Request) -> User:
        user = own_user(name, who, request)
        if user.name == who.name:  # the last admin must not lock the cooperative out by a slip
            raise refused(AccountError(NOT_YOURSELF), request)
        auth.accounts.users.disable(name)
        return user.model_copy(update={"disabled": True})

    @router.post("/api/v1/users/{name}/enable", response_model=User, summary="Let a disabled user sign in again")
    def enable_user(name: str, who: Admin, request: Request) -> User:
        user = own_user(name, who, request)
        auth.accounts.users.enable(name)
        return user.model_copy(update={"disabled": False})

    @router.post(
        "/api/v1/users/{name}/password",
        response_model=User,
        summary="Give a user a new password: their other sessions end",
    )
    def reset_password(name: str, body: NewPasswordIn, who: Admin, request: Request) -> User:
        user = own_user(name, who, request)
        auth.accounts.users.set_password(name, body.password)
        # Whoever had the old one is signed out; an admin who reset their own stays signed in here.
        keep = request.cookies.get(SESSION_COOKIE) if name == who.name else None
        auth.accounts.sessions.end_all(name, keep=keep)
        return user

    @router.put(
        "/api/v1/users/{name}/greenhouses",
        response_model=User,
        summary="The greenhouses a farmer may see (null: every one)",
    )
    def set_greenhouses(name: str, body: GreenhousesIn, who: Admin, request: Request) -> User:
        user = own_user(name, who, request)
        greenhouses = limit_of(user.role, body.greenhouses, request)
        try:
            return auth.accounts.users.set_greenhouses(name, greenhouses)
        except AccountError as exc:
            raise refused(exc, request) from None

    # Sign-in limits (accounts/limits.py): who is held off, and letting a name or an address in again.
    Unlocker = Annotated[Principal, Depends(auth.allowed_here(site, Action.UNLOCK_SIGN_INS))]

    @router.get("/api/v1/sign-in-limits", response_model=list[Hold], summary="Failed sign-ins, and who is held off")
    def sign_in_limits(who: Unlocker) -> list[Hold]:
        own = {u.name for u in auth.accounts.users.all(who.cooperative)}  # names tried that are not users: by address
        return [h for h in auth.accounts.limiter.report() if h.name is None or h.name in own]

    @router.post("/api/v1/users/{name}/unlock", response_model=Unlocked, summary="Let a user sign in from anywhere")
    def unlock_user(name: str, who: Unlocker, request: Request) -> Unlocked:
        own_user(name, who, request)
        return Unlocked(name=name, failures=auth.accounts.unlock(name))

    @router.post(
        "/api/v1/sign-in-limits/addresses/{address}/unlock",
        response_model=Unlocked,
        summary="Let an address sign in again, as any user",
    )
    def unlock_address(address: str, who: Unlocker) -> Unlocked:
        return Unlocked(address=address, failures=auth.accounts.limiter.unlock_address(address))

    return router
