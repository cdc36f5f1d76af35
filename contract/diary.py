"""The production diary (VietGAP record book), as far as it is built yet (issue 16, first step): a plant
protection use, which the pre-harvest interval guard reads."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from contract.bounds import Strict
from contract.messages import Id


class ProtectionUse(Strict):
    """A plant protection product sprayed on one zone of one greenhouse."""

    greenhouse: Id
    zone: Id
    applied_on: date  # the day of the spraying, in the cooperative's time zone
    product: str = Field(min_length=1, max_length=120)  # as its label names it
    active_ingredient: str = Field(min_length=1, max_length=120)
    # The label's pre-harvest interval (thời gian cách ly): days from the spraying before a harvest is allowed.
    phi_days: int = Field(ge=0, le=365)
