"""A real Mosquitto run with the stack's shipped mosquitto.conf, on the files 'greenhouse init' wrote.

Only what differs between the container and this machine is changed: the container paths become the
init folder's, each listener a free loopback port, and (run as root here) the broker keeps root's rights.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from greenhouse.deploy.layout import StackLayout
from greenhouse.deploy.listeners import BrokerListener
from greenhouse.net import free_port, wait_for_port
from tests.support.mosquitto import mosquitto_binary
from tests.support.server import ServerProcess

SHIPPED_CONF = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "mosquitto.conf"


class StackBroker(ServerProcess):
    def __init__(self, layout: StackLayout, workdir: Path) -> None:
        super().__init__()
        # The port on this machine of each listener, as the container's port would be published.
        self.ports = {listener: free_port() for listener in BrokerListener}
        self.log = workdir / "mosquitto.log"
        data = workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        text = SHIPPED_CONF.read_text(encoding="utf-8")
        text = text.replace("/mosquitto/secrets/", f"{layout.mosquitto}/").replace("/mosquitto/data/", f"{data}/")
        for listener, port in self.ports.items():
            line = f"\nlistener {listener.value}\n"
            assert line in text, f"the shipped conf has no '{line.strip()}' line any more"
            text = text.replace(line, f"\nlistener {port} 127.0.0.1\n")
        text = text.replace("log_dest stdout", f"log_dest file {self.log}")
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(text + "user root\n", encoding="utf-8")

    def start(self) -> None:
        self._proc = subprocess.Popen([mosquitto_binary(), "-c", str(self.conf)], stdin=subprocess.DEVNULL)
        for port in self.ports.values():
            wait_for_port(port)

    def reload(self) -> None:
        """What 'docker compose kill -s HUP mosquitto' does: read the password file and the ACL again."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGHUP)
