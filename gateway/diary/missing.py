"""What the record book lacks, said to a farmer in a line each: a greenhouse with no planting, a planted one with
no fertiliser lately, the controller's drafts left unconfirmed, no water test this year, a product sprayed but
never recorded as bought. An entry a later one corrects counts as its correction (docs/diary.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from contract.bounds import Strict
from contract.diary import Entry, EntryKind, InputPurchase, NewEntry, Protection
from contract.messages import Id
from contract.site import Greenhouse, SiteConfig
from contract.wording import Lang, day_in, pick
from gateway.diary.effective import effective
from gateway.diary.products import product_key

FERTILISER_DAYS = 30
UNCONFIRMED_DAYS = 3  # a draft left longer than this is a gap
# Fertigation brings fertiliser too.
_FEEDING = frozenset({EntryKind.FERTILISER, EntryKind.FERTIGATION})


class GapKind(StrEnum):
    NO_PLANTING = "no_planting"
    NO_FERTILISER = "no_fertiliser"
    UNCONFIRMED_DRAFTS = "unconfirmed_drafts"
    NO_WATER_TEST = "no_water_test"
    UNBOUGHT_PRODUCT = "unbought_product"


class Place(Strict):
    """A greenhouse as the cooperative names it, in both languages (an id is never shown)."""

    greenhouse: Id
    name_vi: str
    name_en: str

    @classmethod
    def of(cls, gh: Greenhouse) -> Place:
        return cls(greenhouse=gh.id, name_vi=gh.label_in("vi"), name_en=gh.label_in("en"))

    def said(self, lang: Lang) -> str:
        return pick((self.name_vi, self.name_en), lang)


class NoPlanting(Strict):
    kind: Literal[GapKind.NO_PLANTING] = GapKind.NO_PLANTING
    place: Place

    def said(self, lang: Lang) -> str:
        return pick(("{gh}: chưa ghi gieo trồng", "{gh}: no planting recorded"), lang).format(gh=self.place.said(lang))


class NoFertiliser(Strict):
    kind: Literal[GapKind.NO_FERTILISER] = GapKind.NO_FERTILISER
    place: Place

    def said(self, lang: Lang) -> str:
        texts = ("{gh}: chưa ghi phân bón {n} ngày qua", "{gh}: no fertiliser recorded in the last {n} days")
        return pick(texts, lang).format(gh=self.place.said(lang), n=FERTILISER_DAYS)


# What a pending draft is, counted in days (nights for frost): (vi, en one, en several).
_DRAFTED: dict[EntryKind, tuple[str, str, str]] = {
    EntryKind.IRRIGATION: ("{n} ngày tưới", "{n} day of watering", "{n} days of watering"),
    EntryKind.FERTIGATION: ("{n} ngày bón phân qua tưới", "{n} day of fertigation", "{n} days of fertigation"),
    EntryKind.FROST_NIGHT: ("{n} đêm sương muối", "{n} frost night", "{n} frost nights"),
    EntryKind.CLIMATE_DAY: ("{n} ngày số liệu khí hậu", "{n} day of climate readings", "{n} days of climate readings"),
}


class UnconfirmedDrafts(Strict):
    """Days the controller drafted (of one kind, in one greenhouse) that nobody confirmed in time."""

    kind: Literal[GapKind.UNCONFIRMED_DRAFTS] = GapKind.UNCONFIRMED_DRAFTS
    place: Place
    drafted: EntryKind
    days: int = Field(ge=1)
    since: date  # the oldest of them

    def said(self, lang: Lang) -> str:
        vi, en_one, en_many = _DRAFTED[self.drafted]
        what = pick((vi, en_one if self.days == 1 else en_many), lang).format(n=self.days)
        texts = ("{gh}: {what} chưa xác nhận, từ {since}", "{gh}: {what} not confirmed, since {since}")
        return pick(texts, lang).format(gh=self.place.said(lang), what=what, since=day_in(self.since, lang))


class NoWaterTest(Strict):
    kind: Literal[GapKind.NO_WATER_TEST] = GapKind.NO_WATER_TEST

    def said(self, lang: Lang) -> str:
        return pick(("Chưa ghi kiểm tra nước tưới 12 tháng qua", "No water test recorded in the last 12 months"), lang)


class UnboughtProduct(Strict):
    """A plant protection product sprayed that no purchase in the book names."""

    kind: Literal[GapKind.UNBOUGHT_PRODUCT] = GapKind.UNBOUGHT_PRODUCT
    product: str  # as the spraying names it
    last_sprayed: date

    def said(self, lang: Lang) -> str:
        texts = (
            "Thuốc {product} phun ngày {day} nhưng chưa ghi mua",
            "{product} was sprayed on {day} but no purchase of it is recorded",
        )
        return pick(texts, lang).format(product=self.product, day=day_in(self.last_sprayed, lang))


Gap = Annotated[
    NoPlanting | NoFertiliser | UnconfirmedDrafts | NoWaterTest | UnboughtProduct, Field(discriminator="kind")
]


def missing_records(entries: Sequence[Entry], pending: Sequence[NewEntry], site: SiteConfig, today: date) -> list[Gap]:
    """The gaps of the record book on ``today``: per greenhouse in the site's order, then the farm's."""
    book = effective(entries)
    stored = {e.id for e in entries}
    # A draft confirmed since the list of pending ones was made is not left.
    waiting = [d for d in pending if d.id not in stored and (today - d.day).days > UNCONFIRMED_DAYS]
    gaps: list[Gap] = []
    for gh in site.greenhouses:
        place = Place.of(gh)
        mine = [e for e in book if e.greenhouse == gh.id]
        if not any(e.detail.kind is EntryKind.PLANTING for e in mine):
            gaps.append(NoPlanting(place=place))
        elif not any(e.detail.kind in _FEEDING and e.day >= today - timedelta(days=FERTILISER_DAYS) for e in mine):
            gaps.append(NoFertiliser(place=place))
        gaps += _unconfirmed(place, [d for d in waiting if d.greenhouse == gh.id])
    if not any(e.detail.kind is EntryKind.WATER_TEST and e.day >= _year_before(today) for e in book):
        gaps.append(NoWaterTest())
    return gaps + _unbought(book)


def _unconfirmed(place: Place, drafts: Sequence[NewEntry]) -> list[Gap]:
    gaps: list[Gap] = []
    for kind in _DRAFTED:
        days = {d.day for d in drafts if d.detail.kind is kind}
        if days:
            gaps.append(UnconfirmedDrafts(place=place, drafted=kind, days=len(days), since=min(days)))
    return gaps


def _year_before(today: date) -> date:
    if (today.month, today.day) == (2, 29):  # no 29 February the year before: the 28th stands for it
        return date(today.year - 1, 2, 28)
    return today.replace(year=today.year - 1)


def _unbought(book: Sequence[Entry]) -> list[Gap]:
    bought = {product_key(e.detail.product) for e in book if isinstance(e.detail, InputPurchase)}
    sprayed: dict[str, UnboughtProduct] = {}
    for e in sorted(book, key=lambda e: e.day):
        d = e.detail
        if isinstance(d, Protection) and (key := product_key(d.product)) not in bought:
            sprayed[key] = UnboughtProduct(product=d.product, last_sprayed=e.day)
    return list(sprayed.values())
