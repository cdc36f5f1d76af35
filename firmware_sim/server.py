"""The simulator: every greenhouse of a site, its physics stepped in simulated time, its nodes on Modbus TCP.

One Modbus TCP server per greenhouse on ``greenhouse.buses[0]`` (the greenhouse's TCP-to-RS485
gateway); each node is a device on it by ``address``. Unknown unit ids get exception 0x0B
("gateway target failed to respond"), as from a real gateway.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType
from typing import TypeVar

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from contract.clock import Clock
from contract.site import Greenhouse, Sensor, SiteConfig
from firmware_sim.faults import Fault, FaultInjector, FaultPlan
from firmware_sim.nodes import SimNode, fail_safe_state
from firmware_sim.physics import (
    ActuatorState,
    GreenhousePhysics,
    GreenhouseState,
    InitialConditions,
    PhysicsParams,
)
from firmware_sim.weather import Weather, WeatherSample

log = logging.getLogger(__name__)

T = TypeVar("T")
# More steps than this per tick means the simulator fell behind the clock: take longer steps instead.
_MAX_STEPS_PER_TICK = 400
_MAX_TICK_S = 0.05


class _GreenhouseSim:
    """One greenhouse: its physics, the actuator states its relay boards hold, and its nodes."""

    def __init__(
        self,
        greenhouse: Greenhouse,
        physics: GreenhousePhysics,
        faults: FaultInjector,
        elapsed_s: Callable[[], float],
        watchdog_s: float,
    ) -> None:
        self.greenhouse = greenhouse
        self.physics = physics
        self.faults = faults
        self.elapsed_s = elapsed_s
        # Relay boards power up with every output in its fail-safe state.
        self.actuators: dict[str, ActuatorState] = {a.id: fail_safe_state(a) for a in greenhouse.actuators.values()}
        self.nodes = [SimNode(n, self.actuators, self, watchdog_s) for n in greenhouse.nodes]

    def node_offline(self, node_id: str) -> bool:
        return self.faults.node_offline(self.greenhouse.id, node_id, self.elapsed_s())

    def sensor_value(self, sensor: Sensor) -> float:
        return self.faults.sensor_value(
            self.greenhouse.id, sensor.id, self.physics.readings[sensor.id], self.elapsed_s()
        )

    def devices(self) -> list[SimDevice]:
        return [*(n.device for n in self.nodes), _gateway_device()]

    def step(self, dt_s: float, weather: WeatherSample, elapsed_s: float) -> None:
        self.physics.step(dt_s, weather, self.actuators)
        self.faults.freeze(self.greenhouse.id, self.physics.readings, elapsed_s)


async def _no_response(*_: object) -> ExcCodes:
    return ExcCodes.GATEWAY_NO_RESPONSE


def _gateway_device() -> SimDevice:
    """Device 0 answers for every unit id that is not on the bus."""
    return SimDevice(0, simdata=[SimData(0, count=65536, datatype=DataType.REGISTERS)], action=_no_response)


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
                watchdog_s,
            )
            for g in site.greenhouses
        }

    def elapsed_s(self) -> float:
        return (self.now - self.start).total_seconds()

    async def run(self, stop: asyncio.Event) -> None:
        """Serve every greenhouse and follow the clock until ``stop`` is set."""
        servers: list[ModbusTcpServer] = []
        tick_s = min(_MAX_TICK_S, self.clock.wall_seconds(self.physics_step_s))
        try:
            for g in self.greenhouses.values():
                bus = g.greenhouse.buses[0]
                server = ModbusTcpServer(g.devices(), address=(bus.host, bus.port))
                try:
                    await server.serve_forever(background=True)
                except RuntimeError as exc:
                    raise OSError(f"greenhouse {g.greenhouse.id!r}: cannot listen on {bus.host}:{bus.port}") from exc
                servers.append(server)
                log.info("serving", extra={"greenhouse": g.greenhouse.id, "host": bus.host, "port": bus.port})
            self.serving.set()
            while not stop.is_set():
                self._advance()
                now = time.monotonic()
                for g in self.greenhouses.values():
                    for node in g.nodes:
                        node.check_watchdog(now)
                await asyncio.sleep(tick_s)
        finally:
            self.serving.clear()
            for server in servers:
                await server.shutdown()

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
        log.info("fault injected", extra={"fault": fault.model_dump()})

    def clear_faults(self, greenhouse_id: str | None = None) -> None:
        self.faults.clear(greenhouse_id)

    def state(self, greenhouse_id: str) -> GreenhouseState:
        g = self.greenhouses[greenhouse_id]
        return g.physics.snapshot(self.now, g.actuators)

    def start_in_thread(self, timeout_s: float = 10.0) -> SimulatorThread:
        """Run in a background thread with its own event loop; returns once every server listens."""
        handle = SimulatorThread(self)
        handle.start(timeout_s)
        return handle


class SimulatorThread:
    """A simulator running in a background thread; every call is carried out on its loop."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="firmware-sim", daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # handed to the starting thread
            self._error = exc

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        await self.simulator.run(self._stop)

    def start(self, timeout_s: float) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.simulator.serving.wait(0.01):
            if not self._thread.is_alive():
                raise self._error or RuntimeError("simulator stopped while starting")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"simulator not serving after {timeout_s} s")

    def _call(self, fn: Callable[[], T]) -> T:
        assert self._loop is not None

        async def on_loop() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(on_loop(), self._loop).result(timeout=10)

    def inject(self, fault: Fault) -> None:
        self._call(lambda: self.simulator.inject(fault))

    def clear_faults(self, greenhouse_id: str | None = None) -> None:
        self._call(lambda: self.simulator.clear_faults(greenhouse_id))

    def state(self, greenhouse_id: str) -> GreenhouseState:
        return self._call(lambda: self.simulator.state(greenhouse_id))

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)

    def __enter__(self) -> SimulatorThread:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
