"""Days and weights as each reader writes them, the one way every surface of the record book says them: 05/12/2026
and 5 Dec 2026, 12/12 and 12 Dec within a season, 0,5 kg and 0.5 kg without trailing zeros."""

from __future__ import annotations

from datetime import date

import pytest

from contract.wording import day_in, day_month_in, number_trimmed


def test_a_day_reads_as_each_reader_writes_it() -> None:
    assert (day_in(date(2026, 12, 5), "vi"), day_in(date(2026, 12, 5), "en")) == ("05/12/2026", "5 Dec 2026")
    assert (day_in(date(2027, 1, 31), "vi"), day_in(date(2027, 1, 31), "en")) == ("31/01/2027", "31 Jan 2027")


def test_a_day_within_the_season_leaves_its_year_out() -> None:
    assert (day_month_in(date(2026, 12, 12), "vi"), day_month_in(date(2026, 12, 12), "en")) == ("12/12", "12 Dec")
    assert (day_month_in(date(2026, 9, 4), "vi"), day_month_in(date(2026, 9, 4), "en")) == ("04/09", "4 Sep")


def test_every_month_has_its_english_name() -> None:
    names = [day_month_in(date(2026, month, 1), "en").split()[1] for month in range(1, 13)]
    assert names == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.mark.parametrize(
    ("value", "digits", "vi", "en"),
    [
        (0.5, 2, "0,5", "0.5"),
        (12, 2, "12", "12"),
        (2.25, 2, "2,25", "2.25"),
        (1250.5, 2, "1.250,5", "1,250.5"),
        (1234.567, 2, "1.234,57", "1,234.57"),
        (100, 0, "100", "100"),  # no decimals: the zeros are the number's own
        (-0.001, 2, "0", "0"),
    ],
)
def test_a_number_trimmed_keeps_the_readers_marks_and_leaves_off_trailing_zeros(
    value: float, digits: int, vi: str, en: str
) -> None:
    assert (number_trimmed(value, digits, "vi"), number_trimmed(value, digits, "en")) == (vi, en)
