"""The cooperative's product list as its book remembers it: every product bought or used, with what the phone fills
in when a farmer picks it again (its active ingredient, interval, last dose), so that a spray is a few taps."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from pydantic import BaseModel

from contract.diary import Entry, Fertiliser, InputCategory, InputPurchase, Protection, Quantity
from gateway.diary.effective import effective


class Product(BaseModel):
    name: str
    category: InputCategory
    active_ingredient: str | None = None
    phi_days: int | None = None
    last_dose: Quantity | None = None
    last_water_l: float | None = None
    last_target: str | None = None


def product_key(name: str) -> str:
    """A name as people type it, told apart by its letters only: case, spacing and how a keyboard sends tone marks
    (as part of the letter or after it) aside."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def remembered_products(entries: Sequence[Entry]) -> list[Product]:
    """Each product once (by name, as ``product_key`` tells names apart), as last recorded; sorted by name."""
    found: dict[str, Product] = {}
    for e in effective(entries):
        d = e.detail
        if isinstance(d, InputPurchase):
            key = product_key(d.product)
            found[key] = found.get(key) or Product(name=d.product, category=d.category)
        elif isinstance(d, Protection):
            found[product_key(d.product)] = Product(
                name=d.product,
                category=InputCategory.PROTECTION,
                active_ingredient=d.active_ingredient,
                phi_days=d.phi_days,
                last_dose=d.dose,
                last_water_l=d.water_l,
                last_target=d.target_pest,
            )
        elif isinstance(d, Fertiliser):
            found[product_key(d.product)] = Product(name=d.product, category=InputCategory.FERTILISER, last_dose=d.dose)
    return sorted(found.values(), key=lambda p: product_key(p.name))
