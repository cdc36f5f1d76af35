"""The record book as the API and the commands use it: an entry recorded (checked against the site, a correction
against what it corrects, a harvest against the pre-harvest interval, and given its lot), a label asked for (the
interval checked again: a spraying may have been recorded late), lots published."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from agronomy.pre_harvest import HarvestCheck, check_harvest
from contract.diary import Entry, Harvest, Lot, NewEntry, ProtectionUse
from contract.site import SiteConfig
from contract.wording import Lang, pick
from gateway.diary.effective import effective
from gateway.diary.lots import lot_code, lot_stem
from gateway.diary.store import Added, DiaryStore, Refusal

log = logging.getLogger(__name__)

Words = tuple[str, str]


class BookRefusal(ValueError):
    """An entry or a label the book will not take, in the words of the person who asked."""

    def __init__(self, words: Words, harvest: HarvestCheck | None = None) -> None:
        super().__init__(words[1])
        self.words = words
        self.harvest = harvest  # the guard's answer, when it was the pre-harvest interval

    def said(self, lang: Lang) -> str:
        return pick(self.words, lang)


def _interval(check: HarvestCheck) -> Words:
    return (check.said("vi"), check.said("en"))


class DiaryBook:
    def __init__(self, site: SiteConfig, store: DiaryStore, now: Callable[[], datetime]) -> None:
        self.site = site
        self.store = store
        self.now = now

    def close(self) -> None:
        self.store.close()

    def today(self) -> date:
        return self.now().astimezone(self.site.cooperative.tz).date()

    # --- recording -------------------------------------------------------------------------------
    def record(self, new: NewEntry, by: str) -> Added:
        """Store ``new`` as recorded by ``by`` now; the same id sent again returns what was stored (a phone's
        queue resent). Refused with words: an unknown place, a correction of nothing, a harvest in the interval."""
        stored = self.store.entry(new.id)
        if stored is not None:
            return Added(entry=stored, new=False)
        self._check_place(new)
        corrected = self._check_correction(new)
        if isinstance(new.detail, Harvest):
            new = self._harvest(new, corrected, by)
        entry = Entry(**new.model_dump(), recorded_by=by, recorded_at=self.now())
        added = self.store.add(entry)
        if added.new and isinstance(entry.detail, Harvest):
            self._keep_lot(entry, corrected)
        return added

    def _check_place(self, new: NewEntry) -> None:
        if new.greenhouse is None:
            return
        gh = next((g for g in self.site.greenhouses if g.id == new.greenhouse), None)
        if gh is None:
            raise BookRefusal(("Không có nhà màng này", "No such greenhouse"))
        if new.zone is not None and new.zone not in {z.id for z in gh.zones}:
            raise BookRefusal((f"{gh.name} không có khu này", f"{gh.name} has no such zone"))

    def _check_correction(self, new: NewEntry) -> Entry | None:
        if new.corrects is None:
            return None
        target = self.store.entry(new.corrects)
        if target is None:
            raise BookRefusal(("Không tìm thấy mục cần sửa", "The entry to correct was not found"))
        if target.detail.kind is not new.detail.kind or target.greenhouse != new.greenhouse:
            raise BookRefusal(
                (
                    "Mục sửa phải cùng loại và cùng nhà màng với mục được sửa",
                    "A correction keeps the kind and the greenhouse of the entry it corrects",
                )
            )
        return target

    def _harvest(self, new: NewEntry, corrected: Entry | None, by: str) -> NewEntry:
        """The pre-harvest interval guard, then the lot: a new harvest gets the next code, a corrected one keeps
        its lot."""
        assert isinstance(new.detail, Harvest) and new.greenhouse is not None and new.zone is not None
        self.guard(new.greenhouse, new.zone, new.day, by)
        if corrected is not None and isinstance(corrected.detail, Harvest):
            code = corrected.detail.lot
        else:
            code = lot_code(new.greenhouse, new.day, self.store.lot_codes_like(lot_stem(new.greenhouse, new.day)))
        return new.model_copy(update={"detail": new.detail.model_copy(update={"lot": code})})

    def _keep_lot(self, entry: Entry, corrected: Entry | None) -> None:
        """A new harvest's lot, or the corrected one's as the correction says (it keeps the entry that made it,
        when it was made and whether it is published)."""
        detail = entry.detail
        assert isinstance(detail, Harvest) and detail.lot is not None
        assert entry.greenhouse is not None and entry.zone is not None
        said = {
            "greenhouse": entry.greenhouse,
            "zone": entry.zone,
            "crop": detail.crop,
            "harvested_on": entry.day,
            "quantity_kg": detail.quantity_kg,
        }
        kept = self.store.lot(detail.lot) if corrected is not None else None
        if kept is None:
            self.store.add_lot(Lot(code=detail.lot, entry=entry.id, made_at=entry.recorded_at, **said))
        else:
            self.store.replace_lot(kept.model_copy(update=said))

    # --- the pre-harvest interval ----------------------------------------------------------------
    def protection_uses(self) -> list[ProtectionUse]:
        uses = (ProtectionUse.of(e) for e in effective(self.store.entries()))
        return [u for u in uses if u is not None]

    def guard(self, greenhouse: str, zone: str, day: date, by: str) -> None:
        """Refuse (and log the refusal) a harvest of ``zone`` on ``day`` within a spraying's interval."""
        check = check_harvest(self.protection_uses(), greenhouse, zone, day)
        if check.allowed:
            return
        assert check.allowed_from is not None and check.product is not None
        self.store.refused(
            Refusal(
                at=self.now(),
                by=by,
                greenhouse=greenhouse,
                zone=zone,
                day=day,
                allowed_from=check.allowed_from,
                product=check.product,
            )
        )
        log.warning(
            "harvest refused: pre-harvest interval",
            extra={
                "greenhouse": greenhouse,
                "zone": zone,
                "day": day.isoformat(),
                "by": by,
                "allowed_from": check.allowed_from.isoformat(),
                "product": check.product,
            },
        )
        raise BookRefusal(_interval(check), check)

    def lot_for_label(self, code: str, by: str) -> Lot:
        """The lot, once more checked against the interval (a spraying recorded after the harvest counts)."""
        lot = self.store.lot(code)
        if lot is None:
            raise BookRefusal(("Không có lô này", "No such lot"))
        self.guard(lot.greenhouse, lot.zone, lot.harvested_on, by)
        return lot
