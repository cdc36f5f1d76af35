"""The pre-harvest interval guard: a zone sprayed with a plant protection product may be harvested only once the
product's interval (thời gian cách ly, on its label) is over — VietGAP (TCVN 11892-1:2017) asks that the label's
interval be kept. Counted in whole days: sprayed on the 5th with 7 days, harvest from the 12th."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from pydantic import BaseModel

from contract.diary import ProtectionUse
from contract.wording import Lang, day_month_in, pick

_REFUSED = (
    "Chưa hết thời gian cách ly ({product}): được thu hoạch từ {day}",
    "The pre-harvest interval of {product} is not over: harvest allowed from {day}",
)


class HarvestCheck(BaseModel):
    allowed: bool
    allowed_from: date | None = None  # the first day a harvest is allowed, when it is not yet
    product: str | None = None  # the product whose interval holds the zone longest

    def said(self, lang: Lang) -> str:
        """The refusal in the farmer's words; empty when the harvest is allowed."""
        if self.allowed or self.allowed_from is None:
            return ""
        return pick(_REFUSED, lang).format(product=self.product, day=day_month_in(self.allowed_from, lang))


def check_harvest(uses: Iterable[ProtectionUse], greenhouse: str, zone: str, on: date) -> HarvestCheck:
    """May ``zone`` of ``greenhouse`` be harvested on ``on``? Every spraying of that zone counts; the one whose
    interval ends last decides."""
    ends = [
        (use.applied_on + timedelta(days=use.phi_days), use.product)
        for use in uses
        if use.greenhouse == greenhouse and use.zone == zone
    ]
    if not ends:
        return HarvestCheck(allowed=True)
    last_day, product = max(ends)
    if on >= last_day:
        return HarvestCheck(allowed=True)
    return HarvestCheck(allowed=False, allowed_from=last_day, product=product)
