"""A bus of simulated devices for a test or a benchmark, without the rest of the simulator::

devices = {1: profile_device(shipped_profiles()["xy-md02"], {"temperature": 21.5, "humidity": 60}.__getitem__)}
with LineThread(RtuLine(devices), link=tmp_path / "ttyUSB0") as bus:
    ...  # the edge opens tmp_path / "ttyUSB0"
    bus.set_faults(LineFaults(dead={1}))
    bus.stats().answers_sent
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from contract.devices.profile import DeviceProfile
from firmware_sim.rtu.device import Now, TableDevice, Values
from firmware_sim.rtu.line import LineFaults, LineStats, RtuLine

T = TypeVar("T")


class LoopThread:
    """An asyncio loop of its own in a daemon thread, serving until stopped; calls are carried out on it.

    Subclasses give ``serve``, which sets ``ready`` once serving and returns when ``stop`` is set.
    """

    def __init__(self, name: str, ready: threading.Event | None = None) -> None:
        self.ready = ready or threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    async def serve(self, stop: asyncio.Event) -> None:
        raise NotImplementedError

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:  # handed to the starting thread
            self._error = exc

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        await self.serve(self._stop)

    def start(self, timeout_s: float = 10.0) -> None:
        """Returns once serving; raises what stopped it from serving."""
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.ready.wait(0.01):
            if not self._thread.is_alive():
                raise self._error or RuntimeError(f"{self._thread.name} stopped while starting")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"{self._thread.name} not serving after {timeout_s} s")

    def call(self, fn: Callable[[], T]) -> T:
        """``fn()``, run on the loop."""
        assert self._loop is not None

        async def on_loop() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(on_loop(), self._loop).result(timeout=10)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        if not self._thread.is_alive() and not self.ready.is_set():
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class LineThread(LoopThread):
    """An RtuLine served on a pty at ``link`` and/or over TCP at ``port`` (0: a free one, see ``port``)."""

    def __init__(self, line: RtuLine, link: Path | None = None, port: int | None = None, host: str = "127.0.0.1"):
        if link is None and port is None:
            raise ValueError("give the line a pty link, a TCP port, or both")
        super().__init__("rtu-line")
        self.line = line
        self.link = link
        self.host = host
        self._asked_port = port

    async def serve(self, stop: asyncio.Event) -> None:
        try:
            if self.link is not None:
                await self.line.serve_pty(self.link)
            if self._asked_port is not None:
                await self.line.serve_tcp(self.host, self._asked_port)
            self.ready.set()
            await stop.wait()
        finally:
            await self.line.close()

    @property
    def port(self) -> int:
        """The TCP port the line listens on."""
        return self.line.tcp_ports[0]

    def set_faults(self, faults: LineFaults) -> None:
        self.call(lambda: setattr(self.line, "faults", faults))

    def stats(self) -> LineStats:
        return self.call(lambda: self.line.stats.model_copy(deep=True))


def profile_device(profile: DeviceProfile, values: Values, now: Now = time.monotonic) -> TableDevice:
    """A device of this profile: every point and output, sensor values from ``values`` (point key → value)."""
    return TableDevice.from_profile(profile, values, now)
