"""The site as the technician set it up — its greenhouses, zones, sensors, actuators and safety limits — for
the set-up pages; its file, to check and save from them; and where the agronomists' Grafana dashboards are."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from contract.reasons import pick
from contract.site import Cooperative, Greenhouse, SiteConfig
from gateway.accounts.roles import Action
from gateway.api.access import Principal, may_see, require_cooperative
from gateway.api.auth import Auth, request_lang
from gateway.site_setup import SiteCheck, SiteFile, SiteFileChanged, SiteFileNow

MAX_SITE_YAML_CHARS = 500_000
NO_SITE_FILE = ("Gateway này chạy không có tệp cấu hình", "This gateway runs without a site file")
CHANGED_MEANWHILE = (
    "Tệp cấu hình đã được người khác lưu trong lúc bạn sửa: tải lại để xem bản mới",
    "The site file was saved by someone else while you edited it: reload to see theirs",
)
CANNOT_WRITE = ("Không ghi được tệp cấu hình: {detail}", "The site file cannot be written: {detail}")
SAVED = (
    "Đã lưu. Gateway và bộ điều khiển các nhà kính dùng cấu hình mới từ lần khởi động sau.",
    "Saved. The gateway and the greenhouses' controllers run it from their next start.",
)


class SiteView(BaseModel):
    cooperative: Cooperative
    greenhouses: list[Greenhouse]  # those the caller may see, as in the site file


class SiteText(BaseModel):
    yaml: str = Field(max_length=MAX_SITE_YAML_CHARS)


class SiteSave(SiteText):
    base_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")  # of the file the page started from


class SiteSaved(BaseModel):
    saved: bool
    check: SiteCheck
    text_vi: str | None
    text_en: str | None


class Links(BaseModel):
    grafana_url: str | None  # the dashboards' home, when the gateway was told it


def site_router(site: SiteConfig, grafana_url: str | None, auth: Auth, site_file: SiteFile | None) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    Reader = Annotated[Principal, Depends(auth.allowed(Action.READ))]
    Setup = Annotated[Principal, Depends(auth.allowed(Action.SETUP))]

    def editable(who: Principal, request: Request) -> SiteFile:
        # The file is the whole cooperative's: set-up roles are never limited to some greenhouses (accounts).
        require_cooperative(site, who)
        if site_file is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, pick(NO_SITE_FILE, request_lang(request)))
        return site_file

    @router.get("/site", response_model=SiteView, summary="The site's set-up: greenhouses, zones, sensors, actuators")
    def site_view(who: Setup) -> SiteView:
        require_cooperative(site, who)
        mine = [g for g in site.greenhouses if may_see(site, who, g.id)]
        return SiteView(cooperative=site.cooperative, greenhouses=mine)

    @router.get("/site/file", response_model=SiteFileNow, summary="The site file's text, and whether it runs")
    def site_file_now(who: Setup, request: Request) -> SiteFileNow:
        return editable(who, request).now()

    @router.post("/site/file/check", response_model=SiteCheck, summary="Every problem of a site file, at its line")
    def site_file_check(body: SiteText, who: Setup, request: Request) -> SiteCheck:
        return editable(who, request).check(body.yaml, request_lang(request))

    @router.put("/site/file", response_model=SiteSaved, summary="Check and save the site file (runs from next start)")
    def site_file_save(body: SiteSave, who: Setup, request: Request) -> SiteSaved:
        lang = request_lang(request)
        try:
            checked = editable(who, request).save(body.yaml, body.base_sha256, who.name, lang)
        except SiteFileChanged:
            raise HTTPException(status.HTTP_409_CONFLICT, pick(CHANGED_MEANWHILE, lang)) from None
        except OSError as exc:  # a read-only mount, a full disk: said, and the old file stays
            detail = pick(CANNOT_WRITE, lang).format(detail=exc.strerror or exc)
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail) from None
        said = SAVED if checked.ok else (None, None)
        return SiteSaved(saved=checked.ok, check=checked, text_vi=said[0], text_en=said[1])

    @router.get("/links", response_model=Links, summary="Where the cooperative's other tools are (Grafana)")
    def links(who: Reader) -> Links:
        require_cooperative(site, who)
        return Links(grafana_url=grafana_url)

    return router
