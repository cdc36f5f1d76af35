"""What an ingest process tells the process that serves the API: once a second its figures and whether its loops
turn, every five seconds the greenhouses whose health changed."""

from __future__ import annotations

from pydantic import BaseModel

from gateway.health import Pulse
from gateway.ingest.figures import IngestFigures
from gateway.live.registry import HouseSnapshot

# How often an ingest process reports its figures and its loops' health.
REPORT_EVERY_S = 1.0
# Every how many reports it sends the greenhouses whose health changed: a busy process's houses take tens of
# milliseconds to write and read each time (docs/benchmarks.md), and the health report's "silent" is minutes.
HOUSES_EVERY = 5


class PulseState(BaseModel):
    name: str
    problem: str | None
    errors: int

    @classmethod
    def of(cls, pulse: Pulse) -> PulseState:
        return cls(name=pulse.name, problem=pulse.problem(), errors=pulse.errors)


class WorkerReport(BaseModel):
    subscribed: bool  # the broker has granted every subscription
    figures: IngestFigures
    pulses: list[PulseState]
    houses: list[HouseSnapshot]  # changed since they were last sent
