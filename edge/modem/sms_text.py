"""An alert's text as one SMS: Vietnamese with diacritics (UCS-2, 70 characters) or without (GSM-7, 160 septets).

A farmer's phone shows either form; which one a person gets is their roster setting. The counts follow 3GPP TS
23.038: GSM 7-bit default alphabet, whose extension table characters take two septets, and UCS-2, counted in
UTF-16 code units. A message that needs more than one SMS is sent as concatenated parts whose user data header
leaves 153 septets or 67 code units each. Pure: no I/O.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class SmsForm(StrEnum):
    """How a person reads their alerts by SMS (their roster setting)."""

    UNICODE = "unicode"  # Vietnamese with its diacritics, one SMS of 70 characters
    PLAIN = "plain"  # without diacritics, one SMS of 160 characters, for phones that show UCS-2 badly


class SmsEncoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class Segments:
    """How a text travels: its encoding, the SMS it takes, and its length in septets (GSM-7) or UTF-16 units."""

    encoding: SmsEncoding
    count: int
    units: int


# 3GPP TS 23.038 §6.2.1: the GSM 7-bit default alphabet table and its extension table (each extension character
# is sent as escape + code, two septets).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
) - {"\x1b"}  # the escape itself is no character of a text
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# One SMS, and each part of a concatenated one (TS 23.040's 6-octet concatenation header taken off 140 octets).
_GSM7_SINGLE, _GSM7_PART = 160, 153
_UCS2_SINGLE, _UCS2_PART = 70, 67

# What Vietnamese SMS write instead of characters GSM-7 lacks; the rest of the tone and vowel marks come off by
# Unicode decomposition. đ is a letter of its own, not d with a mark, so it never decomposes.
_PLAIN_WORDS = str.maketrans(
    {
        "đ": "d",
        "Đ": "D",
        "—": "-",
        "–": "-",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "\u00a0": " ",
    }
)
# "1,5 °C" reads "1,5 do C" ("độ C" without its marks), as Vietnamese texts without diacritics write it.
_DEGREE_UNIT = re.compile(r"°\s*([CF])\b")
_UNKNOWN = "?"


def septets(text: str) -> int:
    """The length of a GSM-7 text in septets; an extension table character counts two."""
    return sum(2 if c in _GSM7_EXTENSION else 1 for c in text)


def is_gsm7(text: str) -> bool:
    return all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in text)


def utf16_units(text: str) -> int:
    """UCS-2 length as phones count it: a character beyond the BMP (an emoji) is two UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> Segments:
    """The SMS ``text`` takes: GSM-7 when every character is in the default alphabet or its extension, UCS-2
    otherwise (as Gammu SMSD's TransmitFormat = auto decides). A part never splits an escaped extension
    character or a surrogate pair, so a part may hold one unit less than its size."""
    if is_gsm7(text):
        widths = [2 if c in _GSM7_EXTENSION else 1 for c in text]
        return Segments(SmsEncoding.GSM7, _parts(widths, _GSM7_SINGLE, _GSM7_PART), sum(widths))
    widths = [utf16_units(c) for c in text]
    return Segments(SmsEncoding.UCS2, _parts(widths, _UCS2_SINGLE, _UCS2_PART), sum(widths))


def _parts(widths: list[int], single: int, part: int) -> int:
    total = sum(widths)
    if total <= single:
        return 1
    count, used = 1, 0
    for width in widths:
        if used + width > part:
            count, used = count + 1, 0
        used += width
    return max(count, math.ceil(total / part))


def plain(text: str) -> str:
    """``text`` in the GSM-7 default alphabet: Vietnamese without its diacritics (đ → d), dashes and quotes as
    their ASCII kin, ° as "do", superscripts and the like as their plain forms; anything else becomes "?"."""
    text = _DEGREE_UNIT.sub(r"do \1", text).replace("°", " do").translate(_PLAIN_WORDS)
    # NFKD takes the marks off Vietnamese letters and turns compatibility forms ("…", "²", "CO₂") into plain ones.
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "".join(c if c in _GSM7_BASIC or c in _GSM7_EXTENSION else _UNKNOWN for c in bare)


def fit(text: str, form: SmsForm) -> str:
    """``text`` in ``form``, shortened to one SMS if it is longer: cut at a word boundary and ended with an
    ellipsis the alphabet has ("…" in UCS-2, "..." in GSM-7). The caller writes a short text; this is the last
    guard, so that an alert never goes out as several parts that arrive out of order or not at all."""
    text = plain(text) if form is SmsForm.PLAIN else unicodedata.normalize("NFC", text)
    if segments(text).count == 1:
        return text
    if is_gsm7(text):
        return _shorten(text, "...", lambda s: septets(s) <= _GSM7_SINGLE)
    return _shorten(text, "…", lambda s: utf16_units(s) <= _UCS2_SINGLE)


def _shorten(text: str, ellipsis: str, fits: Callable[[str], bool]) -> str:
    end = len(text)
    while end > 0 and not fits(text[:end] + ellipsis):
        end -= 1
    head = text[:end]
    if not text[end].isspace():
        # The cut falls inside a word: back to where that word starts, unless the text is that one word.
        last_space = re.search(r"\s\S*$", head)
        if last_space is not None and last_space.start() > 0:
            head = head[: last_space.start()]
    return head.rstrip(_TRAILING) + ellipsis


# Separators that would dangle before the ellipsis.
_TRAILING = " \t\r\n.,;:-—–"
