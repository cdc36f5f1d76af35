"""The EPCIS 2.0 export of a season of one lot (planting, sprays, harvest corrected on the scale, packing, sale):
valid against GS1's published JSON Schema (vendored in epcis_schema/, checked with its formats), with the growing
climate on the harvest, the corrected weight, an LGTIN or the lot's own address, the buyer kept anonymous, and stable
event ids; a broken document is refused by the same validation."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from contract.diary import (
    Entry,
    Harvest,
    Lot,
    Packing,
    Planting,
    Protection,
    Quantity,
    Sale,
    Traceability,
    Unit,
)
from contract.site import Cooperative
from contract.validation_words import Mistake
from gateway.diary.epcis import GrowingClimate, epcis_document

SCHEMA = json.loads((Path(__file__).parent / "epcis_schema" / "EPCIS-JSON-Schema.json").read_text())
URL = "https://htx-bac-ha.example.vn"
PREFIX = "9506000"  # GS1's example company prefix, and its example GTIN-14 under it
GTIN = "09506000134352"
TOMATO = "Cà chua"
LOT = "CC1-261205-1"
BUYER = "Cửa hàng rau sạch Minh Anh"
COOPERATIVE = Cooperative(id="htx-bac-ha", timezone="Asia/Ho_Chi_Minh", latitude=22.54, longitude=104.29)
CLIMATE = GrowingClimate(
    first_day=date(2026, 9, 1),
    last_day=date(2026, 12, 5),
    min_air_temp_c=9.4,
    max_air_temp_c=31.8,
    mean_air_temp_c=19.6,
    mean_vpd_kpa=0.82,
    mean_dli_mol_m2_d=14.3,
)
MADE_AT = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)


def validator() -> Validator:
    """The validator class the schema's $schema names (draft 7), checking formats (date-time, uri) too."""
    cls = validator_for(SCHEMA)
    return cls(SCHEMA, format_checker=cls.FORMAT_CHECKER)


VALIDATOR = validator()


def entry(id: str, day: date, detail: object, zone: str | None = "a", **more: object) -> Entry:
    return Entry.model_validate(
        {
            "id": id,
            "day": day,
            "greenhouse": "ca-chua-1",
            "zone": zone,
            "detail": detail,
            "recorded_by": "Lò Thị Mai",
            "recorded_at": datetime.combine(day, datetime.min.time(), UTC),
        }
        | more
    )


def spray(id: str, day: date) -> Entry:
    detail = Protection(
        product="Ridomil Gold 68WG",
        active_ingredient="Metalaxyl-M + Mancozeb",
        dose=Quantity(value=50, unit=Unit.G),
        water_l=16,
        target_pest="sương mai",
        phi_days=7,
        sprayed_by="Lò Văn Minh",
    )
    return entry(id, day, detail)


SEASON = [
    entry(
        "planting-0001",
        date(2026, 9, 1),
        Planting(crop=TOMATO, variety="Savior", seed_source="Syngenta", area_m2=500),
    ),
    spray("spray-00001", date(2026, 10, 20)),
    spray("spray-00002", date(2026, 11, 20)),
    entry("harvest-0001", date(2026, 12, 5), Harvest(lot=LOT, crop=TOMATO, quantity_kg=120)),
    entry(
        "harvest-0002",
        date(2026, 12, 5),
        Harvest(lot=LOT, crop=TOMATO, quantity_kg=118.5),
        corrects="harvest-0001",
        why="cân lại ở nhà sơ chế",
    ),
    entry(
        "packing-0001", date(2026, 12, 6), Packing(lot=LOT, packed_kg=118, packages=236, packaging="túi 500 g"), None
    ),
    entry("sale-000001", date(2026, 12, 7), Sale(lot=LOT, quantity_kg=100, buyer=BUYER), None),
]
# The lot as the harvest made it, before the weight was corrected.
THE_LOT = Lot(
    code=LOT,
    greenhouse="ca-chua-1",
    zone="a",
    crop=TOMATO,
    harvested_on=date(2026, 12, 5),
    quantity_kg=120,
    entry="harvest-0001",
    made_at=datetime(2026, 12, 5, 2, 30, tzinfo=UTC),
)


def traceability(**changes: object) -> Traceability:
    return Traceability.model_validate({"public_url": URL} | changes)


GS1_MEMBER = traceability(gs1_company_prefix=PREFIX, gtins={TOMATO: GTIN})


def document(trace: Traceability = GS1_MEMBER, climate: dict[str, GrowingClimate] | None = None) -> dict[str, Any]:
    return epcis_document(
        [THE_LOT], SEASON, COOPERATIVE, trace, {LOT: CLIMATE} if climate is None else climate, MADE_AT
    )


def events(doc: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = doc["epcisBody"]["eventList"]
    return events


def the_event(doc: dict[str, Any], biz_step: str) -> dict[str, Any]:
    (found,) = (e for e in events(doc) if e["bizStep"] == biz_step)
    return found


def schema_errors(doc: dict[str, Any]) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(doc)]


@pytest.mark.parametrize(
    "trace", [GS1_MEMBER, traceability(), traceability(show_names=True)], ids=["lgtin", "lot-page", "names"]
)
def test_the_season_is_a_valid_epcis_2_document(trace: Traceability) -> None:
    doc = document(trace)
    assert schema_errors(doc) == []
    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    assert doc["@context"][0] == "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
    assert doc["creationDate"] == "2026-12-08T03:00:00Z"
    # harvest, packing, sale in the order they happened; planting and sprays are the diary's, not events of the lot
    assert [(e["type"], e["bizStep"]) for e in events(doc)] == [
        ("ObjectEvent", "commissioning"),
        ("TransformationEvent", "packing"),
        ("ObjectEvent", "shipping"),
    ]


def test_the_harvest_commissions_the_lot_with_its_lot_data() -> None:
    harvest = the_event(document(), "commissioning")
    assert (harvest["action"], harvest["disposition"]) == ("ADD", "active")
    assert harvest["eventTime"] == "2026-12-05T12:00:00+07:00"
    assert harvest["eventTimeZoneOffset"] == "+07:00"
    assert harvest["readPoint"] == {"id": f"{URL}/place/ca-chua-1/a"}
    assert harvest["bizLocation"] == {"id": f"{URL}/place/ca-chua-1"}
    assert harvest["ilmd"] == {
        "cbvmda:lotNumber": LOT,
        "cbvmda:harvestStartDate": "2026-12-05",
        "cbvmda:harvestEndDate": "2026-12-05",
        "cbvmda:countryOfOrigin": "VN",
    }


def test_the_harvest_carries_the_growing_climate_as_sensor_data() -> None:
    (element,) = the_event(document(), "commissioning")["sensorElementList"]
    assert element["sensorMetadata"] == {
        "startTime": "2026-09-01T00:00:00+07:00",
        "endTime": "2026-12-05T23:59:59+07:00",
    }
    assert element["sensorReport"] == [
        {"type": "Temperature", "minValue": 9.4, "maxValue": 31.8, "meanValue": 19.6, "uom": "CEL"},
        {"type": "coop:VapourPressureDeficit", "meanValue": 0.82, "uom": "KPA"},
        {"type": "coop:DailyLightIntegral", "meanValue": 14.3},
    ]
    # The cooperative's own terms are declared in the document's context, under its public URL.
    assert document()["@context"][1] == {"coop": f"{URL}/voc/"}


def test_without_vpd_or_light_the_temperature_is_reported_alone_and_without_a_climate_nothing() -> None:
    air_only = CLIMATE.model_copy(update={"mean_vpd_kpa": None, "mean_dli_mol_m2_d": None})
    (element,) = the_event(document(climate={LOT: air_only}), "commissioning")["sensorElementList"]
    assert [r["type"] for r in element["sensorReport"]] == ["Temperature"]
    bare = document(climate={})
    assert "sensorElementList" not in the_event(bare, "commissioning")
    assert schema_errors(bare) == []


def test_the_corrected_weight_is_the_one_exported_under_the_correction_s_event_id() -> None:
    doc = document()
    harvest = the_event(doc, "commissioning")
    assert harvest["quantityList"] == [
        {"epcClass": f"urn:epc:class:lgtin:{PREFIX}.013435.{LOT}", "quantity": 118.5, "uom": "KGM"}
    ]
    # the weighed-again harvest stands for the first one: one harvest event (the_event finds exactly one)
    assert [e["type"] for e in events(doc)].count("ObjectEvent") == 2  # the harvest and the sale
    without_correction = epcis_document(
        [THE_LOT], [e for e in SEASON if e.id != "harvest-0002"], COOPERATIVE, GS1_MEMBER, {}, MADE_AT
    )
    first = the_event(without_correction, "commissioning")
    assert first["quantityList"][0]["quantity"] == 120
    assert first["eventID"] != harvest["eventID"]


def test_a_lot_is_an_lgtin_for_a_gs1_member_and_its_page_address_otherwise() -> None:
    for trace, lot_class in [
        (GS1_MEMBER, f"urn:epc:class:lgtin:{PREFIX}.013435.{LOT}"),
        (traceability(), f"{URL}/lot/{LOT}"),
        (traceability(gs1_company_prefix=PREFIX), f"{URL}/lot/{LOT}"),  # a prefix, but no GTIN for tomatoes
    ]:
        doc = document(trace)
        classes = {q["epcClass"] for e in events(doc) for key in e if "uantityList" in key for q in e[key]}
        assert classes == {lot_class}


def test_a_gtin_that_is_not_the_cooperative_s_is_refused_in_both_languages() -> None:
    other = traceability(gs1_company_prefix="8930000", gtins={TOMATO: GTIN})
    with pytest.raises(Mistake) as refused:
        document(other)
    assert "8930000" in refused.value.words.vi and "8930000" in refused.value.words.en


def test_packing_turns_the_lot_s_kilograms_into_packages() -> None:
    packing = the_event(document(), "packing")
    lot_class = f"urn:epc:class:lgtin:{PREFIX}.013435.{LOT}"
    assert packing["inputQuantityList"] == [{"epcClass": lot_class, "quantity": 118, "uom": "KGM"}]
    assert packing["outputQuantityList"] == [{"epcClass": lot_class, "quantity": 236}]  # no uom: a count
    assert type(packing["outputQuantityList"][0]["quantity"]) is int
    assert packing["ilmd"]["coop:packaging"] == "túi 500 g"
    assert packing["eventTime"] == "2026-12-06T12:00:00+07:00"
    assert packing["readPoint"] == {"id": f"{URL}/place/ca-chua-1"}


def test_a_sale_ships_the_lot_to_an_anonymous_buyer_unless_names_are_shown() -> None:
    sale = the_event(document(), "shipping")
    assert (sale["action"], sale["disposition"]) == ("OBSERVE", "in_transit")
    assert sale["quantityList"][0]["quantity"] == 100
    assert sale["sourceList"] == [{"type": "owning_party", "source": URL}]
    (destination,) = sale["destinationList"]
    assert destination["type"] == "owning_party"
    assert destination["destination"].startswith(f"{URL}/party/buyer-")
    assert "Minh" not in json.dumps(document()) and "Mai" not in json.dumps(document())
    # the same shop typed another way is the same party
    retyped = [
        e.model_copy(update={"detail": Sale(lot=LOT, quantity_kg=100, buyer="  cửa hàng RAU SẠCH   minh anh")})
        if e.id == "sale-000001"
        else e
        for e in SEASON
    ]
    again = epcis_document([THE_LOT], retyped, COOPERATIVE, GS1_MEMBER, {}, MADE_AT)
    assert the_event(again, "shipping")["destinationList"] == [destination]
    named = the_event(document(traceability(show_names=True)), "shipping")["destinationList"][0]["destination"]
    assert named == f"{URL}/party/C%E1%BB%ADa%20h%C3%A0ng%20rau%20s%E1%BA%A1ch%20Minh%20Anh"


def test_event_ids_are_stable_and_distinct() -> None:
    first = [e["eventID"] for e in events(document())]
    assert first == [e["eventID"] for e in events(document())]
    assert len(set(first)) == 3
    assert all(i.startswith("urn:uuid:") for i in first)


def test_the_schema_validation_really_refuses_a_broken_document() -> None:
    good = document()

    def broken(path: list[str | int], value: object) -> dict[str, Any]:
        doc = copy.deepcopy(good)
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return doc

    assert schema_errors(broken(["epcisBody", "eventList", 0, "action"], "HARVEST"))
    assert schema_errors(broken(["epcisBody", "eventList", 0, "quantityList", 0, "uom"], "kg"))
    assert schema_errors(broken(["epcisBody", "eventList", 2, "ilmd"], {"cbvmda:lotNumber": LOT}))  # OBSERVE: no ilmd
    # formats are checked: a time that is not RFC 3339, an identifier that is not a URI
    assert schema_errors(broken(["epcisBody", "eventList", 0, "eventTime"], "05/12/2026 12:00"))
    assert schema_errors(broken(["epcisBody", "eventList", 0, "readPoint", "id"], "nhà màng 1"))
