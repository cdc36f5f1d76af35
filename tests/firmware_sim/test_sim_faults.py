"""Injected faults as the edge sees them through the Modbus driver, and fault plans from YAML."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.config_file import ConfigError
from contract.site import Greenhouse, SiteConfig
from edge.drivers.base import NodeUnreachable
from edge.drivers.modbus import ModbusTcpDriver
from firmware_sim.faults import (
    DropoutFault,
    FaultInjector,
    FaultPlan,
    NodeOfflineFault,
    SpikeFault,
    StuckFault,
    load_fault_plan,
)
from firmware_sim.server import SimulatorThread
from tests.firmware_sim.conftest import StartSim
from tests.firmware_sim.support import wait_for


@pytest.fixture
def gh(site: SiteConfig) -> Greenhouse:
    return site.greenhouses[0]


@pytest.fixture
def driver(gh: Greenhouse) -> Iterator[ModbusTcpDriver]:
    d = ModbusTcpDriver(gh.buses[0])
    yield d
    d.close()


@pytest.fixture
def sim(site: SiteConfig, start_sim: StartSim) -> SimulatorThread:
    # ×600: ten simulated minutes per wall second, so sensor values move between reads.
    return start_sim(site, speed=600, seed=5)


def _next_step(sim: SimulatorThread, gh: Greenhouse) -> None:
    """Wait until the physics has moved on by a few steps."""
    at = sim.state(gh.id).at
    wait_for(lambda: sim.state(gh.id).at, lambda now: (now - at).total_seconds() >= 60, what="physics steps")


def test_stuck_sensor_repeats_its_value_until_cleared(
    gh: Greenhouse, sim: SimulatorThread, driver: ModbusTcpDriver
) -> None:
    climate = gh.node_of("air-temp")
    sim.inject(StuckFault(greenhouse=gh.id, sensor="air-temp"))
    first = driver.read_node(climate)
    _next_step(sim, gh)
    second = driver.read_node(climate)
    assert second["air-temp"] == first["air-temp"]
    assert second["air-rh"] != first["air-rh"]  # its neighbours on the node carry on
    sim.clear_faults()
    _next_step(sim, gh)
    assert driver.read_node(climate)["air-temp"] != first["air-temp"]


def test_spike_returns_a_big_jump_on_the_reads_it_hits(
    gh: Greenhouse, sim: SimulatorThread, driver: ModbusTcpDriver
) -> None:
    climate = gh.node_of("co2")
    sim.inject(SpikeFault(greenhouse=gh.id, sensor="co2", factor=3.0, offset=0.0))
    sim.inject(SpikeFault(greenhouse=gh.id, sensor="air-temp", offset=50.0))
    spiked = driver.read_node(climate)
    truth = sim.state(gh.id)
    assert spiked["co2"] == pytest.approx(3 * truth.co2_ppm, rel=0.05)
    assert spiked["air-temp"] == pytest.approx(truth.air_temp_c + 50, abs=0.5)
    sim.clear_faults()
    assert driver.read_node(climate)["air-temp"] == pytest.approx(sim.state(gh.id).air_temp_c, abs=0.5)


def test_occasional_spikes_hit_about_their_share_of_reads(gh: Greenhouse) -> None:
    injector = FaultInjector(FaultPlan(faults=[SpikeFault(greenhouse=gh.id, sensor="par", probability=0.2)]), seed=1)
    values = [injector.sensor_value(gh.id, "par", 100.0, elapsed_s=10) for _ in range(1000)]
    assert set(values) == {100.0, 150.0}
    assert 150 <= values.count(150.0) <= 250


def test_dropout_reads_as_none_while_the_node_still_answers(
    gh: Greenhouse, sim: SimulatorThread, driver: ModbusTcpDriver
) -> None:
    soil = gh.node_of("soil-a1")
    sim.inject(DropoutFault(greenhouse=gh.id, sensor="soil-b2"))
    values = driver.read_node(soil)
    assert values["soil-b2"] is None
    assert all(isinstance(values[s], float) for s in ("soil-a1", "soil-a2", "soil-b1"))
    sim.clear_faults(gh.id)
    assert driver.read_node(soil)["soil-b2"] is not None


def test_offline_node_is_unreachable_until_cleared(
    gh: Greenhouse, sim: SimulatorThread, driver: ModbusTcpDriver
) -> None:
    relays, water = gh.node_of("pump"), gh.node_of("tank-level")
    sim.inject(NodeOfflineFault(greenhouse=gh.id, node="water"))
    sim.inject(NodeOfflineFault(greenhouse=gh.id, node="relays"))
    with pytest.raises(NodeUnreachable) as err:
        driver.read_node(water)
    assert err.value.node_id == "water"
    with pytest.raises(NodeUnreachable):
        driver.write_actuator(relays, gh.actuators["pump"], True, None)
    assert not sim.state(gh.id).actuators["pump"].on  # the command never reached the board
    assert driver.read_node(gh.node_of("air-temp"))["air-temp"] is not None  # the other nodes still answer
    sim.clear_faults()
    assert driver.read_node(water)["tank-level"] is not None
    driver.write_actuator(relays, gh.actuators["pump"], True, None)
    assert sim.state(gh.id).actuators["pump"].on


def test_planned_fault_starts_and_ends_on_simulated_time(
    site: SiteConfig, gh: Greenhouse, start_sim: StartSim, driver: ModbusTcpDriver
) -> None:
    # At ×600 the fault covers simulated minutes 10–20: wall seconds 1–2 after the start.
    plan = FaultPlan(faults=[DropoutFault(greenhouse=gh.id, sensor="par", start_s=600, duration_s=600)])
    sim = start_sim(site, speed=600, faults=plan)
    climate = gh.node_of("par")
    assert driver.read_node(climate)["par"] is not None
    wait_for(lambda: driver.read_node(climate)["par"], lambda par: par is None, timeout_s=3, what="dropout begins")
    assert sim.state(gh.id).par_umol_m2_s > 0
    wait_for(lambda: driver.read_node(climate)["par"], lambda par: par is not None, timeout_s=3, what="dropout ends")


def test_stuck_value_is_the_one_at_the_start_of_the_fault() -> None:
    injector = FaultInjector(FaultPlan(faults=[StuckFault(greenhouse="g", sensor="s", start_s=100)]), seed=0)
    for elapsed_s, true_value in ((50, 1.0), (100, 2.0), (150, 3.0)):
        injector.freeze("g", {"s": true_value}, elapsed_s)
    assert injector.sensor_value("g", "s", 3.0, elapsed_s=150) == 2.0
    assert math.isnan(
        FaultInjector(FaultPlan(faults=[DropoutFault(greenhouse="g", sensor="s")]), 0).sensor_value("g", "s", 1.0, 0)
    )


def test_fault_plan_loads_from_yaml_and_is_checked_against_the_site(tmp_path: Path, site: SiteConfig) -> None:
    path = tmp_path / "faults.yaml"
    path.write_text(
        "faults:\n"
        "  - {kind: stuck, greenhouse: ca-chua-1, sensor: soil-a1, start_s: 3600, duration_s: 7200}\n"
        "  - {kind: spike, greenhouse: ca-chua-1, sensor: air-temp, probability: 0.05, offset: 50}\n"
        "  - {kind: node_offline, greenhouse: rau-la-1, node: relays, start_s: 1800}\n",
        encoding="utf-8",
    )
    plan = load_fault_plan(path)
    assert [f.kind for f in plan.faults] == ["stuck", "spike", "node_offline"]
    assert plan.faults[0].active(3600) and not plan.faults[0].active(3600 + 7200)
    assert plan.faults[2].active(10**7)
    plan.check(site)

    path.write_text("faults:\n  - {kind: stuck, greenhouse: ca-chua-1, sensr: soil-a1}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_fault_plan(path)
    assert any(":2:" in p for p in err.value.problems)
    with pytest.raises(ValueError, match="no sensor 'soil-z9'"):
        FaultPlan(faults=[DropoutFault(greenhouse="ca-chua-1", sensor="soil-z9")]).check(site)


def test_faults_stay_in_their_greenhouse(site: SiteConfig, start_sim: StartSim) -> None:
    first, second = site.greenhouses[0], site.greenhouses[1]
    sim = start_sim(site)
    sim.inject(DropoutFault(greenhouse=first.id, sensor="air-temp"))
    drivers = [ModbusTcpDriver(g.buses[0]) for g in (first, second)]
    try:
        assert drivers[0].read_node(first.node_of("air-temp"))["air-temp"] is None
        assert drivers[1].read_node(second.node_of("air-temp"))["air-temp"] is not None
    finally:
        for d in drivers:
            d.close()
