"""Printable labels of a harvest lot: a QR code of the lot's URL with the lot code, product, net weight and harvest
date written out, on A4 sheets of decal stickers for an office printer or one at a time on a thermal label printer.

Sheet: 3 columns × 8 rows of 70 × 37 mm stickers, edge to edge on A4 with 0.5 mm left at the top and bottom: the
24-sticker A4 decal (decal A4 24 nhãn 70 × 37) of Vietnamese stationery shops, Avery 3474's cut. Office printers
leave the outer 3 to 4 mm of a sheet blank, so each sticker keeps its ink about 4 mm inside the sheet's edges (the QR
code's quiet zone is part of that white).

Thermal: 60 × 40 mm, the larger of the two rolls the 203 dpi desktop label printers sold in Vietnam take (Xprinter
XP-350B/365B class; the other is 50 × 30). A Digital Link URL makes a version 5–6 QR code, which needs modules of
at least 0.5 mm (4 printer dots) to print cleanly and scan; on 50 × 30 mm that leaves no room for the lot's text at a
readable size."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import NamedTuple

import segno
from pydantic import Field

from contract.bounds import Strict
from contract.diary import Label, LotCode
from contract.wording import Lang, day_in, number_trimmed, pick
from gateway.diary.pdf import FONT_FAMILY, html_to_pdf

STICKERS_PER_SHEET = 3 * 8

_LOT = ("Mã lô", "Lot")
_WEIGHT = ("Khối lượng", "Net weight")
_HARVESTED = ("Ngày thu hoạch", "Harvested")
# DejaVu Sans Mono's advance (0.602 em) less the lot code's letter spacing: how wide one character of it is.
_MONO_EM = 0.602 - 0.02
_PT_PER_MM = 72 / 25.4


class LotLabel(Strict):
    """What one label of a lot says."""

    cooperative: Label
    product: Label  # the crop and its variety, in Vietnamese (a product's name reads the same to every buyer)
    lot: LotCode
    net_weight_kg: float = Field(gt=0, le=1_000_000)
    harvested_on: date
    url: str = Field(pattern=r"^https?://\S+$", max_length=300)  # what the QR code carries: lot_url()


class _Layout(NamedTuple):
    css: str
    text_mm: float  # the width of the text beside the QR code
    lot_pt: float  # the lot code's size, when it fits that width


def sticker_sheet_pdf(labels: Sequence[LotLabel], lang: Lang) -> bytes:
    """A4 sheets of 70 × 37 mm stickers, filled row by row, as many pages as the labels need."""
    sheets = [labels[i : i + STICKERS_PER_SHEET] for i in range(0, len(labels), STICKERS_PER_SHEET)]
    body = "".join(
        '<section class="sheet">' + "".join(_label_html(label, _STICKER, lang) for label in sheet) + "</section>"
        for sheet in sheets
    )
    return html_to_pdf(_page(_STICKER, body, lang))


def thermal_label_pdf(label: LotLabel, lang: Lang) -> bytes:
    """One 60 × 40 mm label, on a page of that size for a thermal label printer."""
    return html_to_pdf(_page(_THERMAL, _label_html(label, _THERMAL, lang), lang))


def _label_html(label: LotLabel, layout: _Layout, lang: Lang) -> str:
    # A lot code has up to 20 characters and is never wrapped (a farmer copies it from one line): a long one is set
    # smaller, so that it fits beside the QR code.
    lot_pt = min(layout.lot_pt, layout.text_mm * _PT_PER_MM / (len(label.lot) * _MONO_EM))
    return (
        '<div class="label">'
        f'<img class="qr" src="{escape(_qr_data_url(label.url))}" alt="">'
        f'<p class="coop">{escape(label.cooperative)}</p>'
        f'<p class="product">{escape(label.product)}</p>'
        '<dl class="facts">'
        f'<dt>{pick(_LOT, lang)}</dt><dd class="lot" style="font-size: {lot_pt:.2f}pt">{label.lot}</dd>'
        f"<dt>{pick(_WEIGHT, lang)}</dt><dd>{number_trimmed(label.net_weight_kg, 2, lang)} kg</dd>"
        f"<dt>{pick(_HARVESTED, lang)}</dt><dd>{day_in(label.harvested_on, lang)}</dd>"
        "</dl></div>"
    )


def _qr_data_url(url: str) -> str:
    # Level M, exactly: boosting would change the level with the URL's length. The quiet zone (4 modules) is kept
    # inside the image, so the white around the code never depends on the label's padding.
    qr = segno.make(url, error="m", boost_error=False, micro=False)
    return qr.svg_data_uri(border=4, omitsize=True)  # omitsize: a viewBox, so CSS sizes it in mm


def _page(layout: _Layout, body: str, lang: Lang) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<style>{_COMMON_CSS}{layout.css}</style></head>"
        f"<body>{body}</body></html>"
    )


# Black only: thermal printers have no grey, and the sheet is printed on whatever the cooperative has.
_COMMON_CSS = f"""
* {{ margin: 0; padding: 0; box-sizing: border-box; }}
body {{ font-family: {FONT_FAMILY}; color: #000; line-height: 1.1; }}
.label {{ display: grid; overflow: hidden; }}
.qr {{ grid-area: qr; display: block; }}
.coop {{ grid-area: coop; font-stretch: condensed; overflow: hidden; }}
.product {{ grid-area: product; font-weight: bold; font-stretch: condensed; overflow: hidden; }}
.facts {{ grid-area: facts; }}
dt {{ font-stretch: condensed; }}
dd {{ font-weight: bold; margin-bottom: 0.6mm; }}
dd.lot {{ font-family: "DejaVu Sans Mono", monospace; letter-spacing: -0.02em; white-space: nowrap; }}
"""

_STICKER = _Layout(
    css="""
@page { size: A4; margin: 0.5mm 0; }
.sheet { display: grid; grid-template-columns: repeat(3, 70mm); grid-auto-rows: 37mm; break-after: page; }
.sheet:last-child { break-after: auto; }
.label {
  width: 70mm; height: 37mm; padding: 2mm 4mm 4mm 2mm; column-gap: 1mm;
  grid-template-columns: 33mm 1fr; grid-template-rows: auto auto 1fr;
  grid-template-areas: "qr coop" "qr product" "qr facts";
}
.qr { width: 33mm; height: 33mm; }
.coop { font-size: 6pt; line-clamp: 2; margin-top: 1.6mm; }
.product { font-size: 8.5pt; line-clamp: 2; margin: 0.4mm 0 1mm; }
dt { font-size: 5.5pt; }
dd { font-size: 7.5pt; }
""",
    text_mm=70 - 2 - 33 - 1 - 4,
    lot_pt=7.5,
)

_THERMAL = _Layout(
    css="""
@page { size: 60mm 40mm; margin: 0; }
.label {
  width: 60mm; height: 40mm; padding: 1.5mm 2mm; column-gap: 1mm;
  grid-template-columns: 29mm 1fr; grid-template-rows: auto auto 1fr;
  grid-template-areas: "coop coop" "product product" "qr facts";
}
.qr { width: 29mm; height: 29mm; margin-left: -1mm; }
/* One line each, cut with an ellipsis: sized, for a grid would widen to fit the whole name. */
.coop, .product { width: 56mm; white-space: nowrap; text-overflow: ellipsis; }
.coop { font-size: 6.5pt; }
.product { font-size: 9pt; }
.facts { padding-top: 2mm; }
dt { font-size: 6.5pt; }
dd { font-size: 9pt; }
""",
    text_mm=60 - 2 - 29 - 1 - 2,
    lot_pt=9,
)
