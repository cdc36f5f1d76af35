"""The simulator serving a greenhouse's buses as the site says: an RS485 bus on a pty (rtu_serial), one behind an
RTU-over-TCP converter, profiled devices on them, a motorised curtain, and the bus faults of a fault plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pymodbus.exceptions import ModbusIOException

from contract.devices.encoding import Table, decode
from contract.devices.profile import shipped_profiles
from contract.site import Greenhouse, RtuSerialBus, RtuTcpBus, SiteConfig
from contract.site_file import load_site
from edge.fieldbus import FieldIO, SwitchWrite
from firmware_sim.faults import (
    CorruptCrcFault,
    DeadNodeFault,
    FaultPlan,
    IgnoredWriteFault,
    MotorStallFault,
    NodeOfflineFault,
)
from firmware_sim.nodes import MotorSim
from firmware_sim.physics import ActuatorState
from firmware_sim.server import SimulatorThread
from greenhouse.net import free_port
from greenhouse.runtime_site import on_free_ports
from tests.conftest import EXAMPLE_SITE
from tests.edge.fieldbus.support import one_poll, write
from tests.firmware_sim.conftest import StartSim
from tests.firmware_sim.support import modbus_tcp_example, replace_greenhouse, rtu_tcp_master, serial_master, wait_for

MD02, BOARD, CURTAIN = 21, 30, 31
EW11 = "role"
TRAVEL_S = 120.0
MD02_TEMP = shipped_profiles()["xy-md02"].sensors[0].encoding


def rtu_greenhouse(greenhouse: Greenhouse, folder: Path) -> Greenhouse:
    """The example greenhouse on this machine: its two RS485 dongles on ptys in ``folder`` (sensors at 9600 baud,
    soil probes at 4800), its relay boards behind an EW11 (RTU over TCP) on a free port, plus an XY-MD02 on the
    sensor bus, the fan on an Eletechsup board of its own and the side curtain on a motor with a closed-end switch."""
    data: dict[str, Any] = greenhouse.model_dump(mode="json", exclude_none=True)
    data["buses"] = [
        {"protocol": "rtu_serial", "id": "cam-bien", "port": str(folder / "dev" / "ttyUSB0"), "timeout_s": 0.3},
        {"protocol": "rtu_serial", "id": "dat", "port": str(folder / "dev" / "ttyUSB1"), "baud": 4800},
        {"protocol": "rtu_over_tcp", "id": EW11, "host": "127.0.0.1", "port": free_port(), "timeout_s": 0.3},
    ]
    for node in data["nodes"]:
        if node["id"] == "relays":
            node["actuators"] = [a for a in node["actuators"] if a["id"] not in ("fan", "side-curtain")]
    data["nodes"] += [
        {"id": "md02", "bus": "cam-bien", "address": MD02, "profile": "xy-md02", "sensors": [
            {"id": "md02-temp", "point": "temperature"}]},
        {"id": "board", "bus": EW11, "address": BOARD, "profile": "eletechsup-r4d3b16", "actuators": [
            {"id": "fan", "kind": "fan", "output": "relay-4"}]},
        {"id": "curtain", "bus": EW11, "address": CURTAIN, "profile": "waveshare-relay-8", "actuators": [
            {"id": "side-curtain", "kind": "side_curtain", "motor": {
                "open": "relay-1", "close": "relay-2", "travel_s": TRAVEL_S,
                "closed_limit": {"table": "discrete_input", "address": 0, "data_type": "bit"}}}]},
    ]  # fmt: skip
    return Greenhouse.model_validate(data)


@pytest.fixture
def gh(tmp_path: Path) -> Greenhouse:
    return rtu_greenhouse(load_site(EXAMPLE_SITE).greenhouses[0], tmp_path)


@pytest.fixture
def rtu_site(gh: Greenhouse, tmp_path: Path) -> SiteConfig:
    """The example site, the other greenhouses' buses moved onto this machine too."""
    return replace_greenhouse(on_free_ports(load_site(EXAMPLE_SITE), tmp_path), gh)


def _link(gh: Greenhouse) -> Path:
    bus = gh.buses[0]
    assert isinstance(bus, RtuSerialBus)
    return Path(bus.port)


def _ew11(gh: Greenhouse) -> int:
    bus = gh.buses[2]
    assert isinstance(bus, RtuTcpBus)
    return bus.port


def test_simulator_serves_a_serial_and_an_rtu_over_tcp_bus_from_the_site(
    rtu_site: SiteConfig, gh: Greenhouse, start_sim: StartSim
) -> None:
    sim = start_sim(rtu_site, seed=3)
    water = gh.node_of("tank-level")
    with serial_master(_link(gh)) as master:
        generic = master.read_input_registers(0, count=2, device_id=water.address)
        profiled = master.read_input_registers(1, count=1, device_id=MD02)
    truth = sim.state(gh.id)
    assert decode(water.sensors[0].encoding, generic.registers) == pytest.approx(truth.tank_level_pct, abs=1.5)
    assert decode(MD02_TEMP, profiled.registers) == pytest.approx(truth.air_temp_c, abs=0.5)

    valve = gh.actuators["valve-a"].on_off
    assert valve is not None
    with rtu_tcp_master(_ew11(gh)) as master:
        assert not master.write_register(4, 0x0100, device_id=BOARD).isError()
        assert sim.state(gh.id).actuators["fan"].on
        assert master.read_holding_registers(4, count=1, device_id=BOARD).registers == [1]
        relays = gh.node_of("valve-a").address
        assert not master.write_register(valve.address, valve.on_value, device_id=relays).isError()
        assert sim.state(gh.id).actuators["valve-a"].on
    assert sim.bus_stats(gh.id, EW11).answers_sent == 3
    sim.stop()
    assert not _link(gh).exists()  # the link goes with the simulator


def test_faults_on_an_rtu_bus_look_as_they_would_to_a_real_master(
    rtu_site: SiteConfig, gh: Greenhouse, start_sim: StartSim
) -> None:
    plan = FaultPlan(faults=[DeadNodeFault(greenhouse=gh.id, node="md02")])
    sim = start_sim(rtu_site, faults=plan)
    canopy, water = gh.node_of("leaf-temp"), gh.node_of("tank-level")
    sim.inject(NodeOfflineFault(greenhouse=gh.id, node="canopy"))
    with serial_master(_link(gh), timeout_s=0.3) as master:
        with pytest.raises(ModbusIOException):
            master.read_input_registers(1, count=1, device_id=MD02)
        with pytest.raises(ModbusIOException):
            master.read_input_registers(0, count=2, device_id=canopy.address)
        assert not master.read_input_registers(0, count=2, device_id=water.address).isError()
    sim.clear_faults()
    with serial_master(_link(gh), timeout_s=0.3) as master:
        assert not master.read_input_registers(1, count=1, device_id=MD02).isError()

    sim.inject(IgnoredWriteFault(greenhouse=gh.id, node="board"))
    with rtu_tcp_master(_ew11(gh)) as master:
        assert not master.write_register(4, 0x0100, device_id=BOARD).isError()
        assert not sim.state(gh.id).actuators["fan"].on


def test_bus_faults_behind_a_modbus_tcp_gateway_are_its_exception_11(start_sim: StartSim) -> None:
    tcp_site = modbus_tcp_example()
    gh = tcp_site.greenhouses[0]
    sim = start_sim(tcp_site)
    sim.inject(DeadNodeFault(greenhouse=gh.id, node="water"))
    sim.inject(CorruptCrcFault(greenhouse=gh.id, node="climate"))
    sim.inject(IgnoredWriteFault(greenhouse=gh.id, node="relays"))
    pump = gh.actuators["pump"].on_off
    assert pump is not None
    with FieldIO(gh) as io:
        reads = one_poll(io)
        for node in (gh.node_of("tank-level"), gh.node_of("air-temp")):
            assert reads[node.id].values is None
            assert "exception 11" in reads[node.id].detail
        soil = reads[gh.node_of("soil-a1").id].values
        assert soil is not None and soil["soil-a1"] is not None
        assert write(io, gh.node_of("pump"), SwitchWrite(key="pump", switch=pump, on=True)).ok
    assert not sim.state(gh.id).actuators["pump"].on


def _curtain(sim: SimulatorThread, gh: Greenhouse) -> float:
    return sim.state(gh.id).actuators["side-curtain"].position_pct


def test_a_motorised_curtain_moves_at_its_travel_speed_and_stops_when_stalled(
    rtu_site: SiteConfig, gh: Greenhouse, start_sim: StartSim
) -> None:
    sim = start_sim(rtu_site, speed=600)
    clock, start = sim.simulator.clock, sim.simulator.start
    with rtu_tcp_master(_ew11(gh)) as master:
        assert master.read_discrete_inputs(0, count=1, device_id=CURTAIN).bits[0]  # closed: the limit reads 1
        switched_at = (clock.now() - start).total_seconds()
        master.write_coil(0, True, device_id=CURTAIN)  # open
        for _ in range(5):  # never faster than a full stroke in travel_s
            position = _curtain(sim, gh)
            assert position <= 100 * ((clock.now() - start).total_seconds() - switched_at) / TRAVEL_S + 1e-6
        wait_for(lambda: _curtain(sim, gh), lambda p: p == 100, what="fully open")
        assert not master.read_discrete_inputs(0, count=1, device_id=CURTAIN).bits[0]

        sim.inject(MotorStallFault(greenhouse=gh.id, actuator="side-curtain"))
        master.write_coil(0, False, device_id=CURTAIN)
        master.write_coil(1, True, device_id=CURTAIN)  # close, but the motor is jammed
        at = sim.state(gh.id).at
        wait_for(lambda: sim.state(gh.id).at, lambda now: (now - at).total_seconds() >= TRAVEL_S, what="a stroke")
        assert _curtain(sim, gh) == 100
        sim.clear_faults()
        wait_for(lambda: _curtain(sim, gh), lambda p: p == 0, what="closed")
        assert master.read_discrete_inputs(0, count=1, device_id=CURTAIN).bits[0]

        master.write_coil(0, True, device_id=CURTAIN)  # both relays on: it does not move, and it counts
        at = sim.state(gh.id).at
        wait_for(lambda: sim.state(gh.id).at, lambda now: (now - at).total_seconds() >= TRAVEL_S, what="a stroke")
        assert _curtain(sim, gh) == 0
        assert sim.motor_conflicts(gh.id) == {"side-curtain": 1}


def test_fault_plans_name_bus_faults_and_stalled_motors(rtu_site: SiteConfig, gh: Greenhouse) -> None:
    plan = FaultPlan.model_validate(
        {
            "faults": [
                {"kind": "dead_node", "greenhouse": gh.id, "node": "md02"},
                {"kind": "corrupt_crc", "greenhouse": gh.id, "node": "soil-1", "start_s": 60},
                {"kind": "late_answer", "greenhouse": gh.id, "node": "water", "late_s": 1.5},
                {"kind": "ignored_write", "greenhouse": gh.id, "node": "board"},
                {"kind": "motor_stall", "greenhouse": gh.id, "actuator": "side-curtain"},
            ]
        }
    )
    plan.check(rtu_site)
    with pytest.raises(ValueError, match="no actuator 'pump' driven by a motor"):
        FaultPlan(faults=[MotorStallFault(greenhouse=gh.id, actuator="pump")]).check(rtu_site)
    with pytest.raises(ValueError, match="no node 'nowhere'"):
        FaultPlan(faults=[DeadNodeFault(greenhouse=gh.id, node="nowhere")]).check(rtu_site)


def test_table_of_a_profiled_node_serves_profile_points_the_site_does_not_use(
    rtu_site: SiteConfig, gh: Greenhouse, start_sim: StartSim
) -> None:
    start_sim(rtu_site)
    humidity = shipped_profiles()["xy-md02"].sensors[1].encoding
    assert humidity.table is Table.INPUT_REGISTER
    with serial_master(_link(gh)) as master:
        answer = master.read_input_registers(humidity.address, count=1, device_id=MD02)
    assert 0 <= decode(humidity, answer.registers) <= 100  # the commissioning scan reads it


def test_a_motor_moves_a_full_stroke_in_its_travel_time_and_only_with_one_relay_on(gh: Greenhouse) -> None:
    state = ActuatorState(position_pct=0.0)
    motor = MotorSim(gh.actuators["side-curtain"], state, now_s=1000.0)
    motor.relays(True, False, 1000.0, stalled=False)
    motor.advance(1000.0 + TRAVEL_S / 4, stalled=False)
    assert state.position_pct == pytest.approx(25)
    motor.advance(1000.0 + TRAVEL_S / 2, stalled=True)  # jammed for a quarter stroke
    assert state.position_pct == pytest.approx(25)
    motor.advance(1000.0 + 2 * TRAVEL_S, stalled=False)
    assert state.position_pct == 100 and not motor.closed
    motor.relays(True, True, 1000.0 + 2 * TRAVEL_S, stalled=False)
    motor.relays(False, True, 1000.0 + 3 * TRAVEL_S, stalled=False)
    assert (state.position_pct, motor.conflicts) == (100, 1)
    motor.advance(1000.0 + 3 * TRAVEL_S + TRAVEL_S * 0.996, stalled=False)
    assert state.position_pct == pytest.approx(0.4) and motor.closed  # the limit switch closes at 0.5 %
