"""The cooperative's harvest lots as an EPCIS 2.0 document (JSON-LD), for a buyer's or an auditor's traceability
system: a harvest commissions its lot (an ObjectEvent carrying the lot data and the climate the lot grew in as
sensor data), packing turns the lot's kilograms into packages (a TransformationEvent), a sale ships the lot to its
buyer (an ObjectEvent).

Identifiers:
- a lot is an LGTIN (``urn:epc:class:lgtin:…``) when the cooperative has a GS1 company prefix and a GTIN for the
  crop, otherwise the address of its public lot page; the packages carry the same identifier as their label does;
- places and parties have no GLN here, so they are addresses under the cooperative's public url; a buyer is a hash
  of its name unless the cooperative publishes names;
- an eventID is a name-based UUID (RFC 4122 version 5) of the public url and the diary entry's id: the same in
  every export, and new when an entry is corrected, since a correction is another entry. (The EPCIS event hash,
  ``ni:///sha-256;…``, is not used: it needs the standard's full canonical form of every field.)

The diary holds days, not hours: an event is placed at noon of its day in the cooperative's time zone."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Literal, TypedDict
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contract.bounds import Strict
from contract.diary import Entry, Harvest, Lot, Packing, Sale, Traceability
from contract.site import Cooperative
from contract.validation_words import Mistake
from gateway.diary.digital_link import check_gtin
from gateway.diary.effective import corrections, effective, standing
from gateway.diary.lot_story import Conditions
from gateway.diary.products import product_key

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
# Terms GS1 has no word for (a lot's packaging, VPD, DLI) live in the cooperative's own vocabulary.
OWN_PREFIX = "coop"
COUNTRY_OF_ORIGIN = "VN"  # VietGAP lots are grown in Vietnam
EVENT_HOUR = time(12)


class GrowingClimate(Strict):
    """The climate of a lot's greenhouse from its planting to its harvest, summed up by the caller from the diary's
    climate days."""

    first_day: date
    last_day: date
    min_air_temp_c: float = Field(ge=-40, le=60)
    max_air_temp_c: float = Field(ge=-40, le=60)
    mean_air_temp_c: float = Field(ge=-40, le=60)
    mean_vpd_kpa: float | None = Field(default=None, ge=0, le=10)
    mean_dli_mol_m2_d: float | None = Field(default=None, ge=0, le=100)

    @classmethod
    def of(cls, conditions: Conditions | None) -> GrowingClimate | None:
        """From a lot's growing conditions, when the controller measured its air."""
        c = conditions
        if c is None or c.min_air_temp_c is None or c.max_air_temp_c is None or c.mean_air_temp_c is None:
            return None
        return cls.model_validate(c, from_attributes=True)  # the fields of the same names

    @model_validator(mode="after")
    def _ordered(self) -> GrowingClimate:
        if self.first_day > self.last_day:
            raise Mistake("ngày đầu phải trước ngày cuối", "the first day must come before the last")
        if not self.min_air_temp_c <= self.mean_air_temp_c <= self.max_air_temp_c:
            raise Mistake(
                "nhiệt độ trung bình phải nằm giữa thấp nhất và cao nhất",
                "the mean temperature must lie between the lowest and the highest",
            )
        return self


class Action(StrEnum):
    ADD = "ADD"
    OBSERVE = "OBSERVE"


class BizStep(StrEnum):
    COMMISSIONING = "commissioning"
    PACKING = "packing"
    SHIPPING = "shipping"


class Disposition(StrEnum):
    ACTIVE = "active"
    IN_TRANSIT = "in_transit"


class MeasurementType(StrEnum):
    TEMPERATURE = "Temperature"
    VPD = f"{OWN_PREFIX}:VapourPressureDeficit"
    DLI = f"{OWN_PREFIX}:DailyLightIntegral"  # mol/m²/day: UN/ECE Rec 20 has no code for it


class _Epcis(BaseModel):
    """A part of the document: fields named as Python names them, written out under EPCIS's names."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True)


class QuantityElement(_Epcis):
    epc_class: str = Field(alias="epcClass")
    quantity: int | float
    uom: str | None = None  # UN/ECE Rec 20; none: a count of packages


class Place(_Epcis):
    id: str


class Source(_Epcis):
    type: Literal["owning_party"] = "owning_party"
    source: str


class Destination(_Epcis):
    type: Literal["owning_party"] = "owning_party"
    destination: str


class SensorMetadata(_Epcis):
    start_time: AwareDatetime = Field(alias="startTime")
    end_time: AwareDatetime = Field(alias="endTime")


class SensorReport(_Epcis):
    type: MeasurementType
    min_value: float | None = Field(default=None, alias="minValue")
    max_value: float | None = Field(default=None, alias="maxValue")
    mean_value: float = Field(alias="meanValue")
    uom: str | None = None


class SensorElement(_Epcis):
    sensor_metadata: SensorMetadata = Field(alias="sensorMetadata")
    sensor_report: list[SensorReport] = Field(alias="sensorReport")


class LotData(_Epcis):
    """Instance/lot master data (ILMD) in CBV's master data attributes."""

    lot_number: str = Field(alias="cbvmda:lotNumber")
    harvest_start: date | None = Field(default=None, alias="cbvmda:harvestStartDate")
    harvest_end: date | None = Field(default=None, alias="cbvmda:harvestEndDate")
    country_of_origin: str = Field(default=COUNTRY_OF_ORIGIN, alias="cbvmda:countryOfOrigin")
    packaging: str | None = Field(default=None, alias=f"{OWN_PREFIX}:packaging")


# Each event's fields in the order of the standard's examples: what, when, where, why.
class _Event(_Epcis):
    """What every event begins with: its type, its id and when it happened."""

    type: str
    event_id: str = Field(alias="eventID")
    event_time: AwareDatetime = Field(alias="eventTime")
    event_time_zone_offset: str = Field(alias="eventTimeZoneOffset")


class ObjectEvent(_Event):
    type: Literal["ObjectEvent"] = "ObjectEvent"
    quantity_list: list[QuantityElement] = Field(alias="quantityList")
    action: Action
    biz_step: BizStep = Field(alias="bizStep")
    disposition: Disposition
    read_point: Place = Field(alias="readPoint")
    biz_location: Place | None = Field(default=None, alias="bizLocation")
    source_list: list[Source] | None = Field(default=None, alias="sourceList")
    destination_list: list[Destination] | None = Field(default=None, alias="destinationList")
    sensor_element_list: list[SensorElement] | None = Field(default=None, alias="sensorElementList")
    ilmd: LotData | None = None


class TransformationEvent(_Event):
    type: Literal["TransformationEvent"] = "TransformationEvent"
    input_quantity_list: list[QuantityElement] = Field(alias="inputQuantityList")
    output_quantity_list: list[QuantityElement] = Field(alias="outputQuantityList")
    biz_step: BizStep = Field(alias="bizStep")
    disposition: Disposition
    read_point: Place = Field(alias="readPoint")
    biz_location: Place = Field(alias="bizLocation")
    ilmd: LotData


class EpcisBody(_Epcis):
    event_list: list[ObjectEvent | TransformationEvent] = Field(alias="eventList")


class EpcisDocument(_Epcis):
    context: list[str | dict[str, str]] = Field(alias="@context")
    type: Literal["EPCISDocument"] = "EPCISDocument"
    schema_version: Literal["2.0"] = Field(default="2.0", alias="schemaVersion")
    creation_date: AwareDatetime = Field(alias="creationDate")
    epcis_body: EpcisBody = Field(alias="epcisBody")


def epcis_document(
    lots: Sequence[Lot],
    entries: Sequence[Entry],
    cooperative: Cooperative,
    traceability: Traceability,
    climate: Mapping[str, GrowingClimate],
    made_at: datetime,
) -> dict[str, Any]:
    """The EPCIS document of ``lots`` as JSON: each lot's harvest, packing and sales as the diary holds them after
    its corrections. ``climate`` is the growing climate of a lot by its code (a lot without one has no sensor data)."""
    ids = _Ids(traceability, cooperative.tz)
    by_id = {e.id: e for e in entries}
    corrected = corrections(entries)
    events: list[ObjectEvent | TransformationEvent] = []
    lot_classes: dict[str, str] = {}  # lot code → its class identifier, from the harvest as it stands
    for lot in lots:
        if lot.entry not in by_id:
            raise ValueError(f"entry {lot.entry} is not among the diary's entries")
        entry = standing(by_id[lot.entry], corrected)
        if isinstance(entry.detail, Harvest):
            lot_classes[lot.code] = ids.lot_class(entry.detail.crop, lot.code)
            events.append(_harvest_event(lot, entry, entry.detail, lot_classes[lot.code], ids, climate.get(lot.code)))
    for entry in effective(entries):
        d = entry.detail
        if isinstance(d, Packing) and d.lot in lot_classes:
            events.append(_packing_event(entry, d, lot_classes[d.lot], ids))
        elif isinstance(d, Sale) and d.lot in lot_classes:
            events.append(_sale_event(entry, d, lot_classes[d.lot], ids))
    events.sort(key=lambda e: (e.event_time, _STEP_ORDER[e.biz_step], e.event_id))
    document = EpcisDocument(
        context=[EPCIS_CONTEXT, {OWN_PREFIX: ids.url("voc") + "/"}],
        creation_date=made_at,
        epcis_body=EpcisBody(event_list=events),
    )
    return document.model_dump(mode="json", by_alias=True, exclude_none=True)


_STEP_ORDER = {BizStep.COMMISSIONING: 0, BizStep.PACKING: 1, BizStep.SHIPPING: 2}


class _Ids:
    """The identifiers of one cooperative's document, and its event times."""

    def __init__(self, traceability: Traceability, tz: ZoneInfo) -> None:
        self.traceability = traceability
        self.tz = tz
        self.base = traceability.public_url.rstrip("/")

    def url(self, *parts: str) -> str:
        return "/".join([self.base, *(quote(p, safe="") for p in parts)])

    def lot_class(self, crop: str, lot: str) -> str:
        prefix = self.traceability.gs1_company_prefix
        gtin = self.traceability.gtins.get(crop)
        if prefix is None or gtin is None:
            return self.url("lot", lot)
        # A GTIN-14 is the indicator digit, the company prefix, the item reference and a check digit; the LGTIN
        # keeps all but the check digit. One that is not the cooperative's is refused, as on its labels.
        check_gtin(gtin, prefix, crop)
        return f"urn:epc:class:lgtin:{prefix}.{gtin[0]}{gtin[1 + len(prefix) : 13]}.{lot}"

    def place(self, greenhouse: str | None, zone: str | None = None) -> Place:
        return Place(id=self.url("place", *(p for p in (greenhouse, zone) if p is not None)))

    def buyer(self, name: str) -> str:
        if self.traceability.show_names:
            return self.url("party", name)
        # The same shop however it was typed, told apart as products are; salted with the url so that two
        # cooperatives' hashes differ.
        key = product_key(name)
        return self.url("party", "buyer-" + hashlib.sha256(f"{self.base}\n{key}".encode()).hexdigest()[:16])

    def stamp(self, entry: Entry) -> _Stamp:
        """The id and time of the event an entry makes: the fields every event begins with."""
        moment = datetime.combine(entry.day, EVENT_HOUR, self.tz)
        offset = moment.strftime("%z")  # +0700, which EPCIS writes +07:00
        return _Stamp(
            event_id=uuid.uuid5(uuid.NAMESPACE_URL, self.url("entry", entry.id)).urn,
            event_time=moment,
            event_time_zone_offset=f"{offset[:3]}:{offset[3:5]}",
        )


class _Stamp(TypedDict):
    event_id: str
    event_time: datetime
    event_time_zone_offset: str


def _harvest_event(
    lot: Lot, entry: Entry, harvest: Harvest, lot_class: str, ids: _Ids, climate: GrowingClimate | None
) -> ObjectEvent:
    return ObjectEvent(
        **ids.stamp(entry),
        action=Action.ADD,
        biz_step=BizStep.COMMISSIONING,
        disposition=Disposition.ACTIVE,
        quantity_list=[QuantityElement(epc_class=lot_class, quantity=harvest.quantity_kg, uom="KGM")],
        read_point=ids.place(entry.greenhouse, entry.zone),
        biz_location=ids.place(entry.greenhouse),
        sensor_element_list=None if climate is None else [_growing_conditions(climate, ids)],
        ilmd=LotData(lot_number=lot.code, harvest_start=entry.day, harvest_end=entry.day),
    )


def _growing_conditions(climate: GrowingClimate, ids: _Ids) -> SensorElement:
    reports = [
        SensorReport(
            type=MeasurementType.TEMPERATURE,
            min_value=climate.min_air_temp_c,
            max_value=climate.max_air_temp_c,
            mean_value=climate.mean_air_temp_c,
            uom="CEL",
        )
    ]
    if climate.mean_vpd_kpa is not None:
        reports.append(SensorReport(type=MeasurementType.VPD, mean_value=climate.mean_vpd_kpa, uom="KPA"))
    if climate.mean_dli_mol_m2_d is not None:
        reports.append(SensorReport(type=MeasurementType.DLI, mean_value=climate.mean_dli_mol_m2_d))
    return SensorElement(
        sensor_metadata=SensorMetadata(
            start_time=datetime.combine(climate.first_day, time(0), ids.tz),
            end_time=datetime.combine(climate.last_day, time(23, 59, 59), ids.tz),
        ),
        sensor_report=reports,
    )


def _packing_event(entry: Entry, packing: Packing, lot_class: str, ids: _Ids) -> TransformationEvent:
    return TransformationEvent(
        **ids.stamp(entry),
        biz_step=BizStep.PACKING,
        disposition=Disposition.ACTIVE,
        input_quantity_list=[QuantityElement(epc_class=lot_class, quantity=packing.packed_kg, uom="KGM")],
        output_quantity_list=[QuantityElement(epc_class=lot_class, quantity=packing.packages)],
        read_point=ids.place(entry.greenhouse),
        biz_location=ids.place(entry.greenhouse),
        ilmd=LotData(lot_number=packing.lot, packaging=packing.packaging),
    )


def _sale_event(entry: Entry, sale: Sale, lot_class: str, ids: _Ids) -> ObjectEvent:
    return ObjectEvent(
        **ids.stamp(entry),
        action=Action.OBSERVE,
        biz_step=BizStep.SHIPPING,
        disposition=Disposition.IN_TRANSIT,
        quantity_list=[QuantityElement(epc_class=lot_class, quantity=sale.quantity_kg, uom="KGM")],
        read_point=ids.place(entry.greenhouse),
        source_list=[Source(source=ids.base)],
        destination_list=[Destination(destination=ids.buyer(sale.buyer))],
    )
