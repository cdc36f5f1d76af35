"""The dossier as spreadsheets: a zip of one CSV per table (the mismatches, the balances, each record form), with
the column heads and words of the reader's language.

Each file is UTF-8 with a byte order mark: without it Excel reads the file in the computer's legacy code page and
every Vietnamese letter comes out garbled. Numbers and separators follow the reader's Excel, so that a double-click
opens the file in columns with numbers it can add up: a Vietnamese Excel (vi-VN) writes 12,5 and splits a CSV on
semicolons (its list separator, since the comma is its decimal mark); an English one writes 12.5 and splits on
commas. Numbers carry no thousands mark (1250,5, not 1.250,5): a grouping dot or comma is too easily read as the
other locale's decimal mark. Days are written as each reader's Excel takes a date (05/12/2026, 5 Dec 2026)."""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date

from contract.diary import Quantity
from contract.wording import Lang, day_in, pick
from gateway.diary.dossier import NOTE_HEAD, STATUS_HEAD, STATUS_WORDS, Column, Dossier, Row, Table
from gateway.diary.dossier_forms import Cell
from gateway.diary.dossier_words import unit_word

_DELIMITER: dict[Lang, str] = {"vi": ";", "en": ","}
_UNIT_HEAD = ("đơn vị", "unit")


def dossier_zip(dossier: Dossier) -> bytes:
    """The zip of the dossier's CSV files, named in the reader's language and numbered in the dossier's order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for table in (*dossier.checks, *dossier.forms):
            zf.writestr(f"{table.slug}.csv", table_csv(table, dossier.lang))
    return buffer.getvalue()


def table_csv(table: Table, lang: Lang) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=_DELIMITER[lang], lineterminator="\r\n")
    writer.writerow(_heads(table, lang))
    writer.writerows(_values(row, table, lang) for row in table.rows)
    # One form for every letter: text typed on some keyboards arrives with its tone marks as separate characters.
    return unicodedata.normalize("NFC", text.getvalue()).encode("utf-8-sig")


def _heads(table: Table, lang: Lang) -> list[str]:
    heads = [h for column in table.columns for h in _split(column, lang)]
    return [*heads, pick(STATUS_HEAD, lang), pick(NOTE_HEAD, lang)] if table.of_entries else heads


def _split(column: Column, lang: Lang) -> Iterator[str]:
    yield column.head
    if column.quantity:
        yield f"{column.head} ({pick(_UNIT_HEAD, lang)})"


def _values(row: Row, table: Table, lang: Lang) -> list[str]:
    values = [v for cell, column in zip(row.cells, table.columns, strict=True) for v in _cell(cell, column, lang)]
    return [*values, pick(STATUS_WORDS[row.status], lang), row.note] if table.of_entries else values


def _cell(cell: Cell, column: Column, lang: Lang) -> Sequence[str]:
    if isinstance(cell, Quantity):  # only in a quantity column: a number Excel can add up, and its unit
        return [_number(cell.value, lang), unit_word(cell.unit, lang)]
    if cell is None:
        return ["", ""] if column.quantity else [""]
    if isinstance(cell, str):
        return [cell]
    if isinstance(cell, date):
        return [day_in(cell, lang)]
    return [_number(cell, lang)]


def _number(value: float, lang: Lang) -> str:
    """No grouping, at most three decimals, the reader's decimal mark."""
    text = f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    text = "0" if text == "-0" else text
    return text.replace(".", ",") if lang == "vi" else text
