"""Lot labels as they print: every QR code on a sheet of stickers and on a thermal label read back by a real decoder
to the lot's URL, in the sticker it belongs to; the lot code, weight and date in the page's text, Vietnamese letters
intact; the thermal page the size of its label. PNGs of a sheet page and a thermal label go to test-artifacts/labels/
for a person to look at."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pypdfium2 as pdfium
import pytest
import zxingcpp

from contract.diary import Lot, Traceability
from gateway.diary.digital_link import lot_url
from gateway.diary.labels import LotLabel, sticker_sheet_pdf, thermal_label_pdf
from tests.support.stack import REPO

ARTIFACTS = REPO / "test-artifacts" / "labels"
COOPERATIVE = "Hợp tác xã Nông nghiệp Công nghệ cao Bắc Hà"
TRACEABILITY = Traceability(
    public_url="https://htx-bac-ha.example.vn",
    gs1_company_prefix="9506000",
    gtins={"Cà chua": "09506000134352"},  # GS1's example GTIN; melons have none: their lots get /lot/ addresses
)
CROPS = (("Cà chua", "Cà chua cherry Ngọc Hồng F1"), ("Dưa lưới", "Dưa lưới Taki"))
WEIGHTS_KG = (0.5, 2.25, 12, 1250.75)
WEIGHTS_VI = ("0,5 kg", "2,25 kg", "12 kg", "1.250,75 kg")
SCALE = 3  # 216 dpi: a QR module of 0.6 mm is 5 pixels, the sticker's smallest text still crisp
PX_PER_MM = SCALE * 72 / 25.4
STICKER_MM = (70, 37)
SHEET_TOP_MM = 0.5


def label(i: int, code: str | None = None) -> LotLabel:
    crop, product = CROPS[i % 2]
    harvested = date(2026, 11, 28) + timedelta(days=i % 9)  # 28/11 to 06/12: the day with its month and year
    lot = Lot(
        code=code or f"CC1-{harvested:%y%m%d}-{i + 1}",
        greenhouse="ca-chua-1",
        zone="a",
        crop=crop,
        harvested_on=harvested,
        quantity_kg=300,
        entry=f"harvest-{i:04d}",
        made_at=datetime(2026, 12, 6, 7, 0, tzinfo=UTC),
    )
    return LotLabel(
        cooperative=COOPERATIVE,
        product=product,
        lot=lot.code,
        net_weight_kg=WEIGHTS_KG[i % 4],
        harvested_on=harvested,
        url=lot_url(TRACEABILITY, lot),
    )


LABELS = [label(i) for i in range(30)]


@pytest.fixture(scope="module")
def sheet() -> pdfium.PdfDocument:
    return pdfium.PdfDocument(sticker_sheet_pdf(LABELS, "vi"))


def test_thirty_labels_take_two_a4_sheets_of_24_stickers(sheet: pdfium.PdfDocument) -> None:
    assert len(sheet) == 2
    for page in sheet:
        width, height = page.get_size()
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)


def test_every_qr_code_reads_back_to_its_lots_url_in_its_own_sticker(sheet: pdfium.PdfDocument) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for page_no, page in enumerate(sheet):
        image = page.render(scale=SCALE, grayscale=True).to_pil()
        if page_no == 0:
            image.save(ARTIFACTS / "sticker-sheet-page-1.png")
        found: dict[int, str] = {}
        for code in zxingcpp.read_barcodes(image):
            assert (code.format, code.ec_level) == (zxingcpp.BarcodeFormat.QRCode, "M")
            p = code.position
            x_mm = (p.top_left.x + p.bottom_right.x) / 2 / PX_PER_MM
            y_mm = (p.top_left.y + p.bottom_right.y) / 2 / PX_PER_MM - SHEET_TOP_MM
            sticker = int(y_mm // STICKER_MM[1]) * 3 + int(x_mm // STICKER_MM[0])  # filled row by row
            assert sticker not in found
            found[sticker] = code.text
        on_page = LABELS[page_no * 24 : (page_no + 1) * 24]
        assert found == {i: lab.url for i, lab in enumerate(on_page)}
    assert any("/01/09506000134352/10/" in lab.url for lab in LABELS)
    assert any("/lot/" in lab.url for lab in LABELS)


def test_each_stickers_words_are_in_the_pages_text(sheet: pdfium.PdfDocument) -> None:
    for page_no, page in enumerate(sheet):
        text = page.get_textpage().get_text_range()
        on_page = LABELS[page_no * 24 : (page_no + 1) * 24]
        assert text.count("Mã lô") == text.count("Khối lượng") == text.count("Ngày thu hoạch") == len(on_page)
        assert text.count("Bắc Hà") == len(on_page)
        for i, lab in enumerate(on_page, start=page_no * 24):
            assert lab.lot in text.split()
            assert WEIGHTS_VI[i % 4] in text
            assert f"{lab.harvested_on:%d/%m/%Y}" in text
    assert "05/12/2026" in sheet[0].get_textpage().get_text_range()


def test_a_thermal_label_is_60_by_40_mm_and_reads_back_in_english() -> None:
    lab = label(0, code="RL12-261205-NH01-AB9")  # 20 characters, the longest a lot code may be
    doc = pdfium.PdfDocument(thermal_label_pdf(lab, "en"))
    assert len(doc) == 1
    page = doc[0]
    assert page.get_size() == pytest.approx((60 / 25.4 * 72, 40 / 25.4 * 72), abs=0.01)
    image = page.render(scale=SCALE * 2, grayscale=True).to_pil()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / "thermal-60x40.png")
    assert [c.text for c in zxingcpp.read_barcodes(image)] == [lab.url]
    lines = page.get_textpage().get_text_range().splitlines()
    assert lab.lot in lines  # on one line, never wrapped
    assert {"Lot", "Net weight", "Harvested", "0.5 kg", "28 Nov 2026", "Cà chua cherry Ngọc Hồng F1"} <= set(lines)
    assert COOPERATIVE in lines


def test_a_thermal_label_in_vietnamese() -> None:
    lab = label(7)
    page = pdfium.PdfDocument(thermal_label_pdf(lab, "vi"))[0]
    lines = page.get_textpage().get_text_range().splitlines()
    assert {"Mã lô", lab.lot, "Khối lượng", "1.250,75 kg", "Ngày thu hoạch", "05/12/2026", "Dưa lưới Taki"} <= set(
        lines
    )
    assert [c.text for c in zxingcpp.read_barcodes(page.render(scale=SCALE * 2).to_pil())] == [lab.url]
