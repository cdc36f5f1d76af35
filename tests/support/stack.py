"""One simulated greenhouse, its edge agent (thread or real process), a real broker and a probe."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from contract.clock import Clock
from contract.mqtt import BrokerUrl
from contract.site import Greenhouse, SiteConfig
from contract.site_file import load_site
from edge.agent import EdgeAgent
from edge.fieldbus.field import FieldIO
from firmware_sim.physics import InitialConditions
from firmware_sim.server import Simulator, SimulatorThread
from greenhouse.runtime_site import on_free_ports, write_site
from rules.model import load_rules
from tests.conftest import EXAMPLE_SITE
from tests.support.mosquitto import Mosquitto
from tests.support.probe import Probe

REPO = Path(__file__).resolve().parents[2]


def one_greenhouse_site(
    tmp: Path, greenhouse_id: str = "ca-chua-1", rules: str | None = None, **greenhouse_changes: object
) -> SiteConfig:
    """The example site cut down to one greenhouse on free ports; ``rules`` replaces its rule file."""
    site = on_free_ports(load_site(EXAMPLE_SITE), tmp / "tty")
    gh = site.greenhouse(greenhouse_id)
    # Loopback answers within milliseconds; a field timeout of a second would be a minute of simulated time at 60×.
    gh = gh.model_copy(update={"buses": [b.model_copy(update={"timeout_s": 0.2}) for b in gh.buses]})
    if rules is not None:
        rules_path = tmp / "rules.yaml"
        rules_path.write_text(rules, encoding="utf-8")
        greenhouse_changes["rules_file"] = rules_path
    gh = gh.model_copy(update=greenhouse_changes)
    # Re-validate: the changes must still form a consistent greenhouse.
    return SiteConfig.model_validate(site.model_copy(update={"greenhouses": [gh]}).model_dump())


def with_sensor_changes(site: SiteConfig, sensor_id: str, **changes: object) -> SiteConfig:
    data = site.model_dump()
    for node in data["greenhouses"][0]["nodes"]:
        for sensor in node["sensors"]:
            if sensor["id"] == sensor_id:
                sensor.update(changes)
    return SiteConfig.model_validate(data)


@dataclass
class Stack:
    site: SiteConfig
    clock: Clock
    sim: SimulatorThread
    probe: Probe
    broker: Mosquitto
    tmp: Path

    @property
    def gh(self) -> Greenhouse:
        return self.site.greenhouses[0]

    @property
    def url(self) -> BrokerUrl:
        return BrokerUrl.parse(self.broker.url)


@contextmanager
def stack(
    tmp: Path,
    broker: Mosquitto,
    site: SiteConfig,
    start: datetime,
    speed: float,
    initial: InitialConditions | None = None,
    seed: int = 11,
) -> Iterator[Stack]:
    clock = Clock(origin=start, speed=speed)
    sim = Simulator(site, clock, seed=seed, initial=initial).start_in_thread()
    probe = Probe(BrokerUrl.parse(broker.url), site.cooperative.id)
    try:
        yield Stack(site, clock, sim, probe, broker, tmp)
    finally:
        probe.close()
        sim.stop()


class EdgeThread:
    """The edge agent in this process: for tests that need no process boundary."""

    def __init__(self, s: Stack, smsd_dir: Path | None = None, with_rules: bool = True) -> None:
        """``smsd_dir``: the greenhouse computer's own modem (SMSD's folders); ``with_rules``: its rule file or none."""
        gh = s.gh
        ruleset = load_rules(gh.rules_file) if gh.rules_file and with_rules else None
        self.agent = EdgeAgent(s.site, gh, s.url, s.tmp / "edge", s.clock, FieldIO(gh), ruleset, smsd_dir)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.agent.run, args=(self._stop,), name="edge-agent")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=20)


class EdgeProcess:
    """``greenhouse edge`` as its own process, the way it runs on a gateway: it can be SIGKILLed."""

    def __init__(self, s: Stack) -> None:
        self.site_path = write_site(s.site, s.tmp / "site.yaml")
        self.log = s.tmp / "edge.log"
        assert s.clock.origin is not None
        self.args = [
            sys.executable,
            "-m",
            "greenhouse",
            "-v",
            "edge",
            "--config",
            str(self.site_path),
            "--greenhouse",
            s.gh.id,
            "--mqtt-url",
            s.broker.url,
            "--data-dir",
            str(s.tmp / "edge"),
            "--speed",
            repr(s.clock.speed),
            "--start",
            s.clock.origin.isoformat(),
            "--wall-origin",
            repr(s.clock.wall_origin),
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout=20)


def rules_yaml(rules: list[dict[str, object]]) -> str:
    return yaml.safe_dump({"version": 1, "rules": rules}, sort_keys=False)
