"""Who corrects whom in the record book, the one answer the dossier, the exports, the gaps and the API all read:
a correction takes the place of the entry it names or of that entry's newest correction, in the order the entries
were recorded, so that a chain of corrections always ends in one entry that stands."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from contract.diary import Entry, Training
from gateway.diary.effective import corrections, effective, replaced_entries, standing

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def entry(id: str, minutes: int, attendees: int, corrects: str | None = None) -> Entry:
    return Entry(
        id=id,
        day=date(2026, 12, 1),
        detail=Training(topic="IPM", trainer="Trạm khuyến nông", attendees=attendees),
        corrects=corrects,
        why="đếm lại" if corrects else None,
        recorded_by="Chị Hoa",
        recorded_at=T0 + timedelta(minutes=minutes),
    )


FIRST = entry("training-a", 0, 10)
FIX = entry("training-b", 10, 12, corrects="training-a")
FIX_OF_FIX = entry("training-c", 20, 13, corrects="training-b")
AGAIN = entry("training-d", 30, 14, corrects="training-a")  # names the first entry once more


def test_a_correction_takes_the_place_of_the_entry_it_names() -> None:
    assert {k: v.id for k, v in corrections([FIRST, FIX]).items()} == {"training-a": "training-b"}
    assert {k: v.id for k, v in replaced_entries([FIRST, FIX]).items()} == {"training-b": "training-a"}
    assert [e.id for e in effective([FIRST, FIX])] == ["training-b"]


def test_a_second_correction_of_an_entry_replaces_its_newest_correction_in_any_order_given() -> None:
    book = [FIRST, FIX, FIX_OF_FIX, AGAIN]
    chain = {"training-a": "training-b", "training-b": "training-c", "training-c": "training-d"}
    for given in (book, book[::-1], [AGAIN, FIRST, FIX_OF_FIX, FIX]):
        assert {k: v.id for k, v in corrections(given).items()} == chain
        assert [e.detail.attendees for e in effective(given) if isinstance(e.detail, Training)] == [14]
        assert {standing(e, corrections(given)).id for e in given} == {"training-d"}


def test_a_correction_of_an_entry_not_in_the_book_stands_alone() -> None:
    assert [e.id for e in effective([FIX, FIX_OF_FIX])] == ["training-c"]
    assert [e.id for e in effective([AGAIN])] == ["training-d"]
