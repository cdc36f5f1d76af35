"""An alert's two SMS forms, and the SMS a text takes, against published lengths and real alert texts."""

from __future__ import annotations

import unicodedata

import pytest

from contract.reasons import Reason, render
from contract.site_file import load_site
from edge.modem.sms_text import SmsEncoding, SmsForm, fit, is_gsm7, plain, segments, septets, utf16_units
from tests.conftest import EXAMPLE_SITE

HOUSE = load_site(EXAMPLE_SITE).greenhouses[0]


# 3GPP TS 23.038 (GSM 7-bit and UCS-2 alphabets) with TS 23.040's concatenation header: 160/153 septets, 70/67 units.
@pytest.mark.parametrize(
    ("text", "encoding", "count"),
    [
        ("a" * 160, SmsEncoding.GSM7, 1),
        ("a" * 161, SmsEncoding.GSM7, 2),
        ("a" * 306, SmsEncoding.GSM7, 2),
        ("a" * 307, SmsEncoding.GSM7, 3),
        ("€" * 80, SmsEncoding.GSM7, 1),  # extension table: escape + code, two septets each
        ("€" * 81, SmsEncoding.GSM7, 2),
        ("a" * 152 + "€" + "a" * 152, SmsEncoding.GSM7, 3),  # 306 septets, but an escape is never split
        ("ă" * 70, SmsEncoding.UCS2, 1),
        ("ă" * 71, SmsEncoding.UCS2, 2),
        ("ă" * 134, SmsEncoding.UCS2, 2),
        ("ă" * 135, SmsEncoding.UCS2, 3),
        ("😀" * 35, SmsEncoding.UCS2, 1),  # beyond the BMP: two UTF-16 code units each
        ("😀" * 36, SmsEncoding.UCS2, 2),
        ("ă" * 66 + "😀" + "ă" * 67, SmsEncoding.UCS2, 3),  # 135 units, a surrogate pair never split
        ("", SmsEncoding.GSM7, 1),
    ],
)
def test_segments_follow_the_published_lengths(text: str, encoding: SmsEncoding, count: int) -> None:
    got = segments(text)
    assert (got.encoding, got.count) == (encoding, count)


def test_the_gsm_alphabet_is_the_default_table_and_its_extension() -> None:
    # Some accented letters are in the default table; Vietnamese vowels with their own marks, °, ` and … are not.
    assert is_gsm7("àèéìòù @£$¥_ÆæßÉÑñÜü§¿¡ {}[]~|\\^€\n")
    for outside in ("ă", "đ", "ơ", "ư", "ả", "°", "`", "…", "—", "ç"):
        assert not is_gsm7(outside), outside
    assert septets("a{b}€") == 8
    assert utf16_units("a😀") == 3


def test_plain_takes_off_every_vietnamese_mark() -> None:
    assert plain("Nguy cơ sương muối: 1,5 °C, dưới 2 °C — đang chống rét") == (
        "Nguy co suong muoi: 1,5 do C, duoi 2 do C - dang chong ret"
    )
    assert plain("Đã biết. Độ ẩm đất ở Khu Ặ, Ữ, Ỡ, ỳ") == "Da biet. Do am dat o Khu A, U, O, y"
    assert plain("CO₂ 1.200 ppm, 2 m², chờ…") == "CO2 1.200 ppm, 2 m2, cho..."
    # A character with no GSM-7 kin becomes a question mark rather than turning the message into UCS-2.
    assert plain("nắng 😀 ç") == "nang ? c"
    assert plain("góc 30°") == "goc 30 do"


def test_fit_keeps_a_text_that_fits_and_normalises_it() -> None:
    text = "Sương muối: 0,8 °C, dưới 1 °C"
    assert fit(text, SmsForm.UNICODE) == text
    # Decomposed Vietnamese (a mark as a character of its own) would take twice the units: composed first.
    decomposed = unicodedata.normalize("NFD", "Nhiệt độ xuống thấp, hãy kiểm tra nhà màng cà chua số 1 ngay")
    assert segments(decomposed).count == 2
    assert fit(decomposed, SmsForm.UNICODE) == unicodedata.normalize("NFC", decomposed)
    # A text without Vietnamese letters goes as GSM-7 even in the Unicode form, so it may use 160 characters.
    assert fit("Pump dry " * 17, SmsForm.UNICODE) == "Pump dry " * 17


@pytest.mark.parametrize(
    ("form", "ellipsis", "encoding"),
    [(SmsForm.UNICODE, "…", SmsEncoding.UCS2), (SmsForm.PLAIN, "...", SmsEncoding.GSM7)],
)
def test_fit_cuts_a_long_text_at_a_word(form: SmsForm, ellipsis: str, encoding: SmsEncoding) -> None:
    long_text = "Nhà màng cà chua 1: nhiệt độ xuống 0,8 °C, dưới ngưỡng 1 °C — đang bật sưởi, đóng cửa, " * 3
    fitted = fit(long_text, form)
    assert segments(fitted).count == 1
    assert segments(fitted).encoding is encoding
    assert fitted.endswith(ellipsis)
    kept = fitted.removesuffix(ellipsis)
    whole = plain(long_text) if form is SmsForm.PLAIN else long_text
    assert whole.startswith(kept)
    assert whole[len(kept)] in " ,"  # the cut falls between words, not inside one
    # Nearly all the room is used: no more than one word's length is given away.
    room = 70 if form is SmsForm.UNICODE else 160
    assert len(fitted) > room - 12


def test_one_long_word_is_cut_where_it_must_be() -> None:
    assert fit("x" * 200, SmsForm.PLAIN) == "x" * 157 + "..."
    assert fit("ă" * 100, SmsForm.UNICODE) == "ă" * 69 + "…"


def _alert_texts() -> list[str]:
    """Alerts as the frost rule, a threshold rule and the field bus raise them, rendered for the example site."""
    return [
        render(Reason.RULE_FROST_RISK, {"value": "1.46", "limit": "2"}, "vi", HOUSE),
        render(Reason.RULE_FROST_PROTECTING, {"value": "0.8", "limit": "1"}, "vi", HOUSE),
        render(Reason.RULE_FROST_CLEARED, {"value": "3.1"}, "vi", HOUSE),
        render(
            Reason.RULE_ALERT,
            {"metric": "air-temp", "kind": "air_temp_c", "value": "4.2", "op": "<", "threshold": "5", "since": "03:12"},
            "vi",
            HOUSE,
        ),
        render(Reason.NODE_UNREACHABLE, {"node": "soil-1"}, "vi", HOUSE),
    ]


@pytest.mark.parametrize("text", _alert_texts())
def test_real_alerts_fit_one_sms_in_each_form_without_a_cut(text: str) -> None:
    unicode_form, plain_form = fit(text, SmsForm.UNICODE), fit(text, SmsForm.PLAIN)
    assert unicode_form == text
    assert plain_form == plain(text)
    assert is_gsm7(plain_form)
    assert segments(unicode_form).count == 1
    assert segments(plain_form).count == 1
    assert segments(plain_form).encoding is SmsEncoding.GSM7


def test_the_frost_alarm_with_its_greenhouse_is_one_sms_in_each_form() -> None:
    alarm = f"{HOUSE.name}: " + render(Reason.RULE_FROST_PROTECTING, {"value": "0.8", "limit": "1"}, "vi", HOUSE)
    assert alarm == "Nhà màng cà chua 1: Sương muối: 0,8 °C, dưới 1 °C — đang chống rét"
    assert segments(fit(alarm, SmsForm.UNICODE)) == segments(alarm)
    assert (segments(alarm).encoding, segments(alarm).count) == (SmsEncoding.UCS2, 1)
    assert fit(alarm, SmsForm.PLAIN) == "Nha mang ca chua 1: Suong muoi: 0,8 do C, duoi 1 do C - dang chong ret"
    assert (segments(fit(alarm, SmsForm.PLAIN)).encoding, segments(fit(alarm, SmsForm.PLAIN)).count) == (
        SmsEncoding.GSM7,
        1,
    )
