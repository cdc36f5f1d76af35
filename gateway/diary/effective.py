"""The book as it stands after its corrections: an entry corrected by a later one (``corrects`` = its id) gives way
to the correction, which may itself be corrected; the originals stay in the store and in the dossier."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from contract.diary import Entry


def corrections(entries: Iterable[Entry]) -> dict[str, Entry]:
    """Each corrected entry's id → the entry that took its place. Taken as they were recorded (those recorded at one
    moment in the order given), a correction replaces the entry it names or, when that was corrected already, the
    newest correction of it: a second correction of one entry stands for the first correction too, and a chain of
    corrections ends in one entry that stands. A correction naming no entry recorded before it stands alone."""
    replaced: dict[str, Entry] = {}
    seen: set[str] = set()
    for e in sorted(entries, key=lambda e: e.recorded_at):
        if e.corrects is not None and e.corrects in seen:
            target = e.corrects
            while target in replaced:
                target = replaced[target].id
            replaced[target] = e
        seen.add(e.id)
    return replaced


def replaced_entries(entries: Iterable[Entry]) -> dict[str, Entry]:
    """Each correction's id → the entry whose place it took: ``corrections`` the other way round."""
    listed = list(entries)
    by_id = {e.id: e for e in listed}
    return {by.id: by_id[corrected] for corrected, by in corrections(listed).items()}


def effective(entries: Iterable[Entry]) -> list[Entry]:
    """The entries no later entry corrects, in the order given."""
    listed = list(entries)
    corrected = corrections(listed)
    return [e for e in listed if e.id not in corrected]


def standing(entry: Entry, corrected: Mapping[str, Entry]) -> Entry:
    """What stands of ``entry`` once its corrections (as ``corrections`` gives them), and theirs, are applied."""
    while entry.id in corrected:  # each correction was recorded after what it replaced: the chain ends
        entry = corrected[entry.id]
    return entry


def in_diary_order(e: Entry) -> tuple[date, datetime, str]:
    """The order of the book: by day, then as recorded."""
    return e.day, e.recorded_at, e.id
