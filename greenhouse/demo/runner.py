"""Runs the closed loop: broker, simulated greenhouses, one edge agent process per greenhouse, a live view.

Every process is given the same clock (start, speed, wall origin), so they agree on
simulated time without talking about it. Ctrl-C or --duration stops the edge agents
first, which put every actuator in its fail-safe state and say so, then the rest;
each says that it stopped, in the language of --lang.
"""

from __future__ import annotations

import argparse
import functools
import queue
import shutil
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
from contract.reasons import Lang, pick
from contract.site import MqttBus, RtuSerialBus
from contract.site_file import load_site
from gateway.notify.local_outbox import OUTBOX_FILE
from greenhouse.demo import words
from greenhouse.demo.admin import DEMO_ADMIN, demo_admin
from greenhouse.demo.broker import EmbeddedBroker
from greenhouse.demo.roster import write_demo_roster, write_demo_vapid
from greenhouse.demo.traceability import write_demo_traceability
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
    def __init__(self, log_dir: Path, lang: Lang) -> None:
        self.log_dir = log_dir
        self.lang = lang
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.names: dict[str, str] = {}  # what each process is called on the console

    def spawn(self, name: str, who: str, args: list[str]) -> None:
        log = (self.log_dir / f"{name}.log").open("wb")
        # Their own process group: Ctrl-C in the terminal reaches the demo alone, which stops them in order (the
        # edges first, while the simulated devices still answer their fail-safe writes), never all at once.
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "greenhouse", *args],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            process_group=0,
        )
        self.names[name] = who

    def failed(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.poll() not in (None, 0)]

    def stop(self, names: list[str], console: Console) -> bool:
        """Stops them, each saying that it stopped, or how it ended and the end of its log; True if all stopped."""
        names = [n for n in names if n in self.procs]
        asked = [n for n in names if self.procs[n].poll() is None]
        for n in asked:
            self.procs[n].send_signal(signal.SIGTERM)
        clean = True
        for n in names:
            try:
                code = self.procs[n].wait(timeout=_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.procs[n].kill()
                code = self.procs[n].wait()
            # A process our SIGTERM found still starting, before its handler was set, stopped as asked too.
            if code == 0 or (n in asked and code == -signal.SIGTERM):
                console.print(pick(words.STOPPED, self.lang).format(who=self.names[n]), markup=False, highlight=False)
                continue
            clean = False
            failed = pick(words.FAILED, self.lang).format(who=self.names[n], code=code, log=self.log_dir / f"{n}.log")
            console.print(f"{failed}\n{self.tail(n)}", style="red", markup=False, highlight=False, soft_wrap=True)
        return clean

    def tail(self, name: str) -> str:
        lines = (self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()
        return "\n".join(lines[-15:])


def run_demo(args: argparse.Namespace) -> int:
    """The demo until Ctrl-C or --duration: 0 when everything stopped as asked and every greenhouse is safe.
    A temporary data folder goes with it, unless --keep or something went wrong (its logs say what)."""
    stop = threading.Event()
    # At once: a Ctrl-C while the demo starts stops it too, in order.
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console = Console()
    temporary = args.data_dir is None
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="greenhouse-demo-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    ok = _run(args, data_dir, stop, console)
    if temporary and ok and not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
        console.print(pick(words.REMOVED, args.lang).format(dir=data_dir), markup=False, highlight=False)
    elif temporary:
        console.print(pick(words.KEPT, args.lang).format(dir=data_dir), markup=False, highlight=False)
    return 0 if ok else 1


def _run(args: argparse.Namespace, data_dir: Path, stop: threading.Event, console: Console) -> bool:
    lang: Lang = args.lang
    say = functools.partial(_say, console, lang)
    site = load_site(args.config)
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

    write_demo_roster(runtime_site, data_dir)
    write_demo_vapid(data_dir)
    board = Board(runtime_site, lang, data_dir / OUTBOX_FILE)
    inbox: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
    viewer = make_client(url, client_id=f"demo-view-{int(time.time())}")

    def _on_connect(client: paho.Client, *_: object) -> None:
        for sub in board.subscriptions():
            client.subscribe(sub, qos=1)

    viewer.on_connect = _on_connect
    viewer.on_message = lambda _c, _u, m: inbox.put((m.topic, bytes(m.payload)))
    viewer.connect(url.host, url.port)
    viewer.loop_start()

    children = _Children(data_dir, lang)
    edges = {f"edge-{g.id}": g for g in runtime_site.greenhouses}
    speed = f"{clock.speed:g}"
    say(words.STARTED, n=len(edges), broker=url, speed=speed, logs=data_dir)
    try:
        sim_args = ["sim", "--config", str(site_path), "--seed", str(args.seed), *_clock_args(clock)]
        children.spawn("sim", pick(words.SIMULATOR, lang), sim_args)
        for bus in (b for g in runtime_site.greenhouses for b in g.buses):
            if isinstance(bus, RtuSerialBus):
                wait_for_path(Path(bus.port), timeout_s=30)
            elif not isinstance(bus, MqttBus):  # the MQTT nodes' broker is not the simulator's to open
                wait_for_port(bus.port, timeout_s=30)
        if args.http_port and not port_is_free(args.http_port):
            taken, args.http_port = args.http_port, free_port()
            say(words.PORT_TAKEN, taken=taken, port=args.http_port)
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
        gateway_args += ["--no-share"] if broker is not None else []
        children.spawn("gateway", pick(words.GATEWAY, lang), gateway_args)
        if args.http_port:
            write_demo_traceability(data_dir, f"http://127.0.0.1:{args.http_port}")
            say(words.APP, app=f"http://127.0.0.1:{args.http_port}")
            say(words.SIGN_IN, user=DEMO_ADMIN, password=password)
        for name, g in edges.items():
            edge_args = ["edge", "--config", str(site_path), "--greenhouse", g.id, "--mqtt-url", str(url)]
            edge_args += ["--data-dir", str(data_dir), *_clock_args(clock)]
            children.spawn(name, pick(words.EDGE, lang).format(house=g.label_in(lang)), edge_args)
        _watch(board, inbox, stop, args, console, children)
    finally:
        # In order: the edges put every actuator in its fail-safe state through devices that still answer, and
        # the view hears them say so; then the gateway and the simulator; the broker, which all of them use, last.
        say(words.STOPPING)
        clean = children.stop(list(edges), console)
        # Heard for the fail-safe check, not shown: a decision still in flight would land between "stopped" lines.
        _drain(board, inbox, console, show_lines=False, settle_s=1.0)
        clean = children.stop(["gateway", "sim"], console) and clean
        viewer.disconnect()
        viewer.loop_stop()
        if broker is not None:
            broker.stop()
    safe = board.stopped_fail_safe()
    if not safe:
        console.print(pick(words.NOT_SAFE, lang), style="red", markup=False, highlight=False)
    ending = pick(words.ALL_SAFE, lang) if safe else "."
    console.print(pick(words.DECISIONS, lang).format(n=board.decisions) + ending, markup=False, highlight=False)
    return clean and safe


def _say(console: Console, lang: Lang, text: tuple[str, str], **params: object) -> None:
    # Plain text: a password or a path is not markup, and a URL must stay on one line to be copied.
    console.print(pick(text, lang).format(**params), markup=False, highlight=False, soft_wrap=True)


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
            _drain(board, inbox, console, show_lines=plain, settle_s=0.25)
            for line in board.told():
                if plain:
                    console.print(line, highlight=False, markup=False, soft_wrap=True)
            if live is not None:
                live.update(board.render())
            if children.failed():
                who = ", ".join(children.names[n] for n in children.failed())
                console.print(pick(words.EXITED_EARLY, args.lang).format(who=who), style="red", markup=False)
                break
    finally:
        if live is not None:
            live.stop()


def _drain(
    board: Board, inbox: queue.SimpleQueue[tuple[str, bytes]], console: Console, show_lines: bool, settle_s: float
) -> None:
    end = time.monotonic() + settle_s
    while True:
        try:
            topic, payload = inbox.get(timeout=max(0.0, end - time.monotonic()))
        except queue.Empty:
            return
        for line in board.apply(topic, payload):
            if show_lines:
                console.print(line, highlight=False, markup=False, soft_wrap=True)
