"""The simulator's nodes over real Modbus TCP (a gateway in front of each bus), read and driven by the edge's
field bus layer."""

from __future__ import annotations

import time

import pytest
from pymodbus.client import ModbusTcpClient

from contract.site import Calibration, FailSafe, Greenhouse, SiteConfig
from edge.fieldbus import FieldIO, NodeRead, PositionWrite, Quarantine, SwitchWrite, WriteResult
from tests.edge.fieldbus.support import one_poll, wait_for, write
from tests.firmware_sim.conftest import StartSim
from tests.firmware_sim.support import modbus_tcp_example, recalibrated, replace_greenhouse, with_fail_safe
from tests.firmware_sim.support import wait_for as wait_sim


@pytest.fixture
def site() -> SiteConfig:
    return modbus_tcp_example()


def sensor_values(io: FieldIO) -> dict[str, float | None]:
    """Every sensor's raw value from one poll, by sensor id; a node that did not answer fails the test."""
    reads = one_poll(io)
    silent = {r.node_id: r.detail for r in reads.values() if r.values is None}
    assert not silent, silent
    return {sensor: value for r in reads.values() for sensor, value in (r.values or {}).items()}


def switch(io: FieldIO, gh: Greenhouse, actuator_id: str, on: bool) -> WriteResult:
    on_off = gh.actuators[actuator_id].on_off
    assert on_off is not None
    result = write(io, gh.node_of(actuator_id), SwitchWrite(key=actuator_id, switch=on_off, on=on))
    assert result.ok, result.detail
    return result


def position(io: FieldIO, gh: Greenhouse, actuator_id: str, pct: float) -> None:
    register = gh.actuators[actuator_id].holding_register
    assert register is not None
    target = PositionWrite(key=actuator_id, register=register, position_pct=pct)
    result = write(io, gh.node_of(actuator_id), target)
    assert result.ok, result.detail


def test_field_io_reads_raw_values_that_calibrate_to_the_true_state(site: SiteConfig, start_sim: StartSim) -> None:
    calibration = Calibration(scale=0.1, offset=-5.0)
    gh = recalibrated(site.greenhouses[0], "air-temp", calibration)
    sim = start_sim(replace_greenhouse(site, gh), seed=3)
    with FieldIO(gh) as io:
        raw = sensor_values(io)
    truth = sim.state(gh.id)
    assert set(raw) == {s.id for n in gh.nodes for s in n.sensors}
    raw_temp = raw["air-temp"]
    assert raw_temp is not None
    assert raw_temp == pytest.approx((truth.air_temp_c + 5.0) / 0.1, abs=5)
    assert calibration.apply(raw_temp) == pytest.approx(truth.air_temp_c, abs=0.5)
    assert raw["co2"] == pytest.approx(truth.co2_ppm, abs=20)
    assert raw["par"] == pytest.approx(truth.par_umol_m2_s, rel=0.05)
    assert raw["tank-level"] == pytest.approx(truth.tank_level_pct, abs=1.5)
    assert raw["solar"] == pytest.approx(truth.outdoor.solar_w_m2, rel=0.05)
    assert raw["rain"] == truth.outdoor.rain_mm_h


def test_written_outputs_and_registers_drive_the_physics(site: SiteConfig, start_sim: StartSim) -> None:
    gh = site.greenhouses[0]
    sim = start_sim(site, speed=600)
    with FieldIO(gh) as io:
        before = sim.state(gh.id)
        soil_before = sensor_values(io)["soil-a1"]
        switch(io, gh, "valve-a", True)
        switch(io, gh, "pump", True)
        position(io, gh, "roof-vent", 40.6)
        state = sim.state(gh.id)
        assert state.actuators["valve-a"].on and state.actuators["pump"].on
        assert not state.actuators["valve-b"].on
        assert state.actuators["roof-vent"].position_pct == 41

        watering = wait_sim(lambda: sim.state(gh.id), lambda s: s.water_total_l >= 250, what="250 L delivered")
        assert watering.water_flow_l_min == pytest.approx(25)
        assert watering.tank_l < before.tank_l
        assert watering.soil_vwc_pct["khu-a"] > before.soil_vwc_pct["khu-a"] + 0.25
        now = sensor_values(io)
        wetter = now["soil-a1"]
        assert wetter is not None and soil_before is not None and wetter > soil_before
        assert now["water-flow"] == pytest.approx(25)

        switch(io, gh, "pump", False)
        stopped = wait_sim(lambda: sim.state(gh.id), lambda s: s.water_flow_l_min == 0, what="flow stops")
        assert stopped.actuators["valve-a"].on  # the valve stays open; without the pump nothing flows


def test_outputs_read_back_and_out_of_range_positions_are_refused(site: SiteConfig, start_sim: StartSim) -> None:
    gh = site.greenhouses[0]
    start_sim(site)
    shade, fan = gh.node_of("shade"), gh.node_of("fan")
    with FieldIO(gh) as io:
        position(io, gh, "shade", 75)
        assert switch(io, gh, "fan", True).verified
        reads = one_poll(io)
    assert reads[shade.id].outputs["shade"] == 75
    assert reads[fan.id].outputs["fan"] is True
    register = gh.actuators["shade"].holding_register
    assert register is not None
    bus = gh.bus_of(shade)
    client = ModbusTcpClient(bus.host, port=bus.port, timeout=1)  # type: ignore[union-attr]
    try:
        assert client.read_holding_registers(register, count=1, device_id=shade.address).registers == [75]
        refused = client.write_register(register, 150, device_id=shade.address)
        assert refused.isError() and refused.exception_code == 3
        assert client.read_holding_registers(register, count=1, device_id=shade.address).registers == [75]
    finally:
        client.close()


def test_unit_not_on_the_bus_does_not_answer_and_the_rest_of_the_bus_does(
    site: SiteConfig, start_sim: StartSim
) -> None:
    gh = site.greenhouses[0]
    start_sim(site)
    first = gh.nodes[0]
    ghost = first.model_copy(
        update={
            "id": "ghost",
            "address": 99,
            "sensors": [s.model_copy(update={"id": f"ghost-{s.id}"}) for s in first.sensors],
        }
    )
    with FieldIO(gh.model_copy(update={"nodes": [*gh.nodes, ghost]})) as io:
        reads = one_poll(io)
    assert reads["ghost"].values is None
    assert "exception 11" in reads["ghost"].detail
    assert reads[first.id].values is not None and reads[first.id].values["air-temp"] is not None


def _answered(reads: dict[str, NodeRead], node_id: str) -> bool:
    return reads[node_id].values is not None


def test_field_io_reads_again_after_the_gateway_comes_back(site: SiteConfig, start_sim: StartSim) -> None:
    gh = site.greenhouses[0]
    node = gh.node_of("air-temp").id
    first = start_sim(site)
    with FieldIO(gh, Quarantine(first_s=0.2, max_s=0.2)) as io:
        assert _answered(one_poll(io), node)
        first.stop()
        assert not _answered(one_poll(io), node)
        start_sim(site)
        wait_for(lambda: one_poll(io), lambda reads: _answered(reads, node), "a read after the gateway came back")


def test_relay_watchdog_drives_outputs_to_fail_safe_when_the_master_goes_silent(
    site: SiteConfig, start_sim: StartSim
) -> None:
    # The fan is configured to fail on (say, to keep a house from overheating) to show the fail-safe is the site's.
    gh = with_fail_safe(site.greenhouses[0], "fan", FailSafe(on=True))
    sim = start_sim(replace_greenhouse(site, gh), watchdog_s=0.6)
    with FieldIO(gh) as io:
        assert sim.state(gh.id).actuators["fan"].on  # boards power up in their fail-safe state
        switch(io, gh, "fan", False)
        switch(io, gh, "pump", True)
        position(io, gh, "roof-vent", 60)
        # A master writing every 0.2 s keeps the watchdog fed.
        for _ in range(6):
            time.sleep(0.2)
            switch(io, gh, "pump", True)
            state = sim.state(gh.id)
            assert state.actuators["pump"].on and not state.actuators["fan"].on
        safe = wait_sim(lambda: sim.state(gh.id), lambda s: not s.actuators["pump"].on, what="watchdog trips")
        assert safe.actuators["fan"].on
        assert safe.actuators["roof-vent"].position_pct == 0
        # The master's next write takes over again.
        switch(io, gh, "pump", True)
        assert sim.state(gh.id).actuators["pump"].on
