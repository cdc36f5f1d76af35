"""The dossier as the PDF an auditor reads: A4 landscape (the record forms are wide), a cover, the mismatches first,
then the lots' and inputs' balances and one table per record form; corrected entries struck through with who, when
and why beneath them; a running header and page numbers. HTML rendered by gateway.diary.pdf."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from datetime import date
from html import escape

from contract.diary import Quantity
from contract.wording import Lang, day_in, number_trimmed, pick
from gateway.diary.dossier import CORRECTION_MARK, Cover, Dossier, Row, RowStatus, Table
from gateway.diary.dossier_forms import Cell
from gateway.diary.dossier_words import amount
from gateway.diary.pdf import FONT_FAMILY, html_to_pdf

_TITLE = ("Nhật ký sản xuất VietGAP", "VietGAP production records")
_STANDARD = ("Hồ sơ ghi chép theo TCVN 11892-1:2017", "Records kept after TCVN 11892-1:2017")


def dossier_pdf(dossier: Dossier) -> bytes:
    return html_to_pdf(dossier_html(dossier))


def dossier_html(dossier: Dossier) -> str:
    lang = dossier.lang
    anchored = [(f"t{i}", t) for i, t in enumerate([*dossier.checks, *dossier.forms])]
    checks, forms = anchored[: len(dossier.checks)], anchored[len(dossier.checks) :]
    body = [_cover(dossier.cover, anchored, lang)]
    body.append(f'<h1 class="part">{escape(pick(("Đối chiếu", "Reconciliation"), lang))}</h1>')
    body += [_section(t, anchor, lang, alarm=i == 0) for i, (anchor, t) in enumerate(checks)]
    body.append(f'<h1 class="part">{escape(pick(("Biểu mẫu ghi chép", "Record forms"), lang))}</h1>')
    body += [_section(t, anchor, lang) for anchor, t in forms]
    page = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(pick(_TITLE, lang))}</title>'
        f"<style>{_style(dossier.cover, lang)}</style></head><body>{''.join(body)}</body></html>"
    )
    # One form for every letter: text typed on some keyboards arrives with its tone marks as separate characters.
    return unicodedata.normalize("NFC", page)


def _period(cover: Cover, lang: Lang) -> str:
    return f"{day_in(cover.first, lang)} – {day_in(cover.last, lang)}"


def _cover(cover: Cover, anchored: Sequence[tuple[str, Table]], lang: Lang) -> str:
    facts = [
        (pick(("Cơ sở sản xuất", "Producer"), lang), escape(cover.cooperative)),
        (pick(("Kỳ ghi chép", "Period"), lang), escape(_period(cover, lang))),
        (pick(("Giấy chứng nhận VietGAP", "VietGAP certificate"), lang), _certificate(cover, lang)),
        (pick(("Ghi chép", "Entries"), lang), escape(_counts(cover, lang))),
        (pick(("Sai lệch", "Mismatches"), lang), _mismatch_count(cover, lang)),
    ]
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in facts)
    contents = "".join(
        f'<li><a href="#{anchor}">{escape(t.title)}<span class="count"> · {_row_count(t, lang)}</span></a></li>'
        for anchor, t in anchored
    )
    legend = pick(
        (
            "Cách đọc: dòng gạch ngang là mục đã được sửa, giữ nguyên như đã ghi; dòng ghi chú dưới nó nói ai sửa, "
            "lúc nào và vì sao, và bản sửa (đánh dấu «Bản sửa») là giá trị hiện hành. Mục «từ cảm biến» do bộ điều "
            "khiển soạn từ số đo và được người ghi xác nhận; mục «nhập tay» do người ghi nhập.",
            "How to read: a struck-through row is an entry that was corrected, kept as it was written; the note "
            "beneath it says who corrected it, when and why, and the correction (marked “Correction”) is the value "
            "that stands. Entries “from sensors” were drafted by the controller from its measurements and confirmed "
            "by the person named; “typed” entries were typed by that person.",
        ),
        lang,
    )
    sign = pick(
        ("Đại diện cơ sở sản xuất (ký, ghi rõ họ tên)", "For the producer (signature and name)"),
        lang,
    )
    return (
        '<section class="cover">'
        f'<p class="kicker">{escape(pick(_STANDARD, lang))}</p>'
        f"<h1>{escape(pick(_TITLE, lang))}</h1>"
        f'<p class="coop">{escape(cover.cooperative)}</p>'
        f'<table class="facts">{rows}</table>'
        f'<h2 class="contents">{escape(pick(("Mục lục", "Contents"), lang))}</h2><ol class="toc">{contents}</ol>'
        f'<p class="legend">{escape(legend)}</p>'
        f'<div class="sign"><p>{escape(sign)}</p></div>'
        "</section>"
    )


def _certificate(cover: Cover, lang: Lang) -> str:
    c = cover.certificate
    if c is None:
        return escape(pick(("Chưa ghi số giấy chứng nhận", "No certificate on record"), lang))
    text = pick(
        (
            "Số {number}, do {by} cấp, hiệu lực từ {start} đến {end}",
            "No. {number}, issued by {by}, valid {start} to {end}",
        ),
        lang,
    ).format(number=c.number, by=c.issued_by, start=day_in(c.valid_from, lang), end=day_in(c.valid_until, lang))
    shown = escape(text)
    if c.valid_from > cover.first or c.valid_until < cover.last:
        gap = pick(
            ("Giấy chứng nhận không có hiệu lực suốt kỳ này", "The certificate does not cover the whole period"), lang
        )
        shown += f'<br><span class="warn">{escape(gap)}</span>'
    return shown


def _counts(cover: Cover, lang: Lang) -> str:
    return pick(
        (
            "{n} mục hiện hành: {typed} nhập tay, {sensors} từ cảm biến; {corrected} mục đã được sửa",
            "{n} entries standing: {typed} typed, {sensors} from sensors; {corrected} corrected",
        ),
        lang,
    ).format(
        n=cover.typed + cover.from_sensors, typed=cover.typed, sensors=cover.from_sensors, corrected=cover.corrected
    )


def _mismatch_count(cover: Cover, lang: Lang) -> str:
    if not cover.mismatches:
        return f'<span class="ok">{escape(pick(("Không có", "None"), lang))}</span>'
    said = pick(("{n} sai lệch cần giải trình", "{n} to explain"), lang).format(n=cover.mismatches)
    return f'<span class="warn">{escape(said)}</span>'


def _row_count(table: Table, lang: Lang) -> str:
    n = len(table.rows)
    if table.of_entries:
        return pick(("{n} mục", "{n} entry" if n == 1 else "{n} entries"), lang).format(n=n)
    return pick(("{n} dòng", "{n} row" if n == 1 else "{n} rows"), lang).format(n=n)


def _section(table: Table, anchor: str, lang: Lang, alarm: bool = False) -> str:
    title = f'<h2 id="{anchor}">{escape(table.title)}</h2>'
    if not table.rows:
        return f'<section class="{"clear" if alarm else "none"}">{title}<p>{escape(table.empty)}</p></section>'
    # A column no row of the period fills (the frost columns in a season without frost) is left out of the page,
    # to give the others room; the spreadsheet keeps every column.
    shown = [i for i in range(len(table.columns)) if any(row.cells[i] not in (None, "") for row in table.rows)]
    texts = [[_text(row.cells[i], lang) for i in shown] for row in table.rows]
    heads = [table.columns[i].head for i in shown]
    numeric = [all(isinstance(row.cells[i], int | float | Quantity | None) for row in table.rows) for i in shown]
    cols = "".join(f'<col style="width: {w:.2f}%">' for w in _widths(heads, texts))
    ths = "".join(f'<th class="{"num" if n else ""}">{escape(h)}</th>' for h, n in zip(heads, numeric, strict=True))
    groups = "".join(_groups(table.rows, texts, numeric, lang))
    kind = "alarm" if alarm else "form"
    return f'<section class="{kind}">{title}<table>{cols}<thead><tr>{ths}</tr></thead>{groups}</table></section>'


# A column's share of the page follows its longest text, between a short word and a line a note may wrap in.
_NARROWEST, _WIDEST = 4, 60
_BOLD = 1.15  # a heading's letters are wider
_PADDING = 2  # a cell's padding, in letters


def _widths(heads: Sequence[str], texts: Sequence[Sequence[str]]) -> list[float]:
    """Each column's width in percent of the table, fixed so that no table runs off the page: wide enough for the
    longest word of its heading and as much of its longest text as the page allows."""
    weights = []
    for i, head in enumerate(heads):
        # A heading wraps, but at its spaces and on no more than about three lines.
        heading = max(max(len(word) for word in head.split()), len(head) / 3) * _BOLD
        longest_text = max(len(row[i]) for row in texts)
        weights.append(max(_NARROWEST, heading, min(longest_text, _WIDEST)) + _PADDING)
    total = sum(weights)
    return [100 * w / total for w in weights]


def _groups(rows: Sequence[Row], texts: Sequence[Sequence[str]], numeric: Sequence[bool], lang: Lang) -> Iterator[str]:
    """Rows in groups kept on one page: an entry with its corrections beneath it."""
    group: list[str] = []
    for row, row_texts in zip(rows, texts, strict=True):
        if group and not row.follows_original:
            yield f"<tbody>{''.join(group)}</tbody>"
            group = []
        group += _row(row, row_texts, numeric, lang)
    if group:
        yield f"<tbody>{''.join(group)}</tbody>"


def _row(row: Row, texts: Sequence[str], numeric: Sequence[bool], lang: Lang) -> list[str]:
    classes = " ".join(
        c
        for c, on in (
            ("struck", row.status is RowStatus.CORRECTED),
            ("correction", row.correction),
            ("sensor", row.sensor),
        )
        if on
    )
    mark = f'<span class="mark">{escape(pick(CORRECTION_MARK, lang))}</span><br>' if row.correction else ""
    cells = "".join(
        f'<td class="{"num" if n else ""}">{mark if i == 0 else ""}{escape(t)}</td>'
        for i, (t, n) in enumerate(zip(texts, numeric, strict=True))
    )
    out = [f'<tr class="{classes}">{cells}</tr>' if classes else f"<tr>{cells}</tr>"]
    if row.note and (row.status is RowStatus.CORRECTED or not row.follows_original):
        out.append(f'<tr class="note"><td colspan="{len(texts)}">↳ {escape(row.note)}</td></tr>')
    return out


def _text(cell: Cell, lang: Lang) -> str:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, date):
        return day_in(cell, lang)
    if isinstance(cell, Quantity):
        return amount(cell.value, cell.unit, lang)
    return number_trimmed(cell, 2, lang)


def _css_string(text: str) -> str:
    """Text as a CSS string: quotes, backslashes and anything that could close the style element escaped."""
    return '"' + "".join(f"\\{ord(c):x} " if c in '\\"<>&\n\r' else c for c in text) + '"'


def _style(cover: Cover, lang: Lang) -> str:
    running = _css_string(f"{cover.cooperative} · {pick(_TITLE, lang)} · {_period(cover, lang)}")
    page = _css_string(pick(("Trang ", "Page "), lang))
    of = _css_string(pick((" / ", " of "), lang))
    return f"""
@page {{
  size: A4 landscape;
  margin: 15mm 12mm 13mm 12mm;
  @top-left {{ content: {running}; font: 7.5pt {FONT_FAMILY}; color: #555; }}
  @top-right {{ content: string(section); font: 7.5pt {FONT_FAMILY}; color: #555; }}
  @bottom-right {{ content: {page} counter(page) {of} counter(pages); font: 7.5pt {FONT_FAMILY}; color: #555; }}
}}
@page :first {{ @top-left {{ content: none; }} @top-right {{ content: none; }} }}
html {{ font-family: {FONT_FAMILY}; font-size: 8.5pt; color: #1b1b1b; line-height: 1.3; }}
.cover {{ break-after: page; }}
.cover .kicker {{ color: #2f6b2f; font-size: 9pt; margin: 0 0 2mm; letter-spacing: 0.02em; }}
.cover h1 {{ font-size: 24pt; margin: 0 0 1mm; color: #1d4d1d; }}
.cover .coop {{ font-size: 14pt; margin: 0 0 6mm; }}
table.facts {{ border-collapse: collapse; margin-bottom: 5mm; font-size: 10pt; }}
table.facts th {{ text-align: left; padding: 1.5mm 6mm 1.5mm 0; color: #444; font-weight: normal; vertical-align: top;
  width: 52mm; }}
table.facts td {{ padding: 1.5mm 0; font-weight: bold; }}
.warn {{ color: #a11d1d; font-weight: bold; }}
.ok {{ color: #2f6b2f; font-weight: bold; }}
h2.contents {{ font-size: 11pt; margin: 0 0 1mm; string-set: none; }}
ol.toc {{ columns: 2; column-gap: 10mm; margin: 0 0 4mm; padding-left: 6mm; font-size: 9pt; }}
ol.toc a {{ color: inherit; text-decoration: none; }}
ol.toc a::after {{ content: leader(".") target-counter(attr(href), page); }}
ol.toc .count {{ color: #666; }}
.legend {{ font-size: 8.5pt; color: #333; border-left: 2pt solid #9bbf9b; padding-left: 3mm; max-width: 230mm; }}
.sign {{ margin-top: 6mm; width: 90mm; margin-left: auto; text-align: center; font-size: 9pt; }}
.sign p {{ margin: 0 0 20mm; }}
h1.part {{ break-before: page; font-size: 15pt; color: #1d4d1d; margin: 0 0 3mm; border-bottom: 1pt solid #1d4d1d; }}
h2 {{ font-size: 11pt; margin: 5mm 0 1.5mm; color: #1d4d1d; string-set: section content(); break-after: avoid; }}
section.none p, section.clear p {{ margin: 0; color: #555; }}
section.clear p {{ color: #2f6b2f; font-weight: bold; font-size: 10pt; }}
section.alarm h2 {{ color: #a11d1d; }}
section table {{ width: 100%; table-layout: fixed; border-collapse: collapse; font-size: 7.8pt; }}
th {{ background: #e7efe4; text-align: left; vertical-align: bottom; border: 0.5pt solid #9aab98; padding: 1.5pt 3pt;
  font-weight: bold; overflow-wrap: anywhere; }}
section.alarm th {{ background: #f6e3e0; border-color: #c9a39e; }}
td {{ border: 0.5pt solid #c3c9c1; padding: 1.5pt 3pt; vertical-align: top; overflow-wrap: anywhere; }}
.num {{ text-align: right; }}
tbody {{ break-inside: avoid; }}
tr.sensor td {{ color: #3d4a5c; }}
tr.struck td {{ text-decoration: line-through; text-decoration-color: #a11d1d; color: #7d6a6a; }}
tr.correction td:first-child {{ border-left: 2pt solid #2f7d32; }}
tr.note td {{ background: #fff5dc; font-style: italic; color: #5b4200; border-top: none; }}
.mark {{ display: inline-block; background: #2f7d32; color: #fff; font-size: 6.5pt; font-weight: bold; padding: 0 2pt;
  border-radius: 2pt; text-decoration: none; }}
"""
