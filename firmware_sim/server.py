"""The simulator: every greenhouse of a site, its physics stepped in simulated time, its nodes on their buses.

Each bus of a greenhouse is served as the site says: ``modbus_tcp`` by a Modbus TCP gateway in front of the
bus's devices (unit ids not on the bus get exception 0x0B, "gateway target failed to respond", as from a real
gateway), ``rtu_over_tcp`` as RTU frames over TCP, and ``rtu_serial`` on a pseudo-terminal whose slave end is
linked at the bus's ``port`` path. The devices behind all three are the same (firmware_sim/nodes.py). The nodes
of an ``mqtt`` bus publish on the bus's broker as their firmware does (firmware_sim/mqtt_nodes.py).
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from contract.clock import Clock
from contract.devices.profile import DeviceProfile, shipped_profiles
from contract.site import Bus, Greenhouse, ModbusTcpBus, MqttBus, Node, RtuSerialBus, RtuTcpBus, Sensor, SiteConfig
from firmware_sim.faults import Fault, FaultInjector, FaultPlan
from firmware_sim.mqtt_nodes import MqttNodes, MqttOptions
from firmware_sim.nodes import SimNode, fail_safe_state
from firmware_sim.physics import (
    ActuatorState,
    GreenhousePhysics,
    GreenhouseState,
    InitialConditions,
    PhysicsParams,
)
from firmware_sim.rtu.line import LineStats, RtuLine
from firmware_sim.rtu.standalone import LoopThread
from firmware_sim.rtu.tcp_gateway import ModbusTcpGateway
from firmware_sim.weather import Weather, WeatherSample

log = logging.getLogger(__name__)

# More steps than this per tick means the simulator fell behind the clock: take longer steps instead.
_MAX_STEPS_PER_TICK = 400
_MAX_TICK_S = 0.05
# A Modbus TCP bus has no baud rate of its own; its gateway is not paced.
_GATEWAY_BAUD = 9600

Closer = Callable[[], Awaitable[None]]


@dataclass
class _Bus:
    bus: Bus
    line: RtuLine
    addresses: dict[str, int]  # node id → address


class _GreenhouseSim:
    """One greenhouse: its physics, the actuator states its relay boards hold, its nodes and its buses."""

    def __init__(
        self,
        greenhouse: Greenhouse,
        physics: GreenhousePhysics,
        faults: FaultInjector,
        elapsed_s: Callable[[], float],
        sim_time_s: Callable[[], float],
        watchdog_s: float,
        profiles: Mapping[str, DeviceProfile],
    ) -> None:
        self.greenhouse = greenhouse
        self.physics = physics
        self.faults = faults
        # Simulated seconds since the start: on the physics' grid (faults), and continuous (devices, motors).
        self.elapsed_s = elapsed_s
        self.sim_time_s = sim_time_s
        # Relay boards power up with every output in its fail-safe state.
        self.actuators: dict[str, ActuatorState] = {a.id: fail_safe_state(a) for a in greenhouse.actuators.values()}
        modbus = [n for n in greenhouse.nodes if not n.on_mqtt]
        self.nodes = [SimNode(n, _profile(n, profiles), self.actuators, self, watchdog_s) for n in modbus]
        self.buses: dict[str, _Bus] = {}
        for bus in greenhouse.buses:
            if isinstance(bus, MqttBus):
                continue  # its nodes are clients of the bus's broker (MqttNodes)
            on_bus = [n for n in self.nodes if greenhouse.bus_of(n.node).id == bus.id]
            baud = _GATEWAY_BAUD if isinstance(bus, ModbusTcpBus) else int(bus.baud)
            line = RtuLine({n.node.address: n for n in on_bus}, baud=baud)
            self.buses[bus.id] = _Bus(bus, line, {n.node.id: n.node.address for n in on_bus})

    def node_offline(self, node_id: str) -> bool:
        return self.faults.node_offline(self.greenhouse.id, node_id, self.elapsed_s())

    def mqtt_garbage(self, node_id: str) -> bool:
        return self.faults.mqtt_garbage(self.greenhouse.id, node_id, self.elapsed_s())

    def sensor_value(self, sensor: Sensor) -> float:
        return self.faults.sensor_value(
            self.greenhouse.id, sensor.id, self.physics.readings[sensor.id], self.elapsed_s()
        )

    def motor_stalled(self, actuator_id: str) -> bool:
        return self.faults.motor_stalled(self.greenhouse.id, actuator_id, self.elapsed_s())

    def motor_conflicts(self) -> dict[str, int]:
        return {a: motor.conflicts for n in self.nodes for a, (motor, _, _) in n.motors.items()}

    async def serve(self, closers: list[Closer]) -> None:
        """Serve every bus; what to close is added to ``closers`` as it opens."""
        for b in self.buses.values():
            closers.append(b.line.close)
            bus = b.bus
            where = bus.port if isinstance(bus, RtuSerialBus) else f"{bus.host}:{bus.port}"
            try:
                if isinstance(bus, ModbusTcpBus):
                    gateway = ModbusTcpGateway(b.line)
                    closers.append(gateway.close)
                    await gateway.serve(bus.host, bus.port)
                elif isinstance(bus, RtuTcpBus):
                    await b.line.serve_tcp(bus.host, bus.port)
                else:
                    await b.line.serve_pty(Path(bus.port))
            except OSError as exc:
                raise OSError(
                    f"greenhouse {self.greenhouse.id!r}, bus {bus.id!r}: cannot serve on {where}: {exc}"
                ) from exc
            log.info(
                "serving",
                extra={"greenhouse": self.greenhouse.id, "bus": bus.id, "protocol": bus.protocol, "at": where},
            )

    def tick(self, now: float) -> None:
        """Timed runs, motors and watchdogs (``now``: wall, monotonic), and the bus faults in force."""
        for node in self.nodes:
            node.tick(now)
        self.follow_faults()

    def follow_faults(self) -> None:
        """Give each bus the bus faults in force now."""
        elapsed_s = self.elapsed_s()
        for b in self.buses.values():
            b.line.faults = self.faults.line_faults(self.greenhouse.id, b.addresses, elapsed_s)

    def step(self, dt_s: float, weather: WeatherSample, elapsed_s: float) -> None:
        self.physics.step(dt_s, weather, self.actuators)
        self.faults.freeze(self.greenhouse.id, self.physics.readings, elapsed_s)


def _profile(node: Node, profiles: Mapping[str, DeviceProfile]) -> DeviceProfile | None:
    if node.profile is None:
        return None
    profile = profiles.get(node.profile)
    if profile is None:
        # A site's own profile the simulator was not given: the node's description (resolved from it) still
        # serves every point and output the site uses.
        log.info("profile not known to the simulator", extra={"node": node.id, "profile": node.profile})
    return profile


class Simulator:
    """Simulated greenhouses of ``site``; simulated time starts at ``clock.now()`` when constructed.

    ``inject``, ``clear_faults`` and ``state`` must be called on the loop running ``run`` (or through
    the handle of ``start_in_thread``).
    """

    def __init__(
        self,
        site: SiteConfig,
        clock: Clock,
        seed: int = 0,
        faults: FaultPlan | None = None,
        initial: InitialConditions | None = None,
        params: PhysicsParams | None = None,
        watchdog_s: float = 60.0,
        physics_step_s: float = 10.0,
        profiles: Mapping[str, DeviceProfile] | None = None,
        mqtt: MqttOptions | None = None,
    ) -> None:
        plan = faults or FaultPlan()
        plan.check(site)
        zones = {z.id for g in site.greenhouses for z in g.zones}
        unknown = sorted(set(initial.soil_vwc_pct_by_zone) - zones) if initial else []
        if unknown:
            raise ValueError(f"initial conditions name zones that are in no greenhouse: {unknown}")
        self.site = site
        self.clock = clock
        self.physics_step_s = physics_step_s
        self.weather = Weather.for_site(site.cooperative, seed)
        self.faults = FaultInjector(plan, seed)
        self.start = self.now = clock.now()
        # Set once every greenhouse's server is listening.
        self.serving = threading.Event()
        first = self.weather.at(self.start)
        self.greenhouses = {
            g.id: _GreenhouseSim(
                g,
                GreenhousePhysics(g, site.cooperative.elevation_m, first, seed, params, initial),
                self.faults,
                self.elapsed_s,
                self.sim_time_s,
                watchdog_s,
                shipped_profiles() if profiles is None else profiles,
            )
            for g in site.greenhouses
        }
        self.mqtt_nodes = {
            g.id: MqttNodes(g, sim, sim.actuators, self._local_now, mqtt or MqttOptions())
            for g, sim in zip(site.greenhouses, self.greenhouses.values(), strict=True)
        }

    def _local_now(self) -> datetime:
        return self.clock.now().astimezone(self.site.cooperative.tz)

    def elapsed_s(self) -> float:
        return (self.now - self.start).total_seconds()

    def sim_time_s(self) -> float:
        return (self.clock.now() - self.start).total_seconds()

    async def run(self, stop: asyncio.Event) -> None:
        """Serve every greenhouse and follow the clock until ``stop`` is set."""
        closers: list[Closer] = []
        tick_s = min(_MAX_TICK_S, self.clock.wall_seconds(self.physics_step_s))
        try:
            for g in self.greenhouses.values():
                await g.serve(closers)
            for m in self.mqtt_nodes.values():
                closers.append(m.close)
                m.start()
            self.serving.set()
            while not stop.is_set():
                self._advance()
                now = time.monotonic()
                for g in self.greenhouses.values():
                    g.tick(now)
                for m in self.mqtt_nodes.values():
                    m.tick()
                await asyncio.sleep(tick_s)
        finally:
            self.serving.clear()
            for close in reversed(closers):
                await close()

    def _advance(self) -> None:
        """Step the physics on a fixed grid up to the clock's present."""
        steps = int((self.clock.now() - self.now).total_seconds() // self.physics_step_s)
        if steps <= 0:
            return
        stride = math.ceil(steps / _MAX_STEPS_PER_TICK)
        dt_s = self.physics_step_s * stride
        for _ in range(steps // stride):
            weather = self.weather.at(self.now)
            self.now += timedelta(seconds=dt_s)
            elapsed_s = self.elapsed_s()
            for g in self.greenhouses.values():
                g.step(dt_s, weather, elapsed_s)

    def inject(self, fault: Fault) -> None:
        FaultPlan(faults=[fault]).check(self.site)
        self.faults.add(fault)
        self._follow_faults()
        log.info("fault injected", extra={"fault": fault.model_dump()})

    def clear_faults(self, greenhouse_id: str | None = None) -> None:
        self.faults.clear(greenhouse_id)
        self._follow_faults()

    def _follow_faults(self) -> None:
        for g in self.greenhouses.values():
            g.follow_faults()

    def state(self, greenhouse_id: str) -> GreenhouseState:
        g = self.greenhouses[greenhouse_id]
        return g.physics.snapshot(self.now, g.actuators)

    def motor_conflicts(self, greenhouse_id: str) -> dict[str, int]:
        """How many times both relays of each motor were on together."""
        return self.greenhouses[greenhouse_id].motor_conflicts()

    def bus_stats(self, greenhouse_id: str, bus_id: str) -> LineStats:
        return self.greenhouses[greenhouse_id].buses[bus_id].line.stats.model_copy(deep=True)

    def start_in_thread(self, timeout_s: float = 10.0) -> SimulatorThread:
        """Run in a background thread with its own event loop; returns once every server listens."""
        handle = SimulatorThread(self)
        handle.start(timeout_s)
        return handle


class SimulatorThread(LoopThread):
    """A simulator running in a background thread; every call is carried out on its loop."""

    def __init__(self, simulator: Simulator) -> None:
        super().__init__("firmware-sim", ready=simulator.serving)
        self.simulator = simulator

    async def serve(self, stop: asyncio.Event) -> None:
        await self.simulator.run(stop)

    def inject(self, fault: Fault) -> None:
        self.call(lambda: self.simulator.inject(fault))

    def clear_faults(self, greenhouse_id: str | None = None) -> None:
        self.call(lambda: self.simulator.clear_faults(greenhouse_id))

    def state(self, greenhouse_id: str) -> GreenhouseState:
        return self.call(lambda: self.simulator.state(greenhouse_id))

    def motor_conflicts(self, greenhouse_id: str) -> dict[str, int]:
        return self.call(lambda: self.simulator.motor_conflicts(greenhouse_id))

    def bus_stats(self, greenhouse_id: str, bus_id: str) -> LineStats:
        return self.call(lambda: self.simulator.bus_stats(greenhouse_id, bus_id))
