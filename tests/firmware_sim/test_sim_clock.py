"""The simulator keeps simulated time with the shared clock, even fast and while being polled."""

from __future__ import annotations

import time

from contract.site import SiteConfig
from edge.drivers.modbus import ModbusTcpDriver
from tests.firmware_sim.conftest import StartSim


def test_keeps_up_with_a_clock_at_x1000_for_three_polled_greenhouses(site: SiteConfig, start_sim: StartSim) -> None:
    sim = start_sim(site, speed=1000)
    clock = sim.simulator.clock
    drivers = [ModbusTcpDriver(g.buses[0]) for g in site.greenhouses]
    try:
        reads = 0
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            for g, driver in zip(site.greenhouses, drivers, strict=True):
                for node in g.nodes:
                    reads += len(driver.read_node(node))
        lag_s = [(clock.now() - sim.state(g.id).at).total_seconds() for g in site.greenhouses]
    finally:
        for d in drivers:
            d.close()
    # Physics steps are 10 simulated seconds; at ×1000 a tick is 10 ms of wall time.
    assert max(lag_s) < 60, lag_s
    assert (sim.state(site.greenhouses[0].id).at - sim.simulator.start).total_seconds() > 1400
    assert reads > 300
