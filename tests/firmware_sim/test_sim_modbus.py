"""The simulator's nodes over real Modbus TCP, read and driven by the edge's driver."""

from __future__ import annotations

import time

import pytest
from pymodbus.client import ModbusTcpClient

from contract.site import Calibration, FailSafe, SiteConfig
from edge.drivers.base import NodeUnreachable
from edge.drivers.modbus import ModbusTcpDriver
from tests.firmware_sim.conftest import StartSim
from tests.firmware_sim.support import recalibrated, replace_greenhouse, wait_for, with_fail_safe


def test_driver_reads_raw_values_that_calibrate_to_the_true_state(site: SiteConfig, start_sim: StartSim) -> None:
    calibration = Calibration(scale=0.1, offset=-5.0)
    gh = recalibrated(site.greenhouses[0], "air-temp", calibration)
    sim = start_sim(replace_greenhouse(site, gh), seed=3)
    driver = ModbusTcpDriver(gh.buses[0])
    try:
        climate, water, weather = (next(n for n in gh.nodes if n.id == i) for i in ("climate", "water", "weather"))
        raw = driver.read_node(climate)
        truth = sim.state(gh.id)
        assert set(raw) == {s.id for s in climate.sensors}
        raw_temp = raw["air-temp"]
        assert raw_temp is not None
        assert raw_temp == pytest.approx((truth.air_temp_c + 5.0) / 0.1, abs=5)
        assert calibration.apply(raw_temp) == pytest.approx(truth.air_temp_c, abs=0.5)
        assert raw["co2"] == pytest.approx(truth.co2_ppm, abs=20)
        assert raw["par"] == pytest.approx(truth.par_umol_m2_s, rel=0.05)
        assert driver.read_node(water)["tank-level"] == pytest.approx(truth.tank_level_pct, abs=1.5)
        outdoor = driver.read_node(weather)
        assert outdoor["solar"] == pytest.approx(truth.outdoor.solar_w_m2, rel=0.05)
        assert outdoor["rain"] == truth.outdoor.rain_mm_h
    finally:
        driver.close()


def test_written_coils_and_registers_drive_the_physics(site: SiteConfig, start_sim: StartSim) -> None:
    gh = site.greenhouses[0]
    sim = start_sim(site, speed=600)
    relays, soil = gh.node_of("pump"), gh.node_of("soil-a1")
    actuators = gh.actuators
    driver = ModbusTcpDriver(gh.buses[0])
    try:
        before = sim.state(gh.id)
        soil_before = driver.read_node(soil)
        driver.write_actuator(relays, actuators["valve-a"], True, None)
        driver.write_actuator(relays, actuators["pump"], True, None)
        driver.write_actuator(relays, actuators["roof-vent"], True, 40.6)
        state = sim.state(gh.id)
        assert state.actuators["valve-a"].on and state.actuators["pump"].on
        assert not state.actuators["valve-b"].on
        assert state.actuators["roof-vent"].position_pct == 41

        watering = wait_for(lambda: sim.state(gh.id), lambda s: s.water_total_l >= 250, what="250 L delivered")
        assert watering.water_flow_l_min == pytest.approx(25)
        assert watering.tank_l < before.tank_l
        assert watering.soil_vwc_pct["khu-a"] > before.soil_vwc_pct["khu-a"] + 0.25
        wetter, drier = driver.read_node(soil)["soil-a1"], soil_before["soil-a1"]
        assert wetter is not None and drier is not None and wetter > drier
        assert driver.read_node(gh.node_of("water-flow"))["water-flow"] == pytest.approx(25)

        driver.write_actuator(relays, actuators["pump"], False, None)
        stopped = wait_for(lambda: sim.state(gh.id), lambda s: s.water_flow_l_min == 0, what="flow stops")
        assert stopped.actuators["valve-a"].on  # the valve stays open; without the pump nothing flows
    finally:
        driver.close()


def test_registers_read_back_and_out_of_range_positions_are_refused(site: SiteConfig, start_sim: StartSim) -> None:
    gh = site.greenhouses[0]
    start_sim(site)
    relays = gh.node_of("pump")
    driver = ModbusTcpDriver(gh.buses[0])
    client = ModbusTcpClient(gh.buses[0].host, port=gh.buses[0].port, timeout=1)
    try:
        driver.write_actuator(relays, gh.actuators["shade"], False, 75)
        driver.write_actuator(relays, gh.actuators["fan"], True, None)
        assert client.read_holding_registers(0, count=3, device_id=relays.address).registers == [0, 0, 75]
        assert client.read_coils(0, count=6, device_id=relays.address).bits[:6] == [False] * 3 + [True] + [False] * 2
        refused = client.write_register(2, 150, device_id=relays.address)
        assert refused.isError() and refused.exception_code == 3
        assert client.read_holding_registers(2, count=1, device_id=relays.address).registers == [75]
    finally:
        client.close()
        driver.close()


def test_unit_not_on_the_bus_is_unreachable(site: SiteConfig, start_sim: StartSim) -> None:
    gh = site.greenhouses[0]
    start_sim(site)
    ghost = gh.nodes[0].model_copy(update={"id": "ghost", "address": 99})
    driver = ModbusTcpDriver(gh.buses[0])
    try:
        with pytest.raises(NodeUnreachable, match="exception 11") as err:
            driver.read_node(ghost)
        assert err.value.node_id == "ghost"
        assert driver.read_node(gh.nodes[0])["air-temp"] is not None  # the rest of the bus is fine
    finally:
        driver.close()


def test_driver_reconnects_after_the_gateway_comes_back(site: SiteConfig, start_sim: StartSim) -> None:
    gh = site.greenhouses[0]
    first = start_sim(site)
    driver = ModbusTcpDriver(gh.buses[0])
    try:
        assert driver.read_node(gh.nodes[0])["air-temp"] is not None
        first.stop()
        with pytest.raises(NodeUnreachable):
            driver.read_node(gh.nodes[0])
        start_sim(site)
        assert driver.read_node(gh.nodes[0])["air-temp"] is not None
    finally:
        driver.close()


def test_relay_watchdog_drives_outputs_to_fail_safe_when_the_master_goes_silent(
    site: SiteConfig, start_sim: StartSim
) -> None:
    # The fan is configured to fail on (say, to keep a house from overheating) to show the fail-safe is the site's.
    gh = with_fail_safe(site.greenhouses[0], "fan", FailSafe(on=True))
    sim = start_sim(replace_greenhouse(site, gh), watchdog_s=0.6)
    relays = gh.node_of("pump")
    driver = ModbusTcpDriver(gh.buses[0])
    try:
        assert sim.state(gh.id).actuators["fan"].on  # boards power up in their fail-safe state
        driver.write_actuator(relays, gh.actuators["fan"], False, None)
        driver.write_actuator(relays, gh.actuators["pump"], True, None)
        driver.write_actuator(relays, gh.actuators["side-curtain"], True, 60)
        # A master writing every 0.2 s keeps the watchdog fed.
        for _ in range(6):
            time.sleep(0.2)
            driver.write_actuator(relays, gh.actuators["pump"], True, None)
            state = sim.state(gh.id)
            assert state.actuators["pump"].on and not state.actuators["fan"].on
        safe = wait_for(lambda: sim.state(gh.id), lambda s: not s.actuators["pump"].on, what="watchdog trips")
        assert safe.actuators["fan"].on
        assert safe.actuators["side-curtain"].position_pct == 0
        # The master's next write takes over again.
        driver.write_actuator(relays, gh.actuators["pump"], True, None)
        assert sim.state(gh.id).actuators["pump"].on
    finally:
        driver.close()
