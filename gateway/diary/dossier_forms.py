"""The record forms an auditor checks, after the annex records of TCVN 11892-1:2017: which form each kind of entry
goes in, each form's title, file name and columns, and an entry's cells in them."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from contract.diary import (
    Cleaning,
    ClimateDay,
    Disposal,
    Entry,
    EntryKind,
    Fertigation,
    Fertiliser,
    FrostNight,
    Harvest,
    InputCategory,
    InputPurchase,
    InternalAudit,
    Irrigation,
    Observation,
    Packing,
    Planting,
    Protection,
    Quantity,
    Sale,
    Source,
    Training,
    WaterTest,
)
from contract.wording import Lang, number, pick
from gateway.diary.dossier_words import Names, Words

# What one cell of a form holds: words already in the reader's language, or a value each renderer writes its way.
Cell = str | int | float | date | Quantity | None


class Form(StrEnum):
    PLANTING = "planting"
    PURCHASES = "purchases"
    FERTILISER = "fertiliser"
    PROTECTION = "protection"
    IRRIGATION = "irrigation"
    CLIMATE = "climate"
    OBSERVATION = "observation"
    HARVEST = "harvest"
    PACKING = "packing"
    SALE = "sale"
    WATER_TEST = "water_test"
    TRAINING = "training"
    INTERNAL_AUDIT = "internal_audit"
    DISPOSAL = "disposal"
    CLEANING = "cleaning"


_FORM_OF: dict[EntryKind, Form] = {
    EntryKind.PLANTING: Form.PLANTING,
    EntryKind.INPUT_PURCHASE: Form.PURCHASES,
    EntryKind.FERTILISER: Form.FERTILISER,
    EntryKind.PROTECTION: Form.PROTECTION,
    EntryKind.IRRIGATION: Form.IRRIGATION,
    EntryKind.FERTIGATION: Form.IRRIGATION,
    EntryKind.FROST_NIGHT: Form.CLIMATE,
    EntryKind.CLIMATE_DAY: Form.CLIMATE,
    EntryKind.OBSERVATION: Form.OBSERVATION,
    EntryKind.HARVEST: Form.HARVEST,
    EntryKind.PACKING: Form.PACKING,
    EntryKind.SALE: Form.SALE,
    EntryKind.WATER_TEST: Form.WATER_TEST,
    EntryKind.TRAINING: Form.TRAINING,
    EntryKind.INTERNAL_AUDIT: Form.INTERNAL_AUDIT,
    EntryKind.DISPOSAL: Form.DISPOSAL,
    EntryKind.CLEANING: Form.CLEANING,
}


def form_of(kind: EntryKind) -> Form:
    return _FORM_OF[kind]


class Col(NamedTuple):
    head: Words
    quantity: bool = False  # a value with its unit: one cell in the PDF, two columns in a spreadsheet


class Spec(NamedTuple):
    title: Words
    slug: Words  # the file's name in the export, without diacritics so that every unzip tool keeps it
    columns: tuple[Col, ...]  # the form's own, between the day and place columns and the recorder and source ones

    @property
    def all_columns(self) -> tuple[Col, ...]:
        return (*_LEADING, *self.columns, *_TRAILING)


# Every form's row begins and ends alike: when and where, then who recorded it and how.
_LEADING = (Col(("Ngày", "Day")), Col(("Nhà màng · khu", "Greenhouse · zone")))
_TRAILING = (Col(("Người ghi", "Recorded by")), Col(("Nguồn", "Source")))
SPECS: dict[Form, Spec] = {
    Form.PLANTING: Spec(
        ("Nhật ký gieo trồng và giống", "Planting and seed"),
        ("gieo-trong", "planting"),
        (
            Col(("Cây trồng", "Crop")),
            Col(("Giống", "Variety")),
            Col(("Nguồn giống", "Seed source")),
            Col(("Lô giống", "Seed lot")),
            Col(("Diện tích (m²)", "Area (m²)")),
            Col(("Số lượng", "Quantity"), quantity=True),
        ),
    ),
    Form.PURCHASES: Spec(
        ("Nhật ký mua vật tư đầu vào", "Input purchases"),
        ("mua-vat-tu", "input-purchases"),
        (
            Col(("Loại", "Category")),
            Col(("Tên vật tư", "Product")),
            Col(("Nơi mua", "Supplier")),
            Col(("Số lượng", "Quantity"), quantity=True),
            Col(("Hạn sử dụng", "Expiry")),
            Col(("Số hóa đơn", "Invoice no.")),
        ),
    ),
    Form.FERTILISER: Spec(
        ("Nhật ký sử dụng phân bón", "Fertiliser use"),
        ("su-dung-phan-bon", "fertiliser-use"),
        (
            Col(("Tên phân bón", "Fertiliser")),
            Col(("Lượng dùng", "Amount"), quantity=True),
            Col(("Cách bón", "Method")),
        ),
    ),
    Form.PROTECTION: Spec(
        ("Nhật ký sử dụng thuốc bảo vệ thực vật", "Plant protection use"),
        ("su-dung-thuoc-bvtv", "plant-protection-use"),
        (
            Col(("Tên thuốc", "Product")),
            Col(("Hoạt chất", "Active ingredient")),
            Col(("Lượng thuốc", "Amount"), quantity=True),
            Col(("Lượng nước (lít)", "Water (l)")),
            Col(("Sâu bệnh cần trừ", "Target pest")),
            Col(("Thời gian cách ly (ngày)", "Pre-harvest interval (days)")),
            Col(("Được thu hoạch từ", "Harvest allowed from")),
            Col(("Người phun", "Sprayed by")),
        ),
    ),
    Form.IRRIGATION: Spec(
        ("Nhật ký tưới nước và bón phân qua tưới", "Irrigation and fertigation"),
        ("tuoi-nuoc", "irrigation"),
        (
            Col(("Lượng nước (lít)", "Water (l)")),
            Col(("Số lần tưới", "Runs")),
            Col(("Thời gian mở van (phút)", "Valve open (min)")),
            Col(("Phân bón qua tưới", "Fertiliser in the water")),
            Col(("Lượng phân", "Fertiliser amount"), quantity=True),
        ),
    ),
    Form.CLIMATE: Spec(
        ("Đêm rét và khí hậu trong nhà màng", "Frost nights and climate days"),
        ("khi-hau", "climate"),
        (
            Col(("Loại ghi chép", "Record")),
            Col(("Nhiệt độ thấp nhất (°C)", "Lowest air temp. (°C)")),
            Col(("Nhiệt độ cao nhất (°C)", "Highest air temp. (°C)")),
            Col(("Số giờ dưới ngưỡng rét", "Hours below the frost watch")),
            Col(("Ngưỡng rét (°C)", "Frost watch (°C)")),
            Col(("VPD trung bình (kPa)", "Mean VPD (kPa)")),
            Col(("Tổng ánh sáng (mol/m²/ngày)", "Daily light (mol/m²/day)")),
            Col(("Thiết bị chống rét đã chạy", "Frost protection run")),
        ),
    ),
    Form.OBSERVATION: Spec(
        ("Theo dõi sâu bệnh", "Pest and disease watch"),
        ("theo-doi-sau-benh", "pest-watch"),
        (
            Col(("Sâu hại", "Pest")),
            Col(("Bệnh", "Disease")),
            Col(("Ghi chú", "Note")),
            Col(("Ảnh", "Photo")),
        ),
    ),
    Form.HARVEST: Spec(
        ("Nhật ký thu hoạch", "Harvest"),
        ("thu-hoach", "harvest"),
        (Col(("Mã lô", "Lot")), Col(("Cây trồng", "Crop")), Col(("Khối lượng (kg)", "Weight (kg)"))),
    ),
    Form.PACKING: Spec(
        ("Nhật ký sơ chế, đóng gói", "Packing"),
        ("dong-goi", "packing"),
        (
            Col(("Mã lô", "Lot")),
            Col(("Khối lượng đóng gói (kg)", "Packed (kg)")),
            Col(("Số kiện", "Packages")),
            Col(("Bao bì", "Packaging")),
        ),
    ),
    Form.SALE: Spec(
        ("Nhật ký bán sản phẩm", "Sales"),
        ("ban-san-pham", "sales"),
        (Col(("Mã lô", "Lot")), Col(("Khối lượng (kg)", "Weight (kg)")), Col(("Người mua", "Buyer"))),
    ),
    Form.WATER_TEST: Spec(
        ("Kết quả kiểm nghiệm nước", "Water tests"),
        ("kiem-nghiem-nuoc", "water-tests"),
        (Col(("Phòng kiểm nghiệm", "Laboratory")), Col(("Kết quả", "Result")), Col(("Ghi chú", "Note"))),
    ),
    Form.TRAINING: Spec(
        ("Tập huấn", "Training"),
        ("tap-huan", "training"),
        (Col(("Nội dung", "Topic")), Col(("Người hướng dẫn", "Trainer")), Col(("Số người dự", "Attendees"))),
    ),
    Form.INTERNAL_AUDIT: Spec(
        ("Tự kiểm tra nội bộ", "Internal audits"),
        ("kiem-tra-noi-bo", "internal-audits"),
        (Col(("Người kiểm tra", "Auditor")), Col(("Kết quả kiểm tra", "Findings"))),
    ),
    Form.DISPOSAL: Spec(
        ("Thu gom, xử lý chất thải", "Waste disposal"),
        ("xu-ly-chat-thai", "waste-disposal"),
        (
            Col(("Chất thải", "Waste")),
            Col(("Số lượng", "Quantity"), quantity=True),
            Col(("Cách xử lý", "Method")),
        ),
    ),
    Form.CLEANING: Spec(
        ("Vệ sinh nhà xưởng, dụng cụ", "Cleaning"),
        ("ve-sinh", "cleaning"),
        (Col(("Vệ sinh", "What")), Col(("Cách làm", "Method"))),
    ),
}
_SOURCE_WORDS: dict[Source, Words] = {
    Source.TYPED: ("nhập tay", "typed"),
    Source.SENSOR: ("từ cảm biến", "from sensors"),
}
_CATEGORY_WORDS: dict[InputCategory, Words] = {
    InputCategory.SEED: ("Giống", "Seed"),
    InputCategory.FERTILISER: ("Phân bón", "Fertiliser"),
    InputCategory.PROTECTION: ("Thuốc bảo vệ thực vật", "Plant protection"),
    InputCategory.OTHER: ("Khác", "Other"),
}


def entry_cells(e: Entry, names: Names, codes: dict[str, str], lang: Lang) -> list[Cell]:
    """An entry's row of its form, in the columns' order; ``codes`` gives a harvest entry's lot."""
    return [
        e.day,
        names.place(e.greenhouse, e.zone, lang),
        *_own_cells(e, names, codes, lang),
        e.recorded_by,
        pick(_SOURCE_WORDS[e.source], lang),
    ]


def _own_cells(e: Entry, names: Names, codes: dict[str, str], lang: Lang) -> list[Cell]:
    """The form's own cells of one entry, in its columns' order."""
    d = e.detail
    match d:
        case Planting():
            return [d.crop, d.variety, d.seed_source, d.seed_lot, d.area_m2, d.quantity]
        case InputPurchase():
            category = pick(_CATEGORY_WORDS[d.category], lang)
            return [category, d.product, d.supplier, d.quantity, d.expiry, d.invoice_no]
        case Fertiliser():
            return [d.product, d.dose, d.method]
        case Protection():
            allowed = e.day + timedelta(days=d.phi_days)
            return [d.product, d.active_ingredient, d.dose, d.water_l, d.target_pest, d.phi_days, allowed, d.sprayed_by]
        case Irrigation():
            return [d.water_l, d.runs, d.open_min, None, None]
        case Fertigation():
            return [d.water_l, d.runs, None, d.product, d.dose]
        case FrostNight():
            runs = "; ".join(
                f"{names.actuator(e.greenhouse, run.actuator, lang)} {number(run.on_min, 0, lang)} "
                + pick(("phút", "min"), lang)
                for run in d.protection
            )
            record = pick(("Đêm rét (đêm trước)", "Frost night (night before)"), lang)
            return [record, d.min_air_temp_c, None, d.hours_below, d.watch_temp_c, None, None, runs or None]
        case ClimateDay():
            record = pick(("Khí hậu ngày", "Day climate"), lang)
            return [record, d.min_air_temp_c, d.max_air_temp_c, None, None, d.mean_vpd_kpa, d.dli_mol_m2_d, None]
        case Observation():
            return [d.pest, d.disease, d.note or None, pick(("có ảnh", "photo taken"), lang) if d.photo else None]
        case Harvest():
            return [codes.get(e.id), d.crop, d.quantity_kg]
        case Packing():
            return [d.lot, d.packed_kg, d.packages, d.packaging]
        case Sale():
            return [d.lot, d.quantity_kg, d.buyer]
        case WaterTest():
            return [
                d.laboratory,
                pick(("Đạt", "Passed") if d.passed else ("Không đạt", "Failed"), lang),
                d.note or None,
            ]
        case Training():
            return [d.topic, d.trainer, d.attendees]
        case InternalAudit():
            return [d.auditor, d.findings]
        case Disposal():
            return [d.what, d.quantity, d.method]
        case Cleaning():
            return [d.what, d.method]
