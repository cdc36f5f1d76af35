"""Each gap of the record book is told when the record is missing, and not once it exists, whether typed as it is
or set right by a correction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from contract.diary import (
    Detail,
    Entry,
    EntryKind,
    Fertigation,
    Fertiliser,
    FrostNight,
    InputCategory,
    InputPurchase,
    Irrigation,
    NewEntry,
    Planting,
    Protection,
    Quantity,
    Source,
    Unit,
    WaterTest,
)
from contract.site import SiteConfig
from contract.site_file import load_site
from gateway.diary.drafts import draft_id
from gateway.diary.missing import (
    Gap,
    NoFertiliser,
    NoPlanting,
    NoWaterTest,
    Place,
    UnboughtProduct,
    UnconfirmedDrafts,
    missing_records,
)
from tests.conftest import EXAMPLE_SITE

TODAY = date(2026, 12, 10)
HOUSES = ("ca-chua-1", "ca-chua-2", "rau-la-1")


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_site(EXAMPLE_SITE)


def entry(
    entry_id: str,
    days_ago: int,
    detail: Detail,
    greenhouse: str | None = "ca-chua-1",
    corrects: str | None = None,
) -> Entry:
    zone = "khu-a" if detail.kind in (EntryKind.PLANTING, EntryKind.FERTILISER, EntryKind.PROTECTION) else None
    return Entry(
        id=entry_id,
        day=TODAY - timedelta(days=days_ago),
        greenhouse=greenhouse,
        zone=zone if greenhouse else None,
        detail=detail,
        corrects=corrects,
        why="ghi nhầm" if corrects else None,
        recorded_by="Chị Lan",
        recorded_at=datetime(2026, 12, 10, 8, tzinfo=UTC),
    )


def planting() -> Planting:
    return Planting(crop="cà chua", variety="Savior", seed_source="HTX", area_m2=250)


def fertiliser() -> Fertiliser:
    return Fertiliser(product="NPK 16-16-8", dose=Quantity(value=5, unit=Unit.KG), method="bón gốc")


def water_test() -> WaterTest:
    return WaterTest(laboratory="Trung tâm Quan trắc Sơn La", passed=True)


def spray(product: str = "Radiant 60SC") -> Protection:
    return Protection(
        product=product,
        active_ingredient="Spinetoram",
        dose=Quantity(value=20, unit=Unit.ML),
        water_l=16,
        target_pest="bọ trĩ",
        phi_days=3,
        sprayed_by="Anh Tuấn",
    )


def bought(product: str = "Radiant 60SC") -> InputPurchase:
    return InputPurchase(
        category=InputCategory.PROTECTION,
        product=product,
        supplier="Đại lý Vật tư Mộc Châu",
        quantity=Quantity(value=2, unit=Unit.PACKAGE),
    )


def complete_book() -> list[Entry]:
    """Every record the gaps ask for."""
    book = []
    for n, gh in enumerate(HOUSES):
        book += [entry(f"plant-{gh}", 60, planting(), gh), entry(f"fert-{gh}", 10 + n, fertiliser(), gh)]
    return [
        *book,
        entry("water-test-1", 90, water_test(), greenhouse=None),
        entry("buy-radiant", 20, bought(), greenhouse=None),
        entry("spray-radiant", 12, spray()),
    ]


def without(book: list[Entry], *ids: str) -> list[Entry]:
    return [e for e in book if e.id not in ids]


def place(site: SiteConfig, gh: str) -> Place:
    return Place.of(site.greenhouse(gh))


def gaps(book: list[Entry], site: SiteConfig, pending: list[NewEntry] | None = None) -> list[Gap]:
    return missing_records(book, pending or [], site, TODAY)


def test_a_complete_book_has_no_gap(site: SiteConfig) -> None:
    assert gaps(complete_book(), site) == []


def test_a_greenhouse_with_no_planting(site: SiteConfig) -> None:
    found = gaps(without(complete_book(), "plant-rau-la-1"), site)
    assert found == [NoPlanting(place=place(site, "rau-la-1"))]
    assert found[0].said("vi") == "Nhà màng rau ăn lá 1: chưa ghi gieo trồng"
    assert found[0].said("en") == "Leafy greens house 1: no planting recorded"


def test_a_planting_recorded_in_the_wrong_house_and_corrected(site: SiteConfig) -> None:
    book = without(complete_book(), "plant-rau-la-1")
    # Typed under tomato house 2 by mistake, then set right: it is rau-la-1's planting, and house 2 still has its own.
    book += [
        entry("plant-typo", 8, planting(), "ca-chua-2"),
        entry("plant-right", 7, planting(), "rau-la-1", corrects="plant-typo"),
    ]
    assert gaps(book, site) == []
    # Corrected the other way round, the planting leaves rau-la-1 for tomato house 2.
    book = without(complete_book(), "plant-rau-la-1")
    book += [
        entry("plant-first", 8, planting(), "rau-la-1"),
        entry("plant-fixed", 7, planting(), "ca-chua-2", corrects="plant-first"),
    ]
    assert gaps(book, site) == [NoPlanting(place=place(site, "rau-la-1"))]


def test_no_fertiliser_in_the_last_30_days(site: SiteConfig) -> None:
    book = without(complete_book(), "fert-ca-chua-2")
    found = gaps([*book, entry("fert-old-one", 31, fertiliser(), "ca-chua-2")], site)
    assert found == [NoFertiliser(place=place(site, "ca-chua-2"))]
    assert found[0].said("vi") == "Nhà màng cà chua 2: chưa ghi phân bón 30 ngày qua"
    assert found[0].said("en") == "Tomato house 2: no fertiliser recorded in the last 30 days"
    assert gaps([*book, entry("fert-30-days", 30, fertiliser(), "ca-chua-2")], site) == []
    # Fertiliser through the drip line counts as fertiliser.
    fertigation = Fertigation(product="Yara Kristalon", dose=Quantity(value=1, unit=Unit.KG), water_l=800)
    assert gaps([*book, entry("fertigation-1", 3, fertigation, "ca-chua-2")], site) == []


def test_no_fertiliser_is_asked_of_a_house_never_planted(site: SiteConfig) -> None:
    found = gaps(without(complete_book(), "plant-ca-chua-1", "fert-ca-chua-1"), site)
    assert found == [NoPlanting(place=place(site, "ca-chua-1"))]


def test_a_fertiliser_day_set_right_by_a_correction(site: SiteConfig) -> None:
    book = without(complete_book(), "fert-ca-chua-1")
    typed_old = entry("fert-wrong-day", 45, fertiliser())
    assert gaps([*book, typed_old], site) == [NoFertiliser(place=place(site, "ca-chua-1"))]
    fixed = entry("fert-right-day", 5, fertiliser(), corrects="fert-wrong-day")
    assert gaps([*book, typed_old, fixed], site) == []
    # And the other way: a recent one corrected to an old day is old.
    recent = entry("fert-recent", 5, fertiliser())
    moved = entry("fert-moved", 45, fertiliser(), corrects="fert-recent")
    assert gaps([*book, recent, moved], site) == [NoFertiliser(place=place(site, "ca-chua-1"))]


def draft(gh: str, zone: str | None, days_ago: int, detail: Irrigation | FrostNight) -> NewEntry:
    day = TODAY - timedelta(days=days_ago)
    return NewEntry(
        id=draft_id(gh, zone, day, detail.kind),
        day=day,
        greenhouse=gh,
        zone=zone,
        detail=detail,
        source=Source.SENSOR,
    )


def test_drafts_left_unconfirmed_for_more_than_3_days(site: SiteConfig) -> None:
    water = Irrigation(water_l=500, runs=2, open_min=20)
    frost = FrostNight(min_air_temp_c=1.2, hours_below=3, watch_temp_c=2)
    pending = [draft("ca-chua-1", zone, ago, water) for ago in (3, 4, 5, 6) for zone in ("khu-a", "khu-b")]
    pending += [draft("ca-chua-1", None, 9, frost), draft("rau-la-1", "khu-a", 2, water)]
    found = gaps(complete_book(), site, pending)
    # Three days of watering (two zones each) older than 3 days, and one frost night; the recent ones may wait.
    assert found == [
        UnconfirmedDrafts(
            place=place(site, "ca-chua-1"), drafted=EntryKind.IRRIGATION, days=3, since=date(2026, 12, 4)
        ),
        UnconfirmedDrafts(
            place=place(site, "ca-chua-1"), drafted=EntryKind.FROST_NIGHT, days=1, since=date(2026, 12, 1)
        ),
    ]
    assert found[0].said("vi") == "Nhà màng cà chua 1: 3 ngày tưới chưa xác nhận, từ 04/12/2026"
    assert found[0].said("en") == "Tomato house 1: 3 days of watering not confirmed, since 4 Dec 2026"
    assert found[1].said("en") == "Tomato house 1: 1 frost night not confirmed, since 1 Dec 2026"
    # Confirming stores a draft under its id: confirmed days are no longer counted.
    confirmed = [
        Entry(**d.model_dump(), recorded_by="Chị Lan", recorded_at=datetime(2026, 12, 10, 9, tzinfo=UTC))
        for d in pending
        if d.detail.kind is EntryKind.IRRIGATION and d.day <= date(2026, 12, 5)
    ]
    found = gaps([*complete_book(), *confirmed], site, pending)
    assert [(g.drafted, g.days) for g in found if isinstance(g, UnconfirmedDrafts)] == [
        (EntryKind.IRRIGATION, 1),
        (EntryKind.FROST_NIGHT, 1),
    ]


def test_no_water_test_in_the_last_12_months(site: SiteConfig) -> None:
    book = without(complete_book(), "water-test-1")
    found = gaps(book, site)
    assert found == [NoWaterTest()]
    assert found[0].said("vi") == "Chưa ghi kiểm tra nước tưới 12 tháng qua"
    assert found[0].said("en") == "No water test recorded in the last 12 months"
    assert gaps([*book, entry("water-test-13-months", 396, water_test(), None)], site) == [NoWaterTest()]
    assert gaps([*book, entry("water-test-11-months", 335, water_test(), None)], site) == []
    # A test of one house's own well counts too.
    assert gaps([*book, entry("water-test-house", 20, water_test(), "rau-la-1")], site) == []
    # The lab's date typed a year wrong, then corrected.
    typo = entry("water-test-typo", 400, water_test(), None)
    assert (
        gaps([*book, typo, entry("water-test-fixed", 35, water_test(), None, corrects="water-test-typo")], site) == []
    )


def test_a_product_sprayed_but_never_bought(site: SiteConfig) -> None:
    book = without(complete_book(), "buy-radiant")
    found = gaps([*book, entry("spray-again", 2, spray())], site)
    assert found == [UnboughtProduct(product="Radiant 60SC", last_sprayed=date(2026, 12, 8))]
    assert found[0].said("vi") == "Thuốc Radiant 60SC phun ngày 08/12/2026 nhưng chưa ghi mua"
    assert found[0].said("en") == "Radiant 60SC was sprayed on 8 Dec 2026 but no purchase of it is recorded"
    # Bought as the shop's invoice spells it.
    assert gaps([*book, entry("buy-radiant-again", 30, bought("radiant  60sc"), None)], site) == []


def test_a_product_name_set_right_by_a_correction(site: SiteConfig) -> None:
    book = [*complete_book(), entry("spray-typo", 4, spray("Radiant 60CS"))]
    assert gaps(book, site) == [UnboughtProduct(product="Radiant 60CS", last_sprayed=date(2026, 12, 6))]
    fixed = entry("spray-fixed", 4, spray("Radiant 60SC"), corrects="spray-typo")
    assert gaps([*book, fixed], site) == []


def test_a_farmer_reads_names_never_ids(site: SiteConfig) -> None:
    empty_book: list[Entry] = []
    pending = [draft(gh, "khu-a", 5, Irrigation(water_l=100, runs=1, open_min=4)) for gh in HOUSES]
    found = gaps(empty_book, site, pending)
    assert {type(g) for g in found} == {NoPlanting, UnconfirmedDrafts, NoWaterTest}
    for lang in ("vi", "en"):
        for g in found:
            text = g.said(lang)
            assert not any(gh in text for gh in HOUSES), text
    assert found[0].said("vi").startswith("Nhà màng cà chua 1: ")
    assert found[0].said("en").startswith("Tomato house 1: ")
