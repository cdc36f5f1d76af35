"""The pre-harvest interval guard (issue 16): a harvest one day early is refused with the day it becomes allowed,
in both languages; on the day it is allowed; the spraying whose interval ends last decides; another zone is free."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from agronomy.pre_harvest import check_harvest
from contract.diary import ProtectionUse

ABAMECTIN = ProtectionUse(
    greenhouse="ca-chua-1", zone="khu-a", applied_on=date(2026, 12, 5), product="Reasgant 3.6EC",
    active_ingredient="Abamectin", phi_days=7,
)  # fmt: skip


def test_a_harvest_a_day_early_is_refused_with_the_day_it_is_allowed_and_on_the_day_it_is_allowed() -> None:
    early = check_harvest([ABAMECTIN], "ca-chua-1", "khu-a", date(2026, 12, 11))
    assert (early.allowed, early.allowed_from) == (False, date(2026, 12, 12))
    assert early.said("vi") == "Chưa hết thời gian cách ly (Reasgant 3.6EC): được thu hoạch từ 12/12"
    assert early.said("en") == "The pre-harvest interval of Reasgant 3.6EC is not over: harvest allowed from 12 Dec"
    on_the_day = check_harvest([ABAMECTIN], "ca-chua-1", "khu-a", date(2026, 12, 12))
    assert on_the_day.allowed and on_the_day.said("vi") == ""


def test_the_spraying_whose_interval_ends_last_decides_and_other_zones_are_free() -> None:
    later_short = ABAMECTIN.model_copy(update={"applied_on": date(2026, 12, 8), "phi_days": 3, "product": "Sherpa"})
    longer = ABAMECTIN.model_copy(update={"applied_on": date(2026, 12, 1), "phi_days": 21, "product": "Validan"})
    check = check_harvest([ABAMECTIN, later_short, longer], "ca-chua-1", "khu-a", date(2026, 12, 20))
    assert (check.allowed_from, check.product) == (date(2026, 12, 22), "Validan")
    assert check_harvest([ABAMECTIN], "ca-chua-1", "khu-b", date(2026, 12, 6)).allowed
    assert check_harvest([ABAMECTIN], "ca-chua-2", "khu-a", date(2026, 12, 6)).allowed
    # No interval (a biological product): the same day.
    same_day = ABAMECTIN.model_copy(update={"phi_days": 0})
    assert check_harvest([same_day], "ca-chua-1", "khu-a", date(2026, 12, 5)).allowed


def test_an_interval_that_is_not_a_number_of_days_is_refused() -> None:
    with pytest.raises(ValidationError, match="phi_days"):
        ProtectionUse.model_validate({**ABAMECTIN.model_dump(), "phi_days": -1})
