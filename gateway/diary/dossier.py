"""The VietGAP dossier of a period, the pure part: the record forms as rows, each corrected entry kept in sight under
who corrected it, when and why, and the reconciled chain as the tables an auditor checks first. dossier_csv and
dossier_pdf render it; nothing here reads a file or a clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

from contract.bounds import Strict
from contract.diary import Certificate, Entry, Lot, Source, Traceability
from contract.site import SiteConfig
from contract.wording import Lang, day_in, pick
from gateway.diary.dossier_forms import SPECS, Cell, Col, Form, entry_cells, form_of
from gateway.diary.dossier_words import Names, Words, moment_in, unit_word
from gateway.diary.effective import corrections, in_diary_order, replaced_entries
from gateway.diary.mismatches import Mismatch
from gateway.diary.reconcile import SLACK, Reconciliation, lot_codes, reconcile


class Shown(Strict):
    """An entry as the dossier shows it: current, or replaced by a later entry whose recorder, time and reason say
    who corrected it, when and why."""

    entry: Entry
    replaced_by: Entry | None = None
    replaces: Entry | None = None  # the entry of the list this one replaces, when it is a correction


def shown(entries: Sequence[Entry]) -> list[Shown]:
    """Every entry in diary order, with the correction that took its place and the entry whose place it took."""
    replaced_by, replaces = corrections(entries), replaced_entries(entries)
    return [
        Shown(entry=e, replaced_by=replaced_by.get(e.id), replaces=replaces.get(e.id))
        for e in sorted(entries, key=in_diary_order)
    ]


class Column(Strict):
    head: str
    quantity: bool = False


class RowStatus(StrEnum):
    CURRENT = "current"
    CORRECTED = "corrected"  # replaced by a later entry: shown struck through


STATUS_WORDS: dict[RowStatus, Words] = {
    RowStatus.CURRENT: ("Hiện hành", "Current"),
    RowStatus.CORRECTED: ("Đã được sửa", "Corrected"),
}
STATUS_HEAD: Words = ("Tình trạng", "Status")
NOTE_HEAD: Words = ("Ghi chú sửa chữa", "Correction")
CORRECTION_MARK: Words = ("Bản sửa", "Correction")


class Row(Strict):
    cells: list[Cell]
    status: RowStatus = RowStatus.CURRENT
    correction: bool = False  # this entry corrects another
    follows_original: bool = False  # placed right under the entry it corrects
    sensor: bool = False  # drafted by the controller from what it measured
    note: str = ""  # who corrected it, when and why; or which entry it corrects


class Table(Strict):
    slug: str
    title: str
    columns: list[Column]
    rows: list[Row]
    empty: str  # what the table says when it has no row
    of_entries: bool  # rows are diary entries (with a status and a correction note)


class Cover(Strict):
    cooperative: str
    first: date
    last: date
    certificate: Certificate | None
    typed: int  # entries that stand, typed by a person
    from_sensors: int  # entries that stand, drafted by the controller
    corrected: int  # entries replaced by a correction
    mismatches: int


class Dossier(Strict):
    lang: Lang
    cover: Cover
    checks: list[Table]  # the mismatches first, then the lots' and the inputs' balances
    forms: list[Table]


_NO_ENTRY: Words = ("Không có ghi chép nào trong kỳ này.", "No entries in this period.")


def build(
    entries: Sequence[Entry],
    lots: Sequence[Lot],
    site: SiteConfig,
    traceability: Traceability,
    first: date,
    last: date,
    lang: Lang,
) -> Dossier:
    """The dossier of the days ``first`` to ``last``. The chain is reconciled over every entry given up to ``last``
    (what was bought before the period is still in the store); its mismatches and the forms keep to the period."""
    names = Names(site)
    tz = site.cooperative.tz
    until_last = [e for e in entries if e.day <= last]
    listed = shown(until_last)
    codes = lot_codes(until_last, lots)
    period = [s for s in listed if s.entry.day >= first]
    checked = reconcile(until_last, lots, site)
    mismatches = [m for m in checked.mismatches if m.day >= first]
    standing = [s.entry for s in period if s.replaced_by is None]
    return Dossier(
        lang=lang,
        cover=Cover(
            cooperative=site.cooperative.label_in(lang),
            first=first,
            last=last,
            certificate=traceability.certificate,
            typed=sum(e.source is Source.TYPED for e in standing),
            from_sensors=sum(e.source is Source.SENSOR for e in standing),
            corrected=sum(s.replaced_by is not None for s in period),
            mismatches=len(mismatches),
        ),
        checks=_checks(mismatches, checked, first, names, lang),
        forms=[_form_table(form, period, names, codes, tz, lang) for form in Form],
    )


def _columns(cols: Iterable[Col], lang: Lang) -> list[Column]:
    return [Column(head=pick(c.head, lang), quantity=c.quantity) for c in cols]


class _Check(NamedTuple):
    """One of the tables an auditor checks before the forms."""

    slug: Words
    title: Words
    heads: tuple[Words, ...]
    empty: Words


_MISMATCHES = _Check(
    ("00-sai-lech", "00-mismatches"),
    ("Sai lệch cần giải trình", "Mismatches to explain"),
    (("Ngày", "Day"), ("Sai lệch", "Mismatch"), ("Chi tiết", "Details")),
    (
        "Không có sai lệch: mua, dùng, thu hoạch và bán khớp nhau.",
        "No mismatch: purchases, uses, harvests and sales agree.",
    ),
)
_LOTS = _Check(
    ("01-can-doi-lo", "01-lot-balance"),
    ("Cân đối lô hàng: thu hoạch, đóng gói, bán", "Lot balance: harvested, packed, sold"),
    (
        ("Mã lô", "Lot"),
        ("Cây trồng", "Crop"),
        ("Nhà màng · khu", "Greenhouse · zone"),
        ("Ngày thu hoạch", "Harvested on"),
        ("Thu hoạch (kg)", "Harvested (kg)"),
        ("Đóng gói (kg)", "Packed (kg)"),
        ("Đã bán (kg)", "Sold (kg)"),
        ("Còn lại (kg)", "Remaining (kg)"),
    ),
    ("Không có lô hàng nào.", "No lots."),
)
_INPUTS = _Check(
    ("02-can-doi-vat-tu", "02-input-balance"),
    ("Cân đối vật tư: mua và sử dụng", "Input balance: purchased and used"),
    (("Vật tư", "Product"), ("Đơn vị", "Unit"), ("Đã mua", "Purchased"), ("Đã dùng", "Used"), ("Còn lại", "Remaining")),
    ("Không có vật tư nào.", "No inputs."),
)


def _checks(
    mismatches: Sequence[Mismatch], checked: Reconciliation, first: date, names: Names, lang: Lang
) -> list[Table]:
    """The mismatches of the period, then the lots it moved or that are still in stock, then the inputs."""
    said = [Row(cells=[m.day, m.title(lang), m.said(lang)]) for m in mismatches]
    lots = [
        Row(
            cells=[
                b.lot,
                b.crop or None,
                names.place(b.greenhouse, b.zone, lang) if b.greenhouse else None,
                b.harvested_on,
                b.harvested_kg,
                b.packed_kg,
                b.sold_kg,
                b.remaining_kg,
            ]
        )
        for b in checked.lots
        if b.last_day >= first or b.remaining_kg > SLACK
    ]
    inputs = [Row(cells=[b.product, unit_word(b.unit, lang), b.bought, b.used, b.remaining]) for b in checked.inputs]
    return [_check_table(_MISMATCHES, said, lang), _check_table(_LOTS, lots, lang), _check_table(_INPUTS, inputs, lang)]


def _check_table(check: _Check, rows: list[Row], lang: Lang) -> Table:
    return Table(
        slug=pick(check.slug, lang),
        title=pick(check.title, lang),
        columns=_columns((Col(h) for h in check.heads), lang),
        rows=rows,
        empty=pick(check.empty, lang),
        of_entries=False,
    )


def _form_table(
    form: Form, period: Sequence[Shown], names: Names, codes: dict[str, str], tz: ZoneInfo, lang: Lang
) -> Table:
    spec = SPECS[form]
    in_form = [s for s in period if form_of(s.entry.detail.kind) is form]
    here = {s.entry.id: s for s in in_form}
    rows: list[Row] = []
    for s in in_form:
        if s.replaces is not None and s.replaces.id in here:
            continue  # it goes under the entry it corrects
        step: Shown | None = s
        follows = False
        while step is not None:
            rows.append(_entry_row(step, follows, names, codes, tz, lang))
            step = here.get(step.replaced_by.id) if step.replaced_by is not None else None
            follows = True
    return Table(
        slug=f"{list(Form).index(form) + 3:02d}-{pick(spec.slug, lang)}",
        title=pick(spec.title, lang),
        columns=_columns(spec.all_columns, lang),
        rows=rows,
        empty=pick(_NO_ENTRY, lang),
        of_entries=True,
    )


def _entry_row(s: Shown, follows: bool, names: Names, codes: dict[str, str], tz: ZoneInfo, lang: Lang) -> Row:
    e = s.entry
    notes: list[str] = []
    if s.replaces is not None:
        notes.append(
            pick(("Sửa mục ghi ngày {day}.", "Corrects the entry of {day}."), lang).format(
                day=day_in(s.replaces.day, lang)
            )
        )
    elif e.corrects is not None:
        notes.append(
            pick(("Sửa một mục ghi trước kỳ này. Lý do: ", "Corrects an earlier entry. Why: "), lang) + (e.why or "")
        )
    if s.replaced_by is not None:
        by = s.replaced_by
        notes.append(
            pick(("Đã sửa lúc {at}, người sửa: {who}. Lý do: ", "Corrected on {at} by {who}. Why: "), lang).format(
                at=moment_in(by.recorded_at, tz, lang), who=by.recorded_by
            )
            + (by.why or "")
        )
        if form_of(by.detail.kind) is not form_of(e.detail.kind):
            elsewhere = pick(SPECS[form_of(by.detail.kind)].title, lang)
            notes.append(
                pick(("Bản sửa nằm ở «{form}».", "The correction is under “{form}”."), lang).format(form=elsewhere)
            )
    return Row(
        cells=entry_cells(e, names, codes, lang),
        status=RowStatus.CORRECTED if s.replaced_by is not None else RowStatus.CURRENT,
        correction=e.corrects is not None,
        follows_original=follows,
        sensor=e.source is Source.SENSOR,
        note=" ".join(notes),
    )
