"""Growing degree days from the day's extreme temperatures."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict


def growing_degree_days_c_day(
    tmin_c: float, tmax_c: float, base_c: float, upper_cutoff_c: float | None = None
) -> float:
    """Averaging method; above ``upper_cutoff_c`` the crop develops no faster, so warmer counts as the cutoff."""
    if upper_cutoff_c is not None:
        tmin_c, tmax_c = min(tmin_c, upper_cutoff_c), min(tmax_c, upper_cutoff_c)
    return max(0.0, (tmax_c + tmin_c) / 2 - base_c)  # McMaster & Wilhelm (1997), Agric. For. Meteorol. 87, method 1


class DailyTemperatureRange(BaseModel):
    """Lowest and highest temperature of one local day so far; ``add`` returns the next state."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    day: date | None = None
    tmin_c: float | None = None
    tmax_c: float | None = None

    def add(self, sample_ts: datetime, t_c: float, tz: ZoneInfo) -> DailyTemperatureRange:
        day = sample_ts.astimezone(tz).date()
        if self.day is not None and day < self.day:
            return self  # a late sample of a day already closed
        if day != self.day or self.tmin_c is None or self.tmax_c is None:
            return DailyTemperatureRange(day=day, tmin_c=t_c, tmax_c=t_c)
        return DailyTemperatureRange(day=day, tmin_c=min(self.tmin_c, t_c), tmax_c=max(self.tmax_c, t_c))

    def gdd_c_day(self, base_c: float, upper_cutoff_c: float | None = None) -> float | None:
        """Degree days of the day so far; None before any sample."""
        if self.tmin_c is None or self.tmax_c is None:
            return None
        return growing_degree_days_c_day(self.tmin_c, self.tmax_c, base_c, upper_cutoff_c)
