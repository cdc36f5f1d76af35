"""Daily light integral: photosynthetic photon flux summed over the local day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# Longer than this between two samples and nothing is known of the light in between.
DEFAULT_MAX_GAP = timedelta(minutes=15)


def photons_mol_m2(par_umol_m2_s: float, seconds: float) -> float:
    """Photons received at a constant ``par_umol_m2_s`` over ``seconds``."""
    return par_umol_m2_s * seconds / 1e6  # DLI = Σ PAR·Δt / 10⁶ (Torres & Lopez, Purdue Extension HO-238-W)


class DliAccumulator(BaseModel):
    """Running DLI of one local day; ``add`` returns the next state and never reads a clock."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    day: date | None = None  # the local day ``total_mol_m2`` belongs to
    total_mol_m2: float = Field(default=0.0, ge=0)
    last_ts: AwareDatetime | None = None
    last_par_umol_m2_s: float | None = None

    def add(
        self, sample_ts: datetime, par_umol_m2_s: float, tz: ZoneInfo, max_gap: timedelta = DEFAULT_MAX_GAP
    ) -> DliAccumulator:
        """Integrate from the previous sample to this one with the trapezoid rule; reset at local midnight."""
        if self.last_ts is not None and sample_ts <= self.last_ts:
            return self  # a repeated or late sample: that time is already counted
        par = max(par_umol_m2_s, 0.0)  # a sensor's dark offset can read a little below zero; light cannot
        day = sample_ts.astimezone(tz).date()
        total = self.total_mol_m2 if day == self.day else 0.0
        if self.last_ts is not None and self.last_par_umol_m2_s is not None and sample_ts - self.last_ts <= max_gap:
            total += _trapezoid_since(self.last_ts, self.last_par_umol_m2_s, sample_ts, par, _midnight(day, tz))
        return DliAccumulator(day=day, total_mol_m2=total, last_ts=sample_ts, last_par_umol_m2_s=par)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def _trapezoid_since(t0: datetime, par0: float, t1: datetime, par1: float, start: datetime) -> float:
    """Photons of the straight line from (t0, par0) to (t1, par1), counted from ``start`` on."""
    if start <= t0:
        return photons_mol_m2((par0 + par1) / 2, (t1 - t0).total_seconds())
    # The segment crosses midnight: only the part after it belongs to the new day.
    par_start = par0 + (par1 - par0) * (start - t0) / (t1 - t0)
    return photons_mol_m2((par_start + par1) / 2, (t1 - start).total_seconds())
