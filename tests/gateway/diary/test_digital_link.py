"""A lot's URL: a GS1 Digital Link when the cooperative has a GS1 company prefix and a GTIN for the crop, its own
/lot/ address otherwise; a wrong GTIN refused in both languages; and the public paths read back to the lot."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest

from contract.diary import Lot, Traceability
from contract.validation_words import Mistake
from gateway.diary.digital_link import LotRef, check_digit, lot_url, parse_lot_path

PREFIX = "9506000"  # GS1's own example company prefix
TOMATO = "Cà chua"


def gs1_check_digit(body: str) -> str:
    """The check digit as GS1's calculator explains it: digits in odd places from the right times 3, plus the rest,
    up to the next multiple of ten."""
    odd = sum(int(d) for d in body[::-1][0::2])
    even = sum(int(d) for d in body[::-1][1::2])
    return str(-(3 * odd + even) % 10)


# GS1's published example GTIN-14 (as on the GS1 Digital Link standard's examples): its check digit is ours.
GTIN = "0950600013435" + gs1_check_digit("0950600013435")


def traceability(**changes: object) -> Traceability:
    fields: dict[str, object] = {
        "public_url": "https://htx-bac-ha.example.vn",
        "gs1_company_prefix": PREFIX,
        "gtins": {TOMATO: GTIN},
    }
    return Traceability.model_validate(fields | changes)


def lot(code: str = "CC1-261205-1", crop: str = TOMATO) -> Lot:
    return Lot(
        code=code,
        greenhouse="ca-chua-1",
        zone="a",
        crop=crop,
        harvested_on=date(2026, 12, 5),
        quantity_kg=120,
        entry="harvest-0001",
        made_at=datetime(2026, 12, 5, 9, 30, tzinfo=UTC),
    )


def test_the_published_example_gtin_is_valid_and_our_check_digit_agrees() -> None:
    assert GTIN == "09506000134352"
    assert check_digit(GTIN[:-1]) == 2
    assert check_digit("629104150021") == 3  # the GTIN-13 6291041500213 of GS1's check digit calculator


def test_a_gs1_member_gets_a_digital_link_with_the_harvest_date() -> None:
    url = lot_url(traceability(), lot())
    assert url == "https://htx-bac-ha.example.vn/01/09506000134352/10/CC1-261205-1?7007=261205"


def test_the_cooperatives_own_path_is_kept_and_a_trailing_slash_not_doubled() -> None:
    url = lot_url(traceability(public_url="https://example.vn/htx-bac-ha/"), lot())
    assert url == "https://example.vn/htx-bac-ha/01/09506000134352/10/CC1-261205-1?7007=261205"


def test_without_a_gtin_for_the_crop_or_without_a_prefix_the_lot_has_the_cooperatives_own_address() -> None:
    assert lot_url(traceability(), lot(crop="Dưa lưới")) == "https://htx-bac-ha.example.vn/lot/CC1-261205-1"
    no_member = traceability(gs1_company_prefix=None)
    assert lot_url(no_member, lot()) == "https://htx-bac-ha.example.vn/lot/CC1-261205-1"
    assert lot_url(Traceability(), lot(code="RL12-261205-3")) == "http://127.0.0.1:8080/lot/RL12-261205-3"


def test_a_gtin_with_a_wrong_check_digit_is_refused_in_both_languages() -> None:
    wrong = GTIN[:-1] + "3"
    with pytest.raises(Mistake) as refused:
        lot_url(traceability(gtins={TOMATO: wrong}), lot())
    words = refused.value.words
    assert "sai số kiểm tra" in words.vi and "phải là 2" in words.vi and wrong in words.vi
    assert "wrong check digit" in words.en and "should be 2" in words.en and wrong in words.en
    assert refused.value.about == TOMATO


def test_a_gtin_of_another_company_is_refused_in_both_languages() -> None:
    body = "0893500100001"  # a Vietnamese (893) company's item: a valid GTIN, but not this cooperative's
    other = body + gs1_check_digit(body)
    with pytest.raises(Mistake) as refused:
        lot_url(traceability(gtins={TOMATO: other}), lot())
    words = refused.value.words
    assert "không mang mã doanh nghiệp GS1 9506000" in words.vi and other in words.vi
    assert "does not carry the cooperative's GS1 company prefix 9506000" in words.en


def test_the_prefix_is_read_after_the_indicator_digit() -> None:
    # Indicator 1 (a case of the item): the prefix still follows it.
    body = "1950600013435"
    case = body + gs1_check_digit(body)
    url = lot_url(traceability(gtins={TOMATO: case}), lot())
    assert f"/01/{case}/10/" in url
    body = "9506000134350"  # the prefix in the indicator's place: off by one digit
    shifted = body + gs1_check_digit(body)
    with pytest.raises(Mistake):
        lot_url(traceability(gtins={TOMATO: shifted}), lot())


@pytest.mark.parametrize(
    ("settings", "gtin"),
    [(traceability(), GTIN), (traceability(gtins={}), None), (traceability(gs1_company_prefix=None), None)],
)
def test_the_path_of_a_lots_url_reads_back_to_the_lot(settings: Traceability, gtin: str | None) -> None:
    for code in ("CC1-261205-1", "X", "RL12-261205-NH01-AB9"):
        url = urlsplit(lot_url(settings, lot(code=code)))
        expected = LotRef(lot=code, gtin=gtin)
        assert parse_lot_path(url.path) == expected
        assert parse_lot_path(f"{url.path}?{url.query}&lang=en") == expected


def test_a_short_gtin_in_a_digital_link_reads_as_its_gtin_14() -> None:
    assert parse_lot_path("/01/9506000134352/10/CC1-261205-1") == LotRef(lot="CC1-261205-1", gtin=GTIN)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "/lot",
        "/lot/",
        "/lot/cc1-261205-1",  # lot codes are upper case
        "/lot/-CC1",
        "/lot/CC1/2",
        "/lot/CC1%2F2",
        "/lot/CC1%0A",
        "/lot/" + "A" * 21,
        "lot/CC1",
        "/lots/CC1",
        "/lot/CC1/",
        "/01/09506000134353/10/CC1",  # wrong check digit
        "/01/0950600013435/10/CC1",  # 13 digits, the last not its check digit
        "/01/950600013/10/CC1",
        "/01/abcdefghijklmn/10/CC1",
        "/01/09506000134352/21/CC1",  # AI 21, a serial number: not a lot
        "/01/09506000134352/10/",
        "/01/09506000134352",
        "/01/09506000134352\n/10/CC1",
        "/app/index.html",
    ],
)
def test_any_other_path_names_no_lot(path: str) -> None:
    assert parse_lot_path(path) is None
