"""Injected faults as the edge sees them through its field bus layer (the example's RS485 buses), and fault plans
from YAML."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.config_file import ConfigError
from contract.site import Greenhouse, SiteConfig
from edge.fieldbus import FieldIO, NodeRead, Quarantine, SwitchWrite, WriteResult
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
from tests.edge.fieldbus.support import one_poll, write
from tests.firmware_sim.conftest import StartSim
from tests.firmware_sim.support import wait_for

# A node that stopped answering is probed again soon, so that a cleared fault shows at the next read.
QUICK_PROBE = Quarantine(first_s=0.2, max_s=0.2)


@pytest.fixture
def gh(site: SiteConfig) -> Greenhouse:
    return site.greenhouses[0]


@pytest.fixture
def sim(site: SiteConfig, start_sim: StartSim) -> SimulatorThread:
    # ×600: ten simulated minutes per wall second, so sensor values move between reads.
    return start_sim(site, speed=600, seed=5)


@pytest.fixture
def io(gh: Greenhouse, sim: SimulatorThread) -> Iterator[FieldIO]:
    with FieldIO(gh, QUICK_PROBE) as field:
        yield field


def _read(io: FieldIO, node_id: str) -> NodeRead:
    return one_poll(io)[node_id]


def _values(io: FieldIO, node_id: str) -> dict[str, float | None]:
    """The node's sensors' raw values from one poll; a node that did not answer fails the test."""
    read = _read(io, node_id)
    assert read.values is not None, read.detail
    return read.values


def _switch_pump(io: FieldIO, gh: Greenhouse) -> WriteResult:
    pump = gh.actuators["pump"].on_off
    assert pump is not None
    return write(io, gh.node_of("pump"), SwitchWrite(key="pump", switch=pump, on=True))


def test_stuck_sensor_repeats_its_value_until_cleared(gh: Greenhouse, sim: SimulatorThread, io: FieldIO) -> None:
    climate = gh.node_of("air-temp").id
    sim.inject(StuckFault(greenhouse=gh.id, sensor="air-temp"))
    first = _values(io, climate)
    # Its neighbour on the node carries on.
    moved = wait_for(lambda: _values(io, climate), lambda v: v["air-rh"] != first["air-rh"], what="humidity moves")
    assert moved["air-temp"] == first["air-temp"]
    sim.clear_faults()
    wait_for(lambda: _values(io, climate)["air-temp"], lambda t: t != first["air-temp"], what="temperature moves")


def test_spike_returns_a_big_jump_on_the_reads_it_hits(gh: Greenhouse, sim: SimulatorThread, io: FieldIO) -> None:
    sim.inject(SpikeFault(greenhouse=gh.id, sensor="co2", factor=3.0, offset=0.0))
    sim.inject(SpikeFault(greenhouse=gh.id, sensor="air-temp", offset=50.0))
    reads = one_poll(io)
    truth = sim.state(gh.id)
    co2, climate = reads[gh.node_of("co2").id].values, reads[gh.node_of("air-temp").id].values
    assert co2 is not None and climate is not None
    assert co2["co2"] == pytest.approx(3 * truth.co2_ppm, rel=0.05)
    assert climate["air-temp"] == pytest.approx(truth.air_temp_c + 50, abs=0.5)
    sim.clear_faults()
    assert _values(io, gh.node_of("air-temp").id)["air-temp"] == pytest.approx(sim.state(gh.id).air_temp_c, abs=0.5)


def test_occasional_spikes_hit_about_their_share_of_reads(gh: Greenhouse) -> None:
    injector = FaultInjector(FaultPlan(faults=[SpikeFault(greenhouse=gh.id, sensor="par", probability=0.2)]), seed=1)
    values = [injector.sensor_value(gh.id, "par", 100.0, elapsed_s=10) for _ in range(1000)]
    assert set(values) == {100.0, 150.0}
    assert 150 <= values.count(150.0) <= 250


def test_dropout_reads_as_no_number_while_the_node_still_answers(
    gh: Greenhouse, sim: SimulatorThread, io: FieldIO
) -> None:
    canopy, soil = gh.node_of("leaf-temp"), gh.node_of("soil-b2")
    sim.inject(DropoutFault(greenhouse=gh.id, sensor="leaf-temp"))
    sim.inject(DropoutFault(greenhouse=gh.id, sensor="soil-b2"))
    reads = one_poll(io)
    values = reads[canopy.id].values
    assert values is not None
    assert values["leaf-temp"] is None  # a float register pair holds NaN: no reading at all
    assert isinstance(values["par"], float)  # its neighbour on the node carries on
    # An integer register cannot hold NaN: the probe shows its largest raw value, far outside any range.
    probe = reads[soil.id].values
    assert probe is not None
    moisture = probe["soil-b2"]
    assert moisture is not None and not soil.sensors[0].range.contains(moisture)
    assert all(isinstance(reads[gh.node_of(s).id].values, dict) for s in ("soil-a1", "soil-a2", "soil-b1"))
    sim.clear_faults(gh.id)
    reads = one_poll(io)
    assert (reads[canopy.id].values or {}).get("leaf-temp") is not None
    moisture = (reads[soil.id].values or {}).get("soil-b2")
    assert moisture is not None and soil.sensors[0].range.contains(moisture)


def test_offline_node_is_unreachable_until_cleared(gh: Greenhouse, sim: SimulatorThread, io: FieldIO) -> None:
    water = gh.node_of("tank-level")
    sim.inject(NodeOfflineFault(greenhouse=gh.id, node="water"))
    sim.inject(NodeOfflineFault(greenhouse=gh.id, node="relays"))
    reads = one_poll(io)
    assert reads["water"].values is None
    assert f"unit {water.address}" in reads["water"].detail
    assert not _switch_pump(io, gh).ok
    assert not sim.state(gh.id).actuators["pump"].on  # the command never reached the board
    climate = reads[gh.node_of("air-temp").id].values
    assert climate is not None and climate["air-temp"] is not None  # the other nodes still answer
    sim.clear_faults()
    wait_for(lambda: _read(io, "water").values, lambda v: v is not None, what="the water node answers again")
    assert _switch_pump(io, gh).ok
    assert sim.state(gh.id).actuators["pump"].on


def test_planned_fault_starts_and_ends_on_simulated_time(gh: Greenhouse, site: SiteConfig, start_sim: StartSim) -> None:
    # At ×600 the fault covers simulated minutes 10–20: wall seconds 1–2 after the start.
    plan = FaultPlan(faults=[DropoutFault(greenhouse=gh.id, sensor="par", start_s=600, duration_s=600)])
    sim = start_sim(site, speed=600, faults=plan)
    canopy = gh.node_of("par")
    # Only the canopy node is read, so that the reads come often enough to see the fault's wall second.
    with FieldIO(gh.model_copy(update={"nodes": [canopy]}), QUICK_PROBE) as io:
        assert _values(io, canopy.id)["par"] is not None
        wait_for(lambda: _values(io, canopy.id)["par"], lambda par: par is None, what="dropout begins")
        assert sim.state(gh.id).par_umol_m2_s > 0
        wait_for(lambda: _values(io, canopy.id)["par"], lambda par: par is not None, what="dropout ends")


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
    sim.inject(DropoutFault(greenhouse=first.id, sensor="leaf-temp"))
    node = first.node_of("leaf-temp").id
    with FieldIO(first) as in_first, FieldIO(second) as in_second:
        assert _values(in_first, node)["leaf-temp"] is None
        assert _values(in_second, node)["leaf-temp"] is not None
