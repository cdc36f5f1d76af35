"""The dossier's PDF, rendered for a season: its pages rasterised into test-artifacts/dossier/ to look at, its text
read back with pdfium — Vietnamese intact, the mismatches first after the cover, the struck original beside its
correction, page numbers and contents that point at the right pages, nothing off the page."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import cache

import pypdfium2 as pdfium

from contract.diary import Entry, Observation, Protection, Quantity, Sale, Unit
from contract.wording import Lang
from gateway.diary.dossier_pdf import dossier_html, dossier_pdf
from tests.gateway.diary.test_dossier import FOLIAR, HOA, PAO, d, dossier, entry, season
from tests.support.stack import REPO

ARTIFACTS = REPO / "test-artifacts" / "dossier"
# Typed on a keyboard that sends each tone mark as its own character.
DECOMPOSED_NOTE = unicodedata.normalize("NFD", "Lá già bị vàng, đã ngắt bỏ")


def pdf_season() -> list[Entry]:
    """The season with two breaks of the chain for the auditor to read first, and a farmer's decomposed note."""
    late_spray = entry("spray-late", d(12, 1), Protection(
        product="Anvil 5SC", active_ingredient="Hexaconazole", dose=Quantity(value=100, unit=Unit.ML), water_l=100,
        target_pest="Bệnh phấn trắng", phi_days=7, sprayed_by=PAO), "ca-chua-1", "khu-a")  # fmt: skip
    ghost = entry("sale-ghost", d(12, 20), Sale(lot="CC9-261220", quantity_kg=30, buyer="Chợ Mộc Châu"))
    note = entry("watch-c2-leaves", d(11, 22), Observation(note=DECOMPOSED_NOTE), "ca-chua-2", "khu-a", by=HOA)
    return [*season(), late_spray, ghost, note]


@cache
def rendered(lang: Lang) -> tuple[str, list[str]]:
    """The PDF's pages as text (and their images saved for a person to look at)."""
    pdf = pdfium.PdfDocument(dossier_pdf(dossier(pdf_season(), lang=lang)))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    texts = []
    for n in range(len(pdf)):
        page = pdf[n]
        page.render(scale=1.4).to_pil().save(ARTIFACTS / f"dossier-{lang}-{n + 1}.png")
        textpage = page.get_textpage()
        width, height = page.get_size()
        assert (round(width), round(height)) == (842, 595)  # A4, landscape
        for i in range(textpage.count_rects()):
            left, bottom, right, top = textpage.get_rect(i)
            assert left >= 0 and right <= width and bottom >= 0 and top <= height, f"page {n + 1}: text off the page"
        texts.append(textpage.get_text_range())
    return "\n".join(texts), texts


def flat(text: str) -> str:
    """Text as read back, lines joined: a table cell may wrap a phrase."""
    return " ".join(text.split())


def test_the_vietnamese_words_come_back_intact() -> None:
    whole, _ = rendered("vi")
    words = flat(whole)
    for said in (
        "Nhật ký sản xuất VietGAP",
        "Nhật ký sử dụng thuốc bảo vệ thực vật",
        "thời gian cách ly của Anvil 5SC",
        FOLIAR,
        "Đại lý vật tư Hùng Thắm",
        "Nguyễn Thị Hoa",
        "Số VG-14-07-0231",
        "từ cảm biến",
        unicodedata.normalize("NFC", DECOMPOSED_NOTE),
    ):
        assert said in words, said


def test_the_cover_then_the_mismatches_first() -> None:
    _, pages = rendered("vi")
    cover = flat(pages[0])
    assert "HTX Rau an toàn Mộc Châu" in cover and "01/11/2026 – 31/12/2026" in cover
    assert "27 mục hiện hành: 22 nhập tay, 5 từ cảm biến; 1 mục đã được sửa" in cover
    assert "2 sai lệch cần giải trình" in cover
    mismatches = flat(pages[1])
    assert mismatches.index("Sai lệch cần giải trình") < mismatches.index("Cân đối lô hàng")
    assert "Thu hoạch trong thời gian cách ly" in mismatches and "(được thu hoạch từ 08/12/2026)" in mismatches
    assert "Lô CC9-261220 được bán ngày 20/12/2026 nhưng không có ghi chép thu hoạch lô này" in mismatches


def test_every_page_has_its_number_and_the_running_header() -> None:
    _, pages = rendered("vi")
    for n, text in enumerate(pages, start=1):
        assert f"Trang {n} / {len(pages)}" in text
        if n > 1:
            assert "HTX Rau an toàn Mộc Châu · Nhật ký sản xuất VietGAP · 01/11/2026 – 31/12/2026" in text


def test_the_contents_point_at_the_pages_of_their_sections() -> None:
    _, pages = rendered("vi")
    cover = flat(pages[0])
    for title in ("Nhật ký thu hoạch", "Sai lệch cần giải trình", "Vệ sinh nhà xưởng, dụng cụ"):
        listed = re.search(re.escape(title) + r" · \d+ (?:mục|dòng)[ .]*(\d+)", cover)
        assert listed is not None, title
        first = next(n for n, text in enumerate(pages[1:], start=2) if title in flat(text))
        assert int(listed.group(1)) == first, title


def test_the_corrected_harvest_is_struck_and_its_correction_beside_it() -> None:
    _, pages = rendered("vi")
    page = flat(next(text for text in pages[1:] if "Nhật ký thu hoạch" in text))
    harvest = page[page.index("Nhật ký thu hoạch") :]
    struck = harvest.index("06/12/2026 Nhà màng cà chua 2 · Khu A CC2-261206 Cà chua 80")
    note = harvest.index("Đã sửa lúc 07/12/2026 09:15, người sửa: Nguyễn Thị Hoa. Lý do: Cân lại ở nhà sơ chế")
    fix = harvest.index("Bản sửa 06/12/2026 Nhà màng cà chua 2 · Khu A CC2-261206 Cà chua 85,5")
    assert struck < note < fix
    # Struck through: the original's row is drawn with a line through it, the correction's is not.
    html = dossier_html(dossier(pdf_season()))
    section = html[html.index("Nhật ký thu hoạch</h2>") :].split("</section>")[0]
    rows = re.findall(r'<tr class="([^"]*)">((?:(?!</tr>).)*CC2-261206(?:(?!</tr>).)*)</tr>', section)
    assert [(classes, ">80<" in row, ">85,5<" in row) for classes, row in rows] == [
        ("struck", True, False),
        ("correction", False, True),
    ]
    assert "tr.struck td { text-decoration: line-through;" in html


def test_the_english_dossier() -> None:
    whole, pages = rendered("en")
    words = flat(whole)
    assert "VietGAP production records" in words and "Mismatches to explain" in flat(pages[1])
    assert "Pre-harvest interval (days)" in words and "Harvest allowed from" in words
    assert "Corrected on 7 Dec 2026 09:15 by Nguyễn Thị Hoa. Why: Cân lại ở nhà sơ chế" in words
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert "Tomato house 2 · Zone A" in words and "85.5" in words


def test_a_season_without_mismatches_says_so_and_empty_forms_say_they_are_empty() -> None:
    html = dossier_html(dossier([e for e in season() if e.day < date(2026, 12, 1)]))
    assert "Không có sai lệch: mua, dùng, thu hoạch và bán khớp nhau." in html
    assert html.count("Không có ghi chép nào trong kỳ này.") == 5  # harvest, packing, sales, audits, cleaning
