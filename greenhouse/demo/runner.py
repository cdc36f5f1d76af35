"""Runs the closed loop: broker, simulated greenhouses, one edge agent process per greenhouse, a live view.

Every process is given the same clock (start, speed, wall origin), so they agree on
simulated time without talking about it. Ctrl-C or --duration stops the edge agents
first, which put every actuator in its fail-safe state and say so, then the rest.
"""

from __future__ import annotations

import argparse
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import paho.mqtt.client as paho
from rich.console import Console
from rich.live import Live

from contract.clock import Clock
from contract.mqtt import BrokerUrl, make_client
from contract.site import MqttBus, RtuSerialBus
from contract.site_file import load_site
from greenhouse.demo.admin import DEMO_ADMIN, demo_admin
from greenhouse.demo.broker import EmbeddedBroker
from greenhouse.demo.view import Board
from greenhouse.net import free_port, port_is_free, wait_for_path, wait_for_port
from greenhouse.runtime_site import on_free_ports, write_site

# Mid-January, a quarter to six in the morning: cold, and the 06:00 watering is near.
_DEFAULT_START_LOCAL = (2026, 1, 15, 5, 45)
_STOP_GRACE_S = 15


def _clock_args(clock: Clock) -> list[str]:
    assert clock.origin is not None
    return ["--speed", repr(clock.speed), "--start", clock.origin.isoformat(), "--wall-origin", repr(clock.wall_origin)]


class _Children:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def spawn(self, name: str, args: list[str]) -> None:
        log = (self.log_dir / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "greenhouse", *args], stdout=log, stderr=log, stdin=subprocess.DEVNULL
        )

    def failed(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.poll() not in (None, 0)]

    def stop(self, names: list[str]) -> dict[str, int]:
        for n in names:
            if self.procs[n].poll() is None:
                self.procs[n].send_signal(signal.SIGTERM)
        codes = {}
        for n in names:
            try:
                codes[n] = self.procs[n].wait(timeout=_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.procs[n].kill()
                codes[n] = self.procs[n].wait()
        return codes

    def tail(self, name: str) -> str:
        lines = (self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()
        return "\n".join(lines[-15:])


def run_demo(args: argparse.Namespace) -> int:
    site = load_site(args.config)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="greenhouse-demo-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    console = Console()
    start = args.start or datetime(*_DEFAULT_START_LOCAL, tzinfo=site.cooperative.tz)
    clock = Clock(origin=start, speed=args.speed)
    site_path = write_site(on_free_ports(site, data_dir), data_dir / "site.yaml")
    runtime_site = load_site(site_path)

    broker: EmbeddedBroker | None = None
    url: BrokerUrl = args.mqtt_url
    if url is None:
        broker = EmbeddedBroker(free_port())
        broker.start()
        url = broker.url
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    board = Board(runtime_site, args.lang)
    inbox: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
    viewer = make_client(url, client_id=f"demo-view-{int(time.time())}")

    def _on_connect(client: paho.Client, *_: object) -> None:
        for sub in board.subscriptions():
            client.subscribe(sub, qos=1)

    viewer.on_connect = _on_connect
    viewer.on_message = lambda _c, _u, m: inbox.put((m.topic, bytes(m.payload)))
    viewer.connect(url.host, url.port)
    viewer.loop_start()

    children = _Children(data_dir)
    edges = [f"edge-{g.id}" for g in runtime_site.greenhouses]
    console.print(
        f"[bold]greenhouse demo[/] — {len(edges)} greenhouses, broker {url}, ×{clock.speed:g}, logs in {data_dir}"
    )
    try:
        children.spawn("sim", ["sim", "--config", str(site_path), "--seed", str(args.seed), *_clock_args(clock)])
        for bus in (b for g in runtime_site.greenhouses for b in g.buses):
            if isinstance(bus, RtuSerialBus):
                wait_for_path(Path(bus.port), timeout_s=30)
            elif not isinstance(bus, MqttBus):  # the MQTT nodes' broker is not the simulator's to open
                wait_for_port(bus.port, timeout_s=30)
        if args.http_port and not port_is_free(args.http_port):
            taken, args.http_port = args.http_port, free_port()
            console.print(f"port {taken} is in use; the history API takes {args.http_port} instead")
        gateway_args = [
            "gateway",
            "--config",
            str(site_path),
            "--mqtt-url",
            str(url),
            "--data-dir",
            str(data_dir),
            "--http-port",
            str(args.http_port),
            "--no-cookie-secure",  # plain http on loopback: a Secure cookie would never come back
            *_clock_args(clock),
        ]
        password = demo_admin(data_dir, runtime_site.cooperative.id) if args.http_port else ""
        # The embedded broker speaks MQTT 3.1.1 only: no shared subscriptions there.
        children.spawn("gateway", gateway_args + (["--no-share"] if broker is not None else []))
        if args.http_port:
            app = f"http://127.0.0.1:{args.http_port}"
            console.print(f"phone web app: {app}/ (API: {app}/docs)", soft_wrap=True)
            console.print(
                f"  sign in (POST /api/v1/login) as {DEMO_ADMIN}, password {password} (new for this run)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        for g, name in zip(runtime_site.greenhouses, edges, strict=True):
            children.spawn(
                name,
                [
                    "edge",
                    "--config",
                    str(site_path),
                    "--greenhouse",
                    g.id,
                    "--mqtt-url",
                    str(url),
                    "--data-dir",
                    str(data_dir),
                    *_clock_args(clock),
                ],
            )
        _watch(board, inbox, stop, args, console, children)
    finally:
        codes = children.stop(edges)
        _drain(board, inbox, console, plain=True, settle_s=1.0)
        codes |= children.stop([n for n in ("gateway", "sim") if n in children.procs])
        viewer.loop_stop()
        viewer.disconnect()
        if broker is not None:
            broker.stop()
    failed = {n: c for n, c in codes.items() if c != 0}
    for name in failed:
        console.print(f"[red]{name} exited with {failed[name]}:[/]\n{children.tail(name)}")
    safe = board.stopped_fail_safe()
    if not safe:
        console.print("[red]not every greenhouse confirmed its fail-safe state at shutdown[/]")
    ending = "; every actuator left in its fail-safe state." if safe else "."
    console.print(f"{board.decisions} rule decisions{ending}")
    return 1 if failed or not safe else 0


def _watch(
    board: Board,
    inbox: queue.SimpleQueue[tuple[str, bytes]],
    stop: threading.Event,
    args: argparse.Namespace,
    console: Console,
    children: _Children,
) -> None:
    deadline = time.monotonic() + args.duration if args.duration else None
    plain = args.plain or not console.is_terminal
    live = None if plain else Live(board.render(), console=console, refresh_per_second=4)
    if live is not None:
        live.start()
    try:
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            _drain(board, inbox, console, plain, settle_s=0.25)
            if live is not None:
                live.update(board.render())
            if children.failed():
                console.print(f"[red]stopped: {', '.join(children.failed())} exited early[/]")
                break
    finally:
        if live is not None:
            live.stop()


def _drain(
    board: Board, inbox: queue.SimpleQueue[tuple[str, bytes]], console: Console, plain: bool, settle_s: float
) -> None:
    end = time.monotonic() + settle_s
    while True:
        try:
            topic, payload = inbox.get(timeout=max(0.0, end - time.monotonic()))
        except queue.Empty:
            return
        for line in board.apply(topic, payload):
            if plain:
                console.print(line, highlight=False, markup=False, soft_wrap=True)
