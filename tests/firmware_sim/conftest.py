from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from contract.clock import Clock
from contract.site import SiteConfig
from firmware_sim.server import Simulator, SimulatorThread
from tests.firmware_sim.support import example_site

# Mid-January mid-morning in Mộc Châu: sun up, soil and tank as the example starts them.
START = (2026, 1, 15, 10, 0)

StartSim = Callable[..., SimulatorThread]


@pytest.fixture
def site(tmp_path: Path) -> SiteConfig:
    return example_site(tmp_path)


@pytest.fixture
def start_sim() -> Iterator[StartSim]:
    """Starts a simulator in a thread (clock at START, ×60 unless told); stops every one at the end."""
    handles: list[SimulatorThread] = []

    def start(site: SiteConfig, speed: float = 60.0, **kwargs: object) -> SimulatorThread:
        clock = Clock(origin=datetime(*START, tzinfo=site.cooperative.tz), speed=speed)
        handle = Simulator(site, clock, **kwargs).start_in_thread()  # type: ignore[arg-type]
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()
