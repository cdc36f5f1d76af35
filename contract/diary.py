"""The production diary (VietGAP record book, nhật ký sản xuất): typed entries shaped after farmOS logs — each a
kind, a day, a greenhouse (and zone where it applies), with quantities in units — plus harvest lots and the
cooperative's traceability settings. The diary is append-only: a correction is a new entry naming the one it
corrects, with who, when and why; nothing is edited or deleted (docs/diary.md)."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from contract.bounds import Strict
from contract.messages import Id
from contract.validation_words import Mistake

# A product, a supplier, a buyer, a person's name: one line a farmer types.
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
# A lot code as printed on the label and inside a GS1 Digital Link (AI 10: up to 20 characters of its set).
LOT_PATTERN = r"^[A-Z0-9][A-Z0-9-]{0,19}$"
LotCode = Annotated[str, StringConstraints(pattern=LOT_PATTERN)]
# A client's id for an entry (a UUID the phone makes before it goes offline): sent twice, stored once.
EntryId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
# A small photo of a pest or disease, JPEG as a data URL: the phone shrinks it before sending.
MAX_PHOTO_CHARS = 200_000
Photo = Annotated[
    str, StringConstraints(pattern=r"^data:image/jpeg;base64,[A-Za-z0-9+/=]+$", max_length=MAX_PHOTO_CHARS)
]


class Unit(StrEnum):
    """Units of a quantity, as farmOS names them in its quantity records."""

    KG = "kg"
    G = "g"
    L = "l"
    ML = "ml"
    M2 = "m2"
    PACKAGE = "package"  # a bag, a bottle, a sachet: as bought
    SEED = "seed"
    PLANT = "plant"


class Quantity(Strict):
    value: float = Field(ge=0, le=1_000_000)
    unit: Unit


class EntryKind(StrEnum):
    PLANTING = "planting"
    INPUT_PURCHASE = "input_purchase"
    FERTILISER = "fertiliser"
    PROTECTION = "protection"
    IRRIGATION = "irrigation"
    FERTIGATION = "fertigation"
    FROST_NIGHT = "frost_night"
    CLIMATE_DAY = "climate_day"
    OBSERVATION = "observation"
    HARVEST = "harvest"
    PACKING = "packing"
    SALE = "sale"
    WATER_TEST = "water_test"
    TRAINING = "training"
    INTERNAL_AUDIT = "internal_audit"
    DISPOSAL = "disposal"
    CLEANING = "cleaning"


class Source(StrEnum):
    """Where an entry came from: typed by a person, or drafted by the controller from what it measured and
    confirmed by a person (the dossier tells the two apart)."""

    TYPED = "typed"
    SENSOR = "sensor"


class InputCategory(StrEnum):
    SEED = "seed"
    FERTILISER = "fertiliser"
    PROTECTION = "protection"
    OTHER = "other"


class Planting(Strict):
    kind: Literal[EntryKind.PLANTING] = EntryKind.PLANTING
    crop: Label
    variety: Label
    seed_source: Label  # the seller or the cooperative's own nursery
    seed_lot: Label | None = None
    area_m2: float = Field(gt=0, le=1_000_000)
    quantity: Quantity | None = None  # seeds or plants


class InputPurchase(Strict):
    kind: Literal[EntryKind.INPUT_PURCHASE] = EntryKind.INPUT_PURCHASE
    category: InputCategory
    product: Label
    supplier: Label
    quantity: Quantity
    expiry: date | None = None
    invoice_no: Label | None = None


class Fertiliser(Strict):
    kind: Literal[EntryKind.FERTILISER] = EntryKind.FERTILISER
    product: Label
    dose: Quantity  # the amount used on the zone
    method: Label  # bón gốc, phun lá, qua hệ thống tưới…


class Protection(Strict):
    """A plant protection product sprayed: what the pre-harvest interval guard reads."""

    kind: Literal[EntryKind.PROTECTION] = EntryKind.PROTECTION
    product: Label
    active_ingredient: Label
    dose: Quantity  # product used
    water_l: float = Field(ge=0, le=100_000)
    target_pest: Label
    # The label's pre-harvest interval (thời gian cách ly): days from the spraying before a harvest is allowed.
    phi_days: int = Field(ge=0, le=365)
    sprayed_by: Label


class Irrigation(Strict):
    kind: Literal[EntryKind.IRRIGATION] = EntryKind.IRRIGATION
    # None: not known (a valve with no rated flow, no flow meter); never a made-up 0.
    water_l: float | None = Field(default=None, ge=0, le=10_000_000)
    runs: int = Field(default=0, ge=0, le=10_000)
    open_min: float = Field(default=0, ge=0, le=24 * 60)


class Fertigation(Strict):
    kind: Literal[EntryKind.FERTIGATION] = EntryKind.FERTIGATION
    product: Label
    dose: Quantity
    water_l: float = Field(ge=0, le=10_000_000)
    runs: int = Field(default=1, ge=0, le=10_000)


class ProtectionRun(Strict):
    """How long one actuator of the greenhouse (a heater, a curtain) ran to protect it on a frost night."""

    actuator: Id
    on_min: float = Field(ge=0, le=24 * 60)


class FrostNight(Strict):
    """A night the greenhouse air fell to the frost watch (the night before ``day``'s morning)."""

    kind: Literal[EntryKind.FROST_NIGHT] = EntryKind.FROST_NIGHT
    min_air_temp_c: float = Field(ge=-40, le=60)
    hours_below: float = Field(ge=0, le=24)  # hours at or below the watch temperature
    watch_temp_c: float = Field(ge=-40, le=60)
    protection: list[ProtectionRun] = Field(default_factory=list, max_length=20)  # what ran that night


class ClimateDay(Strict):
    kind: Literal[EntryKind.CLIMATE_DAY] = EntryKind.CLIMATE_DAY
    min_air_temp_c: float = Field(ge=-40, le=60)
    max_air_temp_c: float = Field(ge=-40, le=60)
    mean_vpd_kpa: float | None = Field(default=None, ge=0, le=10)
    dli_mol_m2_d: float | None = Field(default=None, ge=0, le=100)


class Observation(Strict):
    kind: Literal[EntryKind.OBSERVATION] = EntryKind.OBSERVATION
    pest: Label | None = None
    disease: Label | None = None
    note: Note = ""
    photo: Photo | None = None


class Harvest(Strict):
    kind: Literal[EntryKind.HARVEST] = EntryKind.HARVEST
    lot: LotCode | None = None  # given by the gateway as it records the harvest (a phone offline cannot know it)
    crop: Label
    quantity_kg: float = Field(gt=0, le=1_000_000)


class Packing(Strict):
    kind: Literal[EntryKind.PACKING] = EntryKind.PACKING
    lot: LotCode
    packed_kg: float = Field(gt=0, le=1_000_000)
    packages: int = Field(ge=1, le=1_000_000)
    packaging: Label  # túi 500 g, thùng 10 kg…


class Sale(Strict):
    kind: Literal[EntryKind.SALE] = EntryKind.SALE
    lot: LotCode
    quantity_kg: float = Field(gt=0, le=1_000_000)
    buyer: Label


class WaterTest(Strict):
    kind: Literal[EntryKind.WATER_TEST] = EntryKind.WATER_TEST
    laboratory: Label
    passed: bool
    note: Note = ""


class Training(Strict):
    kind: Literal[EntryKind.TRAINING] = EntryKind.TRAINING
    topic: Label
    trainer: Label
    attendees: int = Field(ge=1, le=10_000)


class InternalAudit(Strict):
    kind: Literal[EntryKind.INTERNAL_AUDIT] = EntryKind.INTERNAL_AUDIT
    auditor: Label
    findings: Note


class Disposal(Strict):
    kind: Literal[EntryKind.DISPOSAL] = EntryKind.DISPOSAL
    what: Label  # vỏ thuốc, bao bì phân bón…
    quantity: Quantity
    method: Label


class Cleaning(Strict):
    kind: Literal[EntryKind.CLEANING] = EntryKind.CLEANING
    what: Label
    method: Label


Detail = Annotated[
    Planting
    | InputPurchase
    | Fertiliser
    | Protection
    | Irrigation
    | Fertigation
    | FrostNight
    | ClimateDay
    | Observation
    | Harvest
    | Packing
    | Sale
    | WaterTest
    | Training
    | InternalAudit
    | Disposal
    | Cleaning,
    Field(discriminator="kind"),
]
# Kinds that belong to one zone of a greenhouse; the rest may be greenhouse-wide (zone left out) or farm-wide.
ZONE_KINDS = frozenset(
    {EntryKind.PLANTING, EntryKind.FERTILISER, EntryKind.PROTECTION, EntryKind.IRRIGATION, EntryKind.HARVEST}
)
# Kinds the controller drafts from what it measured.
DRAFTED_KINDS = frozenset({EntryKind.IRRIGATION, EntryKind.FERTIGATION, EntryKind.FROST_NIGHT, EntryKind.CLIMATE_DAY})


class NewEntry(Strict):
    """An entry as a phone or a command sends it: who and when are the gateway's to add."""

    id: EntryId
    day: date  # the day it happened, in the cooperative's time zone
    greenhouse: Id | None = None  # None: the whole farm (a training, a water test of the common well)
    zone: Id | None = None
    detail: Detail
    source: Source = Source.TYPED
    corrects: EntryId | None = None
    why: Note | None = None  # required with ``corrects``

    @model_validator(mode="after")
    def _consistent(self) -> NewEntry:
        if self.corrects is not None and not (self.why or "").strip():
            raise Mistake("một sửa chữa cần ghi lý do", "a correction needs a reason")
        if self.corrects is None and self.why:
            raise Mistake("lý do chỉ ghi khi sửa một mục", "a reason is given only with a correction")
        if self.zone is not None and self.greenhouse is None:
            raise Mistake("khu phải thuộc một nhà màng", "a zone belongs to a greenhouse")
        if self.detail.kind in ZONE_KINDS and self.zone is None:
            raise Mistake("mục này cần ghi khu", "this entry needs its zone")
        if self.source is Source.SENSOR and self.detail.kind not in DRAFTED_KINDS:
            raise Mistake("chỉ mục do bộ điều khiển soạn mới có nguồn cảm biến", "only drafted kinds come from sensors")
        return self


class Entry(NewEntry):
    """An entry as stored: who recorded it and when the gateway took it."""

    recorded_by: Label
    recorded_at: AwareDatetime


class ProtectionUse(Strict):
    """A plant protection product sprayed on one zone of one greenhouse."""

    greenhouse: Id
    zone: Id
    applied_on: date  # the day of the spraying, in the cooperative's time zone
    product: str = Field(min_length=1, max_length=120)  # as its label names it
    active_ingredient: str = Field(min_length=1, max_length=120)
    phi_days: int = Field(ge=0, le=365)

    @classmethod
    def of(cls, entry: NewEntry) -> ProtectionUse | None:
        """The spraying an entry records, or None for any other kind (or one not tied to a zone)."""
        d = entry.detail
        if not isinstance(d, Protection) or entry.greenhouse is None or entry.zone is None:
            return None
        return cls(
            greenhouse=entry.greenhouse,
            zone=entry.zone,
            applied_on=entry.day,
            product=d.product,
            active_ingredient=d.active_ingredient,
            phi_days=d.phi_days,
        )


class Certificate(Strict):
    """The cooperative's VietGAP certificate, as the public lot page shows it."""

    number: Label
    issued_by: Label
    valid_from: date
    valid_until: date


_GS1_PREFIX = re.compile(r"^\d{6,12}$")
_GTIN = re.compile(r"^\d{14}$")


class Traceability(Strict):
    """What the cooperative publishes about its lots (traceability.yaml in the gateway's data folder)."""

    # Where a consumer's phone reaches the public lot pages, e.g. https://htx-bac-ha.example.vn
    public_url: str = Field(default="http://127.0.0.1:8080", pattern=r"^https?://[^\s/]+(/[^\s]*)?$", max_length=200)
    # The place trace code of Circular 02/2024/TT-BKHCN (mã truy vết địa điểm): the cooperative's own, or the code
    # its province's traceability portal gave it; without one, the cooperative's id stands in.
    place_code: Label | None = None
    gs1_company_prefix: str | None = None
    gtins: dict[str, str] = Field(default_factory=dict)  # crop → GTIN-14 of its product
    certificate: Certificate | None = None
    show_names: bool = False  # the farmers' names on public pages

    @model_validator(mode="after")
    def _codes(self) -> Traceability:
        if self.gs1_company_prefix is not None and not _GS1_PREFIX.match(self.gs1_company_prefix):
            raise Mistake("mã doanh nghiệp GS1 gồm 6–12 chữ số", "a GS1 company prefix has 6 to 12 digits")
        for crop, gtin in self.gtins.items():
            if not _GTIN.match(gtin):
                raise Mistake(f"GTIN của {crop!r} gồm 14 chữ số", f"the GTIN of {crop!r} has 14 digits", crop)
        return self


class Lot(Strict):
    """A harvest lot: made by a harvest entry, labelled, published for consumers when the cooperative says so."""

    code: LotCode
    greenhouse: Id
    zone: Id
    crop: Label
    harvested_on: date
    quantity_kg: float = Field(gt=0)
    entry: EntryId  # the harvest entry that made it
    published: bool = False
    made_at: datetime
