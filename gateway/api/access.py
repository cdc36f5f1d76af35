"""Who is asking, and may they do this, and see this greenhouse.

Every endpoint depends on a ``Principal`` (built from the caller's session in ``api/auth.py``), names the
``Action`` it needs (``accounts/roles.py`` has the one table of which role may do what) and asks
``require_greenhouse`` for any greenhouse it serves. Wrong role: 403. Another cooperative's greenhouse, or one
a farmer is not given: 404, the same as a greenhouse that does not exist, so ids do not leak.
"""

from __future__ import annotations

from fastapi import HTTPException, status
from pydantic import BaseModel

from contract.reasons import Lang, pick
from contract.site import Greenhouse, SiteConfig
from gateway.accounts.models import User
from gateway.accounts.roles import Action, Role, may
from gateway.accounts.words import FORBIDDEN, ROLES


class Principal(BaseModel):
    name: str
    role: Role
    cooperative: str
    greenhouses: frozenset[str] | None = None  # None: every greenhouse of the cooperative

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(name=user.name, role=user.role, cooperative=user.cooperative, greenhouses=user.greenhouses)


def require_action(principal: Principal, action: Action, lang: Lang) -> Principal:
    if not may(principal.role, action):
        role = pick(ROLES[principal.role], lang)
        raise HTTPException(status.HTTP_403_FORBIDDEN, pick(FORBIDDEN, lang).format(role=role))
    return principal


def may_see(site: SiteConfig, principal: Principal, greenhouse_id: str) -> bool:
    return principal.cooperative == site.cooperative.id and (
        principal.greenhouses is None or greenhouse_id in principal.greenhouses
    )


def require_cooperative(site: SiteConfig, principal: Principal) -> None:
    """For what belongs to the site as a whole (ingest, users): 404 to another cooperative's users."""
    if principal.cooperative != site.cooperative.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not found")


def require_greenhouse(site: SiteConfig, principal: Principal, greenhouse_id: str) -> Greenhouse:
    """The greenhouse, if it exists and the principal may see it; 404 either way otherwise, so ids do not leak."""
    try:
        greenhouse = site.greenhouse(greenhouse_id)
    except KeyError:
        greenhouse = None
    if greenhouse is None or not may_see(site, principal, greenhouse_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no greenhouse {greenhouse_id!r}")
    return greenhouse
