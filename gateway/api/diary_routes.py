"""The record book through the API: entries read (a farmer: their own greenhouses and the farm's), recorded (a
farmer, a technician, an admin; the same entry sent twice is stored once), corrected (technicians and admins; the
original stays), harvests checked against the pre-harvest interval before the phone sends them, lots listed,
published and labelled."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.
import json
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import BaseModel

from agronomy.pre_harvest import check_harvest
from contract.diary import Entry, Lot, NewEntry
from contract.site import SiteConfig
from contract.validation_words import Mistake
from contract.wording import Lang, pick
from gateway.accounts.roles import Action
from gateway.api.access import Principal, may_see, require_action, require_greenhouse
from gateway.api.auth import Auth, request_lang
from gateway.diary.book import BookRefusal, DiaryBook
from gateway.diary.dossier import Dossier, build
from gateway.diary.dossier_csv import dossier_zip
from gateway.diary.dossier_pdf import dossier_pdf
from gateway.diary.draft_words import draft_said
from gateway.diary.drafts import draft_days, pending_drafts
from gateway.diary.effective import corrections
from gateway.diary.exports import epcis_of_period
from gateway.diary.labels import sticker_sheet_pdf, thermal_label_pdf
from gateway.diary.lot_story import lot_label
from gateway.diary.missing import NoFertiliser, NoPlanting, UnconfirmedDrafts, missing_records
from gateway.diary.pdf import PdfUnavailable
from gateway.diary.products import Product, remembered_products
from gateway.diary.settings import TraceabilityFile
from gateway.storage.model import Store

_NO_LOT = ("Không có lô này", "No such lot")


class EntryOut(BaseModel):
    entry: Entry
    corrected_by: str | None = None  # the id of the entry that corrects this one, if any


class Recorded(BaseModel):
    entry: Entry
    new: bool  # False: this entry was recorded before (a phone's resend): nothing was added


class HarvestAnswer(BaseModel):
    allowed: bool
    allowed_from: date | None = None
    said: str  # empty when allowed


class Publish(BaseModel):
    published: bool


class LabelLayout(StrEnum):
    SHEET = "sheet"
    THERMAL = "thermal"


MAX_COPIES = 240  # ten sheets


class Draft(BaseModel):
    entry: NewEntry  # confirmed by sending it as it is; corrected by sending it changed, as typed
    said: str


class GapOut(BaseModel):
    greenhouse: str | None  # None: the farm's (a water test)
    said: str


# Drafts are offered for the completed days of the last two weeks; an older one is a gap until confirmed, and
# the dossier lists the days without records.
DRAFT_DAYS = 14


def diary_router(
    site: SiteConfig, book: DiaryBook, history: Store, traceability: TraceabilityFile, auth: Auth
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["diary"])
    Reader = Annotated[Principal, Depends(auth.allowed_here(site, Action.READ))]
    Recorder = Annotated[Principal, Depends(auth.allowed_here(site, Action.RECORD_DIARY))]
    Exporter = Annotated[Principal, Depends(auth.allowed_here(site, Action.EXPORT_DIARY))]
    Publisher = Annotated[Principal, Depends(auth.allowed_here(site, Action.PUBLISH_LOTS))]

    def visible(who: Principal, greenhouse: str | None) -> bool:
        return greenhouse is None or may_see(site, who, greenhouse)

    @router.get("/diary", response_model=list[EntryOut], summary="The record book's entries of a period, as recorded")
    def read_diary(
        who: Reader, greenhouse: str | None = None, first: date | None = None, last: date | None = None
    ) -> list[EntryOut]:
        if greenhouse is not None:
            require_greenhouse(site, who, greenhouse)
        entries = book.store.entries(first, last)
        corrected = corrections(entries)
        return [
            EntryOut(entry=e, corrected_by=corrected[e.id].id if e.id in corrected else None)
            for e in entries
            if visible(who, e.greenhouse) and (greenhouse is None or e.greenhouse == greenhouse)
        ]

    @router.post(
        "/diary",
        response_model=Recorded,
        status_code=status.HTTP_201_CREATED,
        summary="Record an entry (or a correction); the same id sent again is stored once",
        responses={409: {"description": "Refused: the pre-harvest interval, an unknown place, nothing to correct"}},
    )
    def record(body: NewEntry, who: Recorder, request: Request, response: Response) -> Recorded:
        lang = request_lang(request)
        if body.greenhouse is not None:
            require_greenhouse(site, who, body.greenhouse)
        elif who.greenhouses is not None:
            # A farmer limited to some greenhouses writes in theirs, not in the farm's own pages.
            raise HTTPException(status.HTTP_403_FORBIDDEN, pick(_FARM_WIDE, lang))
        if body.corrects is not None:
            require_action(who, Action.CORRECT_DIARY, lang)
        try:
            added = book.record(body, who.name)
        except BookRefusal as e:
            raise HTTPException(status.HTTP_409_CONFLICT, e.said(lang)) from None
        if not added.new:
            response.status_code = status.HTTP_200_OK
        return Recorded(entry=added.entry, new=added.new)

    def pending(greenhouses: list[str]) -> list[NewEntry]:
        today = book.today()
        first = today - timedelta(days=DRAFT_DAYS)
        drafted = [d for gh in greenhouses for d in draft_days(history, site, gh, first, today - timedelta(days=1))]
        return pending_drafts(drafted, book.store.ids())

    @router.get(
        "/diary/drafts",
        response_model=list[Draft],
        summary="What the controller drafted of the last two weeks' completed days, waiting to be confirmed",
    )
    def drafts(greenhouse: str, who: Reader, request: Request) -> list[Draft]:
        gh = require_greenhouse(site, who, greenhouse)
        lang = request_lang(request)
        return [Draft(entry=d, said=draft_said(d, gh, lang)) for d in pending([gh.id])]

    @router.get("/diary/gaps", response_model=list[GapOut], summary="What the record book lacks, in plain words")
    def gaps(who: Reader, request: Request) -> list[GapOut]:
        lang = request_lang(request)
        mine = [g.id for g in site.greenhouses if may_see(site, who, g.id)]
        found = missing_records(book.store.entries(), pending(mine), site, book.today())
        places = [
            g.place.greenhouse if isinstance(g, NoPlanting | NoFertiliser | UnconfirmedDrafts) else None for g in found
        ]
        return [
            GapOut(greenhouse=place, said=g.said(lang))
            for g, place in zip(found, places, strict=True)
            if place is None or place in mine
        ]

    @router.get(
        "/diary/harvest-check",
        response_model=HarvestAnswer,
        summary="May this zone be harvested on this day? (the pre-harvest interval; nothing is recorded)",
    )
    def harvest_check(greenhouse: str, zone: str, day: date, who: Reader, request: Request) -> HarvestAnswer:
        require_greenhouse(site, who, greenhouse)
        check = check_harvest(book.protection_uses(), greenhouse, zone, day)
        return HarvestAnswer(
            allowed=check.allowed, allowed_from=check.allowed_from, said=check.said(request_lang(request))
        )

    @router.get(
        "/diary/products",
        response_model=list[Product],
        summary="The cooperative's products as its book has them: bought or used, with their last dose and interval",
    )
    def products(who: Reader) -> list[Product]:
        return remembered_products(book.store.entries())

    @router.get("/lots", response_model=list[Lot], summary="Harvest lots")
    def lots(who: Reader) -> list[Lot]:
        return [lot for lot in book.store.lots() if visible(who, lot.greenhouse)]

    @router.put("/lots/{code}/published", response_model=Lot, summary="Show the lot on its public page, or stop")
    def publish(code: str, body: Publish, who: Publisher, request: Request) -> Lot:
        lot = book.store.lot(code)
        if lot is None or not visible(who, lot.greenhouse):
            raise HTTPException(status.HTTP_404_NOT_FOUND, pick(_NO_LOT, request_lang(request)))
        if body.published:
            try:
                book.lot_for_label(code, who.name)
            except BookRefusal as e:
                raise HTTPException(status.HTTP_409_CONFLICT, e.said(request_lang(request))) from None
        changed = book.store.publish(code, body.published)
        assert changed is not None
        return changed

    @router.get(
        "/lots/{code}/label.pdf",
        response_class=Response,
        summary="The lot's labels as a PDF: an A4 sheet of 24 stickers, or one 60 × 40 mm thermal label",
        responses={200: {"content": {"application/pdf": {}}}, 409: {"description": "The pre-harvest interval"}},
    )
    def label(
        code: str,
        who: Recorder,
        request: Request,
        layout: LabelLayout = LabelLayout.SHEET,
        copies: Annotated[int, Query(ge=1, le=MAX_COPIES)] = 24,
        net_kg: Annotated[float | None, Query(gt=0, le=1_000_000)] = None,
    ) -> Response:
        lang = request_lang(request)
        lot = book.store.lot(code)
        if lot is None or not visible(who, lot.greenhouse):
            raise HTTPException(status.HTTP_404_NOT_FOUND, pick(_NO_LOT, lang))
        try:
            book.lot_for_label(code, who.name)
            settings = traceability.read()
            one = lot_label(lot, book.store.entries(), site, settings, net_kg)
            thermal = layout is LabelLayout.THERMAL
            pdf = thermal_label_pdf(one, lang) if thermal else sticker_sheet_pdf([one] * copies, lang)
        except BookRefusal as e:
            raise HTTPException(status.HTTP_409_CONFLICT, e.said(lang)) from None
        except Mistake as e:  # a GTIN of the settings that cannot be right
            raise HTTPException(status.HTTP_409_CONFLICT, e.words.pick(lang)) from None
        except PdfUnavailable as e:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(e)) from None
        name = f"nhan-{code}-{layout.value}.pdf"
        disposition = {"Content-Disposition": f'inline; filename="{name}"'}
        return Response(pdf, media_type="application/pdf", headers=disposition)

    def period(first: date | None, last: date | None) -> tuple[date, date]:
        """A period as asked, or the last twelve months to today: what an auditor checks for a renewal."""
        end = last or book.today()
        return first or end - timedelta(days=365), end

    def the_dossier(who: Principal, first: date | None, last: date | None, lang: Lang) -> Dossier:
        start, end = period(first, last)
        if start > end:
            raise HTTPException(UNPROCESSABLE, pick(_BACKWARDS, lang))
        entries = [e for e in book.store.entries(last=end) if visible(who, e.greenhouse)]
        lots = [lot for lot in book.store.lots() if visible(who, lot.greenhouse)]
        return build(entries, lots, site, traceability.read(), start, end, lang)

    @router.get(
        "/diary/dossier.pdf",
        summary="The VietGAP dossier of a period as a PDF: mismatches first, then every record form",
        responses={200: {"content": {"application/pdf": {}}}},
    )
    def dossier_as_pdf(
        who: Exporter, request: Request, first: date | None = None, last: date | None = None
    ) -> Response:
        lang = request_lang(request)
        dossier = the_dossier(who, first, last, lang)
        try:
            pdf = dossier_pdf(dossier)
        except PdfUnavailable as e:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(e)) from None
        return _download(
            pdf, "application/pdf", f"{pick(_DOSSIER_NAME, lang)}-{dossier.cover.first}-{dossier.cover.last}.pdf"
        )

    @router.get(
        "/diary/dossier.zip",
        summary="The VietGAP dossier of a period as CSV files (one per record form, mismatches first), zipped",
        responses={200: {"content": {"application/zip": {}}}},
    )
    def dossier_as_csv(
        who: Exporter, request: Request, first: date | None = None, last: date | None = None
    ) -> Response:
        lang = request_lang(request)
        dossier = the_dossier(who, first, last, lang)
        name = f"{pick(_DOSSIER_NAME, lang)}-{dossier.cover.first}-{dossier.cover.last}.zip"
        return _download(dossier_zip(dossier), "application/zip", name)

    @router.get(
        "/diary/epcis.jsonld",
        summary="The lots harvested in a period as an EPCIS 2.0 document (GS1 JSON-LD): harvest, packing, sale",
        responses={200: {"content": {"application/ld+json": {}}}},
    )
    def epcis(who: Exporter, request: Request, first: date | None = None, last: date | None = None) -> Response:
        lang = request_lang(request)
        lots = [lot for lot in book.store.lots() if visible(who, lot.greenhouse)]
        try:
            document = epcis_of_period(
                book.store.entries(), lots, site, traceability.read(), first, last, book.now()
            )
        except Mistake as e:
            raise HTTPException(status.HTTP_409_CONFLICT, e.words.pick(lang)) from None
        return Response(json.dumps(document, ensure_ascii=False, indent=1), media_type="application/ld+json")

    return router


_BACKWARDS = ("Ngày bắt đầu phải trước ngày kết thúc", "The first day must come before the last")
_DOSSIER_NAME = ("nhat-ky-vietgap", "vietgap-dossier")
UNPROCESSABLE = 422


def _download(content: bytes, media_type: str, name: str) -> Response:
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


_FARM_WIDE = (
    "Tài khoản của bạn chỉ ghi được cho nhà màng của mình",
    "Your account records for its own greenhouses only",
)
