"""The EPCIS document of the lots harvested in a period, each with its growing climate from the record book: what
the API and the command line both export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from contract.diary import Entry, Lot, Traceability
from contract.site import SiteConfig
from gateway.diary.epcis import GrowingClimate, epcis_document
from gateway.diary.lot_story import lot_story


def epcis_of_period(
    entries: Sequence[Entry],
    lots: Sequence[Lot],
    site: SiteConfig,
    traceability: Traceability,
    first: date | None,
    last: date | None,
    made_at: datetime,
) -> dict[str, Any]:
    chosen = [lot for lot in lots if (first or date.min) <= lot.harvested_on <= (last or date.max)]
    climate = {
        lot.code: c
        for lot in chosen
        if (c := GrowingClimate.of(lot_story(lot, entries, site, traceability).conditions)) is not None
    }
    return epcis_document(chosen, entries, site.cooperative, traceability, climate, made_at)
