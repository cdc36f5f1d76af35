"""The web address a lot's QR code carries, on the cooperative's own public URL: a GS1 Digital Link URI
(``/01/{GTIN}/10/{lot}?7007={harvest date}``) when the cooperative is a GS1 member with a GTIN for the crop — any
GS1-aware scanner then reads product, lot and harvest date from it — else the plain ``/lot/{lot}``; and the way
back from such a path to the lot it names."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from contract.bounds import Strict
from contract.diary import LOT_PATTERN, Lot, LotCode, Traceability
from contract.validation_words import Mistake

_LOT = re.compile(LOT_PATTERN)
# A GTIN in a Digital Link path: GTIN-8, -12, -13 or -14; read back as GTIN-14 (left-padded with zeros, as GS1 says).
_GTIN_IN_PATH = re.compile(r"[0-9]{8}|[0-9]{12,14}")


class LotRef(Strict):
    """A lot as a public path names it; ``gtin`` (GTIN-14) when the path was a GS1 Digital Link."""

    lot: LotCode
    gtin: str | None = None


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of a GTIN's digits before it: weights 3, 1, 3 … from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def lot_url(traceability: Traceability, lot: Lot) -> str:
    """The URL printed in the lot's QR code. A GTIN with a wrong check digit or another company's prefix is
    refused (``Mistake``, in both languages) rather than printed on a label that would point at someone else's
    product."""
    base = traceability.public_url.rstrip("/")
    code = quote(lot.code, safe="")
    prefix = traceability.gs1_company_prefix
    gtin = traceability.gtins.get(lot.crop)
    if prefix is None or gtin is None:
        return f"{base}/lot/{code}"
    check_gtin(gtin, prefix, lot.crop)
    return f"{base}/01/{gtin}/10/{code}?7007={lot.harvested_on:%y%m%d}"


def check_gtin(gtin: str, prefix: str, crop: str) -> None:
    """Refuse (``Mistake``) a GTIN-14 of ``crop`` with a wrong check digit or without the cooperative's prefix."""
    expected = check_digit(gtin[:-1])
    if int(gtin[-1]) != expected:
        raise Mistake(
            f"GTIN {gtin} của {crop} sai số kiểm tra: chữ số cuối phải là {expected}",
            f"the GTIN {gtin} of {crop} has a wrong check digit: its last digit should be {expected}",
            crop,
        )
    # GTIN-14: an indicator digit, then the company prefix, the item reference and the check digit.
    if not gtin[1:].startswith(prefix):
        raise Mistake(
            f"GTIN {gtin} của {crop} không mang mã doanh nghiệp GS1 {prefix} của hợp tác xã",
            f"the GTIN {gtin} of {crop} does not carry the cooperative's GS1 company prefix {prefix}",
            crop,
        )


def parse_lot_path(path: str) -> LotRef | None:
    """The lot a public path names — ``/lot/{lot}`` or ``/01/{gtin}/10/{lot}``, query and fragment ignored —
    or None for any other path (and for a GTIN whose check digit is wrong)."""
    parts = re.split(r"[?#]", path, maxsplit=1)[0].split("/")
    match parts:
        case ["", "lot", code]:
            gtin = None
        case ["", "01", raw_gtin, "10", code] if _GTIN_IN_PATH.fullmatch(raw_gtin):
            gtin = raw_gtin.zfill(14)
            if check_digit(gtin[:-1]) != int(gtin[-1]):
                return None
        case _:
            return None
    lot = unquote(code)
    if not _LOT.fullmatch(lot):
        return None
    return LotRef(lot=lot, gtin=gtin)
