"""The site as the technician set it up — its greenhouses, zones, sensors, actuators and safety limits — for
the set-up pages, and where the agronomists' Grafana dashboards are."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from contract.site import Cooperative, Greenhouse, SiteConfig
from gateway.accounts.roles import Action
from gateway.api.access import Principal, may_see, require_cooperative
from gateway.api.auth import Auth


class SiteView(BaseModel):
    cooperative: Cooperative
    greenhouses: list[Greenhouse]  # those the caller may see, as in the site file


class Links(BaseModel):
    grafana_url: str | None  # the dashboards' home, when the gateway was told it


def site_router(site: SiteConfig, grafana_url: str | None, auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    Reader = Annotated[Principal, Depends(auth.allowed(Action.READ))]
    Setup = Annotated[Principal, Depends(auth.allowed(Action.SETUP))]

    @router.get("/site", response_model=SiteView, summary="The site's set-up: greenhouses, zones, sensors, actuators")
    def site_view(who: Setup) -> SiteView:
        require_cooperative(site, who)
        mine = [g for g in site.greenhouses if may_see(site, who, g.id)]
        return SiteView(cooperative=site.cooperative, greenhouses=mine)

    @router.get("/links", response_model=Links, summary="Where the cooperative's other tools are (Grafana)")
    def links(who: Reader) -> Links:
        require_cooperative(site, who)
        return Links(grafana_url=grafana_url)

    return router
