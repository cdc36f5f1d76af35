"""The public lot pages, reached by a consumer's phone from a lot's QR code without signing in: the cooperative's
own lot address (/lot/<code>) and a GS1 Digital Link (/01/<GTIN>/10/<lot>?7007=<harvest date>). Only lots the
cooperative published are shown; any other code — unpublished, unknown, another GTIN — gets the same "not found",
so that the page tells nothing of what is not published."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from contract.crops import crop_profile
from contract.diary import Lot
from contract.site import SiteConfig
from contract.wording import Lang
from gateway.diary.book import DiaryBook
from gateway.diary.lot_story import lot_story
from gateway.diary.public_page import lot_page, not_found_page
from gateway.diary.settings import TraceabilityFile

# Phones on a weak link open the same page again and again from the QR; a minute's cache spares them the wait and
# still shows a lot unpublished soon after.
_CACHE = "public, max-age=60"


def public_router(site: SiteConfig, book: DiaryBook, traceability: TraceabilityFile) -> APIRouter:
    router = APIRouter(tags=["public lot pages"])

    def crop_words(lot: Lot, lang: Lang) -> str:
        profile = crop_profile(site.greenhouse(lot.greenhouse).crop)
        if lang == "en" and profile is not None and lot.crop.casefold() == profile.name_vi.casefold():
            return profile.name_en
        return lot.crop

    def answer(lot: Lot | None, lang: Lang, path: str) -> HTMLResponse:
        other = f"{path}?lang={'vi' if lang == 'en' else 'en'}"
        if lot is None or not lot.published:
            return HTMLResponse(not_found_page(lang, other), status_code=404, headers={"Cache-Control": _CACHE})
        settings = traceability.read()
        story = lot_story(lot, book.store.entries(), site, settings)
        return HTMLResponse(lot_page(story, crop_words(lot, lang), lang, other), headers={"Cache-Control": _CACHE})

    @router.get("/lot/{code}", response_class=HTMLResponse, summary="A published lot's page, for consumers")
    def lot_by_code(code: str, lang: Literal["vi", "en"] = "vi") -> HTMLResponse:
        return answer(book.store.lot(code), lang, f"/lot/{code}")

    @router.get(
        "/01/{gtin}/10/{code}", response_class=HTMLResponse, summary="A published lot's page by its GS1 Digital Link"
    )
    def lot_by_digital_link(gtin: str, code: str, lang: Literal["vi", "en"] = "vi") -> HTMLResponse:
        lot = book.store.lot(code)
        # A GTIN-8, -12 or -13 in a link is the same GTIN padded to 14 digits (GS1 Digital Link 1.2, 4.6).
        if lot is not None and traceability.read().gtins.get(lot.crop) != gtin.zfill(14):
            lot = None  # the lot exists, but not as this product: a label of another product, or a guess
        return answer(lot, lang, f"/01/{gtin}/10/{code}")

    return router
