"""The breaks of the purchase → use → harvest → sale chain as an auditor reads them: each kind's title and the
sentence that says one, with its values written for each reader."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from contract.bounds import Strict
from contract.wording import Lang, pick
from gateway.diary.dossier_words import Words


class MismatchKind(StrEnum):
    NEVER_PURCHASED = "never_purchased"
    OVER_USED = "over_used"
    UNITS_DIFFER = "units_differ"
    EXPIRED = "expired"
    WITHIN_PHI = "within_phi"
    PACKED_OVER = "packed_over"
    SOLD_OVER = "sold_over"
    PACKED_UNHARVESTED = "packed_unharvested"
    SOLD_UNHARVESTED = "sold_unharvested"


class _Said(NamedTuple):
    title: Words
    sentence: Words  # its values in braces


_SAID: dict[MismatchKind, _Said] = {
    MismatchKind.NEVER_PURCHASED: _Said(
        title=("Dùng nhưng không có phiếu mua", "Used but never purchased"),
        sentence=(
            "Đã dùng {product} ({times} lần, lần đầu ngày {day}) nhưng không có ghi chép mua",
            "{product} used ({times} times, first on {day}) but no purchase of it is recorded",
        ),
    ),
    MismatchKind.OVER_USED: _Said(
        title=("Dùng nhiều hơn lượng mua", "More used than purchased"),
        sentence=(
            "Đến ngày {day} đã dùng {used} {product} nhưng chỉ mua {bought}",
            "By {day}, {used} of {product} used but only {bought} purchased",
        ),
    ),
    MismatchKind.UNITS_DIFFER: _Said(
        title=("Không đối chiếu được đơn vị", "Units cannot be compared"),
        sentence=(
            "Không đối chiếu được {product}: mua tính theo {bought}, dùng tính theo {used}",
            "{product} cannot be reconciled: bought in {bought}, used in {used}",
        ),
    ),
    MismatchKind.EXPIRED: _Said(
        title=("Dùng khi đã hết hạn", "Used after its expiry"),
        sentence=(
            "Dùng {product} ngày {day} khi đã hết hạn sử dụng ({expiry})",
            "{product} used on {day}, after its expiry ({expiry})",
        ),
    ),
    MismatchKind.WITHIN_PHI: _Said(
        title=("Thu hoạch trong thời gian cách ly", "Harvest within the pre-harvest interval"),
        sentence=(
            "Lô {lot} thu hoạch ngày {day} ở {place} khi chưa hết thời gian cách ly của {product} "
            "(được thu hoạch từ {allowed})",
            "Lot {lot} harvested on {day} at {place} within the pre-harvest interval of {product} "
            "(harvest allowed from {allowed})",
        ),
    ),
    MismatchKind.PACKED_OVER: _Said(
        title=("Đóng gói nhiều hơn lượng thu hoạch", "More packed than harvested"),
        sentence=(
            "Lô {lot}: đến ngày {day} đã đóng gói {kg} kg, nhiều hơn {harvested} kg thu hoạch",
            "Lot {lot}: by {day}, {kg} kg packed, more than the {harvested} kg harvested",
        ),
    ),
    MismatchKind.SOLD_OVER: _Said(
        title=("Bán nhiều hơn lượng thu hoạch", "More sold than harvested"),
        sentence=(
            "Lô {lot}: đến ngày {day} đã bán {kg} kg, nhiều hơn {harvested} kg thu hoạch",
            "Lot {lot}: by {day}, {kg} kg sold, more than the {harvested} kg harvested",
        ),
    ),
    MismatchKind.PACKED_UNHARVESTED: _Said(
        title=("Đóng gói lô không có thu hoạch", "Packed lot with no harvest"),
        sentence=(
            "Lô {lot} được đóng gói ngày {day} nhưng không có ghi chép thu hoạch lô này",
            "Lot {lot} packed on {day} but no harvest of it is recorded",
        ),
    ),
    MismatchKind.SOLD_UNHARVESTED: _Said(
        title=("Bán lô không có thu hoạch", "Sold lot with no harvest"),
        sentence=(
            "Lô {lot} được bán ngày {day} nhưng không có ghi chép thu hoạch lô này",
            "Lot {lot} sold on {day} but no harvest of it is recorded",
        ),
    ),
}


class Mismatch(Strict):
    """A break in the chain, dated by the entry it shows on, in the words of both languages."""

    kind: MismatchKind
    day: date
    words: Words

    @classmethod
    def of(cls, kind: MismatchKind, day: date, values: Callable[[Lang], dict[str, str]]) -> Mismatch:
        """One of ``kind``, said with ``values`` as each reader writes them."""
        sentence = _SAID[kind].sentence
        words = (pick(sentence, "vi").format(**values("vi")), pick(sentence, "en").format(**values("en")))
        return cls(kind=kind, day=day, words=words)

    def title(self, lang: Lang) -> str:
        return pick(_SAID[self.kind].title, lang)

    def said(self, lang: Lang) -> str:
        return pick(self.words, lang)
