"""Wall time or scaled simulated time, agreed on by separate processes.

A scaled clock is fully described by (origin, speed, wall_origin): every process
given the same three values computes the same simulated time, so the simulator
and the edge agents run at 120× without talking to each other about time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Clock(BaseModel):
    """Simulated time = origin + (wall − wall_origin) × speed; speed 1 with no origin is real time."""

    model_config = ConfigDict(frozen=True)

    origin: AwareDatetime | None = None
    speed: float = Field(default=1.0, gt=0, le=100_000)
    wall_origin: float = Field(default_factory=time.time)

    def now(self) -> datetime:
        if self.origin is None:
            return datetime.now(UTC) if self.speed == 1 else self._scaled(datetime.now(UTC))
        return self._scaled(self.origin)

    def _scaled(self, origin: datetime) -> datetime:
        return origin + timedelta(seconds=(time.time() - self.wall_origin) * self.speed)

    def wall_seconds(self, sim_seconds: float) -> float:
        """How long ``sim_seconds`` of simulated time takes on the wall."""
        return sim_seconds / self.speed

    def to_arg(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_arg(cls, text: str) -> Clock:
        return cls.model_validate_json(text)
