"""Daily light integral and its accumulator."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agronomy.light import DliAccumulator, photons_mol_m2

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=HANOI)


def feed(acc: DliAccumulator, samples: list[tuple[datetime, float]]) -> DliAccumulator:
    for ts, par in samples:
        acc = acc.add(ts, par, HANOI)
    return acc


def test_constant_par_for_twelve_hours() -> None:
    # DLI = PPFD·3600·h/10⁶ (Torres & Lopez, Purdue Extension HO-238-W): 500 µmol/m²/s for 12 h = 21.6 mol/m²/d.
    assert photons_mol_m2(500.0, 12 * 3600) == pytest.approx(21.6)


def test_accumulator_over_a_day_of_five_minute_samples() -> None:
    start = local(1, 6)
    acc = feed(DliAccumulator(), [(start + timedelta(minutes=5 * i), 500.0) for i in range(12 * 12 + 1)])
    assert acc.day == date(2026, 6, 1)
    assert acc.total_mol_m2 == pytest.approx(21.6)


def test_trapezoid_between_samples() -> None:
    # A ramp 0 → 600 µmol/m²/s over 10 min is a triangle: 300 · 600 s / 10⁶ = 0.18 mol/m².
    acc = feed(DliAccumulator(), [(local(1, 9), 0.0), (local(1, 9, 10), 600.0)])
    assert acc.total_mol_m2 == pytest.approx(0.18)


def test_first_sample_only_anchors() -> None:
    assert DliAccumulator().add(local(1, 12), 1500.0, HANOI).total_mol_m2 == 0.0


def test_resets_at_midnight_in_ho_chi_minh_and_keeps_the_part_after_it() -> None:
    before = feed(DliAccumulator(), [(local(1, 23, 45), 0.0), (local(1, 23, 55), 0.0)])
    # Lamps ramp 0 → 600 from 23:55 to 00:05: 300 at midnight, so the new day gets (300 + 600)/2 · 300 s.
    after = before.add(local(2, 0, 5), 600.0, HANOI)
    assert after.day == date(2026, 6, 2)
    assert after.total_mol_m2 == pytest.approx(0.135)


def test_utc_midnight_is_not_a_reset_in_ho_chi_minh() -> None:
    # 23:55 and 00:05 UTC are 06:55 and 07:05 in Hà Nội: one local day, 10 min at 100 µmol/m²/s.
    acc = feed(DliAccumulator(), [(datetime(2026, 6, 1, 23, 55, tzinfo=UTC), 100.0)])
    acc = acc.add(datetime(2026, 6, 2, 0, 5, tzinfo=UTC), 100.0, HANOI)
    assert acc.total_mol_m2 == pytest.approx(0.06)


def test_gap_longer_than_the_limit_adds_no_light() -> None:
    acc = feed(DliAccumulator(), [(local(1, 10), 800.0), (local(1, 10, 30), 800.0)])
    assert acc.total_mol_m2 == 0.0
    # Counting resumes from the sample after the gap: 5 min at 800.
    assert acc.add(local(1, 10, 35), 800.0, HANOI).total_mol_m2 == pytest.approx(0.24)


def test_gap_limit_is_a_parameter() -> None:
    acc = DliAccumulator().add(local(1, 10), 800.0, HANOI)
    assert acc.add(local(1, 10, 30), 800.0, HANOI, max_gap=timedelta(hours=1)).total_mol_m2 == pytest.approx(1.44)


def test_repeated_and_late_samples_are_ignored() -> None:
    acc = feed(DliAccumulator(), [(local(1, 10), 800.0), (local(1, 10, 5), 800.0)])
    assert acc.add(local(1, 10, 5), 2000.0, HANOI) == acc
    assert acc.add(local(1, 10, 2), 2000.0, HANOI) == acc


def test_dark_offset_below_zero_counts_as_darkness() -> None:
    acc = feed(DliAccumulator(), [(local(1, 2), -3.0), (local(1, 2, 10), -3.0)])
    assert acc.total_mol_m2 == 0.0


def test_state_survives_json() -> None:
    acc = feed(DliAccumulator(), [(local(1, 10), 800.0), (local(1, 10, 5), 700.0)])
    assert DliAccumulator.model_validate_json(acc.model_dump_json()) == acc
