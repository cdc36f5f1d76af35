"""Rates over a steady window and percentiles, from timestamped samples of running totals."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Timeline:
    """(wall time, running total) samples of one counter."""

    samples: list[tuple[float, int]] = field(default_factory=list)

    def add(self, wall: float, total: int) -> None:
        self.samples.append((wall, total))

    def rate(self, start: float, end: float) -> float:
        """Per second between the first sample at or after ``start`` and the last at or before ``end``."""
        inside = [(t, v) for t, v in self.samples if start <= t <= end]
        if len(inside) < 2:
            return math.nan
        (t0, v0), (t1, v1) = inside[0], inside[-1]
        return (v1 - v0) / (t1 - t0) if t1 > t0 else math.nan

    def last(self) -> int:
        return self.samples[-1][1] if self.samples else 0

    def recent_rate(self, span_s: float) -> float:
        if not self.samples:
            return math.nan
        end = self.samples[-1][0]
        return self.rate(end - span_s, end)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]
