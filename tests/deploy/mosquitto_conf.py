"""Reading the shipped mosquitto.conf as Mosquitto does: listener options belong to the 'listener' line above
them; every other option is global, wherever it is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "mosquitto.conf"
# Options that are about one listener (mosquitto.conf(5), "Listeners"); with per_listener_settings false the
# password file, ACL and anonymous access are global wherever they are written.
LISTENER_OPTIONS = frozenset(
    {"use_username_as_clientid", "cafile", "certfile", "keyfile", "tls_version", "require_certificate", "protocol"}
)


@dataclass(frozen=True)
class MosquittoConf:
    settings: dict[str, list[str]] = field(default_factory=dict)
    listeners: dict[int, dict[str, list[str]]] = field(default_factory=dict)

    def setting(self, key: str) -> str | None:
        values = self.settings.get(key, [])
        assert len(values) <= 1, f"{key} is set {len(values)} times"
        return values[0] if values else None

    def listener_option(self, port: int, key: str) -> str | None:
        values = self.listeners[port].get(key, [])
        return values[-1] if values else None


def read(path: Path = SHIPPED) -> MosquittoConf:
    conf = MosquittoConf()
    current: dict[str, list[str]] = conf.settings
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        if key == "listener":
            current = conf.listeners.setdefault(int(value.split()[0]), {})
            continue
        target = current if key in LISTENER_OPTIONS else conf.settings
        target.setdefault(key, []).append(value.strip())
    return conf
