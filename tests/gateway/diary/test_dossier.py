"""The VietGAP dossier's pure part and its CSV export: corrections applied and kept in sight, the forms' rows, and
the purchase → use → harvest → sale chain reconciled, on a small season of two greenhouses."""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache

from contract.diary import (
    Certificate,
    Cleaning,
    ClimateDay,
    Detail,
    Disposal,
    Entry,
    Fertigation,
    Fertiliser,
    FrostNight,
    Harvest,
    InputCategory,
    InputPurchase,
    InternalAudit,
    Irrigation,
    Lot,
    Observation,
    Packing,
    Planting,
    Protection,
    ProtectionRun,
    Quantity,
    Sale,
    Source,
    Traceability,
    Training,
    Unit,
    WaterTest,
)
from contract.site import SiteConfig
from contract.site_file import load_site
from contract.wording import Lang
from gateway.diary.dossier import Dossier, RowStatus, Table, build
from gateway.diary.dossier_csv import dossier_zip
from gateway.diary.dossier_forms import Form
from gateway.diary.effective import effective
from gateway.diary.mismatches import MismatchKind
from gateway.diary.reconcile import reconcile
from tests.conftest import EXAMPLE_SITE

FIRST, LAST = date(2026, 11, 1), date(2026, 12, 31)
PAO, HOA = "Lò Văn Páo", "Nguyễn Thị Hoa"
FOLIAR = "Phân bón lá Đầu Trâu 502"  # typed by a farmer, diacritics and all
CORRECTED_AT = datetime(2026, 12, 7, 2, 15, tzinfo=UTC)  # 09:15 in Mộc Châu


@cache
def site() -> SiteConfig:
    return load_site(EXAMPLE_SITE)


def entry(
    id: str,
    day: date,
    detail: Detail,
    greenhouse: str | None = None,
    zone: str | None = None,
    source: Source = Source.TYPED,
    by: str = PAO,
    at: datetime | None = None,
    corrects: str | None = None,
    why: str | None = None,
) -> Entry:
    return Entry(
        id=id,
        day=day,
        greenhouse=greenhouse,
        zone=zone,
        detail=detail,
        source=source,
        corrects=corrects,
        why=why,
        recorded_by=by,
        recorded_at=at or datetime(day.year, day.month, day.day, 11, 0, tzinfo=UTC),
    )


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def season() -> list[Entry]:
    """Tomatoes in two greenhouses, November to December: bought, planted, fed, sprayed, watered, harvested,
    packed and sold, with the controller's drafts and one harvest weighed again."""
    c1, c2 = "ca-chua-1", "ca-chua-2"
    kg, g, litre, ml = Unit.KG, Unit.G, Unit.L, Unit.ML
    return [
        entry("buy-foliar", d(11, 1), InputPurchase(
            category=InputCategory.FERTILISER, product=FOLIAR, supplier="Đại lý vật tư Hùng Thắm",
            quantity=Quantity(value=2, unit=kg), expiry=date(2027, 6, 30), invoice_no="HĐ-0123")),
        entry("buy-npk-1", d(11, 1), InputPurchase(
            category=InputCategory.FERTILISER, product="NPK 16-16-8", supplier="Đại lý vật tư Hùng Thắm",
            quantity=Quantity(value=50, unit=kg))),
        entry("buy-anvil", d(11, 1), InputPurchase(
            category=InputCategory.PROTECTION, product="Anvil 5SC", supplier="Cửa hàng thuốc BVTV Thảo Nguyên",
            quantity=Quantity(value=1, unit=litre), expiry=date(2027, 12, 31))),
        entry("plant-c1", d(11, 2), Planting(
            crop="Cà chua", variety="Savior", seed_source="Vườn ươm Mộc Châu", seed_lot="VU-2611",
            area_m2=250, quantity=Quantity(value=600, unit=Unit.PLANT)), c1, "khu-a"),
        entry("plant-c2", d(11, 2), Planting(
            crop="Cà chua", variety="Savior", seed_source="Vườn ươm Mộc Châu", area_m2=250,
            quantity=Quantity(value=600, unit=Unit.PLANT)), c2, "khu-a"),
        entry("training-1", d(11, 3), Training(
            topic="Sử dụng thuốc bảo vệ thực vật an toàn", trainer="Cán bộ khuyến nông huyện", attendees=12), by=HOA),
        entry("water-test", d(11, 5), WaterTest(
            laboratory="Trung tâm Kiểm nghiệm Sơn La", passed=True, note="Giếng chung"), by=HOA),
        entry("foliar-c1", d(11, 10), Fertiliser(
            product="phân bón lá  đầu trâu 502", dose=Quantity(value=500, unit=g), method="Phun lá"), c1, "khu-a"),
        entry("irrigate-c1", d(11, 10), Irrigation(water_l=1250.5, runs=4, open_min=50), c1, "khu-a", Source.SENSOR),
        entry("irrigate-c2", d(11, 10), Irrigation(water_l=900, runs=3, open_min=36), c2, "khu-a", Source.SENSOR),
        entry("climate-c1", d(11, 10), ClimateDay(
            min_air_temp_c=12.5, max_air_temp_c=27.8, mean_vpd_kpa=0.85, dli_mol_m2_d=14.2), c1, None, Source.SENSOR),
        entry("fertig-c2", d(11, 15), Fertigation(
            product="NPK 16-16-8", dose=Quantity(value=5, unit=kg), water_l=800), c2, "khu-a", Source.SENSOR),
        entry("watch-c1", d(11, 18), Observation(pest="Bọ phấn trắng", note="Mật độ thấp ở mép luống"), c1, "khu-a"),
        entry("npk-use-c2", d(11, 20), Fertiliser(
            product="NPK 16-16-8", dose=Quantity(value=20, unit=kg), method="Bón gốc"), c2, "khu-a"),
        entry("spray-c1", d(11, 25), Protection(
            product="Anvil 5SC", active_ingredient="Hexaconazole", dose=Quantity(value=250, unit=ml), water_l=200,
            target_pest="Bệnh phấn trắng", phi_days=7, sprayed_by=PAO), c1, "khu-a"),
        entry("bottles-nov", d(11, 26), Disposal(
            what="Vỏ chai thuốc bảo vệ thực vật", quantity=Quantity(value=1, unit=Unit.PACKAGE),
            method="Bỏ vào bể chứa vỏ thuốc")),
        entry("frost-c1", d(12, 3), FrostNight(
            min_air_temp_c=3.2, hours_below=4.5, watch_temp_c=5,
            protection=[ProtectionRun(actuator="heater", on_min=150)]), c1, None, Source.SENSOR),
        entry("harvest-c1", d(12, 5), Harvest(lot="CC1-261205", crop="Cà chua", quantity_kg=120), c1, "khu-a"),
        entry("clean-shed", d(12, 5), Cleaning(what="Nhà sơ chế", method="Rửa bằng nước sạch, phơi khô"), by=HOA),
        entry("harvest-c2", d(12, 6), Harvest(lot="CC2-261206", crop="Cà chua", quantity_kg=80), c2, "khu-a"),
        entry("harvest-c2-fix", d(12, 6), Harvest(lot="CC2-261206", crop="Cà chua", quantity_kg=85.5), c2, "khu-a",
              by=HOA, at=CORRECTED_AT, corrects="harvest-c2", why="Cân lại ở nhà sơ chế"),
        entry("packing-c1", d(12, 6), Packing(lot="CC1-261205", packed_kg=110, packages=220, packaging="Túi 500 g")),
        entry("selling-c1", d(12, 8), Sale(lot="CC1-261205", quantity_kg=100, buyer="Siêu thị Bác Tôm")),
        entry("selling-c2", d(12, 10), Sale(lot="CC2-261206", quantity_kg=82, buyer="Bếp ăn trường mầm non Hoa Mai")),
        entry("audit-dec", d(12, 15), InternalAudit(auditor=HOA, findings="Đủ hồ sơ; kho thuốc có khóa"), by=HOA),
    ]  # fmt: skip


def lots() -> list[Lot]:
    made = datetime(2026, 12, 5, 12, tzinfo=UTC)
    return [
        Lot(code="CC1-261205", greenhouse="ca-chua-1", zone="khu-a", crop="Cà chua", harvested_on=d(12, 5),
            quantity_kg=120, entry="harvest-c1", made_at=made),
        Lot(code="CC2-261206", greenhouse="ca-chua-2", zone="khu-a", crop="Cà chua", harvested_on=d(12, 6),
            quantity_kg=80, entry="harvest-c2", made_at=made),
    ]  # fmt: skip


TRACE = Traceability(
    certificate=Certificate(
        number="VG-14-07-0231", issued_by="Trung tâm Chứng nhận Phù hợp (QUACERT)",
        valid_from=date(2025, 3, 1), valid_until=date(2028, 2, 28),
    )
)  # fmt: skip


def dossier(entries: Sequence[Entry] | None = None, lang: Lang = "vi") -> Dossier:
    return build(season() if entries is None else entries, lots(), site(), TRACE, FIRST, LAST, lang)


def kinds(entries: Sequence[Entry]) -> list[MismatchKind]:
    return [m.kind for m in reconcile(entries, lots(), site()).mismatches]


def form(doc: Dossier, which: Form) -> Table:
    return doc.forms[list(Form).index(which)]


def column(table: Table, head: str) -> int:
    return [c.head for c in table.columns].index(head)


# --- a clean season ---------------------------------------------------------------------------------------------------


def test_a_clean_season_has_no_mismatch_and_its_unsold_kilograms_are_stock() -> None:
    checked = reconcile(season(), lots(), site())
    assert checked.mismatches == []
    # "phân bón lá  đầu trâu 502" used is the "Phân bón lá Đầu Trâu 502" bought: 500 g of 2 kg.
    foliar = next(b for b in checked.inputs if b.product == FOLIAR)
    assert (foliar.unit, foliar.bought, foliar.used, foliar.remaining) == (Unit.KG, 2, 0.5, 1.5)
    npk = next(b for b in checked.inputs if b.product == "NPK 16-16-8")
    assert (npk.bought, npk.used) == (50, 25)  # fertigation counts as a use
    anvil = next(b for b in checked.inputs if b.product == "Anvil 5SC")
    assert (anvil.unit, anvil.used) == (Unit.L, 0.25)
    by_lot = {b.lot: b for b in checked.lots}
    assert (by_lot["CC1-261205"].packed_kg, by_lot["CC1-261205"].remaining_kg) == (110, 20)
    assert by_lot["CC2-261206"].harvested_kg == 85.5  # the correction's weight, not the first one's
    assert by_lot["CC2-261206"].remaining_kg == 3.5
    doc = dossier()
    assert doc.cover.mismatches == 0 and doc.checks[0].rows == []
    assert "Không có sai lệch" in doc.checks[0].empty


def test_the_cover_counts_typed_and_sensor_entries_that_stand() -> None:
    cover = dossier().cover
    assert (cover.typed, cover.from_sensors, cover.corrected) == (19, 5, 1)
    assert cover.cooperative == "HTX Rau an toàn Mộc Châu"
    assert cover.certificate is not None and cover.certificate.number == "VG-14-07-0231"
    assert dossier(lang="en").cover.cooperative == "Mộc Châu Safe Vegetables Cooperative"


# --- reconciliation, one break of the chain at a time -------------------------------------------------------------


def test_a_product_used_but_never_purchased() -> None:
    spray = entry("spray-ridomil", d(11, 28), Protection(
        product="Ridomil Gold 68WG", active_ingredient="Metalaxyl-M + Mancozeb", dose=Quantity(value=50, unit=Unit.G),
        water_l=100, target_pest="Sương mai", phi_days=7, sprayed_by=PAO), "ca-chua-2", "khu-b")  # fmt: skip
    checked = reconcile([*season(), spray], lots(), site())
    assert [m.kind for m in checked.mismatches] == [MismatchKind.NEVER_PURCHASED]
    said = checked.mismatches[0]
    assert "Ridomil Gold 68WG" in said.said("vi") and "không có ghi chép mua" in said.said("vi")
    assert "28/11/2026" in said.said("vi") and "28 Nov 2026" in said.said("en")
    assert said.day == d(11, 28)


def test_more_used_than_purchased_counts_grams_as_kilograms() -> None:
    within = entry("foliar-more", d(11, 30), Fertiliser(
        product=FOLIAR, dose=Quantity(value=1500, unit=Unit.G), method="Phun lá"), "ca-chua-1", "khu-b")  # fmt: skip
    assert kinds([*season(), within]) == []  # 500 g + 1500 g: the 2 kg bought, not more
    over = within.model_copy(
        update={"detail": within.detail.model_copy(update={"dose": Quantity(value=1.6, unit=Unit.KG)})}
    )
    checked = reconcile([*season(), over], lots(), site())
    assert [m.kind for m in checked.mismatches] == [MismatchKind.OVER_USED]
    assert checked.mismatches[0].said("vi") == f"Đến ngày 30/11/2026 đã dùng 2,1 kg {FOLIAR} nhưng chỉ mua 2 kg"
    assert checked.mismatches[0].said("en") == f"By 30 Nov 2026, 2.1 kg of {FOLIAR} used but only 2 kg purchased"


def test_more_used_than_purchased_counts_millilitres_as_litres_and_says_when() -> None:
    # 250 ml on 25 Nov and 800 ml on 28 Nov of the 1 l bought on 1 Nov; a second litre bought on 30 Nov is too late.
    spray = entry("spray-more", d(11, 28), Protection(
        product="ANVIL 5SC", active_ingredient="Hexaconazole", dose=Quantity(value=800, unit=Unit.ML), water_l=300,
        target_pest="Bệnh phấn trắng", phi_days=7, sprayed_by=PAO), "ca-chua-2", "khu-b")  # fmt: skip
    late = entry("buy-anvil-2", d(11, 30), InputPurchase(
        category=InputCategory.PROTECTION, product="Anvil 5SC", supplier="Cửa hàng thuốc BVTV Thảo Nguyên",
        quantity=Quantity(value=1, unit=Unit.L), expiry=date(2027, 12, 31)))  # fmt: skip
    checked = reconcile([*season(), spray, late], lots(), site())
    assert [m.kind for m in checked.mismatches] == [MismatchKind.OVER_USED]
    assert checked.mismatches[0].day == d(11, 28)
    assert "1,05 lít Anvil 5SC" in checked.mismatches[0].said("vi")
    bought_first = late.model_copy(update={"day": d(11, 27)})
    assert kinds([*season(), spray, bought_first]) == []


def test_units_that_cannot_be_compared_are_said_rather_than_passed() -> None:
    sachets = entry("buy-bt-sachets", d(11, 1), InputPurchase(
        category=InputCategory.PROTECTION, product="Thuốc trừ sâu sinh học Bt", supplier="HTX",
        quantity=Quantity(value=10, unit=Unit.PACKAGE)))  # fmt: skip
    spray = entry("spray-bt", d(11, 12), Protection(
        product="Thuốc trừ sâu sinh học Bt", active_ingredient="Bacillus thuringiensis",
        dose=Quantity(value=100, unit=Unit.G), water_l=100, target_pest="Sâu xanh", phi_days=3, sprayed_by=PAO),
        "ca-chua-2", "khu-b")  # fmt: skip
    assert kinds([*season(), sachets, spray]) == [MismatchKind.UNITS_DIFFER]


def test_a_product_used_after_its_expiry() -> None:
    old = entry("buy-kali", d(11, 1), InputPurchase(
        category=InputCategory.FERTILISER, product="Kali trắng", supplier="Đại lý vật tư Hùng Thắm",
        quantity=Quantity(value=10, unit=Unit.KG), expiry=d(11, 30)))  # fmt: skip
    before = entry("kali-use-1", d(11, 30), Fertiliser(
        product="Kali trắng", dose=Quantity(value=2, unit=Unit.KG), method="Bón gốc"),
        "ca-chua-1", "khu-b")  # fmt: skip
    after = before.model_copy(update={"id": "kali-use-2", "day": d(12, 1)})
    checked = reconcile([*season(), old, before, after], lots(), site())
    assert [(m.kind, m.day) for m in checked.mismatches] == [(MismatchKind.EXPIRED, d(12, 1))]
    assert "hết hạn sử dụng (30/11/2026)" in checked.mismatches[0].said("vi")


def test_a_harvest_within_a_spraying_s_pre_harvest_interval() -> None:
    # Sprayed on 1 Dec with 7 days: khu-a of ca-chua-1 may be harvested from 8 Dec, and was on 5 Dec.
    spray = entry("spray-late", d(12, 1), Protection(
        product="Anvil 5SC", active_ingredient="Hexaconazole", dose=Quantity(value=100, unit=Unit.ML), water_l=100,
        target_pest="Bệnh phấn trắng", phi_days=7, sprayed_by=PAO), "ca-chua-1", "khu-a")  # fmt: skip
    checked = reconcile([*season(), spray], lots(), site())
    assert [m.kind for m in checked.mismatches] == [MismatchKind.WITHIN_PHI]
    said = checked.mismatches[0].said("vi")
    assert "Lô CC1-261205" in said and "Nhà màng cà chua 1 · Khu A" in said
    assert "thời gian cách ly của Anvil 5SC (được thu hoạch từ 08/12/2026)" in said
    assert "Tomato house 1 · Zone A" in checked.mismatches[0].said("en")
    # The other zone, or a spraying after the harvest, holds nothing back.
    assert kinds([*season(), spray.model_copy(update={"zone": "khu-b"})]) == []
    assert kinds([*season(), spray.model_copy(update={"day": d(12, 6)})]) == []


def test_a_lot_packed_or_sold_beyond_its_harvest() -> None:
    packed = entry(
        "pack-c1-more", d(12, 9), Packing(lot="CC1-261205", packed_kg=15, packages=30, packaging="Túi 500 g")
    )
    sold = entry("sale-c1-more", d(12, 11), Sale(lot="CC1-261205", quantity_kg=25, buyer="Chợ Mộc Châu"))
    checked = reconcile([*season(), packed, sold], lots(), site())
    assert [(m.kind, m.day) for m in checked.mismatches] == [
        (MismatchKind.PACKED_OVER, d(12, 9)),
        (MismatchKind.SOLD_OVER, d(12, 11)),
    ]
    assert (
        checked.mismatches[1].said("vi")
        == "Lô CC1-261205: đến ngày 11/12/2026 đã bán 125 kg, nhiều hơn 120 kg thu hoạch"
    )


def test_a_sale_or_packing_of_a_lot_never_harvested() -> None:
    sold = entry("sale-ghost", d(12, 20), Sale(lot="CC9-261220", quantity_kg=30, buyer="Chợ Mộc Châu"))
    packed = entry(
        "pack-ghost", d(12, 19), Packing(lot="CC9-261220", packed_kg=30, packages=3, packaging="Thùng 10 kg")
    )
    assert kinds([*season(), sold, packed]) == [MismatchKind.PACKED_UNHARVESTED, MismatchKind.SOLD_UNHARVESTED]
    # A lot the gateway made from a harvest recorded before these entries is stock, not a ghost.
    earlier = Lot(code="CC9-261220", greenhouse="ca-chua-2", zone="khu-b", crop="Cà chua", harvested_on=d(10, 30),
                  quantity_kg=40, entry="harvest-october", made_at=datetime(2026, 10, 30, tzinfo=UTC))  # fmt: skip
    assert reconcile([*season(), sold], [*lots(), earlier], site()).mismatches == []


def test_the_reconciliation_reads_the_corrected_weight() -> None:
    # 82 kg of lot CC2 sold: more than the 80 kg first weighed, within the 85.5 kg of the correction.
    assert kinds(season()) == []
    uncorrected = [e for e in season() if e.id != "harvest-c2-fix"]
    assert kinds(uncorrected) == [MismatchKind.SOLD_OVER]


def test_a_corrected_harvest_without_its_own_lot_code_keeps_the_lot_of_the_one_it_corrects() -> None:
    entries = [e for e in season() if e.id != "harvest-c2-fix"]
    fix = entry("harvest-c2-fix", d(12, 6), Harvest(crop="Cà chua", quantity_kg=85.5), "ca-chua-2", "khu-a",
                by=HOA, at=CORRECTED_AT, corrects="harvest-c2", why="Cân lại ở nhà sơ chế")  # fmt: skip
    first = entries[[e.id for e in entries].index("harvest-c2")]
    uncoded = first.model_copy(update={"detail": Harvest(crop="Cà chua", quantity_kg=80)})  # the lot is the gateway's
    entries = [uncoded if e.id == "harvest-c2" else e for e in entries]
    assert kinds([*entries, fix]) == []
    rows = form(dossier([*entries, fix]), Form.HARVEST).rows
    assert [r.cells[2] for r in rows] == ["CC1-261205", "CC2-261206", "CC2-261206"]


# --- corrections ----------------------------------------------------------------------------------------------------


def test_a_correction_keeps_the_original_in_the_form_struck_and_says_who_when_why() -> None:
    harvest = form(dossier(), Form.HARVEST)
    kg = column(harvest, "Khối lượng (kg)")
    assert [(r.cells[kg], r.status, r.correction) for r in harvest.rows] == [
        (120, RowStatus.CURRENT, False),
        (80, RowStatus.CORRECTED, False),
        (85.5, RowStatus.CURRENT, True),
    ]
    struck, fix = harvest.rows[1], harvest.rows[2]
    assert struck.note == f"Đã sửa lúc 07/12/2026 09:15, người sửa: {HOA}. Lý do: Cân lại ở nhà sơ chế"
    assert fix.follows_original and fix.note == "Sửa mục ghi ngày 06/12/2026."
    english = form(dossier(lang="en"), Form.HARVEST).rows[1].note
    assert english == f"Corrected on 7 Dec 2026 09:15 by {HOA}. Why: Cân lại ở nhà sơ chế"
    assert [e.id for e in effective(season()) if e.id.startswith("harvest-c2")] == ["harvest-c2-fix"]


def test_a_chain_of_corrections_ends_in_one_current_entry_under_its_originals() -> None:
    again = entry("harvest-c2-fix2", d(12, 6), Harvest(lot="CC2-261206", crop="Cà chua", quantity_kg=86), "ca-chua-2",
                  "khu-a", by=PAO, at=CORRECTED_AT + timedelta(hours=3), corrects="harvest-c2-fix",
                  why="Thiếu một thùng")  # fmt: skip
    # A second correction naming the first entry again replaces the newest word on it, not the first entry twice.
    also = again.model_copy(update={"id": "harvest-c2-fix3", "corrects": "harvest-c2",
                                    "recorded_at": CORRECTED_AT + timedelta(hours=5),
                                    "detail": Harvest(lot="CC2-261206", crop="Cà chua", quantity_kg=87)})  # fmt: skip
    entries = [*season(), also, again]
    current = [e.id for e in effective(entries) if e.id.startswith("harvest-c2")]
    assert current == ["harvest-c2-fix3"]
    rows = form(dossier(entries), Form.HARVEST).rows
    assert [(r.cells[4], r.status) for r in rows[1:]] == [
        (80, RowStatus.CORRECTED),
        (85.5, RowStatus.CORRECTED),
        (86, RowStatus.CORRECTED),
        (87, RowStatus.CURRENT),
    ]
    assert all(r.follows_original for r in rows[2:])
    assert "Thiếu một thùng" in rows[2].note
    by_lot = {b.lot: b for b in reconcile(entries, lots(), site()).lots}
    assert by_lot["CC2-261206"].harvested_kg == 87


def test_a_correction_into_another_form_is_pointed_to() -> None:
    wrong = entry("wrong-form", d(11, 12), Fertiliser(
        product="Anvil 5SC", dose=Quantity(value=100, unit=Unit.ML), method="Phun"), "ca-chua-2", "khu-b")  # fmt: skip
    right = entry("wrong-form-fix", d(11, 12), Protection(
        product="Anvil 5SC", active_ingredient="Hexaconazole", dose=Quantity(value=100, unit=Unit.ML), water_l=100,
        target_pest="Bệnh phấn trắng", phi_days=7, sprayed_by=PAO), "ca-chua-2", "khu-b",
        at=datetime(2026, 11, 13, tzinfo=UTC), corrects="wrong-form", why="Ghi nhầm biểu")  # fmt: skip
    doc = dossier([*season(), wrong, right])
    struck = [r for r in form(doc, Form.FERTILISER).rows if r.status is RowStatus.CORRECTED]
    assert len(struck) == 1 and "«Nhật ký sử dụng thuốc bảo vệ thực vật»" in struck[0].note
    fix = next(r for r in form(doc, Form.PROTECTION).rows if r.correction)
    assert not fix.follows_original and fix.note == "Sửa mục ghi ngày 12/11/2026."


# --- the forms ----------------------------------------------------------------------------------------------------


def test_the_forms_say_where_each_row_comes_from_with_the_site_s_names() -> None:
    doc = dossier()
    irrigation = form(doc, Form.IRRIGATION)
    source, place = column(irrigation, "Nguồn"), column(irrigation, "Nhà màng · khu")
    assert {r.cells[source] for r in irrigation.rows} == {"từ cảm biến"}
    assert [r.cells[place] for r in irrigation.rows] == [
        "Nhà màng cà chua 1 · Khu A",
        "Nhà màng cà chua 2 · Khu A",
        "Nhà màng cà chua 2 · Khu A",
    ]
    assert all(r.sensor for r in irrigation.rows)
    planting = form(doc, Form.PLANTING)
    assert {r.cells[column(planting, "Nguồn")] for r in planting.rows} == {"nhập tay"}
    climate = form(dossier(lang="en"), Form.CLIMATE)
    frost = next(r for r in climate.rows if r.cells[column(climate, "Frost protection run")])
    assert frost.cells[column(climate, "Frost protection run")] == "Heater 150 min"
    assert frost.cells[column(climate, "Source")] == "from sensors"
    purchases = form(doc, Form.PURCHASES)
    assert purchases.rows[0].cells[column(purchases, "Nhà màng · khu")] == "Toàn trại"


def test_the_protection_form_says_the_interval_and_the_day_a_harvest_became_allowed() -> None:
    protection = form(dossier(), Form.PROTECTION)
    row = protection.rows[0]
    assert row.cells[column(protection, "Thời gian cách ly (ngày)")] == 7
    assert row.cells[column(protection, "Được thu hoạch từ")] == d(12, 2)
    assert row.cells[column(protection, "Lượng thuốc")] == Quantity(value=250, unit=Unit.ML)


def test_every_entry_of_the_period_is_in_one_form_and_only_the_period_s() -> None:
    before = entry("old-sale", d(10, 20), Sale(lot="CC0-261020", quantity_kg=5, buyer="Chợ"))
    doc = dossier([*season(), before])
    assert sum(len(t.rows) for t in doc.forms) == len(season())
    assert [r.cells[0] for r in form(doc, Form.SALE).rows] == [d(12, 8), d(12, 10)]


# --- the CSV export -------------------------------------------------------------------------------------------------


def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rows_of(data: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def test_the_csv_zip_has_one_file_per_form_with_a_bom_and_vietnamese_heads() -> None:
    files = read_zip(dossier_zip(dossier()))
    assert list(files)[:3] == ["00-sai-lech.csv", "01-can-doi-lo.csv", "02-can-doi-vat-tu.csv"]
    assert "10-thu-hoach.csv" in files and "06-su-dung-thuoc-bvtv.csv" in files
    assert len(files) == 3 + len(Form)
    assert all(data.startswith(b"\xef\xbb\xbf") for data in files.values())
    harvest = rows_of(files["10-thu-hoach.csv"], ";")
    assert harvest[0] == [
        "Ngày", "Nhà màng · khu", "Mã lô", "Cây trồng", "Khối lượng (kg)", "Người ghi", "Nguồn", "Tình trạng",
        "Ghi chú sửa chữa",
    ]  # fmt: skip
    assert harvest[2][:5] == ["06/12/2026", "Nhà màng cà chua 2 · Khu A", "CC2-261206", "Cà chua", "80"]
    assert harvest[2][7] == "Đã được sửa" and "Cân lại ở nhà sơ chế" in harvest[2][8]
    assert harvest[3][4] == "85,5" and harvest[3][7] == "Hiện hành"  # the decimal comma a Vietnamese Excel reads


def test_the_csv_splits_a_quantity_into_a_number_and_its_unit() -> None:
    files = read_zip(dossier_zip(dossier()))
    purchases = rows_of(files["04-mua-vat-tu.csv"], ";")
    heads = purchases[0]
    assert heads[5:7] == ["Số lượng", "Số lượng (đơn vị)"]
    anvil = next(r for r in purchases if "Anvil 5SC" in r)
    assert anvil[5:8] == ["1", "lít", "31/12/2027"]
    irrigation = rows_of(files["07-tuoi-nuoc.csv"], ";")
    assert irrigation[1][2:4] == ["1250,5", "4"]  # no thousands mark: Excel would take 1.250,5 for text elsewhere


def test_the_csv_mismatches_and_english_export() -> None:
    sold = entry("sale-ghost", d(12, 20), Sale(lot="CC9-261220", quantity_kg=30, buyer="Chợ Mộc Châu"))
    vi = rows_of(read_zip(dossier_zip(dossier([*season(), sold])))["00-sai-lech.csv"], ";")
    assert vi == [
        ["Ngày", "Sai lệch", "Chi tiết"],
        [
            "20/12/2026",
            "Bán lô không có thu hoạch",
            "Lô CC9-261220 được bán ngày 20/12/2026 nhưng không có ghi chép thu hoạch lô này",
        ],
    ]
    en = read_zip(dossier_zip(dossier([*season(), sold], lang="en")))
    assert rows_of(en["00-mismatches.csv"], ",")[1][:2] == ["20 Dec 2026", "Sold lot with no harvest"]
    lots_en = rows_of(en["01-lot-balance.csv"], ",")
    assert lots_en[0][-1] == "Remaining (kg)"
    assert next(r for r in lots_en if r[0] == "CC2-261206")[4:] == ["85.5", "0", "82", "3.5"]


def test_the_csv_writes_each_letter_in_one_piece() -> None:
    # A keyboard that sends the tone marks as characters of their own: Excel's search and sort want them composed.
    typed = unicodedata.normalize("NFD", "Lá già bị vàng")
    note = entry("watch-c2-leaves", d(11, 22), Observation(note=typed), "ca-chua-2", "khu-a")
    watch = rows_of(read_zip(dossier_zip(dossier([*season(), note])))["09-theo-doi-sau-benh.csv"], ";")
    assert watch[2][4] == unicodedata.normalize("NFC", typed) != typed
