"""Who is asking, and may they see this greenhouse.

Every endpoint depends on ``principal`` and asks ``require_greenhouse``; today the
gateway serves loopback only and everyone is the local operator. Accounts, roles
and cooperative isolation (issue 5) replace ``principal`` and nothing else.
"""

from __future__ import annotations

from fastapi import HTTPException, status
from pydantic import BaseModel

from contract.site import Greenhouse, SiteConfig


class Principal(BaseModel):
    name: str
    cooperative: str
    greenhouses: frozenset[str] | None = None  # None: every greenhouse of the cooperative


def local_operator(site: SiteConfig) -> Principal:
    return Principal(name="local", cooperative=site.cooperative.id)


def require_greenhouse(site: SiteConfig, principal: Principal, greenhouse_id: str) -> Greenhouse:
    """The greenhouse, if it exists and the principal may see it; 404 either way otherwise, so ids do not leak."""
    allowed = principal.cooperative == site.cooperative.id and (
        principal.greenhouses is None or greenhouse_id in principal.greenhouses
    )
    try:
        greenhouse = site.greenhouse(greenhouse_id)
    except KeyError:
        greenhouse = None
    if greenhouse is None or not allowed:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no greenhouse {greenhouse_id!r}")
    return greenhouse
