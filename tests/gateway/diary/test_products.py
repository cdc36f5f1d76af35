"""A product is one product however it was typed — in capitals, with extra spaces, or on a keyboard that sends each
tone mark as its own character: the product list, the gaps and the dossier's reconciliation all tell names apart
the same way."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime

from contract.diary import Detail, Entry, InputCategory, InputPurchase, Protection, Quantity, Unit
from contract.site_file import load_site
from gateway.diary.missing import UnboughtProduct, missing_records
from gateway.diary.products import product_key, remembered_products
from gateway.diary.reconcile import reconcile
from tests.conftest import EXAMPLE_SITE

NAME = "Thuốc trừ sâu Sát Trùng Đan 95SP"
TYPED_APART = unicodedata.normalize("NFD", "  thuốc TRỪ sâu  sát trùng đan 95sp ")


def entry(id: str, day: date, detail: Detail) -> Entry:
    return Entry(
        id=id,
        day=day,
        greenhouse="ca-chua-1" if isinstance(detail, Protection) else None,
        zone="khu-a" if isinstance(detail, Protection) else None,
        detail=detail,
        recorded_by="Anh Tuấn",
        recorded_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
    )


BOUGHT = entry("buy-00001", date(2026, 12, 1), InputPurchase(
    category=InputCategory.PROTECTION, product=NAME, supplier="Đại lý Mộc Châu",
    quantity=Quantity(value=1, unit=Unit.KG)))  # fmt: skip
SPRAYED = entry("spray-0001", date(2026, 12, 3), Protection(
    product=TYPED_APART, active_ingredient="Cartap", dose=Quantity(value=25, unit=Unit.G), water_l=16,
    target_pest="sâu tơ", phi_days=7, sprayed_by="Anh Tuấn"))  # fmt: skip


def test_names_typed_differently_are_one_product() -> None:
    assert NAME.casefold() != " ".join(TYPED_APART.split()).casefold()  # case and spaces aside, still apart
    assert product_key(TYPED_APART) == product_key(NAME)
    assert product_key(NAME) != product_key("Thuốc trừ sâu Sát Trùng Đan 95WP")


def test_the_product_list_the_gaps_and_the_reconciliation_agree_on_it() -> None:
    assert [p.name for p in remembered_products([BOUGHT, SPRAYED])] == [TYPED_APART.strip()]  # as last recorded
    site = load_site(EXAMPLE_SITE)
    gaps = missing_records([BOUGHT, SPRAYED], [], site, date(2026, 12, 10))
    assert not [g for g in gaps if isinstance(g, UnboughtProduct)]
    checked = reconcile([BOUGHT, SPRAYED], [], site)
    assert checked.mismatches == []
    assert [(b.product, b.bought, b.used) for b in checked.inputs] == [(NAME, 1, 0.025)]
