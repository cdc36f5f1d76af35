"""The simulator keeps simulated time with the shared clock, even fast and while every bus is being polled."""

from __future__ import annotations

import time
from contextlib import ExitStack

from contract.site import SiteConfig
from edge.fieldbus import FieldIO
from tests.firmware_sim.conftest import StartSim


def test_keeps_up_with_a_clock_at_x1000_for_three_polled_greenhouses(site: SiteConfig, start_sim: StartSim) -> None:
    sim = start_sim(site, speed=1000)
    clock = sim.simulator.clock
    with ExitStack() as stack:
        fields = [stack.enter_context(FieldIO(g)) for g in site.greenhouses]
        values = polls = 0
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            # Every node of every greenhouse asked at once, each greenhouse's three buses in parallel.
            for field in fields:
                field.poll()
            for field in fields:
                while not field.poll_done():
                    time.sleep(0.005)
                reads = field.take_reads()
                assert all(r.values is not None for r in reads), [r.detail for r in reads if r.values is None]
                values += sum(len(r.values or {}) for r in reads)
            polls += 1
        lag_s = [(clock.now() - sim.state(g.id).at).total_seconds() for g in site.greenhouses]
    # Physics steps are 10 simulated seconds; at ×1000 a tick is 10 ms of wall time.
    assert max(lag_s) < 60, lag_s
    assert (sim.state(site.greenhouses[0].id).at - sim.simulator.start).total_seconds() > 1400
    # Polled back to back throughout: each poll is every sensor of all three greenhouses, taking its time on the
    # simulated wire (some 0.2 s at 9600 and 4800 baud).
    assert polls >= 3
    assert values == polls * sum(len(g.sensors) for g in site.greenhouses)
