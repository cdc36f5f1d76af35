"""The record book on its real SQLite store: append-only (the database itself refuses a change), an entry sent twice
stored once, corrections beside their originals, the pre-harvest interval guard on harvests and labels (its
refusals kept), and lots."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from contract.diary import NewEntry
from contract.site_file import load_site
from gateway.diary.book import BookRefusal, DiaryBook
from gateway.diary.effective import effective
from gateway.diary.store import DiaryStore
from tests.conftest import EXAMPLE_SITE
from tests.support.diary import harvest, spray

SITE = load_site(EXAMPLE_SITE)
NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def _book(path: Path) -> DiaryBook:
    return DiaryBook(SITE, DiaryStore(path / "diary.sqlite3"), lambda: NOW)


def _spray(entry_id: str, day: date, phi_days: int = 7, **more: Any) -> NewEntry:
    return NewEntry.model_validate(spray(entry_id, day, phi_days=phi_days, **more))


def _harvest(entry_id: str, day: date, kg: float = 120.0, **more: Any) -> NewEntry:
    return NewEntry.model_validate(harvest(entry_id, day, kg, **more))


def test_the_database_refuses_to_change_or_delete_an_entry(tmp_path: Path) -> None:
    book = _book(tmp_path)
    book.record(_spray("spray-0001", date(2026, 12, 1)), "lan")
    book.close()
    db = sqlite3.connect(tmp_path / "diary.sqlite3")
    with pytest.raises(sqlite3.IntegrityError, match="never changed"):
        db.execute("UPDATE entry SET day = '2026-01-01'")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        db.execute("DELETE FROM entry")
    assert db.execute("SELECT count(*) FROM entry").fetchone() == (1,)


def test_an_entry_sent_twice_is_stored_once(tmp_path: Path) -> None:
    book = _book(tmp_path)
    first = book.record(_spray("spray-0001", date(2026, 12, 1)), "lan")
    again = book.record(_spray("spray-0001", date(2026, 12, 1), phi_days=3), "lan")
    assert first.new and not again.new
    assert again.entry == first.entry  # the first one stands; the resend changes nothing
    assert [e.id for e in book.store.entries()] == ["spray-0001"]


def test_a_correction_stands_beside_the_original_which_stays_in_the_book(tmp_path: Path) -> None:
    book = _book(tmp_path)
    book.record(_spray("spray-0001", date(2026, 12, 1), phi_days=3), "lan")
    book.record(_spray("spray-0002", date(2026, 12, 1), corrects="spray-0001", why="nhãn ghi 7 ngày"), "ky-thuat")
    stored = book.store.entries()
    assert [e.id for e in stored] == ["spray-0001", "spray-0002"]
    assert stored[1].recorded_by == "ky-thuat" and stored[1].why == "nhãn ghi 7 ngày"
    assert [e.id for e in effective(stored)] == ["spray-0002"]
    # The guard reads the corrected interval: 7 days, not 3.
    assert book.protection_uses()[0].phi_days == 7


def test_a_correction_needs_its_reason_and_its_entry(tmp_path: Path) -> None:
    book = _book(tmp_path)
    with pytest.raises(ValueError, match="needs a reason"):
        _spray("spray-0002", date(2026, 12, 1), corrects="spray-0001")
    with pytest.raises(BookRefusal) as refused:
        book.record(_spray("spray-0002", date(2026, 12, 1), corrects="spray-9999", why="sai"), "lan")
    assert refused.value.said("vi") == "Không tìm thấy mục cần sửa"


def test_an_unknown_zone_is_refused_by_its_greenhouses_name(tmp_path: Path) -> None:
    book = _book(tmp_path)
    with pytest.raises(BookRefusal) as refused:
        book.record(_spray("spray-0001", date(2026, 12, 1), zone="z9"), "lan")
    assert refused.value.said("vi").endswith("không có khu này")
    assert "ca-chua-1" not in refused.value.said("vi")  # the greenhouse by its name, not its id


def test_a_harvest_in_the_interval_is_refused_a_day_early_and_taken_on_the_day(tmp_path: Path) -> None:
    book = _book(tmp_path)
    book.record(_spray("spray-0001", date(2026, 12, 5), phi_days=7), "lan")
    with pytest.raises(BookRefusal) as refused:
        book.record(_harvest("harv-0001", date(2026, 12, 11)), "lan")
    assert refused.value.said("vi") == "Chưa hết thời gian cách ly (Abatox 1.8EC): được thu hoạch từ 12/12"
    assert (
        refused.value.said("en") == "The pre-harvest interval of Abatox 1.8EC is not over: harvest allowed from 12 Dec"
    )
    assert book.store.entry("harv-0001") is None
    [logged] = book.store.refusals()
    assert (logged.by, logged.zone, logged.day, logged.allowed_from) == (
        "lan",
        "khu-a",
        date(2026, 12, 11),
        date(2026, 12, 12),
    )

    added = book.record(_harvest("harv-0002", date(2026, 12, 12)), "lan")
    assert added.new and added.entry.detail.kind == "harvest"
    assert added.entry.detail.lot == "CC1-261212-1"  # type: ignore[union-attr]
    lot = book.store.lot("CC1-261212-1")
    assert lot is not None and (lot.zone, lot.quantity_kg, lot.published) == ("khu-a", 120.0, False)


def test_two_harvests_of_a_day_get_two_lots_and_a_corrected_weight_keeps_its_lot(tmp_path: Path) -> None:
    book = _book(tmp_path)
    book.record(_harvest("harv-0001", date(2026, 12, 12)), "lan")
    book.record(_harvest("harv-0002", date(2026, 12, 12), kg=40), "lan")
    book.store.publish("CC1-261212-1", True)
    book.record(_harvest("harv-0003", date(2026, 12, 12), kg=112.5, corrects="harv-0001", why="cân lại"), "ky-thuat")
    assert [lot.code for lot in book.store.lots()] == ["CC1-261212-1", "CC1-261212-2"]
    lot = book.store.lot("CC1-261212-1")
    assert lot is not None and (lot.quantity_kg, lot.entry, lot.published) == (112.5, "harv-0001", True)
    # A correction of the correction: the lot still names the harvest that made it, and when it was made.
    book.record(_harvest("harv-0004", date(2026, 12, 12), kg=110, corrects="harv-0003", why="cân lần ba"), "ky-thuat")
    again = book.store.lot("CC1-261212-1")
    assert again is not None and (again.quantity_kg, again.entry, again.made_at) == (110, "harv-0001", lot.made_at)


def test_a_label_is_refused_when_a_spraying_recorded_late_falls_in_the_interval(tmp_path: Path) -> None:
    book = _book(tmp_path)
    book.record(_harvest("harv-0001", date(2026, 12, 12)), "lan")
    assert book.lot_for_label("CC1-261212-1", "lan").code == "CC1-261212-1"
    book.record(_spray("spray-0001", date(2026, 12, 10), phi_days=7), "lan")  # written down after the harvest
    with pytest.raises(BookRefusal) as refused:
        book.lot_for_label("CC1-261212-1", "lan")
    assert "17/12" in refused.value.said("vi")
    assert len(book.store.refusals()) == 1


def test_the_book_keeps_old_records_after_a_restart(tmp_path: Path) -> None:
    book = _book(tmp_path)
    book.record(_spray("spray-0001", date(2023, 3, 1)), "lan")  # older than the two years VietGAP asks for
    book.close()
    again = _book(tmp_path)
    assert [e.day for e in again.store.entries()] == [date(2023, 3, 1)]


def test_a_second_correction_of_one_entry_stands_for_the_first_correction_too(tmp_path: Path) -> None:
    book = _book(tmp_path)
    book.record(_spray("spray-0001", date(2026, 12, 1), phi_days=3), "lan")
    book.record(_spray("spray-0002", date(2026, 12, 1), phi_days=5, corrects="spray-0001", why="nhãn"), "ky-thuat")
    book.record(_spray("spray-0003", date(2026, 12, 1), phi_days=7, corrects="spray-0001", why="nhãn mới"), "ky-thuat")
    assert [e.id for e in effective(book.store.entries())] == ["spray-0003"]
    assert [u.phi_days for u in book.protection_uses()] == [7]
